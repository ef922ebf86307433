/**
 * The columnar cache's benchmark (issue 16): for every engine case, the hand-written DuckDB query over the raw files
 * against trailbot cold (raw files, as a first question reads them) and warm (the same days from the Parquet cache),
 * measured side by side, alternating, in one run. Also the bytes read from the cache against the raw gzip bytes of
 * the same days, the cache's size, the conversion's time, and `root 30d` warm on the first-run sample
 * (`npm start`'s 30 days × 2,000 events). The hand-written queries run in a child process (bench/hand-worker.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseRequest } from '../commands';
import type { BoundQuery } from '../src/core/query';
import { discoverLogFiles } from '../src/engines/duckdb';
import { ColumnarCache } from '../src/engines/duckdb/cache';
import { DuckDbEngine } from '../src/engines/duckdb/engine';
import {
  benchConfig,
  engineCases,
  handCacheSql,
  handSql,
  runTrailbot,
  type TargetLine,
  type Timed,
  type TrailbotRun,
} from './engine';
import {
  BENCH_NOW,
  type BenchOptions,
  bytesText,
  count,
  ensureBenchData,
  geomean,
  median,
  ms,
  ratio,
  textTable,
} from './lib';
import { forkChild, nextMessage } from './slack';

const DAY_AFTER = new Date(BENCH_NOW.getTime() + 24 * 3600_000);

export const CACHE_TARGETS = { minWarmSpeedup: 20, maxColdRatio: 1.25, maxBytesFraction: 0.1, rootWarmMs: 1000 };

export interface CacheCaseResult {
  label: string;
  partitions: number;
  handMedianMs: number;
  /** The hand-written query over the cached days' Parquet files (handCacheSql). */
  handCacheMedianMs: number;
  coldMedianMs: number;
  warmMedianMs: number;
  /** hand ÷ warm, median of the pairs. */
  warmSpeedup: number;
  /** hand ÷ hand over the cache: the most a question over the cached files gained, median of the pairs. */
  handCacheSpeedup: number;
  /** warm ÷ hand over the cache: what trailbot adds to the least the same files cost, median of the pairs. */
  warmOverCacheHand: number;
  /** cold ÷ hand, median of the pairs. */
  coldRatio: number;
  rawBytes: number;
  cachedBytes: number;
  cachedPartitions: number;
  rowsMatch: boolean;
}

export interface CacheReport {
  events: number;
  rawBytes: number;
  cacheBytes: number;
  convertMs: number;
  partitions: number;
  cases: CacheCaseResult[];
  root: { events: number; warmMs: number; coldMs: number; cachedPartitions: number };
  tables: string[];
}

async function convertAll(engine: DuckDbEngine, queries: readonly BoundQuery[]): Promise<number> {
  // A question per case plans its days; the conversion then runs as it would after the answers, with nothing waiting.
  for (const q of queries) await runTrailbot(engine, { ...q, noCache: false }, 'plan');
  const began = performance.now();
  await engine.convertCache();
  return performance.now() - began;
}

