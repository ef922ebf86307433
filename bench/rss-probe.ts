/**
 * Child process of the engine bench: runs ONE question on a fresh DuckDbEngine and reports, over IPC, its resident
 * set size before the query (Node + DuckDB loaded, instance created) and its peak after. A separate process is the
 * only way to see one query's peak: `maxRSS` is a high-water mark for the whole process lifetime.
 *
 * Usage (by bench/engine.ts): node --import tsx bench/rss-probe.ts <data dir> <question> <now ISO>
 */

import { parseRequest } from '../commands';
import { DuckDbEngine } from '../src/engines/duckdb';
import { quietKnownWarnings } from '../src/util/quiet-warnings';
import { awaitQuery, benchConfig } from './engine';

async function probe(): Promise<void> {
  const [dataDir, text, nowIso] = process.argv.slice(2);
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
  const baselineBytes = process.resourceUsage().maxRSS * 1024;
  const began = performance.now();
  await drain(engine, await engine.start(request.query, { executionId: 'probe' }));
  const elapsed = performance.now() - began;
  const peakBytes = process.resourceUsage().maxRSS * 1024;
  await engine.close();
  process.send?.({ baselineBytes, peakBytes, ms: elapsed });
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
