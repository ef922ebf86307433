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

export interface AthenaClientOptions {
  region: string;
  /** Override the service endpoint (tests point it at 127.0.0.1). */
  endpoint?: string;
  /** Default: the SDK's credential chain (role, environment, profile). */
  credentials?: AthenaClientConfig['credentials'];
  /** SDK-level attempts. Default 1: AthenaEngine retries throttling itself (retry.ts), and two stacked retry
   * layers would multiply attempts and make the delays unpredictable. */
  maxAttempts?: number;
  /** Ceiling for one request in ms (socket inactivity). Default 30 s. */
  requestTimeoutMs?: number;
}

/** An Athena client configured the way AthenaEngine expects it. */
export function createAthenaClient(options: AthenaClientOptions): AthenaClient {
  return new AthenaClient({
    region: options.region,
    maxAttempts: options.maxAttempts ?? 1,
    requestHandler: timeoutOptions(options.requestTimeoutMs),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
  });
}
