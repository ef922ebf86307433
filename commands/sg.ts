import { UsageError } from '../src/core/errors';
import { SG_ACCEPTS, securityGroupOrEni, validateWord } from './args';
import { securityGroupFlags } from './risk';
import type { QueryCommand } from './types';

/** Each id is two parameters; Athena's console caps a query at 25 and long lists belong in separate questions. */
const MAX_IDS = 10;

const varchar = (value: string) => ({ type: 'varchar' as const, value });

/** `/trail sg sg-5887f224 eni-6c5ca5a8 12h`: who changed these groups / interfaces, and was anything opened to the world? */
export const SecurityGroupChanges: QueryCommand = {
  kind: 'query',
  name: 'sg',
  summary: 'who changed security groups / network interfaces, and whether a port was opened to the world',
  usage: 'sg [sg-…|eni-…]… [window] [--all]',
  examples: ['sg sg-5887f224 eni-6c5ca5a8 12h', 'sg 24h', 'sg sg-5887f224 --all'],
  flags: { all: 'also list the Describe calls that looked at these groups' },
  // "12 hours before the alarm" in the AWS article.
  defaultWindow: '12h',
  chart: { timeColumn: 'eventtime', bucket: 'hour', rows: 'changes' },
  // Who, what, when, where first (issue 17): the Slack table and the terminal show these in this order.
  columns: {
    order: [
      'username',
      'eventname',
      'eventtime',
      'sourceipaddress',
      'requestparameters',
      'principal_arn',
      'errorcode',
      'awsregion',
      'recipientaccountid',
    ],
  },
  plan(args) {
    if (args.words.length > MAX_IDS) {
      throw new UsageError(
        `\`sg\`: ${args.words.length} ids given; at most ${MAX_IDS} per question (ask again for the rest).`,
        this.usage,
      );
    }
    const ids = [
      ...new Set(args.words.map((w, i) => validateWord(this, `argument ${i + 1}`, w, securityGroupOrEni, SG_ACCEPTS))),
    ].sort();
    return {
      template: 'security_group_changes',
      values: { resource_ids: ids.map(varchar), include_describe: args.flags.has('all') },
      normalized: [...ids, ...(args.flags.has('all') ? ['--all'] : [])].join(' '),
    };
  },
  annotate(row) {
    return securityGroupFlags(
      row('eventname'),
      row('requestparameters'),
      row('username') ?? row('principal_arn'),
      row('errorcode'),
    );
  },
};
