/** Settings for where the trail's logs are: the Athena DDL, S3 estimates and the accounts and Regions in scope. */
import { type EnvReader, setting } from './setting';
import type { TrailLocation } from './types';
import { bucketName, dropUndefined, keyPrefix, listOf, matching, REGION } from './values';

export const BUCKET = setting('TRAIL_BUCKET', bucketName, {
  doc: 'S3 bucket of the trail (the name only, no `s3://`)',
});
export const PREFIX = setting('TRAIL_PREFIX', keyPrefix, {
  default: '',
  doc: 'key prefix before `AWSLogs/` (slashes trimmed)',
});
export const ACCOUNTS = setting('TRAIL_ACCOUNTS', listOf(/^\d{12}$/, 'a 12-digit AWS account id (e.g. 123456789012)'), {
  default: '',
  doc: '12-digit account ids the trail holds, comma or space separated',
});
export const REGIONS = setting('TRAIL_REGIONS', listOf(REGION, 'an AWS Region name (e.g. us-east-1)'), {
  default: '',
  doc: 'Region names the trail holds, comma or space separated',
});
export const ORG_ID = setting('TRAIL_ORG_ID', matching(/^o-[a-z0-9]{10,32}$/, 'an organization id (o-xxxxxxxxxx)'), {
  doc: 'organization id `o-…`, for an organization trail',
});

export const TRAIL_LOCATION_SETTINGS = [BUCKET, PREFIX, ACCOUNTS, REGIONS, ORG_ID];

export function readTrailLocation(r: EnvReader): TrailLocation {
  return dropUndefined({
    bucket: r.optional(BUCKET),
    prefix: r.get(PREFIX),
    accounts: r.get(ACCOUNTS),
    regions: r.get(REGIONS),
    organizationId: r.optional(ORG_ID),
  });
}
