/**
 * Child process of the engine bench: runs ONE question on a fresh DuckDbEngine and reports, over IPC, its resident
 * set size before the query (Node + DuckDB loaded, instance created) and its peak after. A separate process is the
 * only way to see one query's peak: `maxRSS` is a high-water mark for the whole process lifetime.
 *
 * With a fourth argument `convert` (bench/cache-load.ts), the columnar cache's conversion of every closed day of the
 * data folder is started (`warm`, as `trail cache warm` does) just before the question, on a cache of its own in a
 * temporary folder: the question itself still reads the raw files, as without it. The conversion runs where the bot
 * runs it, in the cache's child process (convert-worker.ts), so this process's peak is the answer's beside a running
 * conversion, and the child's own peak (`maxRSS`, which it reports with each partition) is reported next to it: the
 * machine holds both. The report then says what the conversion did meanwhile.
 *
 * Usage (by bench/engine.ts, bench/cache-load.ts): node --import tsx bench/rss-probe.ts <data dir> <question> <now ISO> [convert]
 */

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseRequest } from '../commands';
import { DuckDbEngine, discoverLogFiles } from '../src/engines/duckdb';
import { ColumnarCache } from '../src/engines/duckdb/cache';
import { quietKnownWarnings } from '../src/util/quiet-warnings';
import { awaitQuery, benchConfig } from './engine';

async function probe(): Promise<void> {
  const [dataDir, text, nowIso, mode] = process.argv.slice(2);
  if (!dataDir || !text || !nowIso) throw new Error('usage: rss-probe.ts <data dir> <question> <now ISO>');
  const { readFile } = await import('node:fs/promises');
  const manifest = JSON.parse(await readFile(`${dataDir}/sample-manifest.json`, 'utf8'));
  const config = benchConfig({ dir: dataDir, manifest, generated: false });
  const request = parseRequest(text, { config, now: new Date(nowIso) });
  if (request.kind !== 'query') throw new Error(`${text} is not a query`);
  const engine = new DuckDbEngine({ dataDir });
  // Load DuckDB and create the instance with a trivial question first, so the baseline includes them.
  const warm = parseRequest('recent 1m', { config, now: new Date(nowIso) });
  if (warm.kind !== 'query') throw new Error('recent is not a query');
  await drain(engine, await engine.start(warm.query, { executionId: 'probe-warm' }));
  const conversion = mode === 'convert' ? await conversionBeside(dataDir, request.query.partitions, nowIso) : undefined;
  const baselineBytes = process.resourceUsage().maxRSS * 1024;
  conversion?.start();
  const began = performance.now();
  await drain(engine, await engine.start(request.query, { executionId: 'probe' }));
  const elapsed = performance.now() - began;
  const peakBytes = process.resourceUsage().maxRSS * 1024;
  const during = conversion?.info();
  await engine.close();
  const childPeakBytes = await conversion?.close();
  process.send?.({
    baselineBytes,
    peakBytes,
    ms: elapsed,
    ...(during ? { conversion: { ...during, childPeakBytes: childPeakBytes ?? 0 } } : {}),
  });
}

/** What the conversion did while the question ran (`convert` mode). */
export interface ProbeConversion {
  /** Partitions converted while the question ran, and those still queued when it ended. */
  converted: number;
  pendingAtEnd: number;
  /** Whether `warm` returned before the question's answer was read. */
  finishedFirst: boolean;
  /**
   * The conversion process's peak resident set (its `maxRSS`) over the partitions it converted until the question
   * ended, the one under way then included (closing the cache lets it finish).
   */
  childPeakBytes: number;
}

/**
 * A columnar cache of its own over the question's days, with its files discovered beforehand (so the discovery's
 * allocations are in the baseline, as the warm-up's are); `start` queues and converts every closed day of them.
 */
async function conversionBeside(dataDir: string, partitions: readonly string[], nowIso: string) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'trailbot-bench-probe-cache-'));
  // A day after the sample's end: every day of it is closed.
  const dayAfter = new Date(Date.parse(nowIso) + 86_400_000);
  const cache = new ColumnarCache({ dir, dataDir, now: () => dayAfter, logger: (m) => process.stderr.write(`${m}\n`) });
  const { files } = await discoverLogFiles(dataDir, { partitions });
  let finished = false;
  let warming: Promise<unknown> | undefined;
  return {
    start() {
      warming = cache.warm(files.filter((f) => f.layout === 's3')).then(() => (finished = true));
    },
    info(): Omit<ProbeConversion, 'childPeakBytes'> {
      const status = cache.status();
      return { converted: status.partitions, pendingAtEnd: status.pending, finishedFirst: finished };
    },
    /** Stops the conversion after the partition under way; returns the conversion process's peak resident set. */
    async close(): Promise<number> {
      await cache.close();
      await warming?.catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      return cache.converterProcess.peakRssBytes;
    },
  };
}

async function drain(engine: DuckDbEngine, id: string): Promise<void> {
  const status = await awaitQuery(engine, id);
  if (status.state !== 'SUCCEEDED') throw new Error(`${status.state}: ${status.reason ?? ''}`);
  for await (const _page of engine.results(id)) {
    // every page is read, as the runner does
  }
}

quietKnownWarnings();
probe().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`rss probe failed: ${String(err)}\n`);
    process.exit(1);
  },
);
