import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type QueryEngine, UnknownQueryError } from '../core/engine';
import type { ExecutionRecord, ExecutionStore } from '../core/execution';
import type { ResultSummary, RiskFlag, SeriesBuilder, TimeSeries } from '../core/publisher';
import type { Annotator } from '../core/runner';
import { type PostedEvents, watchOf } from '../core/watch';
import type { Logger } from '../logger';
import { consoleLinkColumn } from '../util/console-link';
import { csvRecord } from '../util/csv';
import { refetchFailed } from './messages';
import { nextPollDelay, pollPause } from './poll';
import { runSeries, type SeriesRun } from './series';
import { type PageSelector, watchSelector } from './watch-filter';

export interface CollectOptions {
  /** Rows kept for the thread table. */
  topRows?: number;
  /** Flags kept (the total is still counted). */
  maxFlags?: number;
  annotate?: Annotator;
  /**
   * Called after every page. The runner renews its lease here: a large answer can take longer to fetch than the
   * lease lasts, and without renewal a second task would take the execution over and repeat the work. Throwing
   * stops the collection (the partial file is removed).
   */
  onPage?: () => Promise<void>;
  /** Sees every row of the answer once, for its chart (ResultSummary.series); memory is per bucket, not per row. */
  series?: SeriesBuilder;
  /** The chart when it came from a series query (src/runner/series.ts) instead of the rows; wins over `series`. */
  fixedSeries?: TimeSeries;
  /**
   * Which rows of a page stay in the answer (a watch's run keeps only new rows, src/runner/watch-filter.ts). Flags
   * are computed for every row first, so `only-flagged` can use them; the kept rows are numbered anew.
   */
  select?: PageSelector;
}

/** Where an execution's spooled result lives. */
export function spoolPaths(resultsDir: string, executionId: string): { csv: string; summary: string } {
  return {
    csv: path.join(resultsDir, `${executionId}.csv`),
    summary: path.join(resultsDir, `${executionId}.summary.json`),
  };
}

/**
 * Streams every result page into an RFC 4180 CSV file while keeping only the top rows and the flags in memory, so a
 * 100,000-row result costs a file, not heap. Writes the summary next to it (atomically, after the CSV is complete)
 * so a restarted runner can publish without asking the engine again.
 */
export async function collectResults(
  engine: QueryEngine,
  engineId: string,
  files: { csv: string; summary: string },
  options: CollectOptions = {},
): Promise<ResultSummary> {
  const topLimit = options.topRows ?? 20;
  const maxFlags = options.maxFlags ?? 50;
  await mkdir(path.dirname(files.csv), { recursive: true });
  const tmp = `${files.csv}.partial`;
  const out = createWriteStream(tmp);
  let columns: string[] | undefined;
  // Each event's CloudTrail console link, as a `console_url` column (src/util/console-link.ts): in the CSV and the table.
  let links: ReturnType<typeof consoleLinkColumn> | undefined;
  const topRows: (string | null)[][] = [];
  const flags: RiskFlag[] = [];
  let flagsTotal = 0;
  let totalRows = 0;
  try {
    for await (const page of engine.results(engineId, { pageSize: 1000 })) {
      if (!columns || !links) {
        links = consoleLinkColumn(page.columns);
        columns = links.columns;
        out.write(csvRecord(columns));
      }
      const index = new Map(page.columns.map((c, i) => [c, i]));
      const annotate = options.annotate;
      const flagsOf = (row: (string | null)[]) =>
        annotate
          ? annotate((c) => {
              const i = index.get(c);
              return i === undefined ? null : (row[i] ?? null);
            })
          : [];
      // A watch's run keeps only its new rows (`select`); flags are computed once per row, before it decides.
      const pageFlags = options.select ? page.rows.map(flagsOf) : undefined;
      const keep = pageFlags && (await options.select?.({ columns: page.columns, rows: page.rows, flags: pageFlags }));
      for (const [r, engineRow] of page.rows.entries()) {
        if (keep && !keep[r]) continue;
        const row = links.extend(engineRow);
        options.series?.add((c) => {
          const i = index.get(c);
          return i === undefined ? null : (engineRow[i] ?? null);
        });
        if (!out.write(csvRecord(row))) await once(out, 'drain');
        if (topRows.length < topLimit) topRows.push(row);
        for (const flag of pageFlags?.[r] ?? flagsOf(engineRow)) {
          flagsTotal += 1;
          if (flags.length < maxFlags) flags.push({ row: totalRows, ...flag });
        }
        totalRows += 1;
      }
      await options.onPage?.();
    }
  } catch (err) {
    out.destroy();
    await rm(tmp, { force: true });
    throw err;
  } finally {
    if (!out.destroyed) {
      out.end();
      await once(out, 'close');
    }
  }
  if (!columns) {
    // Zero pages (an engine may send none for an empty result): the CSV still has no header we can know.
    columns = [];
  }
  await rename(tmp, files.csv);
  const csvBytes = (await stat(files.csv)).size;
  const series = options.fixedSeries ?? options.series?.finish();
  const summary: ResultSummary = {
    columns,
    topRows,
    totalRows,
    flags,
    flagsTotal,
    csvPath: files.csv,
    csvBytes,
    ...(series ? { series } : {}),
  };
  await writeFile(`${files.summary}.partial`, JSON.stringify(summary));
  await rename(`${files.summary}.partial`, files.summary);
  return summary;
}

