import { describeCadence } from '../src/time/cadence';
import { slackMention } from '../src/time/schedule-text';
import { echoCommand } from '../src/util/echo';
import { takeId } from './ids';
import type { DeferredControl } from './types';

export const Unschedule: DeferredControl<{ id: string }> = {
  kind: 'control',
  name: 'unschedule',
  summary: 'stop one of this channel’s schedules',
  usage: 'unschedule <id>',
  examples: ['unschedule k3x9a1b2q7zc'],
  requires: ['schedules'],
  parse(args) {
    return { id: takeId(this, args, 'schedule') };
  },
  async handle({ id }, ctx) {
    if (!ctx.schedules) throw new Error('unschedule: the schedule store was not handed in');
    const { store } = ctx.schedules;
    const { asker } = ctx;
    const existing = await store.get(id);
    const missing = `There is no schedule \`${id}\` in this channel (\`/trail schedules\` lists them).`;
    // Another channel's schedule is not acknowledged: its id says nothing to people here.
    if (!existing || existing.channelId !== asker.channelId) return missing;
    // Only its creator or an admin may stop someone's standing question (the front door binds the policy's rule).
    const owner = ctx.mayStop({ command: 'unschedule', ownerId: existing.createdBy, what: 'schedule' });
    if (!owner.allowed) {
      await ctx.audit({
        action: 'denied',
        command: existing.command,
        detail: `unschedule ${existing.id} set up by ${existing.createdBy}`,
      });
      return owner.reason;
    }
    const removed = await store.delete(id, asker.userId);
    if (!removed) return missing;
    const when = describeCadence(removed.cadence, removed.timeZone);
    const by = removed.createdBy !== asker.userId ? ` set up by ${removed.createdBy}` : '';
    await ctx.audit({
      action: 'unschedule',
      command: removed.command,
      detail: `${removed.id} ${removed.commandText} ${when}${by}`,
    });
    return `Stopped schedule \`${removed.id}\`: ${echoCommand(removed.commandText)} ${when}, set up by ${slackMention(removed.createdBy)}. A run already under way still posts its result.`;
  },
};
