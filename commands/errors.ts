import { expectNoMore, takeTop } from './args';
import type { QueryCommand } from './types';

/** `/trail errors 7d`: the top recurring error codes and messages. */
export const ErrorSummary: QueryCommand = {
  kind: 'query',
  name: 'errors',
  summary: 'the top recurring error codes and messages',
  usage: 'errors [top N] [window]',
  examples: ['errors 7d', 'errors top 20 24h'],
  defaultWindow: '7d',
  // Its rows are error groups, not events: the chart counts the same errors per hour (per day beyond 7 days) with
  // sql/error_series.sql.
  chart: { timeColumn: 'bucket', bucket: 'hour', rows: 'errors', template: 'error_series', hourlyUpToDays: 7 },
  columns: {
    order: ['total_events', 'errorcode', 'eventname', 'errormessage', 'distinct_principals', 'last_seen', 'first_seen'],
    numeric: ['total_events', 'distinct_principals'],
  },
  plan(args) {
    const { top, used } = takeTop(this, args, 10);
    expectNoMore(this, args, used);
    return { template: 'error_summary', values: { top: { type: 'bigint', value: top } }, normalized: `top ${top}` };
  },
};
