import { expectNoMore } from './args';
import type { ControlCommand } from './types';

export const ScheduleList: ControlCommand = {
  kind: 'control',
  name: 'schedules',
  summary: "this channel's schedules: id, question, when, next run, last result",
  usage: 'schedules',
  examples: ['schedules'],
  parse(args) {
    expectNoMore(this, args, 0);
    return {};
  },
};
