import type { ChartSpec, SeriesBuilder, TimeBucket, TimeSeries } from '../core/publisher';

export const BUCKET_MS: Record<TimeBucket, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const COARSER: Record<TimeBucket, TimeBucket | undefined> = { minute: 'hour', hour: 'day', day: undefined };

/**
 * Most buckets one chart holds: a 31-day window stays hourly (744), a 7-day `recent` per minute (10,080) becomes
 * hourly. It also bounds the builder's memory whatever the number of rows.
 */
export const MAX_BUCKETS = 800;

/** The bucket a window is drawn in: the declared one, or coarser until the window fits in MAX_BUCKETS. */
export function bucketFor(finest: TimeBucket, window: { start: Date; end: Date }): TimeBucket {
  let bucket = finest;
  for (;;) {
    const coarser = COARSER[bucket];
    if (!coarser || bucketCount(bucket, window) <= MAX_BUCKETS) return bucket;
    bucket = coarser;
  }
}

function floorTo(bucket: TimeBucket, ms: number): number {
  const size = BUCKET_MS[bucket];
  return Math.floor(ms / size) * size;
}

function bucketCount(bucket: TimeBucket, window: { start: Date; end: Date }): number {
  const first = floorTo(bucket, window.start.getTime());
  const span = window.end.getTime() - first;
  return Math.max(1, Math.ceil(span / BUCKET_MS[bucket]));
}

export interface SeriesOptions {
  /** The question's window `[start, end)`: the series covers all of it, empty buckets included. */
  window: { start: Date; end: Date };
  /** Whether a row's time is off-hours (the configuration's TRAIL_OFFHOURS in TRAIL_TIME_ZONE), for `markOffHours`. */
  isOffHours?: (time: Date) => boolean;
  /** The command's row cap (QueryCommand.rowCap): an answer that reaches it says where its rows stop. */
  rowCap?: number;
  /**
   * Rows are already counted per UTC bucket (a series template, ChartSpec.template): the time column holds the
   * bucket as an ISO 8601 prefix (`2026-11-30T09` or `2026-11-30`) and each row comes with its count as `weight`.
   * The first bucket starts before the window does (the window starts mid-hour), so it is not refused for that.
   */
  bucketed?: boolean;
}

/**
 * Counts rows per UTC bucket as they stream past (ResultSummary.series). Memory is one number per bucket (at most
 * MAX_BUCKETS, two with marking), never per row. A row whose time cannot be read or lies outside the window is counted
 * in `skipped`: the window filter in the SQL should make that zero.
 */
export function seriesBuilder(spec: ChartSpec, options: SeriesOptions): SeriesBuilder {
  const bucket = bucketFor(spec.bucket, options.window);
  const size = BUCKET_MS[bucket];
  const first = floorTo(bucket, options.window.start.getTime());
  const startMs = options.window.start.getTime();
  const endMs = options.window.end.getTime();
  const counts = new Array<number>(bucketCount(bucket, options.window)).fill(0);
  const mark = spec.markOffHours ? options.isOffHours : undefined;
  const marked = mark ? new Array<number>(counts.length).fill(0) : undefined;
  let skipped = 0;
  let seen = 0;
  let oldest = Number.POSITIVE_INFINITY;
  // Off-hours is a property of the minute (zone offsets are whole minutes), and rows mostly arrive in time order:
  // the last minute's answer is kept, so the zone arithmetic runs about once per minute that has rows.
  let lastMinute = Number.NaN;
  let lastOff = false;
  const offHoursAt = (ms: number): boolean => {
    const minute = Math.floor(ms / 60_000);
    if (minute !== lastMinute) {
      lastMinute = minute;
      lastOff = mark?.(new Date(minute * 60_000)) ?? false;
    }
    return lastOff;
  };
  return {
    add(row, weight = 1) {
      seen += 1;
      const value = row(spec.timeColumn);
      const ms = value === null ? Number.NaN : options.bucketed ? parseBucket(value) : parseTime(value);
      // A bucket row's time is its bucket's start, which may precede the window's start inside the first bucket.
      const from = options.bucketed ? first : startMs;
      if (!Number.isFinite(ms) || ms < from || ms >= endMs || !(Number.isFinite(weight) && weight >= 0)) {
        skipped += 1;
        return;
      }
      oldest = Math.min(oldest, ms);
      const i = Math.floor((ms - first) / size);
      counts[i] = (counts[i] ?? 0) + weight;
      if (marked && mark && offHoursAt(ms)) marked[i] = (marked[i] ?? 0) + weight;
    },
    finish(): TimeSeries {
      return {
        bucket,
        rows: spec.rows,
        start: new Date(first).toISOString(),
        counts: [...counts],
        ...(marked ? { marked: [...marked] } : {}),
        skipped,
        ...(options.rowCap !== undefined && seen >= options.rowCap && Number.isFinite(oldest)
          ? { cappedBefore: new Date(oldest).toISOString() }
          : {}),
      };
    },
  };
}

/**
 * Epoch ms of a CloudTrail time: ISO 8601 with a zone (`2026-11-30T09:14:16Z`) as the templates return it. A time
 * without a zone is refused rather than read in this process's local zone.
 */
function parseTime(value: string): number {
  const last = value.charCodeAt(value.length - 1);
  // The common case first (a trailing `Z`): the zone pattern is only tried on the rest.
  if (last !== 0x5a && last !== 0x7a && !/[+-]\d\d:?\d\d$/.test(value)) return Number.NaN;
  return Date.parse(value);
}

/** Epoch ms of a series template's bucket: `2026-11-30T09` (an hour) or `2026-11-30` (a day), both UTC. */
function parseBucket(value: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d))?$/.exec(value);
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0));
}

/** Start of bucket `i` (epoch ms). */
export function bucketStart(series: TimeSeries, i: number): number {
  return Date.parse(series.start) + i * BUCKET_MS[series.bucket];
}

/** `2026-11-30 09:00` (minute and hour buckets) or `2026-11-30` (days), always UTC. */
export function bucketLabel(series: TimeSeries, i: number): string {
  const iso = new Date(bucketStart(series, i)).toISOString();
  return series.bucket === 'day' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** The series' rows in all (those drawn; `skipped` ones are not). */
export function totalOf(series: TimeSeries): number {
  return series.counts.reduce((a, b) => a + b, 0);
}

export function markedOf(series: TimeSeries): number {
  return (series.marked ?? []).reduce((a, b) => a + b, 0);
}

/** The time a capped answer's rows stop at, to the minute (UTC), for the chart's note. */
export function capLabel(series: TimeSeries): string {
  const iso = series.cappedBefore ?? '';
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}
