import { type QueryStatus, UnknownQueryError } from '../core/engine';
import { userMessageOf } from '../core/errors';
import { type ExecutionRecord, IllegalTransitionError } from '../core/execution';
import { watchOf } from '../core/watch';
import { queryCostUsd } from '../cost';
import type { Admission } from './admission';
import { dropSpool, type Results } from './collect';
import { LeaseLostError, type Leases, QueuedForSweepError, type RunnerContext } from './context';
import { engineKeptForgetting, queryEnded } from './messages';
import { nextPollDelay, pollPause } from './poll';
import type { Publishing } from './publish';

/** How long a question may wait for the engine's active-query quota before it fails. */
const QUEUE_MAX_MS = 15 * 60_000;
/** Times one drive restarts a query the engine forgot, and reruns a query that failed with a retryable error. */
const MAX_RESTARTS = 3;
const MAX_RETRIES = 2;

/** The engine refused a start because it is at its quota (AthenaThrottledError after trailbot's backoff). */
function isBusy(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ATHENA_THROTTLED';
}

/**
 * One execution from its recorded state to PUBLISHED: start, poll with backoff, collect, publish, finalize. Every
 * step is a conditional write in the store, so a drive that stops anywhere (a crash, a hand-over, a lost lease) is
 * carried on by whoever claims the execution next.
 */
export class Lifecycle {
  /**
   * Cancels under way in this process (Runner.cancel), by execution id. An engine that says when a query has ended
   * (`QueryEngine.ended`) wakes the wait as soon as the cancel reaches it, before that cancel has recorded who asked:
   * the wait lets it finish instead of recording the engine's CANCELLED itself, which would make the cancel's own
   * write fail and tell the person who cancelled that the question had finished first.
   */
  readonly cancelling = new Map<string, Promise<unknown>>();

  constructor(
    private readonly c: RunnerContext,
    private readonly leases: Leases,
    private readonly admission: Admission,
    private readonly results: Results,
    private readonly publishing: Publishing,
  ) {}

  /** Claims the execution and drives it until it is published or this worker must stop; returns its last state. */
  async run(id: string): Promise<ExecutionRecord | undefined> {
    const { store } = this.c;
    if (this.leases.handingOver) return store.get(id);
    if (!(await this.leases.claim(id))) {
      // Another worker is driving it; if that worker dies, its lease runs out and a later sweep takes over.
      this.c.log.info('execution is driven elsewhere', { id });
      return store.get(id);
    }
    let e = await store.get(id);
    try {
      while (e && e.state !== 'PUBLISHED') {
        // Requests waiting on this event loop for their own answer (Slack acks) go before this drive's next step;
        // a hand-over that began meanwhile stops the drive before that step (start() renews no lease).
        await this.c.pace(e.state === 'SUBMITTED' ? 'start' : e.state === 'RUNNING' ? 'wait' : 'publish');
        if (this.leases.handingOver) return e;
        try {
          if (e.state === 'SUBMITTED') e = await this.start(e);
          else if (e.state === 'RUNNING') e = await this.wait(e);
          else if (!(await this.publishing.publish(e))) return e;
          else {
            if (this.c.spool) await dropSpool(this.c.resultsDir, id).catch(() => {});
            if (e.surface !== 'schedule') await this.admission.giveSlotsBack(e, e.requestKey);
            e = await store.get(id);
          }
        } catch (err) {
          if (err instanceof LeaseLostError) return store.get(id);
          if (!(err instanceof IllegalTransitionError)) throw err;
          // Someone else moved it (a cancel): look again and carry on from its real state.
          e = await store.get(id);
        }
      }
      return e;
    } finally {
      await this.leases.release(id);
    }
  }

  private async start(e: ExecutionRecord): Promise<ExecutionRecord> {
    try {
      // A watch's run stays quiet until it knows it has something new: its parent is posted with its answer.
      if (!watchOf(e)) e = await this.publishing.ensureParent(e);
    } catch (err) {
      // The question still runs; the answer is posted when the surface is back (publishing posts the root first).
      this.c.log.warn('announce failed', { id: e.id, error: String(err) });
    }
    let engineExecutionId: string;
    try {
      // Athena derives ClientRequestToken from the execution id, so a start repeated after a crash is the same query.
      engineExecutionId = await this.c.engine.start(e.query, { executionId: e.id });
    } catch (err) {
      this.c.log.warn('engine start failed', { id: e.id, error: String(err) });
      // Athena's TooManyRequestsException (the active-query quota, which counts queued queries too: Athena User
      // Guide, "Service Quotas") passes when other queries finish: the question stays SUBMITTED and the sweep starts
      // it, instead of failing after the ~6 s of backoff.
      if (isBusy(err) && Date.now() - Date.parse(e.createdAt) < QUEUE_MAX_MS) throw new QueuedForSweepError(e.id);
      return this.c.store.transition(e.id, 'SUBMITTED', 'FAILED', {
        error: userMessageOf(err),
        finishedAt: this.c.now().toISOString(),
      });
    }
    try {
      return await this.c.store.transition(e.id, 'SUBMITTED', 'RUNNING', {
        engineExecutionId,
        startedAt: this.c.now().toISOString(),
      });
    } catch (err) {
      // Cancelled while it was being started (the drive may have waited for its pace with the record it read before):
      // no record names this engine query, so nobody else would stop it. One the record does name (another worker's
      // start of the same Athena query, whose token is derived from the execution id) is left alone.
      if (err instanceof IllegalTransitionError) {
        const now = await this.c.store.get(e.id).catch(() => undefined);
        if (now?.engineExecutionId !== engineExecutionId) await this.c.engine.cancel(engineExecutionId).catch(() => {});
      }
      throw err;
    }
  }

