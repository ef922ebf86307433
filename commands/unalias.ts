import { ALIAS_NAME, ALIAS_NAME_RULE } from '../src/core/alias';
import { UsageError } from '../src/core/errors';
import { slackMention } from '../src/time/schedule-text';
import { echoCommand } from '../src/util/echo';
import { expectNoMore, shown } from './args';
import type { DeferredControl } from './types';

/**
 * `/trail unalias prod-sg` (admins): removes a saved question. A schedule made from it keeps running: it stored the
 * question the alias stood for, not the name (src/dispatch/aliases.ts).
 */
export const Unalias: DeferredControl<{ name: string }> = {
  kind: 'control',
  name: 'unalias',
  summary: 'remove a saved question (admins)',
  usage: 'unalias <name>',
  examples: ['unalias prod-sg'],
  requires: ['aliases'],
  parse(args) {
    const name = args.words[0]?.toLowerCase();
    if (name === undefined) throw new UsageError('`unalias`: which alias? e.g. `/trail unalias prod-sg`.', this.usage);
    if (!ALIAS_NAME.test(name)) {
      throw new UsageError(
        `\`unalias\`: \`${shown(name)}\` is not an alias name. Accepted: ${ALIAS_NAME_RULE}.`,
        this.usage,
      );
    }
    expectNoMore(this, args, 1);
    return { name };
  },
  async handle({ name }, ctx) {
    if (!ctx.aliases) throw new Error('unalias: the alias store was not handed in');
    const { store, mayChange, changed } = ctx.aliases;
    const access = mayChange();
    if (!access.allowed) {
      await ctx.audit({ action: 'denied', command: 'unalias', detail: `unalias ${name}` });
      return `You cannot remove an alias: ${access.reason}`;
    }
    const removed = await store.remove(name, ctx.asker.userId);
    if (!removed) return `There is no alias \`${name}\` (\`/trail aliases\` lists them).`;
    await ctx.audit({
      action: 'unalias',
      command: removed.command,
      detail: `${removed.name} = ${removed.text} (set by ${removed.setBy})`,
    });
    await changed();
    return `Removed \`${removed.name}\`, which stood for ${echoCommand(removed.text)} (set by ${slackMention(removed.setBy)}). Schedules made from it keep asking that question.`;
  },
};
