import { takeId } from './ids';
import type { ControlCommand } from './types';

export const CancelExecution: ControlCommand = {
  kind: 'control',
  name: 'cancel',
  summary: 'stop a running question (the engine query is stopped too)',
  usage: 'cancel <id>',
  examples: ['cancel k3x9q2m8a1'],
  parse(args) {
    return { id: takeId(this, args, 'execution') };
  },
};
