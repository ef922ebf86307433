import { z } from 'zod';
import { expectNoMore, validateWord } from './args';
import type { ControlCommand } from './types';

const HISTORY_MAX = 50;
const count = z.coerce
  .number({ message: 'is not a number' })
  .int({ message: 'is not a whole number' })
  .min(1, { message: 'is below 1' })
  .max(HISTORY_MAX, {
    message: `is above ${HISTORY_MAX}`,
  });

export const ExecutionHistory: ControlCommand = {
  kind: 'control',
  name: 'history',
  summary: 'recent questions in this channel: who, command, state, rows, bytes, when',
  usage: 'history [N]',
  examples: ['history', 'history 25'],
  parse(args) {
    const [word] = args.words;
    const limit =
      word === undefined ? 10 : validateWord(this, 'N', word, count, `a whole number from 1 to ${HISTORY_MAX}`);
    expectNoMore(this, args, word === undefined ? 0 : 1);
    return { limit };
  },
};
