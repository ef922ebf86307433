import { expectNoMore, takeTop } from './args';
import type { QueryCommand } from './types';

/** `/trail users 7d`: the most active IAM users and their actions. */
export const TopUsers: QueryCommand = {
  kind: 'query',
  name: 'users',
  summary: 'the most active IAM users and their most frequent actions',
  usage: 'users [top N] [window]',
  examples: ['users 7d', 'users top 5 today'],
  defaultWindow: '7d',
  columns: {
    order: ['username', 'total_events', 'error_events', 'distinct_actions', 'top_actions'],
    numeric: ['total_events', 'error_events', 'distinct_actions'],
  },
  plan(args) {
    const { top, used } = takeTop(this, args, 10);
    expectNoMore(this, args, used);
    return { template: 'top_users', values: { top: { type: 'bigint', value: top } }, normalized: `top ${top}` };
  },
};
