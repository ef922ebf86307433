import { slackMention } from '../src/time/schedule-text';
import { echoCommand } from '../src/util/echo';
import { takeId } from './ids';
import type { DeferredControl } from './types';
import { describeWatch } from './watch';

export const Unwatch: DeferredControl<{ id: string }> = {
  kind: 'control',
  name: 'unwatch',
  summary: 'stop one of this channel’s watches (its creator or an admin)',
  usage: 'unwatch <id>',
  examples: ['unwatch w0k3x9a1b2q7'],
  requires: ['watches'],
  parse(args) {
    return { id: takeId(this, args, 'watch') };
  },
  async handle({ id }, ctx) {
    const { store } = ctx.watches!;
    const { asker } = ctx;
    const existing = await store.get(id);
    const missing = `There is no watch \`${id}\` in this channel (\`/trail watches\` lists them).`;
    // Another channel's watch is not acknowledged: its id says nothing to people here.
    if (!existing || existing.channelId !== asker.channelId) return missing;
    const owner = ctx.mayStop({ command: 'unwatch', ownerId: existing.createdBy, what: 'watch' });
    if (!owner.allowed) {
      await ctx.audit({
        action: 'denied',
        command: existing.command,
        detail: `unwatch ${existing.id} set up by ${existing.createdBy}`,
      });
      return owner.reason;
    }
    const removed = await store.delete(id, asker.userId);
    if (!removed) return missing;
    const by = removed.createdBy !== asker.userId ? ` set up by ${removed.createdBy}` : '';
    await ctx.audit({
      action: 'unwatch',
      command: removed.command,
      detail: `${removed.id} ${removed.commandText} ${describeWatch(removed)}${by}`,
    });
    return `Stopped watch \`${removed.id}\`: ${echoCommand(removed.commandText)} ${describeWatch(removed)}, set up by ${slackMention(removed.createdBy)}. A run already under way still posts what it found.`;
  },
};
