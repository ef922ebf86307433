import { z } from 'zod';
import type { ExecutionRecord } from '../src/core/execution';
import { watchOf } from '../src/core/watch';
import { expectNoMore, validateWord } from './args';
import { historyLine } from './status';
import type { DeferredControl } from './types';

const HISTORY_MAX = 50;
const count = z.coerce
  .number({ message: 'is not a number' })
  .int({ message: 'is not a whole number' })
  .min(1, { message: 'is below 1' })
  .max(HISTORY_MAX, {
    message: `is above ${HISTORY_MAX}`,
  });

export const ExecutionHistory: DeferredControl<{ limit: number }> = {
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
  async handle({ limit }, ctx) {
    // A watch's runs that found nothing posted nothing (src/core/watch.ts): they are not questions anyone saw, and a
    // 15-minute watch would otherwise fill the list. Read a few more to make up for them.
    const quiet = (e: ExecutionRecord) => watchOf(e) !== undefined && e.state === 'PUBLISHED' && !e.parentRef;
    const read = await ctx.executions.listByChannel(ctx.asker.channelId, Math.min(limit * 4, 200));
    const list = read.filter((e) => !quiet(e)).slice(0, limit);
    if (list.length === 0) return 'No questions have been asked in this channel yet.';
    return [
      `Last ${list.length} questions in this channel:`,
      ...list.map((e) => historyLine(e, ctx.config.timeZone)),
    ].join('\n');
  },
};
