/**
 * Slots: the instants a schedule is due. A cadence is wall-clock time in an IANA zone (`daily 09:00 Europe/Berlin`),
 * so slots follow the zone's DST rules:
 * - A daily schedule's consecutive slots are 23 or 25 hours apart across a DST change; a run's window is
 *   `[previous slot, slot)`, so windows stay contiguous whatever the day's length.
 * - A local time the clocks skip (02:30 on a spring-forward day in Europe/Berlin) is moved forward to the next valid
 *   instant: the moment the clocks jump to (03:00 local). Running an hour late would read as a different schedule,
 *   skipping the day would leave a day without a summary.
 * - A local time that happens twice (02:30 on a fall-back day) runs at the first occurrence: when the clock first
 *   shows it. (This differs on purpose from time windows, where an ambiguous bound means the later instant: a schedule
 *   should not wait an extra hour.)
 *
 * Everything here is pure: instants in, instants out.
 */
import { TZDate, tzOffset } from '@date-fns/tz';
import { format } from 'date-fns';
import type { Cadence, Weekday } from '../core/schedule';
import { WEEKDAYS } from '../core/schedule';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** `HH:MM` on a 24-hour clock; one-digit hours are accepted (`9:00` → `09:00`). */
export function parseClock(text: string): string | undefined {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (!m) return undefined;
  const hours = Number(m[1]);
  const minutes = Number(m[2]);
  if (hours > 23 || minutes > 59) return undefined;
  return `${String(hours).padStart(2, '0')}:${m[2]}`;
}

/** A full or three-letter day name, any case (`monday`, `Mon`, `FRI`). */
export function parseWeekday(text: string): Weekday | undefined {
  const lower = text.toLowerCase();
  return WEEKDAYS.find((day) => day === lower || (lower.length === 3 && day.startsWith(lower)));
}

/**
 * An IANA zone name in its canonical spelling (`europe/berlin` → `Europe/Berlin`), or undefined. Intl checks it
 * against the runtime's zone database; bare offsets (`+01:00`) are not zones, so they are refused, as in config.
 */
export function canonicalTimeZone(text: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+/-]*$/.test(text)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: text }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

interface LocalDate {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
}

function localDateOf(instant: Date, timeZone: string): LocalDate {
  const local = new TZDate(instant.getTime(), timeZone);
  return { year: local.getFullYear(), month: local.getMonth() + 1, day: local.getDate() };
}

/** Calendar arithmetic on a date without a zone (Date.UTC normalises day overflow across months and years). */
function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

function weekdayOf(date: LocalDate): Weekday {
  return WEEKDAYS[new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay()]!;
}

/**
 * The instant the wall clock in `timeZone` shows `HH:MM` on `date`; the first such instant when it happens twice,
 * and the end of the gap when the clocks skip it.
 */
export function wallClockInstant(date: LocalDate, at: string, timeZone: string): Date {
  const [hours, minutes] = at.split(':').map(Number) as [number, number];
  // The wall time read as if it were UTC; the real instant is this minus the zone's offset at that instant.
  const wall = Date.UTC(date.year, date.month - 1, date.day, hours, minutes);
  // The offsets on either side of any change that day (zones change at most once in a couple of days).
  const offsets = [...new Set([tzOffset(timeZone, new Date(wall - DAY)), tzOffset(timeZone, new Date(wall + DAY))])];
  const candidates = offsets.map((offset) => wall - offset * MINUTE).sort((a, b) => a - b);
  const valid = candidates.filter((t) => tzOffset(timeZone, new Date(t)) * MINUTE === wall - t);
  if (valid.length > 0) return new Date(valid[0]!);
  // Neither offset fits: the time falls in a gap. The change happens between the two candidates; find it to the
  // minute (zone changes fall on whole minutes) and run then, the first instant after the skipped time.
  let lo = candidates[0]!;
  let hi = candidates[candidates.length - 1]!;
  const before = tzOffset(timeZone, new Date(lo));
  while (hi - lo > MINUTE) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
    if (tzOffset(timeZone, new Date(mid)) === before) lo = mid;
    else hi = mid;
  }
  return new Date(hi);
}

/** The slot on a local date, or undefined when the cadence does not run that day (weekly, another weekday). */
function slotOn(date: LocalDate, cadence: Cadence, timeZone: string): Date | undefined {
  if (cadence.every === 'weekly' && weekdayOf(date) !== cadence.day) return undefined;
  return wallClockInstant(date, cadence.at, timeZone);
}

/** The latest slot at or before `instant`. */
export function slotAtOrBefore(cadence: Cadence, timeZone: string, instant: Date): Date {
  const today = localDateOf(instant, timeZone);
  // Eight days back covers a weekly slot later today plus the whole week before it.
  for (let back = 0; back <= 8; back++) {
    const slot = slotOn(addDays(today, -back), cadence, timeZone);
    if (slot && slot.getTime() <= instant.getTime()) return slot;
  }
  throw new Error(`no ${describeCadence(cadence, timeZone)} slot in the 8 days before ${instant.toISOString()}`);
}

/** The earliest slot strictly after `instant`. */
export function slotAfter(cadence: Cadence, timeZone: string, instant: Date): Date {
  const today = localDateOf(instant, timeZone);
  for (let ahead = 0; ahead <= 8; ahead++) {
    const slot = slotOn(addDays(today, ahead), cadence, timeZone);
    if (slot && slot.getTime() > instant.getTime()) return slot;
  }
  throw new Error(`no ${describeCadence(cadence, timeZone)} slot in the 8 days after ${instant.toISOString()}`);
}

/** The slot before `slot`: where a run's window starts when there was no earlier run. */
export function previousSlot(cadence: Cadence, timeZone: string, slot: Date): Date {
  return slotAtOrBefore(cadence, timeZone, new Date(slot.getTime() - 1));
}

const capitalised = (day: string) => day[0]!.toUpperCase() + day.slice(1);

/** `daily 09:00 Europe/Berlin`, `weekly Monday 08:30 UTC`. */
export function describeCadence(cadence: Cadence, timeZone: string): string {
  return cadence.every === 'daily'
    ? `daily ${cadence.at} ${timeZone}`
    : `weekly ${capitalised(cadence.day)} ${cadence.at} ${timeZone}`;
}

/** A slot as people read it in the schedule's zone: `Sat 2026-11-21 09:00 Europe/Berlin`. */
export function formatSlot(instant: Date, timeZone: string): string {
  return `${format(new TZDate(instant.getTime(), timeZone), 'EEE yyyy-MM-dd HH:mm')} ${timeZone}`;
}

/** Local `yyyy-MM-dd HH:mm` of an instant, for window labels. */
export function localMinute(instant: Date, timeZone: string): string {
  return format(new TZDate(instant.getTime(), timeZone), 'yyyy-MM-dd HH:mm');
}
