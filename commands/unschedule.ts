import { takeId } from './ids';
import type { ControlCommand } from './types';

export const Unschedule: ControlCommand = {
  kind: 'control',
  name: 'unschedule',
  summary: 'stop one of this channel’s schedules',
  usage: 'unschedule <id>',
  examples: ['unschedule k3x9a1b2q7zc'],
  parse(args) {
    return { id: takeId(this, args, 'schedule') };
  },
};
