import { type ExecutionRecord, IllegalTransitionError } from '../core/execution';
import type { Recipient, ResultRows } from '../core/publisher';
import { type Asker, type QueryRunner, type QuerySubmission, requestKeyOf, type SubmitOutcome } from '../core/runner';
import { Admission, type Admitted } from './admission';
import { pruneSpool, Results } from './collect';
import { Leases, type RunnerContext, type RunnerOptions, runnerContext } from './context';
import { Lifecycle } from './lifecycle';
import {
  cancelled,
  cancelledBy,
  confirmNotYours,
  finishedBeforeCancel,
  noSuchExecution,
  nothingToCancel,
  nothingToConfirm,
  runningConfirmed,
} from './messages';
import { preflight } from './preflight';
import { Publishing } from './publish';
import { ResultPages } from './rows';

/**
 * submit → record → start → poll → fetch → publish → finalize, with every state change a conditional write in the
 * store. Knows nothing about Slack or AWS: it talks to a QueryEngine, an ExecutionStore and a Publisher.
 *
 * The work is split by concern: admission (limits, the idempotent create, duplicates), the cost pre-flight, the
 * lifecycle of one execution (lease, start, poll, collect, publish), and the sentences it says (messages.ts). This
 * class holds them together, and owns what spans executions: which ones this process drives, resume and hand-over.
 */
export class Runner implements QueryRunner {
  private readonly driving = new Map<string, Promise<ExecutionRecord | undefined>>();
  private readonly background = new Set<Promise<unknown>>();
  /** Submissions not recorded yet (pre-flight, limits, create): hand-over and idle() wait for them too. */
  private readonly admitting = new Set<Promise<unknown>>();
  private readonly c: RunnerContext;
  private readonly leases: Leases;
  private readonly admission: Admission;
  private readonly lifecycle: Lifecycle;
  private readonly pages: ResultPages;

  constructor(options: RunnerOptions) {
    this.c = runnerContext(options);
    this.leases = new Leases(this.c);
    this.admission = new Admission(this.c);
    const results = new Results(this.c, (id) => this.leases.renew(id));
    const publishing = new Publishing(this.c, this.leases, results);
    this.lifecycle = new Lifecycle(this.c, this.leases, this.admission, results, publishing);
    this.pages = new ResultPages(this.c);
  }

  /** Rows of a finished answer, read back for "Show next 20 rows" (src/runner/rows.ts). */
  rowsOf(e: ExecutionRecord, from: number, count: number): Promise<ResultRows> {
    return this.pages.rows(e, from, count);
  }

  /** Records the question (idempotently), announces it and runs it to a published answer. */
  async submit(s: QuerySubmission): Promise<SubmitOutcome> {
    const recipient: Recipient = {
      channelId: s.channelId,
      userId: s.userId,
      responseUrl: s.responseUrl,
      ...(s.threadTs ? { threadTs: s.threadTs } : {}),
    };
    const requestKey = s.requestKey ?? requestKeyOf(s.channelId, s.normalized);
    // A question acknowledged just before a SIGTERM may still be on its way to the store: hand-over waits until it
    // is recorded (then let go like the others), so the next task resumes it instead of it being lost.
    const entering = this.enter(s, recipient, requestKey);
    this.admitting.add(entering);
    let admitted: Admitted;
    try {
      admitted = await entering;
    } finally {
      this.admitting.delete(entering);
    }
    if (admitted.kind !== 'created') return admitted;
    const { execution } = admitted;
    let final: ExecutionRecord | undefined;
    try {
      final = await this.drive(execution.id);
    } catch (err) {
      // Recorded already: a store or surface error from here on is not the asker's to retry. The sweep (resume)
      // finishes it, and telling them "it did not work" would be followed by the answer anyway.
      this.c.log.warn('driving failed; the sweep will finish it', { id: execution.id, error: String(err) });
    }
    return { kind: 'started', execution: final ?? execution };
  }

  /** The cost pre-flight (which may ask first), then the limits and the idempotent create. */
  private async enter(s: QuerySubmission, recipient: Recipient, requestKey: string): Promise<Admitted> {
    if (!s.confirmed && s.surface !== 'schedule') {
      const gate = await preflight(this.c, s, recipient);
      if (gate) return gate;
    }
    return this.admission.admit(s, recipient, requestKey);
  }

