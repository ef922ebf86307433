import { type RetryOptions, WebClient, type WebClientOptions } from '@slack/web-api';
import { type TrailLogger, toSlackLogger } from './logger';

/**
 * Retries for Slack Web API calls: 4 retries, backoff 1 s × 2ⁿ (randomised up to ×2, each wait capped at 8 s), so
 * about 22 s of backoff at worst. The WebClient retries HTTP 429 after waiting the `Retry-After` it was given, and
 * retries 5xx and network errors (`@slack/web-api` 8.2 `makeRequest`). Its default, `tenRetriesInAboutThirtyMinutes`,
 * would hold a publish step for half an hour; trailbot would rather fail the step, keep the execution unpublished
 * and let the runner retry later.
 */
export const SLACK_RETRY_POLICY: RetryOptions = {
  retries: 4,
  factor: 2,
  minTimeout: 1000,
  maxTimeout: 8000,
  randomize: true,
};

/** One request's time limit; a CSV upload is the slowest call trailbot makes. */
export const SLACK_REQUEST_TIMEOUT_MS = 60_000;

export interface SlackClientOptions {
  /** Web API base, default `https://slack.com/api/`; tests point it at a local fake (`http://127.0.0.1:PORT/api/`). */
  slackApiUrl?: string;
  logger?: TrailLogger;
  /** Overrides SLACK_RETRY_POLICY (tests use a fast one). */
  retryConfig?: RetryOptions;
  /** Per-request timeout in ms (default SLACK_REQUEST_TIMEOUT_MS). */
  timeout?: number;
}

/** The WebClient options trailbot uses everywhere, so the Bolt app's client and a standalone one behave alike. */
export function webClientOptions(o: SlackClientOptions = {}): WebClientOptions {
  return {
    ...(o.slackApiUrl !== undefined ? { slackApiUrl: o.slackApiUrl } : {}),
    logger: toSlackLogger(o.logger),
    retryConfig: o.retryConfig ?? SLACK_RETRY_POLICY,
    timeout: o.timeout ?? SLACK_REQUEST_TIMEOUT_MS,
    // Wait out 429s (bounded by the retry policy) instead of failing on the first one.
    rejectRateLimitedCalls: false,
  };
}

/** A bot-token WebClient with trailbot's retry policy (for a publisher that runs without the Bolt app). */
export function createWebClient(token: string, o: SlackClientOptions = {}): WebClient {
  return new WebClient(token, webClientOptions(o));
}
