import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { bucketLabel } from '../../src/charts/series';
import { CHART_HEIGHT, CHART_WIDTH, niceCeiling, PLOT } from '../../src/charts/svg';
import { generateSampleData, sampleAccountIds } from '../../src/sample/generate';
import { parseCsv } from '../../src/util/csv';
import { eventually, type SlackBot, startSlackBot } from '../helpers/bot';
import { type DecodedPng, decodePng, pixelsOf } from './png';

const BAR: [number, number, number] = [0x3b, 0x6f, 0xb6];
const MARK: [number, number, number] = [0xe8, 0x83, 0x3a];

/**
 * Height in pixels of the bar drawn at column x: from the x axis (y = PLOT.top + PLOT.height, where the axis line
 * blends into the bar's bottom pixels) up to the topmost bar-coloured pixel of the run starting just above it.
 */
function barHeight(png: DecodedPng, x: number): number {
  const axis = PLOT.top + PLOT.height;
  const isBar = (y: number) => {
    const i = (y * png.width + x) * 4;
    const rgb = [png.pixels[i], png.pixels[i + 1], png.pixels[i + 2]];
    return [BAR, MARK].some((c) => c.every((v, k) => Math.abs(v - (rgb[k] ?? 0)) <= 2));
  };
  let y = axis - 2;
  if (!isBar(y)) return 0;
  while (y > PLOT.top - 2 && isBar(y - 1)) y -= 1;
  return axis - y;
}

