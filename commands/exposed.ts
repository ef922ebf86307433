import { expectNoMore } from './args';
import { detectionFlags } from './detections/common';
import { exposedFlags, exposedTarget } from './detections/exposed-flags';
import type { QueryCommand } from './types';

/** `/trail exposed 24h`: resources made public or shared with another account. */
export const ExposedResources: QueryCommand = {
  kind: 'query',
  name: 'exposed',
  summary:
    'resources made public or shared with another account: EBS snapshots, AMIs, RDS snapshots, S3 bucket policies, ACLs and Block Public Access',
  usage: 'exposed [window]',
  examples: ['exposed 24h', 'exposed 7d', 'exposed yesterday'],
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
    return { template: 'exposed_resources', values: {}, normalized: '' };
  },
  annotate(row) {
    return detectionFlags(row, exposedFlags, exposedTarget);
  },
};
