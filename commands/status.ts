import { takeId } from './ids';
import type { ControlCommand } from './types';

export const ExecutionStatus: ControlCommand = {
  kind: 'control',
  name: 'status',
  summary: 'the state of one question: running, finished, rows, bytes scanned, cost',
  usage: 'status <id>',
  examples: ['status k3x9q2m8a1'],
  parse(args) {
    return { id: takeId(this, args, 'execution') };
  },
};
