import { setBounded } from '../../util/bounded-map';
/**
 * Refuses a signed HTTP request that was already seen. Bolt's receiver checks the signature and refuses a timestamp
 * more than five minutes old (Slack, "Verifying requests from Slack"), but a request copied off the wire (a proxy
 * log, a debugging dump) still verifies for the rest of those five minutes and would run its command again, as the
 * same user. Every signature that verified is remembered until its timestamp leaves the window; a second request
 * with the same signature is refused.
 *
 * Limits (README, "Running it in Slack"):
 * - The memory is one process's. Behind a load balancer with several replicas, a replay that lands on another
 *   replica is not caught here; what holds across replicas is the store: a repeated question in a channel is
 *   deduplicated (ExecutionStore.create's request lock), and a repeated click on one execution finds it already
 *   cancelled or confirmed. Slack does not retry slash commands or button clicks; its retries, marked
 *   `X-Slack-Retry-Num`, are Events API deliveries, which trailbot does not subscribe to.
 * - It is bounded: at most `maxEntries` signatures (default 50,000, about 170 requests a second held for five
 *   minutes). Past that the oldest are forgotten first, which reopens their window; a Slack app sees nowhere near
 *   that rate.
 */

/** Bolt refuses a request whose timestamp is older than this (verify-request.js, `requestTimestampMaxDeltaMin`). */
export const SIGNATURE_WINDOW_MS = 5 * 60_000;

export interface ReplayGuardOptions {
  /** Signatures remembered at most; default 50,000. */
  maxEntries?: number;
  /** Clock in epoch milliseconds (tests move it). */
  now?: () => number;
}

export class ReplayGuard {
  /** signature → epoch ms after which Bolt refuses the request as stale anyway. Map keeps insertion order. */
  private readonly seen = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: ReplayGuardOptions = {}) {
    this.maxEntries = options.maxEntries ?? 50_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * True the first time a signature is seen within its window (and remembers it), false for a replay. Call it only
   * for requests whose signature verified, so a forged request cannot take a real one's place.
   */
  firstSight(signature: string, timestampSeconds: number): boolean {
    const now = this.now();
    this.forgetExpired(now);
    const until = this.seen.get(signature);
    if (until !== undefined && until > now) return false;
    this.seen.delete(signature);
    setBounded(this.seen, signature, timestampSeconds * 1000 + SIGNATURE_WINDOW_MS + 1000, this.maxEntries);
    return true;
  }

  /** How many signatures are remembered (for tests and the log). */
  get size(): number {
    return this.seen.size;
  }

  /**
   * Drops expired entries from the oldest end. Requests arrive roughly in timestamp order, so the head of the map
   * expires first; an entry behind a longer-lived one waits for it, which only keeps it a little longer.
   */
  private forgetExpired(now: number): void {
    for (const [signature, until] of this.seen) {
      if (until > now) return;
      this.seen.delete(signature);
    }
  }
}

/** The error a replayed request becomes inside Bolt, so the receiver can answer it with 401. */
export class ReplayedRequestError extends Error {
  readonly code = 'trail_replayed_request';
  constructor() {
    super('refused a replayed Slack request (its signature was already used)');
  }
}

export function isReplayedRequest(error: unknown): boolean {
  return (
    error instanceof ReplayedRequestError ||
    (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'trail_replayed_request')
  );
}
