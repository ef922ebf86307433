import { UsageError } from '../src/core/errors';
import { ARN, expectNoMore, IAM_ACCEPTS, iamNameOrArn, validateWord } from './args';
import type { QueryCommand } from './types';

const varchar = (value: string) => ({ type: 'varchar' as const, value });

/** `/trail user bobodell`: what one principal did. */
export const PrincipalActivity: QueryCommand = {
  kind: 'query',
  name: 'user',
  summary: 'what one IAM user, role or ARN did',
  usage: 'user <IAM user name or ARN> [window]',
  examples: ['user bobodell', 'user arn:aws:iam::123456789012:user/alice 7d'],
  defaultWindow: '24h',
  chart: { timeColumn: 'eventtime', bucket: 'hour', rows: 'calls' },
  columns: {
    order: [
      'principal_arn',
      'eventname',
      'eventtime',
      'sourceipaddress',
      'errorcode',
      'eventsource',
      'errormessage',
      'identity_type',
      'awsregion',
      'recipientaccountid',
    ],
  },
  rowCap: { rows: 10_000, narrow: 'a shorter window or account:/region:' },
  plan(args) {
    const [word] = args.words;
    if (word === undefined) throw new UsageError('`user`: which user? Give an IAM user name or ARN.', this.usage);
    const who = validateWord(this, 'user', word, iamNameOrArn, IAM_ACCEPTS);
    expectNoMore(this, args, 1);
    const isArn = ARN.test(who);
    return {
      template: 'principal_activity',
      values: { user_name: isArn ? undefined : varchar(who), user_arn: isArn ? varchar(who) : undefined },
      normalized: who,
    };
  },
};
