import type { QueryEngine, QueryState, QueryStats } from '../core/engine';
import type { ExecutionRecord } from '../core/execution';
import type { SeriesBuilder, TimeSeries } from '../core/publisher';
import type { SeriesQuery } from '../core/query';
import { queryCostUsd } from '../cost';
import type { Logger } from '../logger';
import { nextPollDelay, pollPause } from './poll';

/**
 * How long an answer waits for its chart's series query (issue 17, item 4) before it is published without a chart.
 * The series reads the same partitions as the answer, which has just finished, so it usually takes about as long.
 */
export const SERIES_MAX_MS = 90_000;

export interface SeriesSources {
  engine: QueryEngine;
  poll: { initialMs: number; maxMs: number; factor: number };
  sleep: (ms: number) => Promise<void>;
  log?: Logger;
  /** Overrides SERIES_MAX_MS. */
  seriesMaxMs?: number;
}

/** A series query's outcome: the chart (absent when it failed or was too slow) and what it read and cost. */
export interface SeriesRun {
  series?: TimeSeries;
  /** Bytes the series query scanned and its cost, added to the answer's stats (absent when it never ran). */
  cost?: { bytesScanned: number; costUsd: number };
}

/**
 * Runs a chart's series template through the QueryEngine port (start, poll with the runner's backoff, results) and
 * feeds its rows to `builder`, each weighted by its `events` count. Never throws: a failed, cancelled or slow series
 * query is logged and the answer is published without a chart, at most `seriesMaxMs` later than it would have been.
 */
export async function runSeries(
  c: SeriesSources,
  e: ExecutionRecord,
  query: SeriesQuery,
  builder: SeriesBuilder,
  renew: () => Promise<void>,
  /** Whether the answer is still wanted (not cancelled meanwhile): asked between polls, as the answer's wait does. */
  wanted: () => Promise<boolean> = async () => true,
): Promise<SeriesRun> {
  const maxMs = c.seriesMaxMs ?? SERIES_MAX_MS;
  const began = Date.now();
  let engineId: string | undefined;
  let state: QueryState | undefined;
  let stats: QueryStats | undefined;
  const costOf = (): SeriesRun['cost'] =>
    stats ? { bytesScanned: stats.bytesScanned, costUsd: queryCostUsd(c.engine.kind, stats, state) } : undefined;
  try {
    // A fixed id per execution: Athena derives ClientRequestToken from it, so a start repeated after a crash is the
    // same query, not a second bill.
    engineId = await c.engine.start(query, { executionId: `${e.id}-series` });
    let delay = c.poll.initialMs;
    // Time waited counts both the sleeps asked for and the clock, so a stubbed sleep cannot wait forever.
    let slept = 0;
    for (;;) {
      const status = await c.engine.status(engineId);
      state = status.state;
      stats = status.stats;
      if (state === 'SUCCEEDED') break;
      if (state === 'FAILED' || state === 'CANCELLED') {
        c.log?.warn('chart series query ended without a result; the answer is posted without a chart', {
          id: e.id,
          state,
          reason: status.reason,
        });
        return { cost: costOf() };
      }
      if (!(await wanted())) {
        // Cancelled while its chart was being counted: stop the series too; the lifecycle posts the cancellation.
        await c.engine.cancel(engineId).catch(() => {});
        state = 'CANCELLED';
        return { cost: costOf() };
      }
      if (slept >= maxMs || Date.now() - began >= maxMs) {
        await c.engine.cancel(engineId).catch(() => {});
        state = 'CANCELLED';
        c.log?.warn('chart series query too slow; cancelled, the answer is posted without a chart', {
          id: e.id,
          waitedMs: Math.max(slept, Date.now() - began),
        });
        return { cost: costOf() };
      }
      await renew();
      await pollPause(c, engineId, delay);
      slept += delay;
      delay = nextPollDelay(c.poll, delay);
    }
    for await (const page of c.engine.results(engineId, { pageSize: 1000 })) {
      const bucket = page.columns.indexOf('bucket');
      const events = page.columns.indexOf('events');
      if (bucket < 0 || events < 0) throw new Error(`series template ${query.template} lacks bucket or events`);
      for (const row of page.rows) {
        builder.add(
          (column) => (column === 'bucket' ? (row[bucket] ?? null) : null),
          Number(row[events] ?? Number.NaN),
        );
      }
    }
    return { series: builder.finish(), cost: costOf() };
  } catch (err) {
    c.log?.warn('chart series query failed; the answer is posted without a chart', { id: e.id, error: String(err) });
    return { cost: costOf() };
  } finally {
    if (engineId) await c.engine.release?.(engineId).catch(() => {});
  }
}
