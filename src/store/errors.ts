import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { TrailError } from '../core/errors';

/**
 * A conditional write whose condition did not hold, carrying the item as it was (undefined when there was none), as
 * the Powertools idempotency layer's IdempotencyItemAlreadyExistsError carries the existing record. `guard` names
 * what the condition protects ("request lock is free"). The store's methods turn it into what their callers expect
 * (IllegalTransitionError, `false`, the existing execution); it reaches a person only through a bug.
 */
export class ConditionFailedError extends TrailError {
  constructor(
    readonly guard: string,
    readonly item: Record<string, unknown> | undefined,
    options?: { cause?: unknown },
  ) {
    super('STORE_CONDITION_FAILED', `Someone else changed this at the same moment (${guard}); try again.`, options);
    this.name = 'ConditionFailedError';
  }
}

/** `patch` on an execution that does not exist (or has expired). */
export class ExecutionNotFoundError extends TrailError {
  constructor(readonly executionId: string) {
    super('EXECUTION_NOT_FOUND', `No execution \`${executionId}\` (it may have expired).`);
    this.name = 'ExecutionNotFoundError';
  }
}

/**
 * AWS errors a person can act on, as TrailErrors that say what to do. Throttling reaches this point only after the
 * SDK's own retries (standard mode, `maxAttempts` in `openStore`). ConditionalCheckFailedException and anything
 * unknown pass through unchanged.
 */
export function storeError(err: unknown, tableName: string): unknown {
  if (err instanceof TrailError || err instanceof ConditionalCheckFailedException) return err;
  const name = err instanceof Error ? err.name : '';
  const code = (err as { code?: unknown } | null)?.code;
  switch (name) {
    case 'ResourceNotFoundException':
      return new TrailError(
        'STORE_TABLE_NOT_FOUND',
        `DynamoDB table \`${tableName}\` not found: create it with \`trail setup\` or set TRAIL_TABLE.`,
        { cause: err },
      );
    case 'AccessDeniedException':
    case 'UnrecognizedClientException':
    case 'ExpiredTokenException':
      return new TrailError(
        'STORE_ACCESS_DENIED',
        `DynamoDB refused access to table \`${tableName}\` (${name}): check the bot's AWS credentials and IAM role.`,
        { cause: err },
      );
    case 'ProvisionedThroughputExceededException':
    case 'ThrottlingException':
    case 'RequestLimitExceeded':
      return new TrailError(
        'STORE_THROTTLED',
        `DynamoDB is throttling table \`${tableName}\` even after retries; try again in a minute.`,
        { cause: err },
      );
  }
  // Socket errors normally keep their `code`; when the retry middleware re-wraps one (it does so for errors that
  // fail `instanceof Error`, e.g. across VM contexts) only the message still names it.
  const message = err instanceof Error ? err.message : String(err);
  const network =
    typeof code === 'string' ? code : /\b(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET)\b/.exec(message)?.[1];
  if (
    network === 'ECONNREFUSED' ||
    network === 'ENOTFOUND' ||
    network === 'ETIMEDOUT' ||
    network === 'ECONNRESET' ||
    name === 'TimeoutError'
  ) {
    // A refused connection on this machine is the embedded store (dynalite) or a local endpoint, never AWS: region and
    // network advice would send a user without AWS looking in the wrong place.
    const local = /\b(127\.0\.0\.1|::1|localhost)\b/.test(message);
    return new TrailError(
      'STORE_UNREACHABLE',
      local
        ? `Cannot reach the store for table \`${tableName}\` on this machine (${network ?? name}): the embedded store has stopped, or the local TRAIL_DYNAMODB_ENDPOINT is not running; restart trailbot.`
        : `Cannot reach DynamoDB for table \`${tableName}\` (${network ?? name}): check the region, endpoint and network.`,
      { cause: err },
    );
  }
  return err;
}
