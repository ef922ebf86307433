import { userMessageOf } from '../core/errors';
import { type ExecutionRecord, type ExecutionState, IllegalTransitionError } from '../core/execution';
import { watchOf } from '../core/watch';
import type { Results } from './collect';
import { LeaseLostError, type Leases, type RunnerContext } from './context';
import { answerNotPosted, noticeNotPosted } from './messages';

/** A failure the surface says a retry will not fix (SlackPublishError and others carry `retryable`). */
export function isPermanent(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === false;
}

/** Posting an execution's outcome to its surface: the parent message, the answer or the failure, the CSV. */
export class Publishing {
  constructor(
    private readonly c: RunnerContext,
    private readonly leases: Leases,
    private readonly results: Results,
  ) {}

  /**
   * Posts the in-channel parent message unless it is recorded already, and records its reference (only while the
   * execution is still in `expectedState`, when one is given).
   */
  async ensureParent(e: ExecutionRecord, expectedState?: ExecutionState): Promise<ExecutionRecord> {
    if (e.parentRef) return e;
    const parentRef = await this.c.publisher.announce(e);
    return parentRef ? this.c.store.patch(e.id, { parentRef }, expectedState) : e;
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
  async publish(e: ExecutionRecord): Promise<boolean> {
    const { publishAttempts: attempts, maxPublishAttempts: maxAttempts } = this.c;
    let delay = 1000;
    for (let attempt = 1; ; attempt++) {
      if ((e.publishAttempts ?? 0) >= maxAttempts) return this.giveUp(e);
      try {
        await this.leases.renew(e.id);
        if (await this.quietlyDone(e)) return true;
        // The announcement may have failed when the question started (the surface was down): the thread needs a root.
        e = await this.ensureParent(e, e.state);
        if (e.state === 'SUCCEEDED') {
          // The result reply, then the CSV. `e` takes each recorded reference at once: the catch below records the
          // failed attempt on it, and a later attempt must not post a step again.
          const summary = await this.results.summaryOf(e);
          let refused: unknown;
          if (!e.resultRef) {
            try {
              const resultRef = await this.c.publisher.postResult(e, summary);
              e = await this.c.store.patch(e.id, { resultRef: resultRef ?? '-' }, e.state);
            } catch (err) {
              // Issue 12: the rows must reach the thread whatever happened to the reply, so the CSV goes first.
              if (!isPermanent(err)) throw err;
              refused = err;
            }
          }
          if (!e.fileRef && summary.totalRows > 0) {
            const fileRef = await this.c.publisher.uploadCsv(e, summary);
            e = await this.c.store.patch(e.id, { fileRef: fileRef ?? '-' }, e.state);
          }
          if (refused !== undefined) throw refused;
        } else if (!e.resultRef) {
          const resultRef = await this.c.publisher.postFailure(e);
          e = await this.c.store.patch(e.id, { resultRef: resultRef ?? '-' }, e.state);
        }
        await this.c.publisher.updateParent(e);
        await this.c.store.transition(e.id, e.state, 'PUBLISHED', { publishedAt: this.c.now().toISOString() });
        return true;
      } catch (err) {
        if (err instanceof IllegalTransitionError || err instanceof LeaseLostError) throw err;
        this.c.log.warn('publish failed', { id: e.id, attempt, error: String(err), permanent: isPermanent(err) });
        // A permanent refusal is not retried in this round, so it costs what is left of the round's attempts.
        const failed = (e.publishAttempts ?? 0) + (isPermanent(err) ? Math.max(1, attempts - attempt + 1) : 1);
        e = await this.c.store
          .patch(e.id, { publishAttempts: failed, lastPublishError: userMessageOf(err) }, e.state)
          .catch(() => ({
            ...e,
            publishAttempts: failed,
          }));
        if (failed >= maxAttempts) return this.giveUp(e);
        if (attempt >= attempts || isPermanent(err)) return false;
        await this.c.sleep(delay);
        delay = Math.min(30_000, delay * 2);
      }
    }
  }

  /**
   * A watch's run that found nothing new posts nothing at all: no parent, no "0 rows" reply (issue 19). It is marked
   * published like any other, so no sweep picks it up again. A failure is still posted: a watch that cannot run must
   * not look like a quiet one.
   */
  private async quietlyDone(e: ExecutionRecord): Promise<boolean> {
    if (!watchOf(e) || e.state !== 'SUCCEEDED' || e.parentRef || e.resultRef) return false;
    const summary = await this.results.summaryOf(e);
    if (summary.totalRows > 0) return false;
    await this.c.store.transition(e.id, e.state, 'PUBLISHED', { publishedAt: this.c.now().toISOString() });
    return true;
  }

  /**
   * The answer could not be posted after `maxPublishAttempts` tries. Says so in the thread (the CSV may be there
   * already) and on the parent, best effort, and marks the execution published so no sweep retries it. When even the
   * note meets a transient failure (the surface is down), it stays unpublished: the next sweep comes straight here.
   */
  private async giveUp(e: ExecutionRecord): Promise<boolean> {
    const tries = e.publishAttempts ?? 0;
    const note = e.state === 'SUCCEEDED' ? answerNotPosted(e, tries) : noticeNotPosted(e, tries);
    const noted: ExecutionRecord = { ...e, error: note };
    if (!e.resultRef) {
      try {
        const resultRef = await this.c.publisher.postFailure(noted);
        noted.resultRef = resultRef ?? '-';
      } catch (err) {
        this.c.log.warn('could not post the give-up note', { id: e.id, error: String(err) });
        if (!isPermanent(err)) return false;
      }
    }
    const published = await this.c.store.transition(e.id, e.state, 'PUBLISHED', {
      publishedAt: this.c.now().toISOString(),
      error: note,
      ...(noted.resultRef ? { resultRef: noted.resultRef } : {}),
    });
    await this.c.publisher
      .updateParent(published)
      .catch((err) => this.c.log.warn('could not update the parent after giving up', { id: e.id, error: String(err) }));
    this.c.log.error('gave up publishing', { id: e.id, attempts: tries });
    return true;
  }
}
