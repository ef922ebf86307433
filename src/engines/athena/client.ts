import { AthenaClient, type AthenaClientConfig } from '@aws-sdk/client-athena';

export interface AthenaClientOptions {
  region: string;
  /** Override the service endpoint (tests point it at 127.0.0.1). */
  endpoint?: string;
  /** Default: the SDK's credential chain (role, environment, profile). */
  credentials?: AthenaClientConfig['credentials'];
  /** SDK-level attempts. Default 1: AthenaEngine retries throttling itself (retry.ts), and two stacked retry
   * layers would multiply attempts and make the delays unpredictable. */
  maxAttempts?: number;
}

/** An Athena client configured the way AthenaEngine expects it. */
export function createAthenaClient(options: AthenaClientOptions): AthenaClient {
  return new AthenaClient({
    region: options.region,
    maxAttempts: options.maxAttempts ?? 1,
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
  });
}