  /** Runs a question its asker confirmed. Returns text for the person who clicked. */
  async confirm(token: string, by: Asker): Promise<string | undefined> {
    const pending = await this.c.store.takePending(token, { userId: by.userId, channelId: by.channelId });
    if (pending === 'not-owner') return confirmNotYours();
    const s = pending?.submission as QuerySubmission | undefined;
    if (!s) return nothingToConfirm();
    this.inBackground(this.submit({ ...s, confirmed: true, responseUrl: by.responseUrl ?? s.responseUrl }));
    return runningConfirmed(s.commandText);
  }

  /** Drives one execution to PUBLISHED; concurrent calls for the same id in this process share one loop. */
  drive(id: string): Promise<ExecutionRecord | undefined> {
    const running = this.driving.get(id);
    if (running) return running;
    const loop = this.lifecycle.run(id).finally(() => this.driving.delete(id));
    this.driving.set(id, loop);
    return loop;
  }

  /** Resolves when nothing is being driven in this process (clean shutdown, end of a terminal session). */
  async idle(): Promise<void> {
    while (this.driving.size > 0 || this.background.size > 0 || this.admitting.size > 0) {
      await Promise.allSettled([...this.driving.values(), ...this.background, ...this.admitting]);
    }
  }

  /** Work started for a click or a cancel that nobody awaits; idle() still waits for it, and failures are logged. */
  private inBackground(work: Promise<unknown>): void {
    const tracked = work
      .catch((err) => this.c.log.error('background work failed', { error: String(err) }))
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
    this.leases.handOver();
    // Recorded first, then driven: a submission's own continuation calls drive() before this one resumes.
    while (this.admitting.size > 0) await Promise.allSettled([...this.admitting]);
    const held = [...this.driving.values()];
    await Promise.allSettled(held);
    return held.length;
  }

  /** True once handOver() was called. */
  get handingOver(): boolean {
    return this.leases.handingOver;
  }

  /** Ids this process is driving now. */
  get inFlight(): number {
    return this.driving.size;
  }

  /** Resumes every unfinished execution (on boot, and periodically as a sweep). Returns how many were picked up. */
  async resume(): Promise<number> {
    if (this.leases.handingOver) return 0;
    if (this.c.spool) {
      await pruneSpool(this.c.resultsDir, (id) => this.driving.has(id), this.c.spool).catch((err) =>
        this.c.log.warn('could not prune the spool folder', { error: String(err) }),
      );
    }
    const unfinished = await this.c.store.listUnfinished();
    const picked = unfinished.filter((e) => !this.driving.has(e.id));
    for (const e of picked) {
      this.drive(e.id).catch((err) => this.c.log.error('resume failed', { id: e.id, error: String(err) }));
    }
    if (picked.length) this.c.log.info('resumed unfinished executions', { count: picked.length });
    return picked.length;
  }

  /** Stops a question. Returns text for the person who asked for the cancel. */
  async cancel(id: string, by: string): Promise<string> {
    // The question's wait defers to this cancel while it runs (Lifecycle.cancelling).
    const cancelling = this.cancelNow(id, by);
    this.lifecycle.cancelling.set(id, cancelling);
    try {
      return await cancelling;
    } finally {
      if (this.lifecycle.cancelling.get(id) === cancelling) this.lifecycle.cancelling.delete(id);
    }
  }

  private async cancelNow(id: string, by: string): Promise<string> {
    const { store, engine } = this.c;
    const e = await store.get(id);
    if (!e) return noSuchExecution(id);
    if (e.state !== 'SUBMITTED' && e.state !== 'RUNNING') return nothingToCancel(id, e.state);
    if (e.engineExecutionId) {
      await engine.cancel(e.engineExecutionId).catch((err) => {
        this.c.log.warn('engine cancel failed', { id, error: String(err) });
      });
    }
    try {
      await store.transition(id, e.state, 'CANCELLED', {
        cancelledBy: by,
        error: cancelledBy(by),
        finishedAt: this.c.now().toISOString(),
      });
    } catch (err) {
      if (err instanceof IllegalTransitionError) return finishedBeforeCancel(id);
      throw err;
    }
    await store.audit({
      at: this.c.now().toISOString(),
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
    return cancelled(id);
  }
}