export async function runCacheBench(options: BenchOptions, say: (line: string) => void): Promise<CacheReport> {
  const spec = { eventsPerDay: options.eventsPerDay, days: options.days, seed: options.seed };
  const data = await ensureBenchData(spec, options.dataDir, say);
  const config = benchConfig(data);
  // Every template over 7 days, and the 30-day questions: repeat questions over days that are closed. (A 12-hour
  // question about the last hours reads today's open folders raw, as a first question does.)
  const seen = new Set<string>();
  const cases = engineCases(data, config.knownNetworks)
    .map((c) =>
      c.label.endsWith('30d') ? c : { ...c, label: c.label.replace(/\S+$/, '7d'), text: c.text.replace(/\S+$/, '7d') },
    )
    .filter((c) => !seen.has(c.label) && seen.add(c.label));
  const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'trailbot-bench-cache-'));
  // The cache's clock is a day after the sample ends, so every day of it is closed: an investigation the day after,
  // or on exported logs. The questions' windows still end at the sample's end.
  const cache = new ColumnarCache({ dir: cacheDir, dataDir: data.dir, now: () => DAY_AFTER, logger: say });
  const engine = new DuckDbEngine({ dataDir: data.dir, cache, logger: (m) => say(`  engine: ${m}`) });
  const results: CacheCaseResult[] = [];
  // The hand-written queries run in a process of their own (bench/hand-worker.ts says why).
  const hand = await HandWorker.start();
  const runHand = (sql: string) => hand.timed('raw', sql);
  const runHandCache = (sql: string) => hand.timed('cache', sql);
  try {
    const queries = cases.map((c) => {
      const r = parseRequest(c.text, { config, now: BENCH_NOW });
      if (r.kind !== 'query') throw new Error(`bench: ${c.text} is not a query`);
      return r.query;
    });
    say('converting the days the questions read …');
    const convertMs = await convertAll(engine, queries);
    const status = cache.status();
    say(
      `  ${status.partitions} day partitions in ${ms(convertMs)} ms: ${bytesText(status.bytes)} Parquet from ${bytesText(status.sourceBytes)} gzip JSON`,
    );
    for (const [i, c] of cases.entries()) {
      const query = queries[i]!;
      const { files: found } = await discoverLogFiles(data.dir, { partitions: query.partitions });
      const files = found.filter((f) => f.layout === 's3');
      const sql = handSql(c.hand, files, query);
      const plan = cache.plan(files);
      // Every day of the window is cached (convertAll), or the third side would answer over fewer days than the others.
      if (plan.raw.length > 0) throw new Error(`bench: ${c.label} has ${plan.raw.length} files no cached day holds`);
      const cacheSql = handCacheSql(
        c.hand,
        plan.cached.map((p) => p.parquet),
        query,
      );
      const cold = { ...query, noCache: true };
      await runTrailbot(engine, query, c.label);
      await runHand(sql);
      await runHandCache(cacheSql);
      // Untimed: the two hand-written sides give the same rows, not only as many (both are DuckDB, same SELECT list).
      const sameHandRows = (await hand.rowsText(sql)) === (await hand.rowsText(cacheSql));
      const repeats = query.partitions.length > 8 ? Math.min(3, options.repeats) : options.repeats;
      const h: Timed[] = [];
      const hc: Timed[] = [];
      const w: TrailbotRun[] = [];
      const k: TrailbotRun[] = [];
      const speedups: number[] = [];
      const coldRatios: number[] = [];
      const cacheSpeedups: number[] = [];
      const overheads: number[] = [];
      for (let r = 0; r < repeats; r++) {
        const order = r % 2 === 0;
        const hand = order ? await runHand(sql) : undefined;
        const handCache = order ? await runHandCache(cacheSql) : undefined;
        const warm = await runTrailbot(engine, query, c.label);
        const handCacheRun = handCache ?? (await runHandCache(cacheSql));
        const coldRun = await runTrailbot(engine, cold, c.label);
        const handRun = hand ?? (await runHand(sql));
        h.push(handRun);
        hc.push(handCacheRun);
        cacheSpeedups.push(handRun.ms / handCacheRun.ms);
        overheads.push(warm.ms / handCacheRun.ms);
        w.push(warm);
        k.push(coldRun);
        speedups.push(handRun.ms / warm.ms);
        coldRatios.push(coldRun.ms / handRun.ms);
      }
      const warmStatus = w[0]!;
      const result: CacheCaseResult = {
        label: c.label,
        partitions: query.partitions.length,
        handMedianMs: median(h.map((x) => x.ms)),
        handCacheMedianMs: median(hc.map((x) => x.ms)),
        handCacheSpeedup: median(cacheSpeedups),
        warmOverCacheHand: median(overheads),
        coldMedianMs: median(k.map((x) => x.ms)),
        warmMedianMs: median(w.map((x) => x.ms)),
        warmSpeedup: median(speedups),
        coldRatio: median(coldRatios),
        rawBytes: k[0]!.bytesScanned,
        cachedBytes: warmStatus.bytesScanned,
        cachedPartitions: warmStatus.cachedPartitions ?? 0,
        rowsMatch:
          warmStatus.rows === k[0]!.rows &&
          warmStatus.rows === h[0]!.rows &&
          warmStatus.rows === hc[0]!.rows &&
          sameHandRows,
      };
      results.push(result);
      say(
        `  ${c.label.padEnd(28)} hand ${ms(result.handMedianMs).padStart(6)} ms  cold ${ms(result.coldMedianMs).padStart(6)} ms  warm ${ms(result.warmMedianMs).padStart(6)} ms  hand/cache ${ms(result.handCacheMedianMs).padStart(5)} ms  ${ratio(result.warmSpeedup)} faster warm`,
      );
    }
    const root = await rootOnSample(say);
    const report: CacheReport = {
      events: data.manifest.totalEvents,
      rawBytes: status.sourceBytes,
      cacheBytes: status.bytes,
      convertMs,
      partitions: status.partitions,
      cases: results,
      root,
      tables: [],
    };
    report.tables = cacheTables(report);
    return report;
  } finally {
    hand.close();
    await engine.close();
    await rm(cacheDir, { recursive: true, force: true });
  }
}

