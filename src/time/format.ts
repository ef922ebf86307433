/**
 * Human-readable times, durations and sizes for messages (Slack and terminal). Everything is rendered in the team
 * time zone (TRAIL_TIME_ZONE), never the server's.
 */
import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns';
import type { TimeWindow, TimeWindowJson } from '../core/window';

/**
 * A window as people read it: `Nov 20 20:00 – Nov 21 08:00 (Europe/Berlin)`. The year appears when either end is not
 * in the current year (of `now`, in that zone) or the ends are in different years: `Dec 31, 2025 22:00 – Jan 1, 2026
 * 06:00 (UTC)`. When both ends are on the same local day the date is not repeated: `Nov 20 08:00 – 20:00 (UTC)`.
 * Minutes are the precision; seconds are left out.
 */
export function formatWindow(w: TimeWindow | TimeWindowJson, timeZone: string, now: Date = new Date()): string {
  const start = new TZDate(new Date(w.start).getTime(), timeZone);
  const end = new TZDate(new Date(w.end).getTime(), timeZone);
  const thisYear = new TZDate(now.getTime(), timeZone).getFullYear();
  const withYear =
    start.getFullYear() !== end.getFullYear() || start.getFullYear() !== thisYear || end.getFullYear() !== thisYear;
  const day = withYear ? 'MMM d, yyyy' : 'MMM d';
  const sameDay = format(start, 'yyyy-MM-dd') === format(end, 'yyyy-MM-dd');
  const from = format(start, `${day} HH:mm`);
  const to = sameDay ? format(end, 'HH:mm') : format(end, `${day} HH:mm`);
  return `${from} – ${to} (${timeZone})`;
}

/**
 * One instant, unambiguous and sortable: `2026-11-20 21:00:05 +01:00`, or `… UTC` when the zone's offset is zero at
 * that moment.
 */
export function formatInstant(d: Date, timeZone: string): string {
  const local = new TZDate(d.getTime(), timeZone);
  const offset = -local.getTimezoneOffset(); // minutes east of UTC, for that instant in that zone
  return `${format(local, 'yyyy-MM-dd HH:mm:ss')} ${offset === 0 ? 'UTC' : format(local, 'xxx')}`;
}

/**
 * A duration for run times: `850 ms`, `12.3 s`, `2 min 5 s`, `1 h 4 min`, `2 d 3 h`. Rounded to the shown precision
 * before splitting, so 119.99 s is `2 min`, never `1 min 60 s`. Negative durations are shown as 0 (clock skew).
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${trimZero((tenths / 10).toFixed(1))} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return pair(Math.floor(seconds / 60), 'min', seconds % 60, 's');
  const minutes = Math.round(ms / 60_000);
  if (minutes < 24 * 60) return pair(Math.floor(minutes / 60), 'h', minutes % 60, 'min');
  const hours = Math.round(ms / 3_600_000);
  return pair(Math.floor(hours / 24), 'd', hours % 24, 'h');
}

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];

/**
 * Bytes in decimal (SI, 1000-based) units: `0 B`, `999 B`, `1.5 MB`, `10.7 GB`. Decimal because Athena prices
 * "per TB scanned" in decimal terabytes and the console reports scanned data the same way, so the numbers people
 * compare against match. One decimal below 100 (dropped when `.0`), whole numbers above.
 */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n <= 0) return '0 B';
  let unit = 0;
  let value = n;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  let text = unit === 0 || value >= 100 ? String(Math.round(value)) : trimZero(value.toFixed(1));
  // 999.96 kB rounds to "1000 kB": show it as the next unit instead.
  if (Number(text) >= 1000 && unit < BYTE_UNITS.length - 1) {
    unit++;
    text = '1';
  }
  return `${text} ${BYTE_UNITS[unit]}`;
}

function pair(big: number, bigUnit: string, small: number, smallUnit: string): string {
  return small === 0 ? `${big} ${bigUnit}` : `${big} ${bigUnit} ${small} ${smallUnit}`;
}

function trimZero(fixed: string): string {
  return fixed.endsWith('.0') ? fixed.slice(0, -2) : fixed;
}
