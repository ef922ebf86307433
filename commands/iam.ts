import { expectNoMore } from './args';
import { detectionFlags } from './detections/common';
import { iamFlags, iamTarget } from './detections/iam-flags';
import type { QueryCommand } from './types';

/** `/trail iam 7d`: persistence through IAM (new users, keys, passwords and roles, admin policies, outside trusts). */
export const IamPersistence: QueryCommand = {
  kind: 'query',
  name: 'iam',
  summary:
    'persistence through IAM: users, access keys, console passwords and roles created, admin policies attached, trust policies opened to another account',
  usage: 'iam [window]',
  examples: ['iam 24h', 'iam 7d', 'iam today'],
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
    return { template: 'iam_persistence', values: {}, normalized: '' };
  },
  annotate(row) {
    return detectionFlags(row, iamFlags, iamTarget);
  },
};
