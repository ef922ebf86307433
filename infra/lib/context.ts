import type { Node } from 'constructs';
import type { TrailLocation } from '../../src/config';
import { ConfigError, TrailError } from '../../src/core/errors';
import { type ValidTrailLocation, validateTrailLocation } from '../../src/ddl/location';

/**
 * What one trailbot deployment needs to know, read from CDK context (`-c key=value` on the command line, or the
 * `context` block of infra/cdk.json). Context rather than CloudFormation parameters because these values
 * shape the template itself: the Glue table's partition projection, the IAM resources and the Glue LOCATION are
 * computed from them at synth time. The one value that is a CloudFormation parameter is the per-query scan cutoff,
 * because a platform team may want to change it without re-synthesizing (see `BYTES_SCANNED_CUTOFF_PARAMETER`).
 */
export interface TrailbotDeployment {
  /** Where CloudTrail delivers: bucket, prefix, accounts, regions, organization (validated like the bot does). */
  trail: ValidTrailLocation;
  /** KMS key the trail's log files are encrypted with (SSE-KMS trails); the bot gets kms:Decrypt on it only. */
  trailKmsKeyArn?: string;
  /** Athena workgroup name; default `trailbot`. */
  workgroupName: string;
  /** Glue database name; default `trailbot`. */
  databaseName: string;
  /**
   * Default of the BytesScannedCutoffPerQuery parameter, in MB (1 MB = 1,000,000 bytes); default 100,000 (100 GB,
   * about USD 0.50 a query). It is the hard stop; the bot asks before running anything estimated above
   * TRAIL_CONFIRM_ABOVE_BYTES (10 GiB by default), so the cutoff sits above that soft limit.
   */
  bytesScannedCutoffMb: number;
  /** Days Athena result files are kept in the results bucket; default 30. */
  resultsRetentionDays: number;
  /** Days the bot's and the VPC flow logs are kept in CloudWatch Logs; default 90 (must be a CloudWatch value). */
  logRetentionDays: number;
  /** IANA zone for `today`, off-hours and display (TRAIL_TIME_ZONE); default `UTC`. */
  timeZone: string;
  /** First day of the Glue table's partition projection range and TRAIL_PROJECTION_START, `yyyy/MM/dd`; default 2020/01/01. */
  projectionStart: string;
  /**
   * TRAIL_ACCESS_POLICY, passed to the bot verbatim: JSON, or `open` for everyone everywhere. Required: a deployed bot
   * answers every channel and DM about every account its role can read, so who may ask what is chosen, not defaulted.
   */
  accessPolicy: string;
  /** Bot tasks to run; default 1. 0 for the first deploy, before the Slack tokens are in the secret. */
  desiredCount: number;
  /**
   * `private` (default): the task runs in private subnets and reaches Slack and AWS through one NAT gateway; it has no
   * public IP. `public`: no NAT gateway (about USD 32/month less), the task gets a public IP in a public subnet; its
   * security group still admits no inbound traffic (Socket Mode opens an outbound WebSocket, nothing connects in).
   */
  network: 'private' | 'public';
  /**
   * `on`: Athena compacted days (issue 16, infra/lib/compaction.ts): the raw table becomes `cloudtrail_raw`, an Iceberg
   * table and a `cloudtrail_logs` view are added, with a job role allowed to fill only that table. Default `off`.
   */
  compaction?: boolean;
}

/** Context keys, as typed after `-c`. */
export const CONTEXT_KEYS = {
  trailBucket: 'trailBucket',
  trailPrefix: 'trailPrefix',
  accounts: 'accounts',
  regions: 'regions',
  organizationId: 'organizationId',
  trailKmsKeyArn: 'trailKmsKeyArn',
  workgroupName: 'athenaWorkgroup',
  databaseName: 'glueDatabase',
  bytesScannedCutoffMb: 'bytesScannedCutoffMb',
  resultsRetentionDays: 'resultsRetentionDays',
  logRetentionDays: 'logRetentionDays',
  timeZone: 'timeZone',
  projectionStart: 'projectionStart',
  accessPolicy: 'accessPolicy',
  desiredCount: 'desiredCount',
  network: 'network',
  compaction: 'compaction',
} as const satisfies Record<string, string>;

export const DEPLOYMENT_DEFAULTS = {
  workgroupName: 'trailbot',
  databaseName: 'trailbot',
  bytesScannedCutoffMb: 100_000,
  resultsRetentionDays: 30,
  logRetentionDays: 90,
  timeZone: 'UTC',
  projectionStart: '2020/01/01',
  desiredCount: 1,
  network: 'private',
} as const;

