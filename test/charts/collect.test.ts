import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seriesFrom } from '../../src/app';
import { bucketLabel, seriesBuilder } from '../../src/charts/series';
import type { ExecutionRecord } from '../../src/core/execution';
import { collectResults, readSpooledSummary, spoolPaths } from '../../src/runner/collect';
import { testConfig } from '../helpers/config';
import { ScriptedEngine } from '../helpers/scripted-engine';

const WINDOW = { start: '2026-11-30T00:00:00.000Z', end: '2026-11-30T06:00:00.000Z' };

/** Just what seriesFrom reads of an execution: its command and its window. */
const executionOf = (command: string) =>
  ({
    command,
    query: { window: { ...WINDOW, label: '6h', partitions: ['2026/11/30'] } },
  }) as unknown as ExecutionRecord;

describe('the runner feeds a chart while it collects', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'trail-chart-collect-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('every row of every page is counted once, and the spooled summary keeps the series for a republish', async () => {
    const engine = new ScriptedEngine();
    engine.columns = ['username', 'eventtime'];
    const times = [
      '2026-11-30T00:05:00Z',
      '2026-11-30T00:59:59Z',
      '2026-11-30T02:00:00Z',
      '2026-11-30T02:30:00Z',
      '2026-11-30T02:45:00Z',
      '2026-11-30T05:59:59Z',
      null,
    ];
    engine.rows = times.map((t, i) => [`user${i}`, t]);
    engine.pageSize = 3;
    const id = await engine.start({} as never, { executionId: 'e1' });
    const files = spoolPaths(dir, 'e1');
    const series = seriesBuilder(
      { timeColumn: 'eventtime', bucket: 'hour', rows: 'sign-ins' },
      { window: { start: new Date(WINDOW.start), end: new Date(WINDOW.end) } },
    );
    const summary = await collectResults(engine, id, files, { series });
    expect(summary.totalRows).toBe(7);
    expect(summary.series?.counts).toEqual([2, 0, 3, 0, 0, 1]);
    expect(summary.series?.skipped).toBe(1);
    expect(summary.series && bucketLabel(summary.series, 2)).toBe('2026-11-30 02:00');
    expect((await readSpooledSummary(files))?.series).toEqual(summary.series);
  });

  test('without a builder the summary has no series', async () => {
    const engine = new ScriptedEngine();
    const id = await engine.start({} as never, { executionId: 'e2' });
    const summary = await collectResults(engine, id, spoolPaths(dir, 'e2'));
    expect(summary).not.toHaveProperty('series');
  });
});

describe('which answers get a chart (src/app.ts binds the catalog)', () => {
  const config = testConfig({ timeZone: 'UTC', offHours: { start: '00:00', end: '05:00', weekends: false } });
  const feed = (command: string, times: string[]) => {
    const builder = seriesFrom(config)(executionOf(command));
    for (const t of times) builder?.add((c) => (c === 'eventtime' ? t : null));
    return builder?.finish();
  };

  test('logins: sign-ins per hour over the window, those at off-hours (TRAIL_OFFHOURS) marked', () => {
    const series = feed('logins', ['2026-11-30T04:59:00Z', '2026-11-30T05:00:00Z', '2026-11-30T05:10:00Z']);
    expect(series).toMatchObject({ bucket: 'hour', rows: 'sign-ins', start: WINDOW.start });
    expect(series?.counts).toEqual([0, 0, 0, 0, 1, 2]);
    expect(series?.marked).toEqual([0, 0, 0, 0, 1, 0]);
  });

  test('recent reaching its 200-row cap says where its rows stop; 199 rows do not', () => {
    const minutes = (n: number) =>
      Array.from({ length: n }, (_, i) => new Date(Date.parse(WINDOW.end) - (i + 1) * 60_000).toISOString());
    expect(feed('recent', minutes(200))?.cappedBefore).toBe(minutes(200).at(-1));
    expect(feed('recent', minutes(199))).not.toHaveProperty('cappedBefore');
  });

  test('recent: events per minute; user, who, ip and sg per hour; aggregated answers and controls get none', () => {
    expect(feed('recent', [])).toMatchObject({ bucket: 'minute', rows: 'events' });
    expect(feed('recent', [])?.counts).toHaveLength(360);
    for (const command of ['user', 'who', 'ip', 'sg']) expect(feed(command, [])?.bucket).toBe('hour');
    // errors and root are drawn from their series query (BoundQuery.series), never from their rows (groups).
    for (const command of ['errors', 'users', 'root', 'status', 'help', 'nonsense']) {
      expect(seriesFrom(config)(executionOf(command))).toBeUndefined();
    }
  });

  test('errors and root with a series query: its rows are counts per bucket, weighted', () => {
    const withSeries = (command: string, bucket: 'hour' | 'day') => {
      const e = executionOf(command);
      return { ...e, query: { ...e.query, series: { bucket } } } as unknown as ExecutionRecord;
    };
    const errors = seriesFrom(config)(withSeries('errors', 'hour'))!;
    const rows: [string, number][] = [
      ['2026-11-30T00', 4],
      ['2026-11-30T03', 2],
      ['2026-11-30T05', 7],
      ['2026-11-30T06', 1],
      ['2026-11-30T03:00:00Z', 1],
    ];
    for (const [bucket, events] of rows) errors.add((c) => (c === 'bucket' ? bucket : null), events);
    // 06 is past the window's end and a full timestamp is no bucket: both skipped, not drawn.
    expect(errors.finish()).toMatchObject({ bucket: 'hour', rows: 'errors', counts: [4, 0, 0, 2, 0, 7], skipped: 2 });
    const root = seriesFrom(config)(withSeries('root', 'day'))!;
    root.add((c) => (c === 'bucket' ? '2026-11-30' : null), 3);
    expect(root.finish()).toMatchObject({ bucket: 'day', rows: 'root calls', counts: [3], skipped: 0 });
  });
});
