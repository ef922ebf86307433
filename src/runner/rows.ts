import { TrailError } from '../core/errors';
import type { ExecutionRecord } from '../core/execution';
import type { ResultRows, ResultSummary } from '../core/publisher';
import { readCsvRows } from '../util/csv-rows';
import { type ResultSources, Results } from './collect';

/**
 * Rows of a finished answer, for the "Show next 20 rows" button (issue 17, item 5). The answer is read the way a
 * publish reads it (Results.summaryOf): the spooled CSV when it is still there, else the engine's result fetched
 * again, else the same bound query run again (its window is absolute, so it is the same question; events delivered
 * since may add rows). In Slack the spool is deleted once an answer is published (RunnerOptions.spool), so the first
 * click usually refills it; the sweep removes it again after its maximum age.
 *
 * No lease is taken: the execution is finished and nobody else writes its spool, but two clicks at once must not both
 * refill it, so a refill in flight is shared.
 */
export class ResultPages {
  private readonly results: Results;
  private readonly refilling = new Map<string, Promise<ResultSummary>>();

  constructor(sources: ResultSources) {
    // Pages need rows only: a refill never reruns a chart's series query (up to SERIES_MAX_MS) for a chart already posted.
    this.results = new Results({ ...sources, seriesFor: undefined }, async () => {});
  }

  async rows(e: ExecutionRecord, from: number, count: number): Promise<ResultRows> {
    if (e.state !== 'SUCCEEDED' && e.state !== 'PUBLISHED') {
      throw new TrailError('NO_ANSWER', 'That question has no answer to page through.');
    }
    if (e.state === 'PUBLISHED' && e.error !== undefined) {
      throw new TrailError('NO_ANSWER', 'That question has no answer to page through (its answer was not posted).');
    }
    let pending = this.refilling.get(e.id);
    if (!pending) {
      pending = this.results.summaryOf(e).finally(() => this.refilling.delete(e.id));
      this.refilling.set(e.id, pending);
    }
    const summary = await pending;
    const start = Math.max(0, Math.floor(from));
    const rows = start >= summary.totalRows ? [] : await readCsvRows(summary.csvPath, start, count);
    return { columns: summary.columns, rows, from: start, totalRows: summary.totalRows };
  }
}
