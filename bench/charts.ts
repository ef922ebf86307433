/**
 * The charts' benchmark (issue 17): a 30-day hourly series (720 buckets) built from 100,000 result rows and drawn as
 * a PNG, against baselines measured in the same run: the same series serialised to CSV, and the rows written as the
 * CSV every answer already produces. Times are medians of alternated repetitions in this process; memory is the peak
 * RSS delta of each task in a fresh child process (`maxRSS` is a high-water mark for a process's whole life, so one
 * process per figure).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { renderChart, seriesBuilder } from '../src/charts';
import type { TimeSeries } from '../src/core/publisher';
import { isOffHours as offHoursIn } from '../src/time/window';
import { csvRecord } from '../src/util/csv';
import type { TargetLine } from './engine';
import { BENCH_NOW, type BenchOptions, bytesText, count, median, ms, peakRssBytes, ratio, textTable } from './lib';

const DAYS = 30;
const ROWS = 100_000;
const COLUMNS = ['eventtime', 'eventname', 'eventsource', 'principal_arn', 'sourceipaddress', 'awsregion', 'eventid'];
const WINDOW = { start: new Date(BENCH_NOW.getTime() - DAYS * 86_400_000), end: BENCH_NOW };
const SPEC = { timeColumn: 'eventtime', bucket: 'hour' as const, rows: 'events' };

export interface ChartsReport {
  rows: number;
  buckets: number;
  repeats: number;
  pngBytes: number;
  /** Medians, ms. */
  buildMs: number;
  /** The same with every row's off-hours judged in a zone (as `logins` charts it). */
  buildMarkedMs: number;
  renderMs: number;
  seriesCsvMs: number;
  rowsCsvMs: number;
  /** Medians of the per-repetition ratios. */
  renderVsSeriesCsv: number;
  chartVsRowsCsv: number;
  rss: { chartDeltaBytes: number; rowsCsvDeltaBytes: number };
  tables: string[];
}

/** 100,000 CloudTrail-shaped result rows over 30 days, busier in working hours, newest first (deterministic). */
function makeRows(): string[][] {
  const rows: string[][] = [];
  let x = 42;
  const span = WINDOW.end.getTime() - WINDOW.start.getTime();
  while (rows.length < ROWS) {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    const ms = WINDOW.start.getTime() + Math.floor((x / 2 ** 31) * span);
    const hour = new Date(ms).getUTCHours();
    if (hour < 7 && x % 4 !== 0) continue;
    const i = rows.length;
    rows.push([
      new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ['DescribeInstances', 'AssumeRole', 'GetObject', 'ConsoleLogin'][i % 4]!,
      'ec2.amazonaws.com',
      `arn:aws:iam::111122223333:user/user${i % 97}`,
      `198.51.100.${i % 250}`,
      'us-east-1',
      `0000${i}-aaaa-bbbb-cccc-dddddddddddd`,
    ]);
  }
  // Newest first, as the per-event templates return them (ORDER BY eventtime DESC).
  return rows.sort((a, b) => (a[0]! < b[0]! ? 1 : a[0]! > b[0]! ? -1 : 0));
}

/** The configuration's own off-hours test, as the wiring hands it to the builder (a zone with DST, a range over midnight). */
const OFF_HOURS = { start: '22:00', end: '06:00', weekends: true };
const isOffHours = (t: Date) => offHoursIn(t, OFF_HOURS, 'Europe/Berlin');

function buildSeries(rows: readonly string[][], markOffHours = false): TimeSeries {
  const builder = seriesBuilder({ ...SPEC, markOffHours }, { window: WINDOW, isOffHours });
  const index = new Map(COLUMNS.map((c, i) => [c, i]));
  for (const row of rows) {
    builder.add((c) => {
      const i = index.get(c);
      return i === undefined ? null : (row[i] ?? null);
    });
  }
  return builder.finish();
}

function seriesCsv(series: TimeSeries): string {
  const start = Date.parse(series.start);
  const lines = [csvRecord(['bucket_start', 'rows', 'marked'])];
  series.counts.forEach((n, i) => {
    const at = new Date(start + i * 3_600_000).toISOString();
    lines.push(csvRecord([at, String(n), String(series.marked?.[i] ?? 0)]));
  });
  return lines.join('');
}

/** The rows as the runner spools them: RFC 4180 records, header first (kept in memory here: no disk noise). */
function rowsCsv(rows: readonly string[][]): number {
  let bytes = csvRecord(COLUMNS).length;
  for (const row of rows) bytes += csvRecord(row).length;
  return bytes;
}

function timed<T>(f: () => T): { ms: number; value: T } {
  const began = performance.now();
  const value = f();
  return { ms: performance.now() - began, value };
}

