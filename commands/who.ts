import { UsageError } from '../src/core/errors';
import { ACTIVITY_CHART, ACTIVITY_COLUMNS } from './activity';
import { ARN, expectNoMore, RESOURCE_ACCEPTS, resourceIdOrArn, validateWord } from './args';
import type { QueryCommand } from './types';

const varchar = (value: string) => ({ type: 'varchar' as const, value });

/** The resource part of an ARN (`…:security-group/sg-123` → `sg-123`), which is how most requests name it. */
export function resourceNameOfArn(arn: string): string | undefined {
  const resource = arn.split(':').slice(5).join(':');
  const last = resource.split(/[/:]/).pop();
  return last && last.length >= 3 && last !== arn ? last : undefined;
}

/** `/trail who sg-5887f224`: every call that named a resource. */
export const ResourceActivity: QueryCommand = {
  kind: 'query',
  name: 'who',
  summary: 'who touched a resource: every call that named its id or ARN',
  usage: 'who <resource id or ARN> [window]',
  examples: ['who sg-5887f224', 'who arn:aws:s3:::my-bucket 7d', 'who i-0abc123def4567890 24h'],
  defaultWindow: '24h',
  chart: ACTIVITY_CHART,
  columns: ACTIVITY_COLUMNS,
  rowCap: { rows: 10_000, narrow: 'a shorter window or account:/region:' },
  plan(args) {
    const [word] = args.words;
    if (word === undefined) throw new UsageError('`who`: which resource? Give its id or ARN.', this.usage);
    const resource = validateWord(this, 'resource', word, resourceIdOrArn, RESOURCE_ACCEPTS);
    expectNoMore(this, args, 1);
    const name = ARN.test(resource) ? resourceNameOfArn(resource) : undefined;
    return {
      template: 'resource_activity',
      values: { resource: varchar(resource), resource_name: name ? varchar(name) : undefined },
      normalized: resource,
    };
  },
};
