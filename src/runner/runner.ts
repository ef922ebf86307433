import { createHash, randomUUID } from 'node:crypto';
import { type QueryEngine, type QueryStatus, UnknownQueryError } from '../core/engine';
import { userMessageOf } from '../core/errors';
import {
  type CreateResult,
  type ExecutionRecord,
  type ExecutionState,
  type ExecutionStore,
  IllegalTransitionError,
} from '../core/execution';
import type { Publisher, Recipient, ResultSummary } from '../core/publisher';
import type { Asker, QueryRunner, QuerySubmission, SubmitOutcome } from '../core/runner';
import { athenaCostUsd, formatUsd, queryCostUsd } from '../cost';
import { type Logger, silentLogger } from '../logger';
import { formatBytes } from '../time/format';
import { echoCommand } from '../util/echo';
import {
  type Annotator,
  collectResults,
  dropSpool,
  pruneSpool,
  readSpooledSummary,
  type SpoolLimits,
  spoolPaths,
} from './collect';

export interface RunnerOptions {
  engine: QueryEngine;
  store: ExecutionStore;
  publisher: Publisher;
  /** Folder for spooled CSV results. */
  resultsDir: string;
  limits: { perUser: number; perChannel: number; dedupeSeconds: number };
  /** Risk annotator per command name. */
  annotatorFor?: (command: string) => Annotator | undefined;
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
}

/** The lease on an execution passed to another worker (ours ran out): stop driving it. */
class LeaseLostError extends Error {}

/** This process is shutting down (handOver): stop driving, release the lease, leave the rest to another process. */
class HandedOverError extends LeaseLostError {}

/** The engine is at its quota of active queries: stop driving for now and leave the question to the next sweep. */
class QueuedForSweepError extends LeaseLostError {}

/** How long a question may wait for the engine's active-query quota before it fails. */
const QUEUE_MAX_MS = 15 * 60_000;
/** Times one drive restarts a query the engine forgot, and reruns a query that failed with a retryable error. */
const MAX_RESTARTS = 3;
const MAX_RETRIES = 2;

/** How long a question waits for its Confirm click (Slack's response_url also lasts 30 minutes). */
export const CONFIRM_TTL_SECONDS = 30 * 60;

/** Dedupe key: the same normalised question in the same channel. */
export function requestKeyOf(channelId: string, normalized: string): string {
  return createHash('sha256').update(`${channelId}\n${normalized}`).digest('hex').slice(0, 32);
}

const sleepReal = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * submit → record → start → poll → fetch → publish → finalize, with every state change a conditional write in the
 * store. Knows nothing about Slack or AWS: it talks to a QueryEngine, an ExecutionStore and a Publisher.
 */
export class Runner implements QueryRunner {
  private readonly driving = new Map<string, Promise<ExecutionRecord | undefined>>();
  private readonly background = new Set<Promise<unknown>>();
  private readonly locks = new Map<string, Promise<void>>();
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly log: Logger;
  private readonly poll: { initialMs: number; maxMs: number; factor: number };
  private readonly workerId: string;
  private readonly leaseMs: number;
  private readonly claimedAt = new Map<string, number>();
  private stopping = false;

  constructor(private readonly o: RunnerOptions) {
    this.workerId = o.workerId ?? randomUUID();
    this.leaseMs = o.leaseMs ?? 60_000;
    this.now = o.now ?? (() => new Date());
    this.sleep = o.sleep ?? sleepReal;
    this.log = o.logger ?? silentLogger;
    this.poll = o.poll ?? { initialMs: 250, maxMs: 5000, factor: 1.6 };
  }