/**
 * Athena's smallest BytesScannedCutoffPerQuery is 10,000,000 bytes (AWS::Athena::WorkGroup WorkGroupConfiguration,
 * CloudFormation User Guide).
 */
export const MIN_BYTES_SCANNED_CUTOFF = 10_000_000;

/** CloudWatch Logs accepts only these retention periods (PutRetentionPolicy `retentionInDays`). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Reads every trailbot context value from a construct node (the App's) and validates them all at once. */
export function readDeployment(node: Pick<Node, 'tryGetContext'>): TrailbotDeployment {
  const raw: Record<string, unknown> = {};
  for (const key of Object.values(CONTEXT_KEYS)) raw[key] = node.tryGetContext(key);
  return parseDeployment(raw);
}

/**
 * Validates raw context values (strings from `-c`, or JSON values from cdk.json) and reports every problem in one
 * ConfigError, each naming the context key to set.
 */
export function parseDeployment(raw: Record<string, unknown>): TrailbotDeployment {
  const problems: string[] = [];
  const k = CONTEXT_KEYS;

  const bucket = text(raw[k.trailBucket]);
  if (bucket === undefined)
    problems.push(`${k.trailBucket} is not set: -c ${k.trailBucket}=<bucket CloudTrail delivers to>`);
  // People paste `logs/` or `/logs`; the location contract wants the prefix without slashes at either end.
  const prefix = (text(raw[k.trailPrefix]) ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix.includes('*')) {
    // S3 allows `*` in keys, but here it would become a wildcard in the IAM resource ARNs and s3:prefix conditions.
    problems.push(`${k.trailPrefix} \`${prefix}\` contains \`*\`, which would widen the bot's S3 permissions`);
  }
  const accounts = list(raw[k.accounts]);
  if (accounts.length === 0) problems.push(`${k.accounts} is not set: -c ${k.accounts}=111111111111,222222222222`);
  const regions = list(raw[k.regions]);
  if (regions.length === 0) problems.push(`${k.regions} is not set: -c ${k.regions}=us-east-1,eu-west-1`);
  const organizationId = text(raw[k.organizationId]);

  // Validate what was given even when something else is missing, so one run lists every problem: a missing value is
  // stood in for by a valid one here and reported above, and the stand-ins never leave this function.
  const location: TrailLocation = {
    bucket: bucket ?? 'stand-in-bucket',
    prefix,
    accounts: accounts.length > 0 ? accounts : ['000000000000'],
    regions: regions.length > 0 ? regions : ['us-east-1'],
  };
  if (organizationId !== undefined) location.organizationId = organizationId;
  let trail: ValidTrailLocation | undefined;
  try {
    trail = validateTrailLocation(location);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems.map((p) => `trail location (${k.trailBucket}/${k.trailPrefix}/…): ${p}`));
  }

  const trailKmsKeyArn = text(raw[k.trailKmsKeyArn]);
  if (
    trailKmsKeyArn !== undefined &&
    !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(trailKmsKeyArn)
  ) {
    problems.push(
      `${k.trailKmsKeyArn} \`${trailKmsKeyArn}\` must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)`,
    );
  }

  const workgroupName = text(raw[k.workgroupName]) ?? DEPLOYMENT_DEFAULTS.workgroupName;
  // Athena workgroup names: 1–128 of letters, digits, `.`, `_`, `-` (AWS::Athena::WorkGroup Name pattern).
  if (!/^[a-zA-Z0-9._-]{1,128}$/.test(workgroupName)) {
    problems.push(`${k.workgroupName} \`${workgroupName}\` may use only letters, digits, . _ - (at most 128)`);
  }
  const databaseName = text(raw[k.databaseName]) ?? DEPLOYMENT_DEFAULTS.databaseName;
  // Athena: "lowercase letters, numbers, and the underscore character" (tables-databases-columns-names.html).
  if (!/^[a-z0-9_]{1,255}$/.test(databaseName)) {
    problems.push(`${k.databaseName} \`${databaseName}\` may use only lowercase letters, digits and _`);
  }

  const bytesScannedCutoffMb = integer(raw, k.bytesScannedCutoffMb, DEPLOYMENT_DEFAULTS.bytesScannedCutoffMb, problems);
  if (bytesScannedCutoffMb * 1_000_000 < MIN_BYTES_SCANNED_CUTOFF) {
    problems.push(
      `${k.bytesScannedCutoffMb} must be at least ${MIN_BYTES_SCANNED_CUTOFF / 1_000_000} (Athena's minimum)`,
    );
  }
  const resultsRetentionDays = integer(raw, k.resultsRetentionDays, DEPLOYMENT_DEFAULTS.resultsRetentionDays, problems);
  if (resultsRetentionDays < 1) problems.push(`${k.resultsRetentionDays} must be at least 1`);
  const logRetentionDays = integer(raw, k.logRetentionDays, DEPLOYMENT_DEFAULTS.logRetentionDays, problems);
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
    problems.push(`${k.logRetentionDays} must be one of CloudWatch's values: ${LOG_RETENTION_DAYS.join(', ')}`);
  }
  const desiredCount = integer(raw, k.desiredCount, DEPLOYMENT_DEFAULTS.desiredCount, problems);
  // More than one replica is safe (the store's conditional writes), more than a few only costs money.
  if (desiredCount < 0 || desiredCount > 4) problems.push(`${k.desiredCount} must be between 0 and 4`);

  const timeZone = text(raw[k.timeZone]) ?? DEPLOYMENT_DEFAULTS.timeZone;
  if (!isTimeZone(timeZone))
    problems.push(`${k.timeZone} \`${timeZone}\` is not an IANA time zone such as Europe/Berlin`);

  const projectionStart = text(raw[k.projectionStart]) ?? DEPLOYMENT_DEFAULTS.projectionStart;
  if (!/^\d{4}\/(0[1-9]|1[0-2])\/(0[1-9]|[12]\d|3[01])$/.test(projectionStart)) {
    problems.push(`${k.projectionStart} \`${projectionStart}\` must be a day written yyyy/MM/dd (e.g. 2020/01/01)`);
  }

  const accessPolicy = json(raw, k.accessPolicy, problems);
  if (raw[k.accessPolicy] === undefined || raw[k.accessPolicy] === null || raw[k.accessPolicy] === '') {
    problems.push(
      `${k.accessPolicy} is not set: who may ask what where, as TRAIL_ACCESS_POLICY JSON, e.g. -c ${k.accessPolicy}='{"default":{"channels":["C0SECOPS"]},"admins":["U0LEAD"]}', or -c ${k.accessPolicy}=open to let everyone in every channel ask about every account`,
    );
  }

  const network = text(raw[k.network]) ?? DEPLOYMENT_DEFAULTS.network;
  if (network !== 'private' && network !== 'public') {
    problems.push(`${k.network} must be \`private\` (NAT gateway, no public IP) or \`public\` (no NAT gateway)`);
  }

  const compaction = text(raw[k.compaction]) ?? 'off';
  if (compaction !== 'on' && compaction !== 'off') {
    problems.push(`${k.compaction} must be \`on\` (Athena compacted days, infra/README.md) or \`off\``);
  }

  if (problems.length > 0 || trail === undefined || accessPolicy === undefined) throw new ConfigError(problems);
  const deployment: TrailbotDeployment = {
    trail,
    accessPolicy,
    workgroupName,
    databaseName,
    bytesScannedCutoffMb,
    resultsRetentionDays,
    logRetentionDays,
    timeZone,
    projectionStart,
    desiredCount,
    network: network as TrailbotDeployment['network'],
  };
  if (trailKmsKeyArn !== undefined) deployment.trailKmsKeyArn = trailKmsKeyArn;
  if (compaction === 'on') deployment.compaction = true;
  return deployment;
}

