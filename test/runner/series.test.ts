import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { seriesFrom } from '../../src/app';
import { bucketStart } from '../../src/charts/series';
import type { QueryEngine } from '../../src/core/engine';
import type { ExecutionRecord } from '../../src/core/execution';
import type { TimeSeries } from '../../src/core/publisher';
import { DuckDbEngine } from '../../src/engines/duckdb';
import { dropSpool, Results } from '../../src/runner/collect';
import type { RunnerOptions } from '../../src/runner/context';
import { generateSampleData, sampleAccountIds } from '../../src/sample/generate';
import { context, NOW, querySubmission } from '../helpers/commands';
import { testConfig } from '../helpers/config';
import { RecordingPublisher } from '../helpers/recording-publisher';
import { ScriptedEngine } from '../helpers/scripted-engine';
import { runnerWorld, testRunner } from './helpers';

/**
 * Charts of answers whose rows are groups (issue 17, item 4): `errors` and `root` bind a series template next to the
 * answer, and the runner runs it through the same engine after the answer succeeds. Checked here on DuckDB over
 * generated logs against a recount of the raw records, and with a series query that fails or never finishes.
 */
type Rec = { eventTime: string; errorCode?: string | null; userIdentity?: { type?: string } };

const world = runnerWorld('trail-series-');
let dataDir: string;
let duck: DuckDbEngine;
let records: Rec[];

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'trail-series-data-'));
  await generateSampleData({
    outDir: dataDir,
    days: 31,
    eventsPerDay: 150,
    accounts: sampleAccountIds(1),
    regions: ['us-east-1', 'eu-west-1'],
    seed: 5,
    now: NOW,
  });
  duck = new DuckDbEngine({ dataDir, logger: () => {} });
  records = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (full.includes(`${path.sep}CloudTrail${path.sep}`) && name.endsWith('.json.gz')) {
        records.push(...(JSON.parse(gunzipSync(readFileSync(full)).toString('utf8')) as { Records: Rec[] }).Records);
      }
    }
  };
  walk(path.join(dataDir, 'AWSLogs'));
});
afterAll(async () => {
  await duck?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Runs `text` through a runner wired as src/app.ts wires it (seriesFrom), and returns what was published. */
async function ask(text: string, engine: QueryEngine = duck, seriesMaxMs?: number, more: Partial<RunnerOptions> = {}) {
  const { store } = await world.dynamo.newStore();
  const publisher = new RecordingPublisher();
  const runner = testRunner({
    engine,
    store,
    publisher,
    resultsDir: world.resultsDir,
    seriesFor: seriesFrom(testConfig()),
    ...(seriesMaxMs !== undefined ? { seriesMaxMs } : {}),
    ...more,
  });
  const outcome = await runner.submit(querySubmission(text, {}, context()));
  if (outcome.kind !== 'started') throw new Error(`not started: ${outcome.kind}`);
  const e = (await store.get(outcome.execution.id)) as ExecutionRecord;
  const summary = publisher.of('result', e.id)[0]?.summary;
  return { e, summary, publisher, runner };
}

/** The records' counts per bucket of `series`, recounted from the raw records (UTC text prefixes of eventTime). */
function recount(series: TimeSeries, e: ExecutionRecord, keep: (r: Rec) => boolean): number[] {
  const start = Date.parse(e.query.window.start);
  const end = Date.parse(e.query.window.end);
  const width = series.bucket === 'day' ? 10 : 13;
  const per = new Map<string, number>();
  for (const r of records) {
    const t = Date.parse(r.eventTime);
    if (t < start || t >= end || !keep(r)) continue;
    const key = r.eventTime.slice(0, width);
    per.set(key, (per.get(key) ?? 0) + 1);
  }
  return series.counts.map((_, i) => per.get(new Date(bucketStart(series, i)).toISOString().slice(0, width)) ?? 0);
}

const isError = (r: Rec) => typeof r.errorCode === 'string' && r.errorCode !== '';
const isRoot = (r: Rec) => r.userIdentity?.type === 'Root';

test('errors 48h: the chart is the errors per hour of the window, recounted from the records', async () => {
  const { e, summary } = await ask('errors 48h');
  expect(e.state).toBe('PUBLISHED');
  const series = summary?.series;
  expect(series).toMatchObject({ bucket: 'hour', rows: 'errors', skipped: 0 });
  expect(series!.counts).toHaveLength(48);
  const expected = recount(series!, e, isError);
  expect(expected.reduce((a, b) => a + b, 0)).toBeGreaterThan(10);
  expect(series!.counts).toEqual(expected);
  // The table's groups and the chart count the same errors: top 10 groups are at most all of them.
  const shown = summary!.topRows.map((r) => Number(r[summary!.columns.indexOf('total_events')]));
  expect(shown.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(expected.reduce((a, b) => a + b, 0));
});

test('root 30d: the chart is root calls per day, recounted from the records', async () => {
  const { e, summary } = await ask('root 30d');
  const series = summary?.series;
  expect(series).toMatchObject({ bucket: 'day', rows: 'root calls', skipped: 0 });
  const expected = recount(series!, e, isRoot);
  expect(expected.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  expect(series!.counts).toEqual(expected);
  // Every root call of the answer's groups is in the chart.
  const total = summary!.columns.indexOf('total_events');
  let rows = 0;
  for (const r of summary!.topRows) rows += Number(r[total]);
  expect(series!.counts.reduce((a, b) => a + b, 0)).toBe(rows);
});

test('errors 14d: beyond 7 days the errors are counted per day', async () => {
  const { e, summary } = await ask('errors 14d');
  expect(summary?.series?.bucket).toBe('day');
  expect(summary!.series!.counts).toEqual(recount(summary!.series!, e, isError));
});

/** DuckDB, except that the series query (its execution id ends in `-series`) is made to fail or hang. */
function sabotaged(how: 'fail-start' | 'fail' | 'hang'): QueryEngine & { cancelled: string[]; seriesStarts: number } {
  const seriesIds = new Set<string>();
  const engine = {
    kind: duck.kind,
    cancelled: [] as string[],
    seriesStarts: 0,
    async start(query: Parameters<QueryEngine['start']>[0], o: { executionId: string }) {
      if (!o.executionId.endsWith('-series')) return duck.start(query, o);
      engine.seriesStarts += 1;
      if (how === 'fail-start') throw new Error('engine refused the series');
      const id = await duck.start(query, o);
      seriesIds.add(id);
      return id;
    },
    async status(id: string) {
      if (!seriesIds.has(id)) return duck.status(id);
      if (how === 'fail') return { state: 'FAILED' as const, reason: 'boom', stats: { bytesScanned: 0, elapsedMs: 1 } };
      return { state: 'RUNNING' as const, stats: { bytesScanned: 0, elapsedMs: 1 } };
    },
    results: (id: string, o?: { pageSize?: number }) => duck.results(id, o),
    async cancel(id: string) {
      engine.cancelled.push(id);
      await duck.cancel(id);
    },
    release: (id: string) => duck.release?.(id) ?? Promise.resolve(),
  };
  return engine;
}

test.each(['fail-start', 'fail', 'hang'] as const)(
  'a series query that does %s: the answer is still published, without a chart',
  async (how) => {
    const engine = sabotaged(how);
    const { e, summary, publisher } = await ask('errors 48h', engine, 50);
    expect(engine.seriesStarts).toBe(1);
    expect(e.state).toBe('PUBLISHED');
    expect(e.error).toBeUndefined();
    expect(summary?.totalRows).toBeGreaterThan(0);
    expect(summary).not.toHaveProperty('series');
    expect(publisher.of('csv', e.id)).toHaveLength(1);
    // A series query that never ends is cancelled, not left running.
    expect(engine.cancelled.length > 0).toBe(how === 'hang');
  },
);

test('the series query’s bytes add to the answer’s', async () => {
  const reads: number[] = [];
  const counting: QueryEngine = {
    kind: duck.kind,
    start: (q, o) => duck.start(q, o),
    async status(id) {
      const s = await duck.status(id);
      if (s.state === 'SUCCEEDED') reads.push(s.stats.bytesScanned);
      return s;
    },
    results: (id, o) => duck.results(id, o),
    cancel: (id) => duck.cancel(id),
  };
  const { e } = await ask('root 30d', counting);
  expect(reads).toHaveLength(2);
  expect(reads.every((b) => b > 0)).toBe(true);
  expect(e.stats?.bytesScanned).toBe(reads[0]! + reads[1]!);
});

test('the cost pre-flight counts the series query’s scan: errors asks to confirm what one scan would not', async () => {
  const { store } = await world.dynamo.newStore();
  const publisher = new RecordingPublisher();
  const engine = new ScriptedEngine();
  engine.estimateBytes = 600_000;
  const runner = testRunner({
    engine,
    store,
    publisher,
    resultsDir: world.resultsDir,
    seriesFor: seriesFrom(testConfig()),
    cost: { confirmAboveBytes: 1_000_000 },
  });
  // recent has no series query: 600 kB, under the threshold; errors scans twice: 1.2 MB, over it.
  expect((await runner.submit(querySubmission('recent 48h', {}, context()))).kind).toBe('started');
  const errors = await runner.submit(querySubmission('errors 48h', {}, context()));
  expect(errors).toMatchObject({ kind: 'needs-confirmation', bytes: 1_200_000 });
  expect(publisher.of('notify').map((n) => n.text)).toEqual([
    expect.stringContaining(
      'would read about 1.2 MB from 3 days of logs (read twice: once for the answer, once for its chart)',
    ),
  ]);
});

test('Show next rows after the spool is gone refills the rows only: the series query is not run again', async () => {
  const starts: string[] = [];
  const watching: QueryEngine = {
    kind: duck.kind,
    start: (q, o) => {
      starts.push(o.executionId);
      return duck.start(q, o);
    },
    status: (id) => duck.status(id),
    results: (id, o) => duck.results(id, o),
    cancel: (id) => duck.cancel(id),
  };
  const { e, runner } = await ask('errors top 30 48h', watching, undefined, { spool: { deleteAfterPublish: true } });
  expect(starts.filter((id) => id.endsWith('-series'))).toHaveLength(1);
  const page = await runner.rowsOf(e, 0, 5);
  expect(page.rows.length).toBeGreaterThan(0);
  // The answer's rows were read again to refill the spool; its chart's query was not run again.
  expect(starts.filter((id) => id.endsWith('-series'))).toHaveLength(1);
});

test('cancelled while its chart is counted: the series query is cancelled too, and the cancellation is posted', async () => {
  const engine = sabotaged('hang');
  const { store } = await world.dynamo.newStore();
  const publisher = new RecordingPublisher();
  const runner = testRunner({
    engine,
    store,
    publisher,
    resultsDir: world.resultsDir,
    seriesFor: seriesFrom(testConfig()),
    // Far longer than the test: only the cancel can end the series' wait.
    seriesMaxMs: 600_000,
  });
  const running = runner.submit(querySubmission('errors 48h', {}, context()));
  while (engine.seriesStarts === 0) await new Promise((r) => setTimeout(r, 5));
  const [e] = await store.listByChannel('C1', 1);
  expect(await runner.cancel(e!.id, 'U9')).toBe(`Cancelled \`${e!.id}\`.`);
  await running;
  await runner.idle();
  expect(engine.cancelled).toHaveLength(2);
  expect(await store.get(e!.id)).toMatchObject({ state: 'PUBLISHED', cancelledBy: 'U9' });
  expect(publisher.of('failure', e!.id)).toHaveLength(1);
  expect(publisher.of('result', e!.id)).toEqual([]);
});

test('a republish whose spool was lost counts its chart again (the answer is SUCCEEDED, not cancelled)', async () => {
  const { e, summary } = await ask('errors 48h');
  await dropSpool(world.resultsDir, e.id);
  const results = new Results(
    {
      engine: duck,
      resultsDir: world.resultsDir,
      seriesFor: seriesFrom(testConfig()),
      store: { get: async () => ({ ...e, state: 'SUCCEEDED' }) },
      poll: { initialMs: 1, maxMs: 2, factor: 2 },
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    },
    async () => {},
  );
  const again = await results.summaryOf(e);
  expect(again.series).toEqual(summary?.series);
  expect(again.series?.counts.some((n) => n > 0)).toBe(true);
});