  /** Records the question (idempotently), announces it and runs it to a published answer. */
  async submit(s: QuerySubmission): Promise<SubmitOutcome> {
    const recipient: Recipient = { channelId: s.channelId, userId: s.userId, responseUrl: s.responseUrl };
    const requestKey = s.requestKey ?? requestKeyOf(s.channelId, s.normalized);
    if (!s.confirmed && s.surface !== 'schedule') {
      const gate = await this.preflight(s, recipient);
      if (gate) return gate;
    }
    // Counting and creating happen under the asker's and the channel's locks, so a burst of questions cannot all
    // read the same count and all pass (the soak suite saw 5 running against a limit of 3 before this).
    const admitted = await this.withLocks([`user:${s.userId}`, `channel:${s.channelId}`], () =>
      this.admit(s, recipient, requestKey),
    );
    if (admitted.kind !== 'created') return admitted;
    const { execution } = admitted;
    let final: ExecutionRecord | undefined;
    try {
      final = await this.drive(execution.id);
    } catch (err) {
      // Recorded already: a store or surface error from here on is not the asker's to retry. The sweep (resume)
      // finishes it, and telling them "it did not work" would be followed by the answer anyway.
      this.log.warn('driving failed; the sweep will finish it', { id: execution.id, error: String(err) });
    }
    return { kind: 'started', execution: final ?? execution };
  }

  /** Limits, then the idempotent create. Runs under the user's and the channel's locks. */
  private async admit(
    s: QuerySubmission,
    recipient: Recipient,
    requestKey: string,
  ): Promise<SubmitOutcome | { kind: 'created'; execution: ExecutionRecord }> {
    const slotted = s.surface !== 'schedule' && this.o.store.acquireSlots !== undefined;
    if (s.surface !== 'schedule') {
      const refused = slotted ? await this.takeSlots(s, requestKey) : await this.countLimits(s);
      if (refused) {
        await this.notify(recipient, refused);
        return { kind: 'limited', message: refused };
      }
    }
    let result: CreateResult;
    try {
      result = await this.o.store.create(
        {
          requestKey,
          commandText: s.commandText,
          command: s.command,
          request: { normalized: s.normalized },
          query: s.query,
          userId: s.userId,
          channelId: s.channelId,
          surface: s.surface,
          engine: this.o.engine.kind,
          ...(s.scheduleId ? { scheduleId: s.scheduleId } : {}),
        },
        { dedupeSeconds: this.o.limits.dedupeSeconds },
      );
    } catch (err) {
      if (slotted) await this.giveSlotsBack(s, requestKey);
      throw err;
    }
    const { execution, created } = result;
    if (!created) {
      // A duplicate already answered holds no slot, so the one just taken goes back. A running duplicate shares the
      // request key: taking its slot again changed nothing.
      if (slotted && execution.state === 'PUBLISHED') await this.giveSlotsBack(s, requestKey);
      const where = execution.state === 'PUBLISHED' ? 'was just answered' : 'is already running';
      await this.notify(
        recipient,
        `The same question ${where} in this channel (execution \`${execution.id}\`, asked by <@${execution.userId}>): see its thread, or \`/trail status ${execution.id}\`.`,
      );
      return { kind: 'duplicate', execution };
    }
    return { kind: 'created', execution };
  }

  /** The scopes a question's slots live in. */
  private slotScopes(s: { userId: string; channelId: string }): { user: string; channel: string } {
    return { user: `user:${s.userId}`, channel: `channel:${s.channelId}` };
  }

  /**
   * Per-user and per-channel limits as conditional counter items: exact across replicas, unlike a count through the
   * eventually consistent index (src/store/slots.ts). Returns the refusal text, or undefined when admitted.
   */
  private async takeSlots(s: QuerySubmission, requestKey: string): Promise<string | undefined> {
    const scopes = this.slotScopes(s);
    const outcome = await this.o.store.acquireSlots!(requestKey, [
      { scope: scopes.user, limit: this.o.limits.perUser },
      { scope: scopes.channel, limit: this.o.limits.perChannel },
    ]);
    if (outcome.ok) return undefined;
    return outcome.scope === scopes.user
      ? `You already have ${outcome.holders} questions running (the limit is ${outcome.limit}). Wait for one to finish or cancel one with \`/trail cancel <id>\`.`
      : `This channel already has ${outcome.holders} questions running (the limit is ${outcome.limit}). Try again when one has finished.`;
  }

  private async giveSlotsBack(s: { userId: string; channelId: string }, requestKey: string): Promise<void> {
    const scopes = this.slotScopes(s);
    await this.o.store
      .releaseSlots?.(requestKey, [scopes.user, scopes.channel])
      .catch((err) => this.log.warn('could not release limit slots', { error: String(err) }));
  }

