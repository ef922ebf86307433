import { expectNoMore } from './args';
import type { QueryCommand } from './types';

/** `/trail root 30d`: what the root identity did, directly or through a service. */
export const RootActivity: QueryCommand = {
  kind: 'query',
  name: 'root',
  summary: 'what the root identity did, directly or through a service (invokedBy)',
  usage: 'root [window]',
  examples: ['root 30d', 'root yesterday'],
  defaultWindow: '30d',
  // Its rows are groups of calls: the chart counts root's calls per day with sql/root_series.sql.
  chart: { timeColumn: 'bucket', bucket: 'day', rows: 'root calls', template: 'root_series' },
  columns: {
    order: [
      'eventname',
      'invoked_by',
      'total_events',
      'without_mfa',
      'error_events',
      'distinct_source_ips',
      'last_seen',
      'first_seen',
      'recipientaccountid',
    ],
    numeric: ['total_events', 'without_mfa', 'error_events', 'distinct_source_ips'],
  },
  plan(args) {
    expectNoMore(this, args, 0);
    return { template: 'root_activity', values: {}, normalized: '' };
  },
  annotate(row) {
    const withoutMfa = Number(row('without_mfa') ?? 0);
    if (row('invoked_by') !== null || !(withoutMfa > 0)) return [];
    return [
      {
        code: 'root-no-mfa',
        message: `root called ${row('eventname')} ${withoutMfa} time${withoutMfa === 1 ? '' : 's'} without MFA`,
      },
    ];
  },
};
