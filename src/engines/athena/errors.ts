import type { AthenaError } from '@aws-sdk/client-athena';
import { TrailError } from '../../core/errors';

/**
 * Turning what Athena says into what a person should do. Two kinds of failure reach us:
 * - a query that ended FAILED or CANCELLED: `Status.StateChangeReason` and `Status.AthenaError`
 *   (`ErrorCategory` 1 system / 2 user / 3 other, `ErrorType` from the error catalog,
 *   docs.aws.amazon.com/athena/latest/ug/error-reference.html) → `explainAthenaFailure`;
 * - an API call that was refused (IAM, missing workgroup, throttling) → `athenaRequestError`.
 */

/** Where the query ran, for messages that name the thing to fix. */
export interface AthenaContext {
  workgroup: string;
  database: string;
  catalog: string;
}

/** The API refused a call after the SDK's retries (throttled, or Athena's active-query quota is full). */
export class AthenaThrottledError extends TrailError {
  constructor(operation: string, attempts: number, options?: { cause?: unknown }) {
    super(
      'ATHENA_THROTTLED',
      `Athena is busy: ${operation} was throttled ${attempts} times in a row (too many queries running or queued in ` +
        'this account and region). Try again in a minute.',
      options,
    );
    this.name = 'AthenaThrottledError';
  }
}

/** Any other refused API call, with a message that says what to fix. */
export class AthenaRequestError extends TrailError {
  constructor(userMessage: string, options?: { cause?: unknown }) {
    super('ATHENA_REQUEST', userMessage, options);
    this.name = 'AthenaRequestError';
  }
}

/** Fields of an SDK v3 service error that we read (duck-typed: unmodeled errors such as ThrottlingException arrive
 * as the generic AthenaServiceException carrying the wire name). */
interface ServiceErrorLike {
  name?: string;
  message?: string;
  Message?: string;
  Reason?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

function asServiceError(err: unknown): ServiceErrorLike {
  return typeof err === 'object' && err !== null ? (err as ServiceErrorLike) : {};
}

export function errorMessageOf(err: unknown): string {
  const e = asServiceError(err);
  return e.Message ?? e.message ?? String(err);
}

const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'SlowDown',
]);

/**
 * Throttled by the API rate limit (`ThrottlingException`) or the active-query quota (`TooManyRequestsException`,
 * Athena User Guide, "Service Quotas").
 */
export function isThrottling(err: unknown): boolean {
  const e = asServiceError(err);
  const status = e.$metadata?.httpStatusCode;
  return (e.name !== undefined && THROTTLING_NAMES.has(e.name)) || status === 429 || status === 503;
}

/**
 * Worth another attempt: throttling, or a transient server fault. The SDK client makes the attempts (client.ts); this
 * is trailbot's own list of what must be retried, and test/engines/athena/engine.test.ts holds the client to it.
 */
export function isRetryable(err: unknown): boolean {
  if (isThrottling(err)) return true;
  const e = asServiceError(err);
  const status = e.$metadata?.httpStatusCode;
  if (e.name === 'InternalServerException' || (status !== undefined && status >= 500 && status <= 504)) return true;
  // A connection dropped mid-call.
  return e.name === 'TimeoutError' || TRANSIENT_NETWORK_CODES.has(e.code ?? '');
}

/** Athena names a query id it does not know (wrong id, or aged out of its history). */
export function isUnknownQuery(err: unknown): boolean {
  const e = asServiceError(err);
  if (e.name !== 'InvalidRequestException') return false;
  const message = errorMessageOf(err);
  return (
    /QueryExecution\S* .*(was not found|not found|does not exist)/i.test(message) || /queryExecutionId/.test(message)
  );
}

/** Athena appends a boilerplate tail to many messages; it helps nobody in a Slack thread. */
function clean(message: string): string {
  return message
    .replace(/\s*This query ran against the .*$/s, '')
    .replace(/\s*You may need to manually clean the data at location .*$/s, '')
    .trim();
}

/** An S3 URL inside a message, without the sentence's final period. */
function s3UrlIn(message: string, after: RegExp): string | undefined {
  const match = after.exec(message);
  if (!match) return undefined;
  const rest = message.slice(match.index + match[0].length);
  const url = /^\s*(s3:\/\/\S+)/.exec(rest)?.[1];
  return url?.replace(/[.,;]+$/, '');
}