  /** Polls until the engine query ends, then records the outcome (results spooled first). */
  private async wait(e: ExecutionRecord): Promise<ExecutionRecord> {
    const { engine, store, poll } = this.c;
    let engineId = e.engineExecutionId;
    let delay = poll.initialMs;
    const began = Date.parse(e.startedAt ?? e.createdAt);
    let lastProgress = Date.now();
    let restarts = 0;
    let retries = 0;
    for (;;) {
      await this.leases.renew(e.id);
      if (!engineId) {
        engineId = await engine.start(e.query, { executionId: e.id });
        e = await store.patch(e.id, { engineExecutionId: engineId }, 'RUNNING');
      }
      let status: QueryStatus;
      try {
        status = await engine.status(engineId);
      } catch (err) {
        if (err instanceof UnknownQueryError) {
          // The embedded engine forgets queries when the process dies: run it again, with a pause and a limit so an
          // engine that keeps forgetting cannot spin.
          if (++restarts > MAX_RESTARTS) {
            return store.transition(e.id, 'RUNNING', 'FAILED', {
              finishedAt: this.c.now().toISOString(),
              error: engineKeptForgetting(MAX_RESTARTS),
            });
          }
          this.c.log.info('engine lost the query; starting it again', { id: e.id, restarts });
          await this.c.sleep(delay);
          engineId = undefined;
          continue;
        }
        throw err;
      }
      if (status.state === 'QUEUED' || status.state === 'RUNNING') {
        const current = await store.get(e.id);
        if (current && current.state !== 'RUNNING') return current;
        const { publisher } = this.c;
        // A watch's run shows no progress: it has said nothing yet, and says nothing if it finds nothing.
        if (publisher.progress && !watchOf(e) && Date.now() - lastProgress >= this.c.progressEveryMs) {
          lastProgress = Date.now();
          await publisher.progress(e, this.c.now().getTime() - began, status.stats).catch(() => {});
        }
        await pollPause(this.c, engineId, delay);
        delay = nextPollDelay(poll, delay);
        continue;
      }
      const cancelling = status.state === 'CANCELLED' ? this.cancelling.get(e.id) : undefined;
      if (cancelling) {
        await cancelling.catch(() => undefined);
        const current = await store.get(e.id);
        if (current && current.state !== 'RUNNING') return current;
      }
      const stats = { ...status.stats, costUsd: queryCostUsd(engine.kind, status.stats, status.state) };
      const finishedAt = this.c.now().toISOString();
      if (status.state === 'SUCCEEDED') {
        await this.c.pace('collect');
        const { summary, seriesCost } = await this.results.collectWithSeries(e, engineId);
        // The CSV and the summary on disk are what publishing reads from now on (and a restart re-runs the query).
        await engine.release?.(engineId).catch(() => {});
        // A chart's series query is a second query on the same bill: its bytes and cost add to the answer's.
        const total = seriesCost
          ? {
              ...stats,
              bytesScanned: stats.bytesScanned + seriesCost.bytesScanned,
              costUsd: stats.costUsd + seriesCost.costUsd,
            }
          : stats;
        const done = await store.transition(e.id, 'RUNNING', 'SUCCEEDED', {
          stats: { ...total, rows: summary.totalRows },
          finishedAt,
        });
        await this.recordBytes(done);
        return done;
      }
      if (status.state === 'FAILED' && status.retryable && retries < MAX_RETRIES) {
        // A new execution id: the same ClientRequestToken would return the failed query again.
        retries += 1;
        this.c.log.info('query failed with a retryable error; running it again', { id: e.id, retries });
        engineId = await engine.start(e.query, { executionId: `${e.id}-retry${retries}` });
        e = await store.patch(e.id, { engineExecutionId: engineId }, 'RUNNING');
        delay = poll.initialMs;
        continue;
      }
      const failed = await store.transition(e.id, 'RUNNING', status.state, {
        stats,
        finishedAt,
        error: status.reason ?? queryEnded(status.state),
      });
      await this.recordBytes(failed);
      return failed;
    }
  }

  /** Adds the bytes a finished query read to its asker's and channel's daily totals (the budget reads them). */
  private async recordBytes(e: ExecutionRecord): Promise<void> {
    const bytes = e.stats?.bytesScanned ?? 0;
    if (bytes <= 0) return;
    await this.c.store
      .addScannedBytes(this.c.now().toISOString().slice(0, 10), e.userId, e.channelId, bytes)
      .catch((err) => this.c.log.warn('could not record scanned bytes', { error: String(err) }));
  }
}
