import { expectNoMore } from './args';
import { detectionFlags } from './detections/common';
import { tamperFlags, tamperTarget } from './detections/tamper-flags';
import type { QueryCommand } from './types';

/** `/trail tamper 24h`: logging and defences turned off or narrowed (an attacker's first moves). */
export const TamperEvents: QueryCommand = {
  kind: 'query',
  name: 'tamper',
  summary:
    'logging and defences turned off or narrowed: CloudTrail stopped, deleted or narrowed, flow logs and DNS query logs deleted, GuardDuty / Security Hub / Config disabled, an account leaving the organization',
  usage: 'tamper [window]',
  examples: ['tamper 24h', 'tamper 7d', 'tamper yesterday'],
  defaultWindow: '24h',
  columns: {
    order: [
      'username',
      'principal_arn',
      'eventname',
      'eventtime',
      'sourceipaddress',
      'errorcode',
      'requestparameters',
      'eventsource',
      'awsregion',
      'recipientaccountid',
    ],
  },
  rowCap: { rows: 5000, narrow: 'a shorter window or account:/region:' },
  plan(args) {
    expectNoMore(this, args, 0);
    return { template: 'tamper_events', values: {}, normalized: '' };
  },
  annotate(row) {
    return detectionFlags(row, tamperFlags, tamperTarget);
  },
};
