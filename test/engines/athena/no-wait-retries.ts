import { AdaptiveRetryStrategy } from '@smithy/core/retry';
import { ATHENA_MAX_ATTEMPTS } from '../../../src/engines/athena/client';

/**
 * The SDK's own adaptive retry strategy (the one `retryMode: 'adaptive'` builds) with its waiting taken out: the
 * backoff is 0 ms and the client-side rate limiter never holds a request back. Which errors are retried, how many
 * attempts and the retry quota stay the SDK's. Each retry is recorded with the SDK's class of the error
 * (THROTTLING, TRANSIENT).
 */
export function noWaitRetries(maxAttempts = ATHENA_MAX_ATTEMPTS, retries: string[] = []) {
  const strategy = new AdaptiveRetryStrategy(maxAttempts, {
    maxAttempts,
    backoff: { computeNextBackoffDelay: () => 0, setDelayBase: () => {} },
    rateLimiter: { getSendToken: async () => {}, updateClientSendingRate: () => {} },
  });
  const refresh = strategy.refreshRetryTokenForRetry.bind(strategy);
  strategy.refreshRetryTokenForRetry = async (token, info) => {
    const next = await refresh(token, info);
    retries.push(info.errorType);
    return next;
  };
  return { strategy, retries };
}