/** Rows per UTC hour, keyed `YYYY-MM-DD HH:00`, counted from the CSV's eventtime column. */
function perHour(csv: string[][]): Map<string, number> {
  const at = csv[0]!.indexOf('eventtime');
  const counts = new Map<string, number>();
  for (const row of csv.slice(1)) {
    const t = row[at]!;
    const key = `${t.slice(0, 10)} ${t.slice(11, 13)}:00`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The real Slack path: a signed /trail through Bolt, DuckDB over generated logs, the fake Slack receiving files. */
describe('a chart PNG in the thread, next to the CSV', () => {
  let dataDir: string;
  let bot: SlackBot;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'trail-chart-e2e-data-'));
    await generateSampleData({
      outDir: dataDir,
      days: 2,
      eventsPerDay: 1500,
      accounts: sampleAccountIds(1),
      regions: ['us-east-1'],
      seed: 17,
      now: new Date(),
    });
    bot = await startSlackBot({ dataDir });
  });
  afterAll(async () => {
    await bot?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('/trail logins 24h: the PNG follows the CSV in the thread, and its bars are the rows per hour of the CSV', async () => {
    const ack = await bot.command('logins 24h', { channelId: 'C0CHARTS', userId: 'U0ALICE' });
    expect(ack.status).toBe(200);
    const parent = await eventually(() => bot.fake.messages.find((m) => m.channel === 'C0CHARTS' && !m.thread_ts));
    const png = await eventually(() =>
      bot.fake.files.find((f) => f.completed && f.thread_ts === parent.ts && f.filename.endsWith('.png')),
    );
    await bot.parts.runner.idle();
    const files = bot.fake.files.filter((f) => f.thread_ts === parent.ts);
    const csvFile = files.find((f) => f.filename.endsWith('.csv'))!;
    expect(files.map((f) => f.filename)).toEqual([csvFile.filename, csvFile.filename.replace(/\.csv$/, '.png')]);
    expect(png.title).toContain('/trail logins 24h');

    // The CSV Slack received (after its byte-order mark) is the whole answer.
    const csv = parseCsv(csvFile.bytes!.subarray(3).toString('utf8'));
    const expected = perHour(csv);
    expect(csv.length - 1).toBeGreaterThan(5);

    const [execution] = await bot.parts.store.listByChannel('C0CHARTS', 1);
    const image = decodePng(png.bytes!);
    expect([image.width, image.height]).toEqual([CHART_WIDTH, CHART_HEIGHT]);
    // The series the chart draws: one bucket per hour of the execution's window.
    const start = Date.parse(execution!.query.window.start);
    const end = Date.parse(execution!.query.window.end);
    const first = Math.floor(start / 3_600_000) * 3_600_000;
    const n = Math.ceil((end - first) / 3_600_000);
    const series = {
      bucket: 'hour' as const,
      rows: 'events',
      start: new Date(first).toISOString(),
      counts: [],
      skipped: 0,
    };
    const counts = Array.from({ length: n }, (_, i) => expected.get(bucketLabel(series, i)) ?? 0);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(csv.length - 1);
    // Sign-ins at off-hours (the test configuration's 00:00–05:00 UTC) are drawn in their own colour, others not.
    const atOffHours = [...expected].filter(([label]) => label.slice(11, 13) < '05').length;
    expect(pixelsOf(image, MARK) > 0).toBe(atOffHours > 0);
    expect(pixelsOf(image, BAR)).toBeGreaterThan(0);
    const top = niceCeiling(Math.max(...counts));
    const step = PLOT.width / n;
    for (const [i, count] of counts.entries()) {
      const x = Math.floor(PLOT.left + (i + 0.5) * step);
      const drawn = barHeight(image, x);
      // Bars are drawn to 1/100 px and anti-aliased at their top: within a pixel of count/top of the plot's height.
      expect([bucketLabel(series, i), Math.abs(drawn - (count / top) * PLOT.height) <= 1.5]).toEqual([
        bucketLabel(series, i),
        true,
      ]);
    }
  });

  test('/trail errors 24h: a chart of the errors per hour (its series query), not of the table’s groups', async () => {
    await bot.command('errors 24h', { channelId: 'C0CHARTS3', userId: 'U0ALICE' });
    const parent = await eventually(() => bot.fake.messages.find((m) => m.channel === 'C0CHARTS3' && !m.thread_ts));
    const png = await eventually(() =>
      bot.fake.files.find((f) => f.completed && f.thread_ts === parent.ts && f.filename.endsWith('.png')),
    );
    await bot.parts.runner.idle();
    const files = bot.fake.files.filter((f) => f.thread_ts === parent.ts);
    expect(files.map((f) => path.extname(f.filename))).toEqual(['.csv', '.png']);
    expect(png.title).toContain('/trail errors 24h');
    const [execution] = await bot.parts.store.listByChannel('C0CHARTS3', 1);
    expect(execution?.query.series?.bucket).toBe('hour');

    // The errors per UTC hour of the window, recounted from the generated log files themselves.
    const start = Date.parse(execution!.query.window.start);
    const end = Date.parse(execution!.query.window.end);
    const perHour = new Map<string, number>();
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const full = path.join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (full.includes(`${path.sep}CloudTrail${path.sep}`) && name.endsWith('.json.gz')) {
          const { Records } = JSON.parse(gunzipSync(readFileSync(full)).toString('utf8')) as {
            Records: { eventTime: string; errorCode?: string | null }[];
          };
          for (const r of Records) {
            const t = Date.parse(r.eventTime);
            if (t < start || t >= end || !r.errorCode) continue;
            const key = `${r.eventTime.slice(0, 10)} ${r.eventTime.slice(11, 13)}:00`;
            perHour.set(key, (perHour.get(key) ?? 0) + 1);
          }
        }
      }
    };
    walk(path.join(dataDir, 'AWSLogs'));
    const first = Math.floor(start / 3_600_000) * 3_600_000;
    const n = Math.ceil((end - first) / 3_600_000);
    const series = {
      bucket: 'hour' as const,
      rows: 'errors',
      start: new Date(first).toISOString(),
      counts: [],
      skipped: 0,
    };
    const counts = Array.from({ length: n }, (_, i) => perHour.get(bucketLabel(series, i)) ?? 0);
    expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(5);
    // The table counts the same errors in groups (top 10 of them): never more than the chart.
    const csv = parseCsv(files[0]!.bytes!.subarray(3).toString('utf8'));
    const grouped = csv.slice(1).reduce((a, r) => a + Number(r[csv[0]!.indexOf('total_events')]), 0);
    expect(grouped).toBeGreaterThan(0);
    expect(grouped).toBeLessThanOrEqual(counts.reduce((a, b) => a + b, 0));

    const image = decodePng(png.bytes!);
    const top = niceCeiling(Math.max(...counts));
    const step = PLOT.width / n;
    for (const [i, count] of counts.entries()) {
      const drawn = barHeight(image, Math.floor(PLOT.left + (i + 0.5) * step));
      expect([bucketLabel(series, i), Math.abs(drawn - (count / top) * PLOT.height) <= 1.5]).toEqual([
        bucketLabel(series, i),
        true,
      ]);
    }
  });

  test('a chart that cannot be uploaded costs nothing else: the table and the CSV are in the thread', async () => {
    const remove = bot.fake.refuse((method, params) =>
      method === 'files.getUploadURLExternal' && String(params.filename).endsWith('.png')
        ? 'file_uploads_disabled'
        : undefined,
    );
    try {
      await bot.command('recent 24h', { channelId: 'C0CHARTS2', userId: 'U0ALICE' });
      const parent = await eventually(() => bot.fake.messages.find((m) => m.channel === 'C0CHARTS2' && !m.thread_ts));
      await eventually(() => bot.fake.files.find((f) => f.completed && f.thread_ts === parent.ts));
      await bot.parts.runner.idle();
      const [execution] = await bot.parts.store.listByChannel('C0CHARTS2', 1);
      expect(execution?.state).toBe('PUBLISHED');
      expect(
        bot.fake.messages.some((m) => m.thread_ts === parent.ts && JSON.stringify(m.blocks).includes('table')),
      ).toBe(true);
      const inThread = bot.fake.files.filter((f) => f.thread_ts === parent.ts && f.completed);
      expect(inThread.map((f) => path.extname(f.filename))).toEqual(['.csv']);
      expect(
        bot.fake.callsTo('files.getUploadURLExternal').some((c) => String(c.params.filename).endsWith('.png')),
      ).toBe(true);
    } finally {
      remove();
    }
  });
});