export async function runChartsBench(options: BenchOptions, say: (line: string) => void): Promise<ChartsReport> {
  const rows = makeRows();
  const repeats = Math.max(5, options.repeats * 2);
  // Warm-up: the first render loads the font files and the native renderer.
  const warm = buildSeries(rows);
  const pngBytes = renderChart(warm, { title: '/trail recent 30d', markedLabel: 'off-hours' }).png.length;
  rowsCsv(rows);
  const build: number[] = [];
  const buildMarked: number[] = [];
  const render: number[] = [];
  const sCsv: number[] = [];
  const rCsv: number[] = [];
  const renderVsSeriesCsv: number[] = [];
  const chartVsRowsCsv: number[] = [];
  say(`charts: ${count(rows.length)} rows → ${warm.counts.length} hourly buckets, ${repeats} alternated repetitions`);
  for (let k = 0; k < repeats; k++) {
    // Alternate the order so drift on a shared machine falls on both sides.
    const first = k % 2 === 0;
    const r1 = first ? timed(() => rowsCsv(rows)) : undefined;
    const b = timed(() => buildSeries(rows));
    buildMarked.push(timed(() => buildSeries(rows, true)).ms);
    const c = timed(() => seriesCsv(b.value));
    const p = timed(() => renderChart(b.value, { title: '/trail recent 30d', markedLabel: 'off-hours' }));
    const r = r1 ?? timed(() => rowsCsv(rows));
    build.push(b.ms);
    render.push(p.ms);
    sCsv.push(c.ms);
    rCsv.push(r.ms);
    renderVsSeriesCsv.push(p.ms / c.ms);
    chartVsRowsCsv.push((b.ms + p.ms) / r.ms);
  }
  const chartRss = await probe('chart');
  const csvRss = await probe('rows-csv');
  const report: ChartsReport = {
    rows: rows.length,
    buckets: warm.counts.length,
    repeats,
    pngBytes,
    buildMs: median(build),
    buildMarkedMs: median(buildMarked),
    renderMs: median(render),
    seriesCsvMs: median(sCsv),
    rowsCsvMs: median(rCsv),
    renderVsSeriesCsv: median(renderVsSeriesCsv),
    chartVsRowsCsv: median(chartVsRowsCsv),
    rss: { chartDeltaBytes: chartRss, rowsCsvDeltaBytes: csvRss },
    tables: [],
  };
  report.tables = chartsTables(report);
  return report;
}

export function chartsTables(r: ChartsReport): string[] {
  return [
    `Charts: a ${DAYS}-day hourly series (${r.buckets} buckets) from ${count(r.rows)} rows, PNG ${bytesText(r.pngBytes)}; medians of ${r.repeats} alternated repetitions; RSS = peak delta of the task in a fresh process`,
    textTable(
      ['task', 'ms', 'RSS delta'],
      [
        ['series from the rows (builder)', ms(r.buildMs), '–'],
        ['  the same, off-hours marked (Europe/Berlin)', ms(r.buildMarkedMs), '–'],
        ['SVG + PNG of the series', ms(r.renderMs), '–'],
        ['series + PNG (the whole chart)', ms(r.buildMs + r.renderMs), bytesText(r.rss.chartDeltaBytes)],
        ['baseline: the series as CSV', ms(r.seriesCsvMs), '–'],
        ['baseline: the rows as CSV (every answer)', ms(r.rowsCsvMs), bytesText(r.rss.rowsCsvDeltaBytes)],
      ],
    ),
    textTable(
      ['ratio', 'value'],
      [
        ['PNG render ÷ series CSV', ratio(r.renderVsSeriesCsv)],
        ['whole chart ÷ rows CSV (time)', ratio(r.chartVsRowsCsv)],
        ['whole chart ÷ rows CSV (RSS delta)', ratio(r.rss.chartDeltaBytes / Math.max(1, r.rss.rowsCsvDeltaBytes))],
      ],
    ),
  ];
}

/** Information only: the issue asks for the figures, and a chart has no cost it must stay under. */
export function chartsTargets(r: ChartsReport): TargetLine[] {
  return [
    {
      target: `a ${DAYS}-day hourly chart (series + PNG) against the answer's own CSV of the same ${count(r.rows)} rows`,
      figure: `${ratio(r.chartVsRowsCsv)} the time (${ms(r.buildMs + r.renderMs)} ms vs ${ms(r.rowsCsvMs)} ms); RSS delta ${bytesText(r.rss.chartDeltaBytes)} vs ${bytesText(r.rss.rowsCsvDeltaBytes)}`,
      met: undefined,
    },
    {
      target: 'the PNG render against serialising the same 720-point series to CSV',
      figure: `${ratio(r.renderVsSeriesCsv)} (${ms(r.renderMs)} ms vs ${ms(r.seriesCsvMs)} ms)`,
      met: undefined,
    },
  ];
}

/** Runs one task in a fresh process (this file with `--probe`) and returns its peak RSS delta. */
function probe(task: 'chart' | 'rows-csv'): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--probe', task], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let delta: number | undefined;
    child.on('message', (m) => {
      delta = (m as { deltaBytes: number }).deltaBytes;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0 && delta !== undefined) resolve(delta);
      else reject(new Error(`charts probe ${task} exited with ${code}`));
    });
  });
}

/** In the child: the rows exist and every module is loaded before the baseline; then the one task runs. */
async function runProbe(task: string): Promise<void> {
  const rows = makeRows();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'trailbot-charts-bench-'));
  const baseline = peakRssBytes();
  if (task === 'chart') {
    renderChart(buildSeries(rows), { title: '/trail recent 30d', markedLabel: 'off-hours' });
  } else {
    // As the runner spools an answer: a file stream, waiting for drain.
    const out = createWriteStream(path.join(dir, 'rows.csv'));
    out.write(csvRecord(COLUMNS));
    for (const row of rows) if (!out.write(csvRecord(row))) await once(out, 'drain');
    out.end();
    await once(out, 'close');
  }
  const deltaBytes = peakRssBytes() - baseline;
  await rm(dir, { recursive: true, force: true });
  process.send?.({ deltaBytes });
}

if (require.main === module && process.argv[2] === '--probe') {
  runProbe(process.argv[3] ?? '').then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`charts probe failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
