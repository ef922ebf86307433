import { AthenaClient, type AthenaClientConfig } from '@aws-sdk/client-athena';

/**
 * Timeouts for every AWS client trailbot builds. Without them a stalled connection hangs a question forever. In
 * @smithy/node-http-handler, `requestTimeout` runs until the response headers arrive and only logs a warning unless
 * `throwOnRequestTimeout` is set; `socketTimeout` is inactivity while the body streams, so a long download that keeps
 * receiving data is not cut (HttpHandlerOptions in @smithy/types: "If exceeded, a warning will be emitted unless
 * throwOnRequestTimeout=true").
 */
export const REQUEST_TIMEOUTS = { connectionTimeout: 5_000, requestTimeout: 30_000 } as const;

/** The request handler options for a client with these timeouts (`requestTimeoutMs` overrides both ceilings). */
export function timeoutOptions(requestTimeoutMs: number = REQUEST_TIMEOUTS.requestTimeout) {
  return {
    connectionTimeout: REQUEST_TIMEOUTS.connectionTimeout,
    requestTimeout: requestTimeoutMs,
    throwOnRequestTimeout: true,
    socketTimeout: requestTimeoutMs,
  };
}

/**
 * Attempts per Athena call, the first included. The SDK retries them itself (`retryMode: 'adaptive'`): throttling
 * (`ThrottlingException`, `TooManyRequestsException` and the other throttling codes, any HTTP 429) and transient faults
 * (HTTP 500, 502, 503, 504, timeouts, ECONNRESET, ECONNREFUSED, EPIPE, ETIMEDOUT, EAI_AGAIN …), with full-jitter
 * exponential backoff and a retry quota, and in adaptive mode a client-side rate limit once throttled (AWS SDKs and
 * Tools Reference Guide, "Retry behavior"; the lists are `THROTTLING_ERROR_CODES` and `TRANSIENT_ERROR_*` in
 * @smithy/core's retry module). Every call trailbot makes is safe to repeat: StartQueryExecution carries a
 * ClientRequestToken derived from the execution id ("repeating a token returns the same QueryExecutionId"),
 * StopQueryExecution is idempotent and the rest only read.
 */
export const ATHENA_MAX_ATTEMPTS = 6;

export interface AthenaClientOptions {
  region: string;
  /** Override the service endpoint (tests point it at 127.0.0.1). */
  endpoint?: string;
  /** Default: the SDK's credential chain (role, environment, profile). */
  credentials?: AthenaClientConfig['credentials'];
  /** Attempts per call, the first included. Default ATHENA_MAX_ATTEMPTS. */
  maxAttempts?: number;
  /** Ceiling for one request in ms (socket inactivity). Default 30 s. */
  requestTimeoutMs?: number;
  /** Replaces the SDK's adaptive retry strategy (tests: the same strategy without real waiting). */
  retryStrategy?: AthenaClientConfig['retryStrategy'];
}

/** An Athena client configured the way AthenaEngine expects it. */
export function createAthenaClient(options: AthenaClientOptions): AthenaClient {
  return new AthenaClient({
    region: options.region,
    retryMode: 'adaptive',
    maxAttempts: options.maxAttempts ?? ATHENA_MAX_ATTEMPTS,
    requestHandler: timeoutOptions(options.requestTimeoutMs),
    ...(options.retryStrategy !== undefined ? { retryStrategy: options.retryStrategy } : {}),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
  });
}