/** Message for a context problem at synth time: the list, and where the keys go. */
export function deploymentErrorMessage(err: unknown): string | undefined {
  if (!(err instanceof TrailError)) return undefined;
  return `${err.userMessage}\nSet context with -c key=value (see infra/README.md, "Deploy"), or in the "context" block of infra/cdk.json.`;
}

/** A non-empty trimmed string, or undefined for missing / empty values. */
function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const s = String(value).trim();
  return s === '' ? undefined : s;
}

/** A list from `a,b c` (command line) or `["a","b"]` (cdk.json); numbers are accepted as text (account ids). */
function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value.map((v) => String(v)) : String(value).split(/[\s,]+/);
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

function integer(raw: Record<string, unknown>, key: string, fallback: number, problems: string[]): number {
  const value = raw[key];
  const s = text(value);
  if (s === undefined) return fallback;
  if (!/^\d+$/.test(s)) {
    problems.push(`${key} \`${s}\` must be a whole number`);
    return fallback;
  }
  return Number(s);
}

/** JSON text for an env var: an object in cdk.json is serialized, a string from `-c` must parse. */
function json(raw: Record<string, unknown>, key: string, problems: string[]): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'object') return JSON.stringify(value);
  const s = String(value);
  if (s.trim() === 'open') return 'open'; // src/config: everyone, everywhere, on purpose
  try {
    JSON.parse(s);
    return s;
  } catch {
    problems.push(
      `${key} must be JSON (the TRAIL_ACCESS_POLICY format), e.g. {"default":{"channels":["C0SECOPS"]}}, or open`,
    );
    return undefined;
  }
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
