import type { TimeSeries } from '../core/publisher';
import { bucketLabel, capLabel, markedOf, totalOf } from './series';

const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/**
 * The series as one terminal line: `2026-11-30 01:00 ▁▁▃█▂▁ 12:00 UTC · 42 sign-ins, a block per hour`.
 * A longer series than `width` sums neighbouring buckets into one character. An empty bucket is the lowest block and
 * any bucket with rows is at least the second, so a single event never looks like none.
 */
export function sparkline(series: TimeSeries, o: { width?: number; markedLabel?: string } = {}): string {
  const width = Math.max(1, o.width ?? 60);
  const n = series.counts.length;
  const per = Math.max(1, Math.ceil(n / width));
  const sums: number[] = [];
  for (let i = 0; i < n; i += per) {
    sums.push(series.counts.slice(i, i + per).reduce((a, b) => a + b, 0));
  }
  const max = Math.max(0, ...sums);
  const line = sums
    .map((v) => (v === 0 ? BLOCKS[0] : BLOCKS[max === 1 ? 7 : 1 + Math.round(((v - 1) / (max - 1)) * 6)]))
    .join('');
  const unit = per === 1 ? series.bucket : `${per} ${series.bucket}s`;
  const parts = [`${totalOf(series)} ${series.rows}, a block per ${unit}`];
  if (series.marked) parts.push(`${markedOf(series)} ${o.markedLabel ?? 'marked'}`);
  if (series.skipped > 0) parts.push(`${series.skipped} without a time in the window`);
  if (series.cappedBefore) parts.push(`row cap: nothing before ${capLabel(series)}`);
  const first = bucketLabel(series, 0);
  const last = bucketLabel(series, n - 1);
  // The last label drops the date when it is the first one's (a day or less of minutes or hours).
  const end = series.bucket !== 'day' && last.slice(0, 10) === first.slice(0, 10) ? last.slice(11) : last;
  return `${first} ${line} ${end} UTC · ${parts.join(' · ')}`;
}

/**
 * The sparkline that fits in `columns` characters: as many blocks as fit (at most one per bucket, at most 96), fewer
 * and wider buckets on a narrow terminal, never fewer than 8 blocks.
 */
export function sparklineWithin(series: TimeSeries, columns: number, o: { markedLabel?: string } = {}): string {
  let line = '';
  for (let width = Math.min(series.counts.length, 96); width >= 8; width--) {
    line = sparkline(series, { ...o, width });
    if ([...line].length <= columns) return line;
  }
  return line || sparkline(series, { ...o, width: 8 });
}
