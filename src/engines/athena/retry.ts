import { AthenaThrottledError, isRetryable, isThrottling } from './errors';

export interface BackoffOptions {
  /** Attempts in all, the first included. Default 6. */
  maxAttempts: number;
  /** Ceiling of the first retry's delay. Default 200 ms. */
  baseDelayMs: number;
  /** No delay exceeds this. Default 5000 ms. */
  maxDelayMs: number;
  sleep: (ms: number) => Promise<void>;
  /** In [0, 1): the jitter source. */
  random: () => number;
}

export const DEFAULT_BACKOFF: Omit<BackoffOptions, 'sleep' | 'random'> = {
  maxAttempts: 6,
  baseDelayMs: 200,
  maxDelayMs: 5000,
};

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Delay before retry number `retry` (0 for the first retry): "full jitter", uniform in
 * [0, min(maxDelayMs, baseDelayMs · 2^retry)), which spreads out clients throttled at the same moment
 * (AWS Architecture Blog, "Exponential Backoff And Jitter").
 */
export function backoffDelayMs(retry: number, options: Omit<BackoffOptions, 'sleep' | 'maxAttempts'>): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** retry);
  return Math.floor(options.random() * ceiling);
}

/**
 * Runs `call`, retrying throttling and transient server errors with capped, jittered exponential backoff. This loop
 * is the only retry layer that matters: the Athena client is built with `maxAttempts: 1` (see client.ts), so the
 * number of attempts and the delays are exactly these. A throttled call that never gets through becomes
 * AthenaThrottledError; any other error is thrown as it came, at once or after the last attempt.
 */
export async function withBackoff<T>(operation: string, call: () => Promise<T>, options: BackoffOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!isRetryable(err)) throw err;
      if (attempt >= options.maxAttempts) {
        if (isThrottling(err)) throw new AthenaThrottledError(operation, attempt, { cause: err });
        throw err;
      }
      await options.sleep(backoffDelayMs(attempt - 1, options));
    }
  }
}