/**
 * Which permission is missing, read from the message. IAM denials name the action ("is not authorized to perform:
 * glue:GetTable on resource: …"); S3 denials inside a query name the path instead.
 */
export function describePermissionProblem(message: string, where: 'query' | 'results' = 'query'): string | undefined {
  const iam = /is not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9*]+)(?: on resource:? (\S+))?/.exec(message);
  if (iam) {
    const resource = iam[2] ? ` on \`${iam[2]}\`` : '';
    return (
      `trailbot's AWS role is not allowed \`${iam[1]}\`${resource}. ` +
      "Grant it in the role's IAM policy (the stack in infra/ grants everything trailbot needs)."
    );
  }
  if (/Lake Formation/i.test(message)) {
    return "Lake Formation denies trailbot's role access to the CloudTrail table: grant it SELECT and DESCRIBE on the table.";
  }
  const written = s3UrlIn(message, /(writing|write) (output|query results|results)? ?to (url|location|path)?:?/i);
  if (written) {
    return `Athena may not write results to \`${written}\`: grant \`s3:PutObject\` and \`s3:GetBucketLocation\` on the results bucket.`;
  }
  const read =
    s3UrlIn(message, /Permission denied on S3 path:?/i) ?? s3UrlIn(message, /Access Denied.*?(path|location):?/i);
  if (read) {
    return (
      `Athena may not read \`${read}\`: grant trailbot's role \`s3:GetObject\` and \`s3:ListBucket\` on the CloudTrail ` +
      'bucket (and `kms:Decrypt` if the trail is encrypted with a KMS key).'
    );
  }
  // After the S3 paths: Athena's results-write message mentions KMS as a possible cause in passing.
  if (/kms/i.test(message) && /(denied|not authorized|AccessDenied)/i.test(message)) {
    return "trailbot's role may not use the KMS key of the logs or results: grant `kms:Decrypt` (and `kms:GenerateDataKey` for results) on that key.";
  }
  if (/(access denied|AccessDenied|permission denied|not authorized)/i.test(message)) {
    return where === 'results'
      ? "trailbot may not read the query results: grant its role `s3:GetObject` on the workgroup's results bucket."
      : "Athena was denied access while running the query: check trailbot's role has `s3:GetObject`/`s3:ListBucket` " +
          'on the CloudTrail bucket and `glue:GetTable`/`glue:GetDatabase` on the table.';
  }
  return undefined;
}

/** The error catalog's description for an ErrorType (error-reference.html), grouped as the catalog groups them. */
export function errorTypeDescription(type: number): string | undefined {
  const exact: Record<number, string> = {
    100: 'internal service error',
    203: 'driver error',
    204: 'metastore error',
    206: 'query timeout',
    209: 'failed to cancel the query',
    210: 'query timeout',
    233: 'Iceberg error',
    234: 'Lake Formation error',
    237: 'serialization error',
    238: 'failed to upload metadata to Amazon S3',
    239: 'general persistence error',
    240: 'failed to submit the query',
    401: 'failed to write query results to Amazon S3',
    402: 'failed to write query results to Amazon S3',
    1000: 'user error',
    1001: 'data error',
    1002: 'data error',
    1003: 'DDL task failed',
    1004: 'schema error',
    1005: 'serialization error',
    1006: 'syntax error',
    1007: 'data error',
    1008: 'query rejected',
    1009: 'query failed',
    1010: 'internal service error',
    1011: 'query cancelled by user',
    1014: 'query cancelled by user',
    1100: 'invalid argument provided',
    1101: 'invalid property provided',
    1103: 'invalid table property provided',
    1106: 'invalid function argument provided',
    1107: 'invalid view',
    1108: 'failed to register function',
    1109: 'Amazon S3 path not found',
    1110: 'table or view does not exist',
    1200: 'query not supported',
    1201: 'decoder not supported',
    1202: 'query type not supported',
    1300: 'not found',
    1301: 'entity not found',
    1302: 'file not found',
    1303: 'function not found',
    1306: 'Amazon S3 bucket not found',
    1307: 'selected engine not found',
    1400: 'throttling error',
    1401: 'AWS Glue throttling',
    1402: 'too many table versions in AWS Glue',
    1403: 'Amazon S3 throttling',
    1404: 'Amazon Athena throttling',
    1405: 'Amazon Athena throttling',
    1406: 'Amazon Athena throttling',
    1500: 'permission error',
    1501: 'Amazon S3 permission error',
    9999: 'internal service error',
  };
  if (exact[type] !== undefined) return exact[type];
  if (type >= 0 && type <= 8) return 'query exhausted resources at this scale factor';
  if (type >= 300 && type <= 400) return 'internal service error';
  if ((type >= 200 && type < 300) || [1012, 1013, 1102, 1104, 1105, 1304, 1305, 1308].includes(type)) {
    return 'query engine had an internal error';
  }
  return undefined;
}

