import { scheduleLine } from '../src/time/schedule-text';
import { expectNoMore } from './args';
import type { DeferredControl } from './types';

export const ScheduleList: DeferredControl<Record<string, never>> = {
  kind: 'control',
  name: 'schedules',
  summary: "this channel's schedules: id, question, when, next run, last result",
  usage: 'schedules',
  examples: ['schedules'],
  requires: ['schedules'],
  parse(args) {
    expectNoMore(this, args, 0);
    return {};
  },
  async handle(_args, ctx) {
    if (!ctx.schedules) throw new Error('schedules: the schedule store was not handed in');
    const list = await ctx.schedules.store.listByChannel(ctx.asker.channelId);
    if (list.length === 0) {
      return 'No schedules in this channel. Add one with `/trail schedule <question> daily HH:MM`, e.g. `/trail schedule root daily 09:00`.';
    }
    return [
      `${list.length === 1 ? '1 schedule' : `${list.length} schedules`} in this channel (stop one with \`/trail unschedule <id>\`):`,
      ...list.map((s) => scheduleLine(s)),
    ].join('\n');
  },
};
