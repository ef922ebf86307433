import { createHash } from 'node:crypto';
import { UnknownQueryError } from '../core/engine';
import type { ExecutionRecord } from '../core/execution';
import type { ResultSummary } from '../core/publisher';
import { collectResults, readSpooledSummary, spoolPaths } from './collect';
import type { RunnerContext } from './context';
import type { Leases } from './lease';
import { refetchFailed } from './messages';

/** An execution's answer: spooled once when its query succeeds, read back (or fetched again) to publish it. */
export class Results {
  constructor(
    private readonly c: RunnerContext,
    private readonly leases: Leases,
  ) {}

  /** Streams the engine's result into the spool (CSV and summary), renewing the lease page by page. */
  collect(e: ExecutionRecord, engineId: string): Promise<ResultSummary> {
    return collectResults(this.c.engine, engineId, spoolPaths(this.c.resultsDir, e.id), {
      topRows: this.c.topRows,
      annotate: this.c.annotatorFor?.(e.command),
      onPage: () => this.leases.renew(e.id),
    });
  }

  /** The spooled result, or (after a restart that lost it) the result fetched again. */
  async summaryOf(e: ExecutionRecord): Promise<ResultSummary> {
    const spooled = await readSpooledSummary(spoolPaths(this.c.resultsDir, e.id));
    if (spooled) return spooled;
    if (e.engineExecutionId) {
      try {
        return await this.collect(e, e.engineExecutionId);
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
    const engineId = await this.c.engine.start(e.query, { executionId: `${e.id}-republish-${sqlDigest}` });
    let delay = this.c.poll.initialMs;
    for (;;) {
      const s = await this.c.engine.status(engineId);
      if (s.state === 'SUCCEEDED') break;
      if (s.state === 'FAILED' || s.state === 'CANCELLED') throw new Error(refetchFailed(s.reason ?? s.state));
      await this.c.sleep(delay);
      delay = Math.min(this.c.poll.maxMs, delay * this.c.poll.factor);
    }
    return this.collect(e, engineId);
  }
}
