import type { QueryEngine } from '../core/engine';

/**
 * The pause between two polls of a running query: `delay` ms, or less when the engine says the query has ended
 * (`QueryEngine.ended`). The embedded engine knows the moment, so an answer from the columnar cache that takes 40 ms
 * is collected then, not at the next poll (50, 125, 237 ms … after the start); Athena has no such signal and is
 * polled as before.
 */
export function pollPause(
  c: { engine: QueryEngine; sleep: (ms: number) => Promise<void> },
  engineId: string,
  delay: number,
): Promise<void> {
  const ended = c.engine.ended?.(engineId);
  return ended ? Promise.race([c.sleep(delay), ended]) : c.sleep(delay);
}

/** The pause after `delay`: `factor` times longer, at most `maxMs` (the runner's poll settings, context.ts). */
export const nextPollDelay = (poll: { maxMs: number; factor: number }, delay: number): number =>
  Math.min(poll.maxMs, delay * poll.factor);
