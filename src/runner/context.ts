import { randomUUID } from 'node:crypto';
import type { QueryEngine } from '../core/engine';
import type { ExecutionRecord, ExecutionStore } from '../core/execution';
import type { Publisher, Recipient, SeriesBuilder } from '../core/publisher';
import type { Annotator } from '../core/runner';
import type { PostedEvents } from '../core/watch';
import { type Logger, silentLogger } from '../logger';
import type { SpoolLimits } from './collect';

export interface RunnerOptions {
  engine: QueryEngine;
  store: ExecutionStore;
  publisher: Publisher;
  /** Folder for spooled CSV results. */
  resultsDir: string;
  limits: { perUser: number; perChannel: number; dedupeSeconds: number };
  /** Risk annotator per command name. */
  annotatorFor?: (command: string) => Annotator | undefined;
  /** A chart's series per execution (the catalog's ChartSpec bound to the window; the Entry wires src/charts). */
  seriesFor?: (e: ExecutionRecord) => SeriesBuilder | undefined;
  /** How long an answer waits for its chart's series query before it is posted without a chart. Default 90 s. */
  seriesMaxMs?: number;
  /** The posted-event-id records a watch's runs claim their rows in (src/core/watch.ts); needed to run watches. */
  posted?: PostedEvents;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  logger?: Logger;
  /** Status polling: capped exponential backoff. Defaults 250 ms → ×1.6 → 5 s. */
  poll?: { initialMs: number; maxMs: number; factor: number };
  /** Publish attempts in this process before leaving the execution for the next sweep / boot. Default 5. */
  publishAttempts?: number;
  /**
   * Failed publish attempts in all (recorded in the execution, so sweeps and restarts count too) after which the
   * runner stops trying to post the answer: it posts a failure note into the thread, updates the parent and marks the
   * execution published. A refusal the surface calls permanent uses up the rest of its round's `publishAttempts`, so
   * either way a round that fails costs `publishAttempts`. Default 50: ten rounds (the first drive, then sweeps) of
   * Slack being down or refusing.
   */
  maxPublishAttempts?: number;
  /** Progress updates at most this often while a query runs. Default 10 s. */
  progressEveryMs?: number;
  /** Rows kept for the thread table. Default 20. */
  topRows?: number;
  /** Cost pre-flight: ask before scanning more than this; optional per-user daily budget (bytes). */
  cost?: { confirmAboveBytes: number; dailyBudgetBytesPerUser?: number };
  /**
   * Who this runner is, for leases (ExecutionStore.claim). Default: random per process. The embedded bot passes an id
   * kept in its state folder, so after a crash the restarted process takes its own executions back at once.
   */
  workerId?: string;
  /** How long a claim lasts without renewal. Default 60 s; renewed every third of it while driving. */
  leaseMs?: number;
  /**
   * Slack: the spooled CSV is only a staging copy for the upload, so it is deleted once the execution is published,
   * and the sweep keeps the folder bounded (SpoolLimits). Unset (the terminal), the CSV is the user's result file.
   */
  spool?: { deleteAfterPublish: true } & SpoolLimits;
  /**
   * Awaited before each step of a drive (start, wait, collect, publish): a surface whose requests wait for an answer on
   * this event loop (Slack's acks, FollowUps.quiet) lets them go first. Default: none.
   */
  pace?: (step: DriveStep) => Promise<void>;
}

/** The steps of a drive a `pace` is asked before: the query's start, its wait, the result's collect, the answer's post. */
export type DriveStep = 'start' | 'wait' | 'collect' | 'publish';

/*
 * What the runner's parts (admission, pre-flight, lifecycle, publishing) share: the options with their defaults, a
 * quiet notify, and this worker's leases on executions.
 */

/** The options with their defaults applied. */
export type RunnerContext = Omit<
  RunnerOptions,
  | 'now'
  | 'sleep'
  | 'logger'
  | 'poll'
  | 'publishAttempts'
  | 'maxPublishAttempts'
  | 'progressEveryMs'
  | 'workerId'
  | 'leaseMs'
  | 'pace'
> & {
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  log: Logger;
  poll: { initialMs: number; maxMs: number; factor: number };
  publishAttempts: number;
  maxPublishAttempts: number;
  progressEveryMs: number;
  workerId: string;
  leaseMs: number;
  pace: (step: DriveStep) => Promise<void>;
};

const sleepReal = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How the runner polls a running query: first after 250 ms, then 1.6 times longer each time, at most every 5 s. */
export const DEFAULT_POLL = { initialMs: 250, maxMs: 5000, factor: 1.6 } as const;

export function runnerContext(o: RunnerOptions): RunnerContext {
  const {
    now,
    sleep,
    logger,
    poll,
    publishAttempts,
    maxPublishAttempts,
    progressEveryMs,
    workerId,
    leaseMs,
    pace,
    ...rest
  } = o;
  return {
    ...rest,
    now: now ?? (() => new Date()),
    sleep: sleep ?? sleepReal,
    log: logger ?? silentLogger,
    poll: poll ?? { ...DEFAULT_POLL },
    publishAttempts: publishAttempts ?? 5,
    maxPublishAttempts: maxPublishAttempts ?? 50,
    progressEveryMs: progressEveryMs ?? 10_000,
    workerId: workerId ?? randomUUID(),
    leaseMs: leaseMs ?? 60_000,
    pace: pace ?? (() => Promise.resolve()),
  };
}

/** Tells the asker something, best effort: a surface that is down must not fail the question. */
export async function notifyQuietly(c: RunnerContext, to: Recipient, text: string): Promise<void> {
  try {
    await c.publisher.notify(to, text);
  } catch (err) {
    c.log.warn('notify failed', { error: String(err) });
  }
}

/** The lease on an execution passed to another worker (ours ran out): stop driving it. */
export class LeaseLostError extends Error {}

/** This process is shutting down (handOver): stop driving, release the lease, leave the rest to another process. */
export class HandedOverError extends LeaseLostError {}

/** The engine is at its quota of active queries: stop driving for now and leave the question to the next sweep. */
export class QueuedForSweepError extends LeaseLostError {}

/**
 * This worker's claims on executions (ExecutionStore.claim), so that of several replicas one drives each execution,
 * and a dead worker's executions pass to another when its lease runs out.
 */
export class Leases {
  private readonly claimedAt = new Map<string, number>();
  private stopping = false;

  constructor(private readonly c: RunnerContext) {}

  /** SIGTERM: every renew from now on throws HandedOverError, so each drive stops at its next step. */
  handOver(): void {
    this.stopping = true;
  }

  get handingOver(): boolean {
    return this.stopping;
  }

  /** False when another worker holds the execution. */
  async claim(id: string): Promise<boolean> {
    if (!(await this.c.store.claim(id, this.c.workerId, this.c.leaseMs))) return false;
    this.claimedAt.set(id, Date.now());
    return true;
  }

  /** Renews the lease once a third of it has passed; throws LeaseLostError if another worker has taken over. */
  async renew(id: string): Promise<void> {
    if (this.stopping) throw new HandedOverError(id);
    const at = this.claimedAt.get(id) ?? 0;
    if (Date.now() - at < this.c.leaseMs / 3) return;
    if (!(await this.c.store.claim(id, this.c.workerId, this.c.leaseMs))) throw new LeaseLostError(id);
    this.claimedAt.set(id, Date.now());
  }

  /** Lets the execution go, so a sweep anywhere may take it at once (best effort: otherwise the lease runs out). */
  async release(id: string): Promise<void> {
    this.claimedAt.delete(id);
    await this.c.store.release(id, this.c.workerId).catch(() => {});
  }
}