/** The hand-written side of the bench in its own process (bench/hand-worker.ts), one query at a time. */
class HandWorker {
  private next = 0;
  private constructor(private readonly child: ReturnType<typeof forkChild>) {}

  static async start(): Promise<HandWorker> {
    const child = forkChild('hand-worker.ts', []);
    await nextMessage(child, 'ready', 60_000);
    return new HandWorker(child);
  }

  /** The query's time (taken in the worker, around the query and its fetch only) and its number of rows. */
  async timed(kind: 'raw' | 'cache', sql: string): Promise<Timed> {
    const answer = await this.ask<{ ms: number; rows: number }>(kind, sql);
    return { ms: answer.ms, rows: answer.rows };
  }

  /** The rows of a query over the cache's connection as one text (JSON values, in the query's order). */
  async rowsText(sql: string): Promise<string> {
    return (await this.ask<{ text: string }>('rows', sql)).text;
  }

  close(): void {
    this.child.disconnect();
  }

  private async ask<T>(kind: 'raw' | 'cache' | 'rows', sql: string): Promise<T> {
    const id = this.next++;
    const answer = nextMessage<T & { id: number; error?: string }>(this.child, 'answer', 600_000);
    this.child.send({ id, kind, sql });
    const got = await answer;
    if (got.id !== id) throw new Error(`hand worker answered ${got.id} for ${id}`);
    if (got.error) throw new Error(`hand-written query failed: ${got.error}`);
    return got;
  }
}

/** `root 30d` on the first-run sample (`npm start`'s data: 30 days × 2,000 events, thousands of small files). */
async function rootOnSample(say: (line: string) => void): Promise<CacheReport['root']> {
  const data = await ensureBenchData({ eventsPerDay: 2000, days: 30, seed: 7 }, undefined, say);
  const config = benchConfig(data);
  const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'trailbot-bench-cache-'));
  const cache = new ColumnarCache({ dir: cacheDir, dataDir: data.dir, now: () => DAY_AFTER, logger: say });
  const engine = new DuckDbEngine({ dataDir: data.dir, cache, logger: () => {} });
  try {
    const r = parseRequest('root 30d', { config, now: BENCH_NOW });
    if (r.kind !== 'query') throw new Error('root is a query');
    // The first question reads the raw files (and plans its days for the cache), as on a fresh `npm start`.
    const cold = await runTrailbot(engine, r.query, 'root-cold');
    await engine.convertCache();
    await runTrailbot(engine, r.query, 'root-warm');
    const warm: TrailbotRun[] = [];
    for (let i = 0; i < 5; i++) warm.push(await runTrailbot(engine, r.query, 'root-warm'));
    const result = {
      events: data.manifest.totalEvents,
      coldMs: cold.ms,
      warmMs: median(warm.map((x) => x.ms)),
      cachedPartitions: warm[0]!.cachedPartitions ?? 0,
    };
    say(`  root 30d on the first-run sample: cold ${ms(result.coldMs)} ms, warm ${ms(result.warmMs)} ms`);
    return result;
  } finally {
    await engine.close();
    await rm(cacheDir, { recursive: true, force: true });
  }
}

export function cacheTables(r: CacheReport): string[] {
  const rows = r.cases.map((c) => [
    c.label,
    String(c.partitions),
    ms(c.handMedianMs),
    ms(c.coldMedianMs),
    ms(c.warmMedianMs),
    ms(c.handCacheMedianMs),
    ratio(c.coldRatio),
    ratio(c.warmSpeedup),
    ratio(c.handCacheSpeedup),
    ratio(c.warmOverCacheHand),
    bytesText(c.rawBytes),
    bytesText(c.cachedBytes),
    c.rawBytes > 0 ? `${((100 * c.cachedBytes) / c.rawBytes).toFixed(1)}%` : '–',
    c.rowsMatch ? 'yes' : 'NO',
  ]);
  return [
    `Columnar cache: ${count(r.events)} events; ${r.partitions} day partitions converted in ${ms(r.convertMs)} ms; ` +
      `cache ${bytesText(r.cacheBytes)} for ${bytesText(r.rawBytes)} of gzip JSON (${((100 * r.cacheBytes) / r.rawBytes).toFixed(1)}%)`,
    textTable(
      [
        'question',
        'days',
        'hand ms',
        'cold ms',
        'warm ms',
        'hand/cache ms',
        'cold/hand',
        'hand/warm',
        'hand/(hand/cache)',
        'warm/(hand/cache)',
        'raw read',
        'cache read',
        'read %',
        'same rows',
      ],
      rows,
    ),
    `root 30d on the first-run sample (${count(r.root.events)} events): cold ${ms(r.root.coldMs)} ms, warm ${ms(r.root.warmMs)} ms (${r.root.cachedPartitions} cached partitions)`,
  ];
}

