import { resultText, slackMention } from '../src/time/schedule-text';
import { echoCommand } from '../src/util/echo';
import { expectNoMore } from './args';
import type { DeferredControl } from './types';
import { describeWatch } from './watch';

export const WatchList: DeferredControl<Record<string, never>> = {
  kind: 'control',
  name: 'watches',
  summary: "this channel's watches: id, question, how often, options, last run",
  usage: 'watches',
  examples: ['watches'],
  requires: ['watches'],
  parse(args) {
    expectNoMore(this, args, 0);
    return {};
  },
  async handle(_args, ctx) {
    const list = await ctx.watches!.store.listByChannel(ctx.asker.channelId);
    if (list.length === 0) {
      return 'No watches in this channel. Add one with `/trail watch <question> every 15m`, or the recommended set with `/trail watch pack baseline`.';
    }
    return [
      `${list.length === 1 ? '1 watch' : `${list.length} watches`} in this channel (stop one with \`/trail unwatch <id>\`):`,
      ...list.map(
        (w) =>
          `• \`${w.id}\` ${echoCommand(w.commandText)} ${describeWatch(w)}, by ${slackMention(w.createdBy)}; last run: ${resultText(w.lastResult, 'UTC')}`,
      ),
    ].join('\n');
  },
};
