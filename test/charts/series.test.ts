import { bucketLabel, MAX_BUCKETS, seriesBuilder, totalOf } from '../../src/charts/series';
import { sparkline } from '../../src/charts/sparkline';
import { chartSvg } from '../../src/charts/svg';
import type { ChartSpec } from '../../src/core/publisher';
import { isOffHours } from '../../src/time/window';

/** A row as the runner's collector hands it to a builder: cells looked up by column name. */
const rowOf =
  (cells: Record<string, string | null>) =>
  (column: string): string | null =>
    cells[column] ?? null;

/** Deterministic spread of times (a linear congruential sequence), so the test needs no fixture and no clock. */
function* times(seed: number, count: number, start: number, spanMs: number): Generator<number> {
  let x = seed;
  for (let i = 0; i < count; i++) {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    yield start + Math.floor((x / 2 ** 31) * spanMs);
  }
}

const CloudTrailSecond = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('a series built from result rows', () => {
  const end = new Date('2026-11-30T13:12:00Z');
  const start = new Date(end.getTime() - 24 * 3_600_000);
  const spec: ChartSpec = { timeColumn: 'eventtime', bucket: 'hour', rows: 'sign-ins' };

  test('counts each row in its UTC hour, over the whole window, and counts rows it cannot place as skipped', () => {
    const builder = seriesBuilder(spec, { window: { start, end } });
    const expected = new Map<string, number>();
    for (const ms of times(7, 2_000, start.getTime(), end.getTime() - start.getTime())) {
      const iso = CloudTrailSecond(ms);
      builder.add(rowOf({ eventtime: iso, username: 'alice' }));
      const key = `${iso.slice(0, 10)} ${iso.slice(11, 13)}:00`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    // Outside the window (before, at its exclusive end), no time, a time without a zone, not a time at all.
    for (const eventtime of ['2026-11-29T13:11:59Z', end.toISOString(), null, '2026-11-30T10:00:00', 'yesterday']) {
      builder.add(rowOf({ eventtime }));
    }
    const series = builder.finish();
    expect(series.bucket).toBe('hour');
    // 13:12 yesterday to 13:12 today touches 25 hours: 13:00 … 13:00.
    expect(series.counts).toHaveLength(25);
    expect(bucketLabel(series, 0)).toBe('2026-11-29 13:00');
    expect(bucketLabel(series, 24)).toBe('2026-11-30 13:00');
    const got = new Map(series.counts.map((n, i) => [bucketLabel(series, i), n]));
    for (const [key, n] of got) expect([key, n]).toEqual([key, expected.get(key) ?? 0]);
    expect(totalOf(series)).toBe(2_000);
    expect(series.skipped).toBe(5);
    expect(series.marked).toBeUndefined();
    // What the summary stores is plain JSON and comes back the same.
    expect(JSON.parse(JSON.stringify(series))).toEqual(series);
  });

  test('marks sign-ins at off-hours, judged in the configured time zone, per row', () => {
    const offHours = { start: '22:00', end: '06:00', weekends: false };
    const zone = 'Europe/Berlin';
    const builder = seriesBuilder(
      { ...spec, markOffHours: true },
      { window: { start, end }, isOffHours: (t) => isOffHours(t, offHours, zone) },
    );
    // Berlin is UTC+1 in November: 04:59Z is 05:59 there (off-hours), 05:00Z is 06:00 (working hours), both in the
    // 04:00Z and 05:00Z buckets; 21:30Z is 22:30 there (off-hours).
    const rows = ['2026-11-30T04:59:00Z', '2026-11-30T05:00:00Z', '2026-11-30T05:30:00Z', '2026-11-29T21:30:00Z'];
    for (const eventtime of rows) builder.add(rowOf({ eventtime }));
    const series = builder.finish();
    const at = (label: string) => {
      const i = series.counts.findIndex((_, k) => bucketLabel(series, k) === label);
      return { rows: series.counts[i], marked: series.marked?.[i] };
    };
    expect(at('2026-11-30 04:00')).toEqual({ rows: 1, marked: 1 });
    expect(at('2026-11-30 05:00')).toEqual({ rows: 2, marked: 0 });
    expect(at('2026-11-29 21:00')).toEqual({ rows: 1, marked: 1 });
    expect(series.marked?.reduce((a, b) => a + b, 0)).toBe(2);
  });

  test('a spec that marks nothing ignores the off-hours test', () => {
    const builder = seriesBuilder(spec, { window: { start, end }, isOffHours: () => true });
    builder.add(rowOf({ eventtime: '2026-11-30T04:59:00Z' }));
    expect(builder.finish().marked).toBeUndefined();
  });

  test('a long window is drawn in coarser buckets, so no chart holds more than MAX_BUCKETS', () => {
    const at = (days: number, bucket: ChartSpec['bucket']) =>
      seriesBuilder(
        { ...spec, bucket },
        { window: { start: new Date(end.getTime() - days * 86_400_000), end } },
      ).finish();
    expect(at(1 / 24, 'minute')).toMatchObject({ bucket: 'minute' });
    // The window starts on a minute: 60 minutes; 30 days from 13:12 touch 721 hours.
    expect(at(1 / 24, 'minute').counts).toHaveLength(60);
    expect(at(7, 'minute')).toMatchObject({ bucket: 'hour' });
    expect(at(30, 'hour')).toMatchObject({ bucket: 'hour' });
    expect(at(30, 'hour').counts).toHaveLength(721);
    expect(at(90, 'hour')).toMatchObject({ bucket: 'day' });
    expect(at(90, 'hour').counts).toHaveLength(91);
    for (const days of [1, 7, 30, 31, 90]) {
      expect(at(days, 'minute').counts.length).toBeLessThanOrEqual(MAX_BUCKETS);
    }
  });

  test('100,000 rows cost one number per bucket: every row counted, the series no longer', () => {
    const windowStart = new Date('2026-11-01T00:00:00Z');
    const windowEnd = new Date('2026-12-01T00:00:00Z');
    const builder = seriesBuilder(spec, { window: { start: windowStart, end: windowEnd } });
    const perHour = new Array<number>(720).fill(0);
    for (const ms of times(11, 100_000, windowStart.getTime(), windowEnd.getTime() - windowStart.getTime())) {
      builder.add(rowOf({ eventtime: CloudTrailSecond(ms) }));
      perHour[Math.floor((ms - windowStart.getTime()) / 3_600_000)]! += 1;
    }
    const series = builder.finish();
    expect(series.counts).toEqual(perHour);
    expect(totalOf(series)).toBe(100_000);
  });
});

describe('an answer that reached its row cap', () => {
  const end = new Date('2026-11-30T12:00:00Z');
  const start = new Date('2026-11-30T11:00:00Z');
  const spec: ChartSpec = { timeColumn: 'eventtime', bucket: 'minute', rows: 'events' };
  const newestFirst = (n: number) =>
    Array.from({ length: n }, (_, i) => new Date(end.getTime() - (i + 1) * 7_000).toISOString());

  test('says where its rows stop (the oldest returned), so an empty start is not read as a quiet one', () => {
    const builder = seriesBuilder(spec, { window: { start, end }, rowCap: 200 });
    const times = newestFirst(200);
    for (const eventtime of times) builder.add(rowOf({ eventtime }));
    const series = builder.finish();
    expect(series.cappedBefore).toBe(times.at(-1));
    expect(sparkline(series)).toContain(
      `row cap: nothing before ${times.at(-1)!.slice(0, 10)} ${times.at(-1)!.slice(11, 16)}`,
    );
    expect(chartSvg(series, { title: '/trail recent 1h' })).toContain('row cap reached');
  });

  test('below the cap, or for a command without one, nothing is said', () => {
    const under = seriesBuilder(spec, { window: { start, end }, rowCap: 200 });
    const uncapped = seriesBuilder(spec, { window: { start, end } });
    for (const eventtime of newestFirst(199)) {
      under.add(rowOf({ eventtime }));
      uncapped.add(rowOf({ eventtime }));
    }
    uncapped.add(rowOf({ eventtime: start.toISOString() }));
    expect(under.finish()).not.toHaveProperty('cappedBefore');
    expect(uncapped.finish()).not.toHaveProperty('cappedBefore');
  });
});

describe('bucketed rows (a series template: one row per bucket, with its count)', () => {
  test('a window starting mid-hour keeps its first bucket, whose start precedes the window', () => {
    const builder = seriesBuilder(
      { timeColumn: 'bucket', bucket: 'hour', rows: 'errors' },
      { window: { start: new Date('2026-11-30T09:40:00Z'), end: new Date('2026-11-30T12:40:00Z') }, bucketed: true },
    );
    for (const [bucket, events] of [
      ['2026-11-30T09', 5],
      ['2026-11-30T12', 2],
      ['2026-11-30T08', 1],
      ['2026-11-30T10', Number.NaN],
    ] as const) {
      builder.add((c) => (c === 'bucket' ? bucket : null), events);
    }
    // 08 is before the first bucket and NaN is no count: skipped, not drawn.
    expect(builder.finish()).toMatchObject({ start: '2026-11-30T09:00:00.000Z', counts: [5, 0, 0, 2], skipped: 2 });
  });

  test('unbucketed rows keep refusing a time before the window, and weigh 1 each', () => {
    const builder = seriesBuilder(
      { timeColumn: 'eventtime', bucket: 'hour', rows: 'events' },
      { window: { start: new Date('2026-11-30T09:40:00Z'), end: new Date('2026-11-30T10:40:00Z') } },
    );
    for (const t of ['2026-11-30T09:10:00Z', '2026-11-30T09:50:00Z', '2026-11-30T10:00:00Z']) {
      builder.add((c) => (c === 'eventtime' ? t : null));
    }
    expect(builder.finish()).toMatchObject({ counts: [1, 1], skipped: 1 });
  });
});