export function cacheTargets(r: CacheReport): TargetLine[] {
  const speedups = r.cases.map((c) => c.warmSpeedup);
  const slowest = r.cases.reduce((a, b) => (b.warmSpeedup < a.warmSpeedup ? b : a));
  const cacheBound = r.cases.reduce((a, b) => (b.handCacheSpeedup < a.handCacheSpeedup ? b : a));
  const costliest = r.cases.reduce((a, b) => (b.warmOverCacheHand > a.warmOverCacheHand ? b : a));
  const coldWorst = r.cases.reduce((a, b) => (b.coldRatio > a.coldRatio ? b : a));
  const thirty = r.cases.filter((c) => c.label.endsWith('30d'));
  const worstBytes = thirty.reduce((a, b) => (b.cachedBytes / b.rawBytes > a.cachedBytes / a.rawBytes ? b : a));
  return [
    {
      target: `warm repeat question ≥ ${CACHE_TARGETS.minWarmSpeedup}× faster than the hand-written query over raw files, every template`,
      figure: `slowest ${slowest.label} ${ratio(slowest.warmSpeedup)}; geomean ${ratio(geomean(speedups))}`,
      met: slowest.warmSpeedup >= CACHE_TARGETS.minWarmSpeedup,
    },
    {
      target:
        'the same hand-written queries over the cached Parquet files (the most any question over them gains); trailbot warm against them',
      figure: `hand/(hand over cache) lowest ${cacheBound.label} ${ratio(cacheBound.handCacheSpeedup)}, geomean ${ratio(geomean(r.cases.map((c) => c.handCacheSpeedup)))}; trailbot warm ÷ hand over cache: median ${ratio(median(r.cases.map((c) => c.warmOverCacheHand)))}, worst ${costliest.label} ${ratio(costliest.warmOverCacheHand)}`,
      met: undefined,
    },
    {
      target: `first question (cold) ≤ ${CACHE_TARGETS.maxColdRatio}× the hand-written query`,
      figure: `worst ${coldWorst.label} ${ratio(coldWorst.coldRatio)}; median ${ratio(median(r.cases.map((c) => c.coldRatio)))}`,
      met: coldWorst.coldRatio <= CACHE_TARGETS.maxColdRatio,
    },
    {
      target: `bytes read by each 30-day question from the cache ≤ ${CACHE_TARGETS.maxBytesFraction * 100}% of the raw gzip bytes`,
      figure: `worst ${worstBytes.label} ${((100 * worstBytes.cachedBytes) / worstBytes.rawBytes).toFixed(1)}%`,
      met: thirty.every((c) => c.cachedBytes <= c.rawBytes * CACHE_TARGETS.maxBytesFraction),
    },
    {
      target: 'cache size ≤ the gzip size of the same days',
      figure: `${bytesText(r.cacheBytes)} for ${bytesText(r.rawBytes)}`,
      met: r.cacheBytes <= r.rawBytes,
    },
    {
      target: `root 30d on the first-run sample under ${CACHE_TARGETS.rootWarmMs} ms warm`,
      figure: `${ms(r.root.warmMs)} ms (cold ${ms(r.root.coldMs)} ms)`,
      met: r.root.warmMs < CACHE_TARGETS.rootWarmMs,
    },
    {
      target:
        'same answers: as many rows warm, cold and from both hand-written queries, and the same rows from the hand-written query over the raw files and over the cache',
      figure: `${r.cases.filter((c) => c.rowsMatch).length} of ${r.cases.length} questions`,
      met: r.cases.every((c) => c.rowsMatch),
    },
  ];
}
