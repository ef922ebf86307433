import type { TrailLocation } from '../config';
import { ConfigError } from '../core/errors';

/**
 * Where a trail's log files live in S3, checked once. Values from here end up inside SQL string literals (DDL
 * LOCATION and TBLPROPERTIES) and S3 key prefixes, so every piece is validated against the AWS naming rules first:
 * they come from configuration, not from users, but a stray quote must still never reach DDL text.
 */
export interface ValidTrailLocation {
  bucket: string;
  /** Key prefix before `AWSLogs/`, no leading or trailing slash; '' when none. */
  prefix: string;
  /** Deduplicated, in the configured order. */
  accounts: string[];
  regions: string[];
  organizationId?: string;
}

/** S3 general purpose bucket naming rules (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const BUCKET_RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const BUCKET_RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];
/**
 * Key prefix: S3's "safe characters" (letters, digits, `! - _ . * ( )`) and `/` between segments. The single quote,
 * which S3 also calls safe, is left out on purpose: the prefix is written into SQL string literals.
 */
const PREFIX = /^[A-Za-z0-9!_.*()-]+(\/[A-Za-z0-9!_.*()-]+)*$/;
const ACCOUNT = /^\d{12}$/;
/** us-east-1, eu-central-2, us-gov-west-1, cn-northwest-1, us-isob-east-1, … */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
/** AWS Organizations id (docs.aws.amazon.com/organizations/latest/APIReference/API_Organization.html). */
const ORGANIZATION = /^o-[a-z0-9]{10,32}$/;

export function bucketNameProblem(bucket: string): string | undefined {
  if (!BUCKET.test(bucket)) {
    return `bucket \`${bucket}\` is not a valid S3 bucket name (3–63 lowercase letters, digits, dots, hyphens; starts and ends with a letter or digit)`;
  }
  if (bucket.includes('..')) return `bucket \`${bucket}\` contains two adjacent dots`;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bucket)) return `bucket \`${bucket}\` looks like an IP address`;
  const prefix = BUCKET_RESERVED_PREFIXES.find((p) => bucket.startsWith(p));
  if (prefix) return `bucket \`${bucket}\` starts with the reserved prefix \`${prefix}\``;
  const suffix = BUCKET_RESERVED_SUFFIXES.find((s) => bucket.endsWith(s));
  if (suffix) return `bucket \`${bucket}\` ends with the reserved suffix \`${suffix}\``;
  return undefined;
}

/** What the person configuring trailbot calls each part of the location: environment variables by default. */
export interface LocationSettingNames {
  bucket: string;
  accounts: string;
  regions: string;
}

export const LOCATION_ENV_NAMES: LocationSettingNames = {
  bucket: 'TRAIL_BUCKET',
  accounts: 'TRAIL_ACCOUNTS',
  regions: 'TRAIL_REGIONS',
};

/**
 * Validates a configured trail location and reports every problem at once (ConfigError). A missing value names the
 * setting to fill in (`names`: the environment variables by default, CDK context keys for infra/).
 */
export function validateTrailLocation(
  location: TrailLocation,
  names: LocationSettingNames = LOCATION_ENV_NAMES,
): ValidTrailLocation {
  const problems: string[] = [];
  const bucket = location.bucket ?? '';
  if (bucket === '') {
    problems.push(`the trail bucket is not set: set ${names.bucket} to the S3 bucket CloudTrail delivers to`);
  } else {
    const problem = bucketNameProblem(bucket);
    if (problem) problems.push(problem);
  }
  if (location.prefix !== '' && !PREFIX.test(location.prefix)) {
    problems.push(
      `trail prefix \`${location.prefix}\` must be the key prefix before AWSLogs/, without leading or trailing slash, using letters, digits and ! - _ . * ( ) only`,
    );
  }
  const accounts = [...new Set(location.accounts)];
  const regions = [...new Set(location.regions)];
  if (accounts.length === 0) {
    problems.push(
      `no trail account is configured: set ${names.accounts} to the 12-digit account ids the trail logs, comma separated (e.g. ${names.accounts}=111122223333)`,
    );
  }
  for (const account of accounts) {
    if (!ACCOUNT.test(account)) problems.push(`account \`${account}\` is not a 12-digit AWS account id`);
  }
  if (regions.length === 0) {
    problems.push(
      `no trail region is configured: set ${names.regions} to the regions the trail logs, comma separated (e.g. ${names.regions}=us-east-1,eu-west-1)`,
    );
  }
  for (const region of regions) {
    if (!REGION.test(region)) problems.push(`region \`${region}\` is not an AWS region name such as us-east-1`);
  }
  if (location.organizationId !== undefined && !ORGANIZATION.test(location.organizationId)) {
    problems.push(
      `organization id \`${location.organizationId}\` must look like o-abcd123456 (o- and 10–32 characters)`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const valid: ValidTrailLocation = { bucket, prefix: location.prefix, accounts, regions };
  if (location.organizationId !== undefined) valid.organizationId = location.organizationId;
  return valid;
}

/**
 * Key prefix up to and including `AWSLogs/` and, for an organization trail, `o-…/`. CloudTrail writes
 * `[prefix/]AWSLogs/[o-org/]<account>/CloudTrail/<region>/yyyy/MM/dd/<file>.json.gz`
 * (docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-find-log-files.html).
 */
export function logsRootKey(location: ValidTrailLocation): string {
  const org = location.organizationId ? `${location.organizationId}/` : '';
  return `${location.prefix ? `${location.prefix}/` : ''}AWSLogs/${org}`;
}

/** Key prefix of one account's, one region's, one day's log files (trailing slash included). */
export function dayPrefixKey(location: ValidTrailLocation, account: string, region: string, day: string): string {
  return `${logsRootKey(location)}${account}/CloudTrail/${region}/${day}/`;
}