/** Deletes an execution's spooled files (CSV, summary, and a partial CSV a crash left behind). */
export async function dropSpool(resultsDir: string, executionId: string): Promise<void> {
  const files = spoolPaths(resultsDir, executionId);
  await Promise.all(
    [files.csv, files.summary, `${files.csv}.partial`, `${files.summary}.partial`].map((f) => rm(f, { force: true })),
  );
}

export interface SpoolLimits {
  /** Files older than this are deleted (a publish that never happened, a crash mid-collection). Default 6 h. */
  maxAgeMs?: number;
  /** Above this total the oldest files go first. Default 5 GiB (a Fargate task has 20 GiB of ephemeral storage). */
  maxBytes?: number;
}

/**
 * Keeps the spool folder bounded: spooled files of executions nobody here is driving are deleted when too old, then
 * oldest first while the folder is over its size. Deleting a file an unfinished execution still needs is safe: the
 * runner fetches the result from the engine again (summaryOf). Returns the bytes freed.
 */
export async function pruneSpool(
  resultsDir: string,
  inUse: (executionId: string) => boolean,
  limits: SpoolLimits = {},
  now = Date.now(),
): Promise<number> {
  const maxAge = limits.maxAgeMs ?? 6 * 3_600_000;
  const maxBytes = limits.maxBytes ?? 5 * 1024 ** 3;
  let names: string[];
  try {
    names = await readdir(resultsDir);
  } catch {
    return 0;
  }
  const files: { file: string; bytes: number; mtime: number }[] = [];
  let total = 0;
  for (const name of names) {
    const m = /^(.+?)\.(csv|summary\.json)(\.partial)?$/.exec(name);
    if (!m) continue;
    const file = path.join(resultsDir, name);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) continue;
    total += info.size;
    if (!inUse(m[1]!)) files.push({ file, bytes: info.size, mtime: info.mtimeMs });
  }
  files.sort((x, y) => x.mtime - y.mtime);
  let freed = 0;
  for (const f of files) {
    if (now - f.mtime < maxAge && total - freed <= maxBytes) continue;
    await rm(f.file, { force: true });
    freed += f.bytes;
  }
  return freed;
}

/** The summary a previous run spooled, if both files are complete. */
export async function readSpooledSummary(files: { csv: string; summary: string }): Promise<ResultSummary | undefined> {
  try {
    const summary = JSON.parse(await readFile(files.summary, 'utf8')) as ResultSummary;
    const size = (await stat(files.csv)).size;
    return size === summary.csvBytes ? summary : undefined;
  } catch {
    return undefined;
  }
}

/** What an execution's answer is made with: the runner's engine, spool folder and polling (RunnerContext has them). */
export interface ResultSources {
  engine: QueryEngine;
  resultsDir: string;
  topRows?: number;
  annotatorFor?: (command: string) => Annotator | undefined;
  /** The series builder of an execution whose command declares a chart (bound to its window), else undefined. */
  seriesFor?: (e: ExecutionRecord) => SeriesBuilder | undefined;
  /** The posted-event-id records, for a watch's runs (without them a watch's run keeps every row). */
  posted?: PostedEvents;
  poll: { initialMs: number; maxMs: number; factor: number };
  sleep: (ms: number) => Promise<void>;
  log?: Logger;
  /** The executions, to notice a cancel while a chart's series query runs (the runner's store). */
  store?: Pick<ExecutionStore, 'get'>;
  /** How long an answer waits for its chart's series query (default SERIES_MAX_MS in src/runner/series.ts). */
  seriesMaxMs?: number;
}

/** An execution's answer: spooled once when its query succeeds, read back (or fetched again) to publish it. */
export class Results {
  /** `renew` keeps the driver's lease while pages stream in (CollectOptions.onPage). */
  constructor(
    private readonly c: ResultSources,
    private readonly renew: (executionId: string) => Promise<void>,
  ) {}

  /** Streams the engine's result into the spool (CSV and summary), renewing the lease page by page. */
  async collect(e: ExecutionRecord, engineId: string): Promise<ResultSummary> {
    return (await this.collectWithSeries(e, engineId)).summary;
  }

  /**
   * `collect`, and for a chart drawn from a series template (BoundQuery.series) that query run first: its counts are
   * the chart, and `seriesCost` is what it read and cost (the answer's stats add it). Its failure only drops the chart.
   */
  async collectWithSeries(
    e: ExecutionRecord,
    engineId: string,
  ): Promise<{ summary: ResultSummary; seriesCost?: SeriesRun['cost'] }> {
    const watch = watchOf(e);
    const builder = this.c.seriesFor?.(e);
    const run =
      e.query.series && builder
        ? await runSeries(
            this.c,
            e,
            e.query.series,
            builder,
            () => this.renew(e.id),
            // A republish (SUCCEEDED, spool lost) still wants its chart; only a cancel stops the series.
            async () => !this.c.store || (await this.c.store.get(e.id))?.state !== 'CANCELLED',
          )
        : undefined;
    const summary = await collectResults(this.c.engine, engineId, spoolPaths(this.c.resultsDir, e.id), {
      topRows: this.c.topRows,
      annotate: this.c.annotatorFor?.(e.command),
      ...(run ? (run.series ? { fixedSeries: run.series } : {}) : { series: builder }),
      onPage: () => this.renew(e.id),
      ...(watch && this.c.posted ? { select: watchSelector(watch, this.c.posted, e) } : {}),
    });
    return { summary, ...(run?.cost ? { seriesCost: run.cost } : {}) };
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
      await pollPause(this.c, engineId, delay);
      delay = nextPollDelay(this.c.poll, delay);
    }
    return this.collect(e, engineId);
  }
}