const CATEGORY: Record<number, string> = { 1: 'system', 2: 'user', 3: 'other' };

export interface AthenaFailure {
  state: 'FAILED' | 'CANCELLED';
  stateChangeReason?: string;
  error?: AthenaError;
}

/**
 * One sentence (or two) saying why a query did not succeed and what to do about it. Recognised cases come first,
 * then Athena's own message with its category and type in words.
 */
export function explainAthenaFailure(failure: AthenaFailure, context: AthenaContext): string {
  const type = failure.error?.ErrorType;
  const rawMessage = failure.error?.ErrorMessage ?? failure.stateChangeReason ?? '';
  const message = clean(rawMessage);
  const text = `${rawMessage} ${failure.stateChangeReason ?? ''}`;

  // Workgroup per-query data usage control (BytesScannedCutoffPerQuery): Athena cancels the query
  // ("Query cancelled! ... Bytes scanned limit was exceeded", workgroups-setting-control-limits-cloudwatch.html).
  // Matched narrowly: the concurrency quota's message also says "exceeded the limit" and needs a retry, not a
  // narrower window.
  if (
    /bytes scanned limit|data usage (control|limit)|BytesScannedCutoff|Query cancelled!.*exceeded the limit/is.test(
      text,
    )
  ) {
    return (
      `The query would read more data than workgroup \`${context.workgroup}\` allows per query, so Athena stopped it. ` +
      'Narrow the window (for example `12h` instead of `7d`) or the accounts/regions, or ask an admin to raise the ' +
      "workgroup's data usage limit."
    );
  }

  const table = /Table '?([\w.]+)'? does not exist/i.exec(text)?.[1] ?? /Table not found '?([\w.]+)'?/i.exec(text)?.[1];
  if (table !== undefined || type === 1110 || /TABLE_NOT_FOUND/.test(text)) {
    return (
      `The CloudTrail table${table ? ` \`${table}\`` : ''} does not exist in Athena database \`${context.database}\`. ` +
      'Run `npx trail ddl` to print its CREATE TABLE statement, or `npx trail setup` to create it.'
    );
  }
  const schema =
    /Schema '?([\w.-]+)'? does not exist/i.exec(text)?.[1] ??
    /Database '?([\w.-]+)'? (not found|does not exist)/i.exec(text)?.[1];
  if (schema !== undefined || /SCHEMA_NOT_FOUND|DATABASE_NOT_FOUND/.test(text)) {
    return (
      `Athena database \`${schema ?? context.database}\` does not exist in catalog \`${context.catalog}\`. ` +
      'Run `npx trail setup` to create it and the CloudTrail table, or set TRAIL_ATHENA_DATABASE to the database ' +
      'that holds it.'
    );
  }

  const permission =
    type === 1500 || type === 1501 || type === 234 || /denied|not authorized|permission/i.test(text)
      ? describePermissionProblem(text)
      : undefined;
  if (permission) return permission;

  if (
    (type !== undefined && type >= 1400 && type <= 1406) ||
    /rate exceeded|throttl|too many (requests|queries)|queue is full/i.test(text)
  ) {
    const what = type !== undefined ? errorTypeDescription(type) : undefined;
    return `Athena was too busy to finish the query${what && what !== 'throttling error' ? ` (${what})` : ''}. Run it again in a minute.`;
  }
  if ((type !== undefined && type >= 0 && type <= 8) || /exhausted resources/i.test(text)) {
    return 'The query needed more resources than Athena gives one query: narrow the window or the accounts/regions.';
  }
  if (type === 206 || type === 210 || /timeout|timed out|exceeded (the )?maximum (allowed )?time/i.test(text)) {
    return "The query ran past Athena's time limit: narrow the window or the accounts/regions.";
  }
  if (type === 1109 || type === 1306 || /NoSuchBucket|bucket does not exist|S3 path not found/i.test(text)) {
    return `Athena could not find the logs' S3 location (${message || 'path not found'}): check the trail bucket and prefix settings, then re-create the table from them (\`npx trail ddl\` prints its DDL).`;
  }
  if (type === 401 || type === 402) {
    return `Athena could not write the results (${message}): check workgroup \`${context.workgroup}\`'s output location and \`s3:PutObject\` on it.`;
  }
  if (
    type === 1001 ||
    type === 1002 ||
    type === 1007 ||
    /HIVE_CURSOR_ERROR|HIVE_BAD_DATA|not a valid JSON/i.test(text)
  ) {
    return `Athena could not read a file under the trail's location: ${message}. Make sure only CloudTrail log files live under that prefix.`;
  }
  if (type === 1006 || /SYNTAX_ERROR|mismatched input/i.test(text)) {
    return `Athena rejected the query's SQL (${message}). This is a bug in a trailbot template: please report it.`;
  }
  if (
    type === 1011 ||
    type === 1014 ||
    (failure.state === 'CANCELLED' && (message === '' || /cancel/i.test(message)))
  ) {
    return 'The query was cancelled before it finished.';
  }

  const category = failure.error?.ErrorCategory !== undefined ? CATEGORY[failure.error.ErrorCategory] : undefined;
  const described = type !== undefined ? errorTypeDescription(type) : undefined;
  const label = [category ? `${category} error` : undefined, described].filter(Boolean).join(': ');
  const retry = failure.error?.Retryable ? ' Running it again may work.' : '';
  const verb = failure.state === 'CANCELLED' ? 'cancelled' : 'failed';
  return `The Athena query ${verb}${label ? ` (${label})` : ''}${message ? `: ${message}` : '.'}${retry}`;
}

