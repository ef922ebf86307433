import type { ChartSpec } from '../src/core/publisher';
import type { ColumnLayout } from '../src/core/query';

/**
 * What `who` (a resource) and `ip` (an address) answer with: every call, read as who did what, when, from where.
 * The two drill-downs share their columns and their timeline, so a pivot from one to the other reads the same.
 */
export const ACTIVITY_COLUMNS: ColumnLayout = {
  order: [
    'principal_arn',
    'username',
    'eventname',
    'eventtime',
    'sourceipaddress',
    'errorcode',
    'eventsource',
    'awsregion',
    'recipientaccountid',
  ],
};

export const ACTIVITY_CHART: ChartSpec = { timeColumn: 'eventtime', bucket: 'hour', rows: 'calls' };