  /** Limits counted through the store's index: a store without slot counters. */
  private async countLimits(s: QuerySubmission): Promise<string | undefined> {
    const mine = await this.o.store.countActive({ userId: s.userId });
    if (mine >= this.o.limits.perUser) {
      return `You already have ${mine} questions running (the limit is ${this.o.limits.perUser}). Wait for one to finish or cancel one with \`/trail cancel <id>\`.`;
    }
    const channel = await this.o.store.countActive({ channelId: s.channelId });
    if (channel >= this.o.limits.perChannel) {
      return `This channel already has ${channel} questions running (the limit is ${this.o.limits.perChannel}). Try again when one has finished.`;
    }
    return undefined;
  }

  /**
   * In-process locks by key, taken in a fixed order. They make the per-user and per-channel limits exact within one
   * bot; across replicas the count is still read before the write (documented in the README as a soft limit).
   */
  private async withLocks<T>(keys: string[], work: () => Promise<T>): Promise<T> {
    const releases: (() => void)[] = [];
    for (const key of [...new Set(keys)].sort()) releases.push(await this.lock(key));
    try {
      return await work();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  private async lock(key: string): Promise<() => void> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.locks.set(key, tail);
    await previous;
    return () => {
      release();
      if (this.locks.get(key) === tail) this.locks.delete(key);
    };
  }

  /**
   * Cost pre-flight: the bytes the window's partitions hold (S3 listing on Athena, file sizes locally), checked
   * against the asker's daily budget and the confirmation threshold before anything is recorded or started.
   */
  private async preflight(s: QuerySubmission, to: Recipient): Promise<SubmitOutcome | undefined> {
    const cost = this.o.cost;
    if (!cost || !this.o.engine.estimate) return undefined;
    let estimate: Awaited<ReturnType<NonNullable<QueryEngine['estimate']>>>;
    try {
      estimate = await this.o.engine.estimate(s.query);
    } catch (err) {
      // Fail open: the estimate is a courtesy, the workgroup's per-query scan cutoff is the real guard. A bucket the
      // role may not list (a cross-account log archive), S3 SlowDown or a stalled socket must not stop the question.
      this.log.warn('cost estimate unavailable; running without it', { command: s.command, error: String(err) });
      return undefined;
    }
    const { bytes, partial } = estimate;
    if (partial) {
      this.log.warn('cost estimate partial', { command: s.command, ...partial, bytes });
    }
    const partialText = partial
      ? ` (estimate partial: ${partial.listed} of ${partial.total} day folders sized, the rest extrapolated)`
      : '';
    const costText = (this.o.engine.kind === 'athena' ? ` (≈ ${formatUsd(athenaCostUsd(bytes))})` : '') + partialText;
    const days = s.query.partitions.length;
    if (cost.dailyBudgetBytesPerUser !== undefined) {
      const used = await this.o.store.scannedBytes(this.now().toISOString().slice(0, 10), { userId: s.userId });
      if (used + bytes > cost.dailyBudgetBytesPerUser) {
        const message = `This question would read about ${formatBytes(bytes)}${costText}; with the ${formatBytes(used)} you already read today it passes your daily budget of ${formatBytes(cost.dailyBudgetBytesPerUser)} (TRAIL_DAILY_BUDGET_BYTES). Narrow the window, or ask again tomorrow.`;
        await this.notify(to, message);
        return { kind: 'over-budget', message };
      }
    }
    if (bytes <= cost.confirmAboveBytes) return undefined;
    const token = randomUUID().replaceAll('-', '').slice(0, 12);
    await this.o.store.savePending(
      token,
      { userId: s.userId, channelId: s.channelId },
      { submission: s as unknown as Record<string, unknown> },
      CONFIRM_TTL_SECONDS,
    );
    const text = `${echoCommand(s.commandText)} would read about ${formatBytes(bytes)}${costText} from ${days} day${days === 1 ? '' : 's'} of logs, more than the ${formatBytes(cost.confirmAboveBytes)} that needs a confirmation. Narrow the window, or confirm to run it.`;
    try {
      if (this.o.publisher.askConfirmation) await this.o.publisher.askConfirmation(to, text, token);
      else await this.o.publisher.notify(to, `${text} To run it: \`/trail confirm ${token}\``);
    } catch (err) {
      this.log.warn('could not ask for confirmation', { error: String(err) });
    }
    return { kind: 'needs-confirmation', token, bytes };
  }

  /** Runs a question its asker confirmed. Returns text for the person who clicked. */
  async confirm(token: string, by: Asker): Promise<string | undefined> {
    const pending = await this.o.store.takePending(token, { userId: by.userId, channelId: by.channelId });
    if (pending === 'not-owner') return 'Only the person who asked can confirm it, in the channel where it was asked.';
    const s = pending?.submission as QuerySubmission | undefined;
    if (!s) return 'Nothing is waiting for that confirmation (it was run already, or it expired after 30 minutes).';
    this.inBackground(this.submit({ ...s, confirmed: true, responseUrl: by.responseUrl ?? s.responseUrl }));
    return `Running ${echoCommand(s.commandText)}…`;
  }

  /** Drives one execution to PUBLISHED; concurrent calls for the same id in this process share one loop. */
  drive(id: string): Promise<ExecutionRecord | undefined> {
    const running = this.driving.get(id);
    if (running) return running;
    const loop = this.loop(id).finally(() => this.driving.delete(id));
    this.driving.set(id, loop);
    return loop;
  }

  /** Resolves when nothing is being driven in this process (clean shutdown, end of a terminal session). */
  async idle(): Promise<void> {
    while (this.driving.size > 0 || this.background.size > 0) {
      await Promise.allSettled([...this.driving.values(), ...this.background]);
    }
  }

  /** Work started for a click or a cancel that nobody awaits; idle() still waits for it, and failures are logged. */
  private inBackground(work: Promise<unknown>): void {
    const tracked = work
      .catch((err) => this.log.error('background work failed', { error: String(err) }))
      .finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }

  /**
   * SIGTERM: take no more work, stop every loop at its next step and release its lease, so another process (or the
   * next task of a rolling deploy) claims the execution at once instead of waiting for the lease to run out. Queries
   * already started keep running in the engine (Athena) and are picked up by whoever claims them; an embedded
   * engine's query is started again there. Resolves with how many executions were let go.
   */
  async handOver(): Promise<number> {
    this.stopping = true;
    const held = [...this.driving.values()];
    await Promise.allSettled(held);
    return held.length;
  }

  /** True once handOver() was called. */
  get handingOver(): boolean {
    return this.stopping;
  }

  /** Ids this process is driving now. */
  get inFlight(): number {
    return this.driving.size;
  }

  /** Resumes every unfinished execution (on boot, and periodically as a sweep). Returns how many were picked up. */
  async resume(): Promise<number> {
    if (this.stopping) return 0;
    if (this.o.spool) {
      await pruneSpool(this.o.resultsDir, (id) => this.driving.has(id), this.o.spool).catch((err) =>
        this.log.warn('could not prune the spool folder', { error: String(err) }),
      );
    }
    const unfinished = await this.o.store.listUnfinished();
    const picked = unfinished.filter((e) => !this.driving.has(e.id));
    for (const e of picked) {
      this.drive(e.id).catch((err) => this.log.error('resume failed', { id: e.id, error: String(err) }));
    }
    if (picked.length) this.log.info('resumed unfinished executions', { count: picked.length });
    return picked.length;
  }

  /** Stops a question. Returns text for the person who asked for the cancel. */
  async cancel(id: string, by: string): Promise<string> {
    const e = await this.o.store.get(id);
    if (!e) return `There is no execution \`${id}\`.`;
    if (e.state !== 'SUBMITTED' && e.state !== 'RUNNING') {
      return `Execution \`${id}\` already ${e.state === 'PUBLISHED' ? 'finished' : e.state.toLowerCase()}; nothing to cancel.`;
    }
    if (e.engineExecutionId) {
      await this.o.engine.cancel(e.engineExecutionId).catch((err) => {
        this.log.warn('engine cancel failed', { id, error: String(err) });
      });
    }
    try {
      await this.o.store.transition(id, e.state, 'CANCELLED', {
        cancelledBy: by,
        error: `Cancelled by <@${by}>.`,
        finishedAt: this.now().toISOString(),
      });
    } catch (err) {
      if (err instanceof IllegalTransitionError) return `Execution \`${id}\` finished before it could be cancelled.`;
      throw err;
    }
    await this.o.store.audit({
      at: this.now().toISOString(),
      userId: by,
      channelId: e.channelId,
      action: 'cancel',
      command: e.command,
      executionId: id,
      // Who asked, when someone else (an admin) stopped it: the entry must say whose question it was.
      ...(by !== e.userId ? { detail: `asked by ${e.userId}` } : {}),
    });
    // Whoever drives it will notice; if nobody does (it never started here), publish the cancellation now.
    this.inBackground(this.drive(id));
    return `Cancelled \`${id}\`.`;
  }

  private async notify(to: Recipient, text: string): Promise<void> {
    try {
      await this.o.publisher.notify(to, text);
    } catch (err) {
      this.log.warn('notify failed', { error: String(err) });
    }
  }

  private async loop(id: string): Promise<ExecutionRecord | undefined> {
    if (this.stopping) return this.o.store.get(id);
    if (!(await this.o.store.claim(id, this.workerId, this.leaseMs))) {
      // Another worker is driving it; if that worker dies, its lease runs out and a later sweep takes over.
      this.log.info('execution is driven elsewhere', { id });
      return this.o.store.get(id);
    }
    this.claimedAt.set(id, Date.now());
    let e = await this.o.store.get(id);
    try {
      while (e && e.state !== 'PUBLISHED') {
        if (this.stopping) return e;
        try {
          if (e.state === 'SUBMITTED') e = await this.start(e);
          else if (e.state === 'RUNNING') e = await this.wait(e);
          else if (!(await this.publish(e))) return e;
          else {
            if (this.o.spool) await dropSpool(this.o.resultsDir, id).catch(() => {});
            if (e.surface !== 'schedule') await this.giveSlotsBack(e, e.requestKey);
            e = await this.o.store.get(id);
          }
        } catch (err) {
          if (err instanceof LeaseLostError) return this.o.store.get(id);
          if (!(err instanceof IllegalTransitionError)) throw err;
          // Someone else moved it (a cancel): look again and carry on from its real state.
          e = await this.o.store.get(id);
        }
      }
      return e;
    } finally {
      this.claimedAt.delete(id);
      await this.o.store.release(id, this.workerId).catch(() => {});
    }
  }

  /** Renews the lease once a third of it has passed; throws LeaseLostError if another worker has taken over. */
  private async renew(id: string): Promise<void> {
    if (this.stopping) throw new HandedOverError(id);
    const at = this.claimedAt.get(id) ?? 0;
    if (Date.now() - at < this.leaseMs / 3) return;
    if (!(await this.o.store.claim(id, this.workerId, this.leaseMs))) throw new LeaseLostError(id);
    this.claimedAt.set(id, Date.now());
  }

  /**
   * Posts the in-channel parent message unless it is recorded already, and records its reference (only while the
   * execution is still in `expectedState`, when one is given).
   */
  private async ensureParent(e: ExecutionRecord, expectedState?: ExecutionState): Promise<ExecutionRecord> {
    if (e.parentRef) return e;
    const parentRef = await this.o.publisher.announce(e);
    return parentRef ? this.o.store.patch(e.id, { parentRef }, expectedState) : e;
  }

  private async start(e: ExecutionRecord): Promise<ExecutionRecord> {
    try {
      e = await this.ensureParent(e);
    } catch (err) {
      // The question still runs; the answer is posted when the surface is back (publishing posts the root first).
      this.log.warn('announce failed', { id: e.id, error: String(err) });
    }
    let engineExecutionId: string;
    try {
      // Athena derives ClientRequestToken from the execution id, so a start repeated after a crash is the same query.
      engineExecutionId = await this.o.engine.start(e.query, { executionId: e.id });
    } catch (err) {
      this.log.warn('engine start failed', { id: e.id, error: String(err) });
      // Athena's TooManyRequestsException (the active-query quota, which counts queued queries too: Athena User
      // Guide, "Service Quotas") passes when other queries finish: the question stays SUBMITTED and the sweep starts
      // it, instead of failing after the ~6 s of backoff.
      if (isBusy(err) && Date.now() - Date.parse(e.createdAt) < QUEUE_MAX_MS) throw new QueuedForSweepError(e.id);
      return this.o.store.transition(e.id, 'SUBMITTED', 'FAILED', {
        error: userMessageOf(err),
        finishedAt: this.now().toISOString(),
      });
    }
    return this.o.store.transition(e.id, 'SUBMITTED', 'RUNNING', {
      engineExecutionId,
      startedAt: this.now().toISOString(),
    });
  }

  /** Polls until the engine query ends, then records the outcome (results spooled first). */
  private async wait(e: ExecutionRecord): Promise<ExecutionRecord> {
    let engineId = e.engineExecutionId;
    let delay = this.poll.initialMs;
    const began = Date.parse(e.startedAt ?? e.createdAt);
    let lastProgress = Date.now();
    let restarts = 0;
    let retries = 0;
    for (;;) {
      await this.renew(e.id);
      if (!engineId) {
        engineId = await this.o.engine.start(e.query, { executionId: e.id });
        e = await this.o.store.patch(e.id, { engineExecutionId: engineId }, 'RUNNING');
      }
      let status: QueryStatus;
      try {
        status = await this.o.engine.status(engineId);
      } catch (err) {
        if (err instanceof UnknownQueryError) {
          // The embedded engine forgets queries when the process dies: run it again, with a pause and a limit so an
          // engine that keeps forgetting cannot spin.
          if (++restarts > MAX_RESTARTS) {
            return this.o.store.transition(e.id, 'RUNNING', 'FAILED', {
              finishedAt: this.now().toISOString(),
              error: `The query engine lost this query ${MAX_RESTARTS} times in a row; ask again in a moment.`,
            });
          }
          this.log.info('engine lost the query; starting it again', { id: e.id, restarts });
          await this.sleep(delay);
          engineId = undefined;
          continue;
        }
        throw err;
      }
      if (status.state === 'QUEUED' || status.state === 'RUNNING') {
        const current = await this.o.store.get(e.id);
        if (current && current.state !== 'RUNNING') return current;
        if (this.o.publisher.progress && Date.now() - lastProgress >= (this.o.progressEveryMs ?? 10_000)) {
          lastProgress = Date.now();
          await this.o.publisher.progress(e, this.now().getTime() - began, status.stats).catch(() => {});
        }
        await this.sleep(delay);
        delay = Math.min(this.poll.maxMs, delay * this.poll.factor);
        continue;
      }
      const stats = {
        ...status.stats,
        costUsd: queryCostUsd(this.o.engine.kind, status.stats, status.state),
      };
      const finishedAt = this.now().toISOString();
      if (status.state === 'SUCCEEDED') {
        const summary = await collectResults(this.o.engine, engineId, spoolPaths(this.o.resultsDir, e.id), {
          topRows: this.o.topRows,
          annotate: this.o.annotatorFor?.(e.command),
          onPage: () => this.renew(e.id),
        });
        // The CSV and the summary on disk are what publishing reads from now on (and a restart re-runs the query).
        await this.o.engine.release?.(engineId).catch(() => {});
        const done = await this.o.store.transition(e.id, 'RUNNING', 'SUCCEEDED', {
          stats: { ...stats, rows: summary.totalRows },
          finishedAt,
        });
        await this.recordBytes(done);
        return done;
      }
      if (status.state === 'FAILED' && status.retryable && retries < MAX_RETRIES) {
        // A new execution id: the same ClientRequestToken would return the failed query again.
        retries += 1;
        this.log.info('query failed with a retryable error; running it again', { id: e.id, retries });
        engineId = await this.o.engine.start(e.query, { executionId: `${e.id}-retry${retries}` });
        e = await this.o.store.patch(e.id, { engineExecutionId: engineId }, 'RUNNING');
        delay = this.poll.initialMs;
        continue;
      }
      const failed = await this.o.store.transition(e.id, 'RUNNING', status.state, {
        stats,
        finishedAt,
        error: status.reason ?? (status.state === 'CANCELLED' ? 'The query was cancelled.' : 'The query failed.'),
      });
      await this.recordBytes(failed);
      return failed;
    }
  }

  private async recordBytes(e: ExecutionRecord): Promise<void> {
    const bytes = e.stats?.bytesScanned ?? 0;
    if (bytes <= 0) return;
    await this.o.store
      .addScannedBytes(this.now().toISOString().slice(0, 10), e.userId, e.channelId, bytes)
      .catch((err) => this.log.warn('could not record scanned bytes', { error: String(err) }));
  }

  /** The spooled result, or (after a restart that lost it) the result fetched again. */
  private async summaryOf(e: ExecutionRecord): Promise<ResultSummary> {
    const files = spoolPaths(this.o.resultsDir, e.id);
    const spooled = await readSpooledSummary(files);
    if (spooled) return spooled;
    const annotate = this.o.annotatorFor?.(e.command);
    if (e.engineExecutionId) {
      try {
        return await collectResults(this.o.engine, e.engineExecutionId, files, {
          topRows: this.o.topRows,
          annotate,
          onPage: () => this.renew(e.id),
        });
      } catch (err) {
        if (!(err instanceof UnknownQueryError)) throw err;
      }
    }
    // Run it again without changing the recorded state: the answer was computed once already.
    // Athena refuses a reused ClientRequestToken with a different query string, and the SQL of a template may have
    // changed since (a deploy): the token follows the SQL and its parameters.
    const sqlDigest = createHash('sha256')
      .update(JSON.stringify([e.query.sql, e.query.params]))
      .digest('hex')
      .slice(0, 12);
    const engineId = await this.o.engine.start(e.query, { executionId: `${e.id}-republish-${sqlDigest}` });
    let delay = this.poll.initialMs;
    for (;;) {
      const s = await this.o.engine.status(engineId);
      if (s.state === 'SUCCEEDED') break;
      if (s.state === 'FAILED' || s.state === 'CANCELLED')
        throw new Error(`re-fetching results failed: ${s.reason ?? s.state}`);
      await this.sleep(delay);
      delay = Math.min(this.poll.maxMs, delay * this.poll.factor);
    }
    return collectResults(this.o.engine, engineId, files, {
      topRows: this.o.topRows,
      annotate,
      onPage: () => this.renew(e.id),
    });
  }

  /**
   * Posts the answer step by step, recording each step's reference at once so a retry or a restart resumes where it
   * stopped instead of posting twice. Returns false when the surface kept failing (the execution stays unpublished
   * and is retried by the next sweep).
   *
   * A refusal the surface calls permanent (`retryable: false`) is not retried in this process: the next sweep tries
   * again, since a person may fix its cause (invite the bot, fix a token). The CSV is uploaded even when the result
   * reply was refused. After `maxPublishAttempts` failed attempts in all, the runner gives up (see `giveUp`), so
   * nothing is retried forever.
   */
  private async publish(e: ExecutionRecord): Promise<boolean> {
    const attempts = this.o.publishAttempts ?? 5;
    const maxAttempts = this.o.maxPublishAttempts ?? 50;
    let delay = 1000;
    for (let attempt = 1; ; attempt++) {
      if ((e.publishAttempts ?? 0) >= maxAttempts) return this.giveUp(e);
      try {
        await this.renew(e.id);
        // The announcement may have failed when the question started (the surface was down): the thread needs a root.
        e = await this.ensureParent(e, e.state);
        if (e.state === 'SUCCEEDED') {
          const summary = await this.summaryOf(e);
          let refused: unknown;
          if (!e.resultRef) {
            try {
              const resultRef = await this.o.publisher.postResult(e, summary);
              e = await this.o.store.patch(e.id, { resultRef: resultRef ?? '-' }, e.state);
            } catch (err) {
              // Issue 12: the rows must reach the thread whatever happened to the reply, so the CSV goes first.
              if (!isPermanent(err)) throw err;
              refused = err;
            }
          }
          if (!e.fileRef && summary.totalRows > 0) {
            const fileRef = await this.o.publisher.uploadCsv(e, summary);
            e = await this.o.store.patch(e.id, { fileRef: fileRef ?? '-' }, e.state);
          }
          if (refused !== undefined) throw refused;
        } else if (!e.resultRef) {
          const resultRef = await this.o.publisher.postFailure(e);
          e = await this.o.store.patch(e.id, { resultRef: resultRef ?? '-' }, e.state);
        }
        await this.o.publisher.updateParent(e);
        await this.o.store.transition(e.id, e.state, 'PUBLISHED', { publishedAt: this.now().toISOString() });
        return true;
      } catch (err) {
        if (err instanceof IllegalTransitionError || err instanceof LeaseLostError) throw err;
        this.log.warn('publish failed', { id: e.id, attempt, error: String(err), permanent: isPermanent(err) });
        // A permanent refusal is not retried in this round, so it costs what is left of the round's attempts.
        const failed = (e.publishAttempts ?? 0) + (isPermanent(err) ? Math.max(1, attempts - attempt + 1) : 1);
        e = await this.o.store
          .patch(e.id, { publishAttempts: failed, lastPublishError: userMessageOf(err) }, e.state)
          .catch(() => ({
            ...e,
            publishAttempts: failed,
          }));
        if (failed >= maxAttempts) return this.giveUp(e);
        if (attempt >= attempts || isPermanent(err)) return false;
        await this.sleep(delay);
        delay = Math.min(30_000, delay * 2);
      }
    }
  }

  /**
   * The answer could not be posted after `maxPublishAttempts` tries. Says so in the thread (the CSV may be there
   * already) and on the parent, best effort, and marks the execution published so no sweep retries it. When even the
   * note meets a transient failure (the surface is down), it stays unpublished: the next sweep comes straight here.
   */
  private async giveUp(e: ExecutionRecord): Promise<boolean> {
    const tries = e.publishAttempts ?? 0;
    const why = e.lastPublishError ? ` The last error: ${e.lastPublishError}` : '';
    let note: string;
    if (e.state === 'SUCCEEDED') {
      const rows = e.stats?.rows;
      const csv = e.fileRef ? ' The CSV in this thread has every row.' : '';
      note = `The query finished${rows !== undefined ? ` with ${rows} row${rows === 1 ? '' : 's'}` : ''}, but its answer could not be posted after ${tries} attempts.${csv}${why} Use Re-run to ask again.`;
    } else {
      note = `${e.error ? `${e.error} ` : ''}(This notice could not be posted in full after ${tries} attempts.${why})`;
    }
    const noted: ExecutionRecord = { ...e, error: note };
    if (!e.resultRef) {
      try {
        const resultRef = await this.o.publisher.postFailure(noted);
        noted.resultRef = resultRef ?? '-';
      } catch (err) {
        this.log.warn('could not post the give-up note', { id: e.id, error: String(err) });
        if (!isPermanent(err)) return false;
      }
    }
    const published = await this.o.store.transition(e.id, e.state, 'PUBLISHED', {
      publishedAt: this.now().toISOString(),
      error: note,
      ...(noted.resultRef ? { resultRef: noted.resultRef } : {}),
    });
    await this.o.publisher
      .updateParent(published)
      .catch((err) => this.log.warn('could not update the parent after giving up', { id: e.id, error: String(err) }));
    this.log.error('gave up publishing', { id: e.id, attempts: tries });
    return true;
  }
}

/** A failure the surface says a retry will not fix (SlackPublishError and others carry `retryable`). */
function isPermanent(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === false;
}

/** The engine refused a start because it is at its quota (AthenaThrottledError after trailbot's backoff). */
function isBusy(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ATHENA_THROTTLED';
}

export type { QuerySubmission, SubmitOutcome } from '../core/runner';