/**
 * A refused API call (not a failed query) as a TrailError that says what to fix. `where` tells a denied results
 * read (s3:GetObject on the results bucket) from a denied query start.
 */
export function athenaRequestError(
  err: unknown,
  operation: string,
  context: AthenaContext,
  where: 'query' | 'results' = 'query',
): AthenaRequestError {
  const e = asServiceError(err);
  const message = clean(errorMessageOf(err));
  const name = e.name ?? 'Error';
  if (/^(UnrecognizedClient|InvalidSignature|ExpiredToken|InvalidClientTokenId|CredentialsProvider)/.test(name)) {
    return new AthenaRequestError(
      `AWS refused trailbot's credentials (${name}): check the role or keys the bot runs with, they may be missing or expired.`,
      { cause: err },
    );
  }
  if (/AccessDenied/.test(name) || /not authorized|access denied/i.test(message)) {
    const permission = describePermissionProblem(message, where);
    return new AthenaRequestError(permission ?? `AWS denied ${operation}: ${message}`, { cause: err });
  }
  if (/workgroup/i.test(message) && /not found|does not exist/i.test(message)) {
    return new AthenaRequestError(
      `Athena workgroup \`${context.workgroup}\` not found: set TRAIL_ATHENA_WORKGROUP to an existing workgroup, or deploy the stack in infra/.`,
      { cause: err },
    );
  }
  if (/output location/i.test(message)) {
    return new AthenaRequestError(
      `Athena has nowhere to write results: give workgroup \`${context.workgroup}\` a query result location, or set TRAIL_ATHENA_OUTPUT to an s3://… folder.`,
      { cause: err },
    );
  }
  // "Reusing [a ClientRequestToken] with a different QueryString is an error" (API_StartQueryExecution): the execution
  // was started before with other SQL, e.g. across a deploy that changed its template.
  if (/idempoten/i.test(name) || /idempoten/i.test(message)) {
    return new AthenaRequestError(
      'Athena already ran this execution with a different query (its template changed since it started): run the command again.',
      { cause: err },
    );
  }
  if (/disabled/i.test(message) && /workgroup/i.test(message)) {
    return new AthenaRequestError(
      `Athena workgroup \`${context.workgroup}\` is disabled: enable it or use another one.`,
      {
        cause: err,
      },
    );
  }
  return new AthenaRequestError(`Athena refused ${operation} (${name}): ${message}`, { cause: err });
}
