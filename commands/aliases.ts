import { formatInstant } from '../src/time/format';
import { slackMention } from '../src/time/schedule-text';
import { echoCommand } from '../src/util/echo';
import { expectNoMore } from './args';
import type { DeferredControl } from './types';

/** `/trail aliases`: every saved question, who set it and when (aliases are bot-wide, not per channel). */
export const AliasList: DeferredControl<Record<string, never>> = {
  kind: 'control',
  name: 'aliases',
  summary: 'the saved questions: name, question, who set it and when',
  usage: 'aliases',
  examples: ['aliases'],
  requires: ['aliases'],
  parse(args) {
    expectNoMore(this, args, 0);
    return {};
  },
  async handle(_args, ctx) {
    if (!ctx.aliases) throw new Error('aliases: the alias store was not handed in');
    const list = await ctx.aliases.store.list();
    if (list.length === 0) {
      return 'No aliases yet. An admin saves one with `/trail alias <name> = <question>`, e.g. `/trail alias prod-sg = sg sg-5887f224 account:111122223333`.';
    }
    const zone = ctx.config.timeZone;
    return [
      `${list.length === 1 ? '1 alias' : `${list.length} aliases`} (ask one with \`/trail <name> [window]\`):`,
      ...list.map(
        (a) =>
          `• \`${a.name}\` = ${echoCommand(a.text)}, set by ${slackMention(a.setBy)} on ${formatInstant(new Date(a.setAt), zone)}`,
      ),
    ].join('\n');
  },
};
