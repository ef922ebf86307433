/**
 * Time windows: what a user types after a command (`12h`, `yesterday`, `since 2026-11-20T08:00Z`,
 * `2026-11-01..2026-11-03`) becomes a half-open UTC interval `[start, end)` plus the CloudTrail day partitions it
 * touches.
 *
 * Choices worth knowing:
 * - Calendar words and date-only bounds use the team time zone (TRAIL_TIME_ZONE): `today` is the team's today, and a
 *   DST change day is 23 or 25 hours long.
 * - In `a..b` a date-only END means the end of that day, so `2026-11-01..2026-11-03` covers three whole days (people
 *   read day ranges inclusively). A date-only START means the start of that day. A bound with a time is exact.
 * - A bound with a time but no `Z`/offset is read in the team time zone too. A local time that does not exist (the
 *   hour skipped when clocks go forward) is rejected; one that happens twice (clocks going back) means the later one.
 * - A bare time of day (`since 14:00`, `14:00..16:30`) is in the team time zone, on the latest day on which it has
 *   begun: today, or yesterday when it is still ahead (at 09:00, `since 14:00` means yesterday 14:00). In a range of
 *   two times the end is the first such time after the start, so `22:00..02:00` runs past midnight.
 * - An end after `now` is cut at `now`: there are no logs from the future, and a shorter window reads fewer partitions.
 * - Partitions are UTC days because CloudTrail files land under `…/CloudTrail/<region>/yyyy/MM/dd/` by UTC day
 *   (the `"timestamp"` partition key of the AWS partition-projection DDL, Athena User Guide
 *   create-cloudtrail-table-partition-projection.html).
 */

import { TZDate } from '@date-fns/tz';
import { addDays, startOfDay } from 'date-fns';
import { TrailError, UsageError } from '../core/errors';
import type { TimeWindow, TimeWindowJson } from '../core/window';
import { shown } from '../util/shown';

/** Every accepted window form, as one phrase (for `help`). */
export const WINDOW_FORMS =
  '30m, 12h, 7d, 2w, today, yesterday, since <ISO>, <ISO>..<ISO>, since HH:MM or HH:MM..HH:MM ' +
  '(ISO: 2026-11-20, 2026-11-20T08:00Z or 2026-11-20T09:00+01:00; dates and times without Z or offset are in the ' +
  'team time zone; a bare HH:MM is the latest one that has begun: today, or yesterday when it is still ahead)';

/** One line listing every accepted window form, for usage messages. */
export const WINDOW_HELP = `Time window: ${WINDOW_FORMS}`;

export interface ParseWindowOptions {
  /** The moment the question is asked; relative windows and `today` end here. */
  now: Date;
  /** IANA zone for `today`, `yesterday` and bounds without an offset. */
  timeZone: string;
  /** Longest accepted window in days (TRAIL_MAX_WINDOW_DAYS). */
  maxDays: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const UNIT_MS: Record<string, number> = { m: MINUTE, h: HOUR, d: DAY, w: 7 * DAY };

const RELATIVE = /^(\d+)([mhdw])$/i;
/** A wall-clock time typed alone, as incident notes give it: `14:00`, `9:05`. */
const CLOCK = /^(\d{1,2}):(\d{2})$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/**
 * Parse a window. Throws `UsageError` (with `usage` = WINDOW_HELP) for anything that is not a valid, non-empty,
 * not-too-long window that starts in the past.
 */
export function parseWindow(text: string, opts: ParseWindowOptions): TimeWindow {
  const normalised = text.trim().replace(/\s+/g, ' ');
  if (normalised === '') throw usage(`No time window given. ${WINDOW_HELP}`);
  const { now, timeZone, maxDays } = opts;
  const lower = normalised.toLowerCase();

  const relative = RELATIVE.exec(normalised);
  if (relative) {
    const [, digits, unitTyped] = relative;
    // `1M` reads like a month to some people; a silent 1-minute window would mislead them.
    if (unitTyped === 'M') {
      throw usage(`${quoteInput(text)}: months are not supported; use minutes as \`${digits}m\` or days like \`30d\`.`);
    }
    const unit = unitTyped!.toLowerCase();
    const amount = Number(digits);
    const label = `${digits!.replace(/^0+(?=\d)/, '')}${unit}`;
    if (amount === 0) throw usage(`${quoteInput(label)} is an empty window; use a positive duration like \`12h\`.`);
    const ms = amount * UNIT_MS[unit]!;
    checkLength(label, ms, maxDays);
    return build(new Date(now.getTime() - ms), now, label);
  }
  if (/^[+-]\d+\s?[a-z]*$/i.test(normalised)) {
    throw usage(
      `${quoteInput(text)}: durations are counted back from now and must be positive, like \`12h\` or \`7d\`.`,
    );
  }

  if (lower === 'today' || lower === 'yesterday') {
    const midnight = startOfDay(new TZDate(now.getTime(), timeZone));
    if (lower === 'today') {
      if (midnight.getTime() >= now.getTime()) {
        throw usage(`\`today\` has only just begun in ${timeZone}; use \`yesterday\` or a duration like \`1h\`.`);
      }
      return build(new Date(midnight.getTime()), now, 'today');
    }
    // addDays on a TZDate counts calendar days in that zone, so a DST day comes out 23 or 25 hours long.
    return build(new Date(addDays(midnight, -1).getTime()), new Date(midnight.getTime()), 'yesterday');
  }

  if (lower === 'since' || lower.startsWith('since ')) {
    const isoText = normalised.slice('since'.length).trim();
    if (isoText === '') throw usage(`\`since\` needs a date or time, e.g. \`since 2026-11-20T08:00Z\`. ${WINDOW_HELP}`);
    const from = CLOCK.test(isoText) ? latestClock(isoText, now, timeZone) : parseBound(isoText, timeZone, 'start');
    const label = `since ${from.label}`;
    if (from.at.getTime() >= now.getTime()) throw usage(`${quoteInput(label)} starts in the future.`);
    checkLength(label, now.getTime() - from.at.getTime(), maxDays);
    return build(from.at, now, label);
  }

  const range = /^(.*?)\s?\.\.\s?(.*)$/.exec(normalised);
  if (range) {
    const [, startText, endText] = range;
    if (!startText || !endText) {
      throw usage(`${quoteInput(text)} needs a start and an end, like \`2026-11-01..2026-11-03\`. ${WINDOW_HELP}`);
    }
    const clocks = CLOCK.test(startText) && CLOCK.test(endText);
    const from = clocks ? latestClock(startText, now, timeZone) : parseBound(startText, timeZone, 'start');
    // `22:00..02:00` ends the next morning: the end is the first such time after the start.
    const to = clocks ? clockAfter(endText, from.at, timeZone) : parseBound(endText, timeZone, 'end');
    const label = `${from.label}..${to.label}`;
    if (to.at.getTime() < from.at.getTime()) throw usage(`${quoteInput(label)}: the end is before the start.`);
    if (to.at.getTime() === from.at.getTime()) throw usage(`${quoteInput(label)} is an empty window.`);
    if (from.at.getTime() >= now.getTime()) throw usage(`${quoteInput(label)} starts in the future.`);
    const end = to.at.getTime() > now.getTime() ? now : to.at;
    checkLength(label, end.getTime() - from.at.getTime(), maxDays);
    return build(from.at, end, label);
  }

  if (/^\d{4}-\d/.test(normalised)) {
    const at = parseBound(normalised, timeZone, 'start'); // a malformed or impossible date gets the precise message
    const hint = /T/i.test(normalised)
      ? `\`since ${at.label}\` or a range like \`${at.label}..<end>\``
      : `\`${at.label}..${at.label}\` for that whole day, or \`since ${at.label}\``;
    throw usage(`${quoteInput(text)} is a single moment, not a window; use ${hint}.`);
  }
  throw usage(`${quoteInput(text)} is not a time window. ${WINDOW_HELP}`);
}

/** True when `token` looks like (part of) a window, valid or not, so that the parser can explain what is wrong. */
export function isWindowToken(token: string): boolean {
  const t = token.trim().toLowerCase();
  if (t === 'today' || t === 'yesterday' || t === 'since') return true;
  if (/^[+-]?\d+[mhdw]$/.test(t)) return true;
  if (/^\d{1,2}:\d{2}\.\.\d{1,2}:\d{2}$/.test(t)) return true;
  return /^\d{4}-.*\.\.|\.\.\d{4}-/.test(t);
}

/**
 * Find the window among already split command tokens. `since` takes the token after it. At most one window: a
 * second is a UsageError, since silently taking either one would answer a different question.
 */
export function takeWindow(tokens: string[]): { windowText?: string; rest: string[] } {
  let windowText: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (!isWindowToken(token)) {
      rest.push(token);
      continue;
    }
    let found = token;
    if (token.toLowerCase() === 'since') {
      const next = tokens[i + 1];
      if (next === undefined) throw usage(`\`since\` needs a date or time after it, e.g. \`since 2026-11-20T08:00Z\`.`);
      found = `since ${next}`;
      i++;
    }
    if (windowText !== undefined) {
      throw usage(`Two windows given: ${quoteInput(windowText)} and ${quoteInput(found)}; give only one.`);
    }
    windowText = found;
  }
  return windowText === undefined ? { rest } : { windowText, rest };
}

/** Every UTC day `yyyy/MM/dd` overlapping `[start, end)`, ascending; empty when `end <= start`. */
export function partitionsFor(start: Date, end: Date): string[] {
  const days: string[] = [];
  if (!(end.getTime() > start.getTime())) return days;
  const lastMs = end.getTime() - 1; // half-open: a window ending exactly at 00:00Z does not touch that day
  for (let day = Math.floor(start.getTime() / DAY) * DAY; day <= lastMs; day += DAY) {
    const d = new Date(day);
    days.push(`${pad(d.getUTCFullYear(), 4)}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`);
  }
  return days;
}

export function windowToJson(w: TimeWindow): TimeWindowJson {
  return { start: w.start.toISOString(), end: w.end.toISOString(), label: w.label, partitions: [...w.partitions] };
}

/**
 * Read a stored window. Partitions are recomputed from start/end (they are derived data, and this keeps a stored
 * item from steering a query to other days).
 */
export function windowFromJson(json: TimeWindowJson): TimeWindow {
  const start = new Date(json.start);
  const end = new Date(json.end);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end.getTime() <= start.getTime()) {
    throw new TrailError('BAD_WINDOW', `Stored time window \`${json.start}\`..\`${json.end}\` is not valid.`);
  }
  return { start, end, label: String(json.label), partitions: partitionsFor(start, end) };
}

/**
 * Whether an instant falls in the configured off-hours (local time of day in `[start, end)`, wrapping midnight when
 * `start > end`; whole Saturdays and Sundays too when `weekends`).
 */
export function isOffHours(
  instant: Date,
  offHours: { start: string; end: string; weekends: boolean },
  timeZone: string,
): boolean {
  const local = new TZDate(instant.getTime(), timeZone);
  const day = local.getDay();
  if (offHours.weekends && (day === 0 || day === 6)) return true;
  const minute = local.getHours() * 60 + local.getMinutes();
  const from = minutesOf(offHours.start);
  const to = minutesOf(offHours.end);
  return from <= to ? minute >= from && minute < to : minute >= from || minute < to;
}

// ---------------------------------------------------------------------------------------------------------------

interface Bound {
  at: Date;
  label: string;
}

/** An ISO date or date-time. Date-only: start of the day in `timeZone`, or (as an end) the start of the next day. */
function parseBound(text: string, timeZone: string, role: 'start' | 'end'): Bound {
  const m = ISO.exec(text);
  if (!m) {
    throw usage(
      `${quoteInput(text)} is not an ISO date or time; write it like \`2026-11-20\`, \`2026-11-20T08:00Z\` or \`2026-11-20T09:00+01:00\`.`,
    );
  }
  const [, ys, mos, ds, hs, mis, ss, frac, zone] = m;
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  if (year < 1970) throw usage(`${quoteInput(text)}: CloudTrail has no logs before 1970; check the year.`);
  if (month < 1 || month > 12) throw usage(`${quoteInput(text)} is not a real date: there is no month ${mos}.`);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) {
    throw usage(`${quoteInput(text)} is not a real date: ${MONTHS[month - 1]} ${year} has ${daysInMonth} days.`);
  }
  const date = `${ys}-${mos}-${ds}`;

  if (hs === undefined) {
    // Date-only. TZDate picks the first instant of the day even where midnight itself is skipped by DST.
    const at = new TZDate(year, month - 1, role === 'end' ? day + 1 : day, timeZone);
    return { at: new Date(at.getTime()), label: date };
  }

  const hour = Number(hs);
  const minute = Number(mis);
  const second = ss === undefined ? 0 : Number(ss);
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  if (hour > 23 || minute > 59 || second > 59) {
    throw usage(`${quoteInput(text)} is not a real time of day; hours go to 23, minutes and seconds to 59.`);
  }
  let clock = `${hs}:${mis}`;
  if (ss !== undefined) clock += `:${ss}`;
  if (frac !== undefined) clock += `.${frac}`;

  if (zone === undefined) {
    const local = new TZDate(year, month - 1, day, hour, minute, second, ms, timeZone);
    // A wall-clock time skipped by a DST jump comes back shifted by an hour; refuse rather than guess.
    if (local.getDate() !== day || local.getHours() !== hour || local.getMinutes() !== minute) {
      throw usage(
        `${quoteInput(text)} does not exist in ${timeZone} (the clocks skip that hour); add an offset like \`+01:00\` or \`Z\`.`,
      );
    }
    return { at: new Date(local.getTime()), label: `${date}T${clock}` };
  }

  let offsetMinutes = 0;
  let zoneLabel = 'Z';
  if (zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (oh > 14 || om > 59) throw usage(`${quoteInput(text)} has an impossible UTC offset \`${zone}\`.`);
    offsetMinutes = sign * (oh * 60 + om);
    zoneLabel = `${sign < 0 ? '-' : '+'}${pad(oh)}:${pad(om)}`;
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * MINUTE;
  return { at: new Date(utc), label: `${date}T${clock}${zoneLabel}` };
}

/** `HH:MM` as hours and minutes, or a UsageError naming what is wrong. */
function clockOf(text: string): { hour: number; minute: number } {
  const [, hs, ms] = CLOCK.exec(text) ?? [];
  const hour = Number(hs);
  const minute = Number(ms);
  if (hs === undefined || hour > 23 || minute > 59) {
    throw usage(`${quoteInput(text)} is not a time of day; write it as HH:MM from 00:00 to 23:59, like \`14:00\`.`);
  }
  return { hour, minute };
}

/** That wall-clock time on one calendar day in `timeZone`; refuses a time the clocks skip (DST). */
function clockOn(text: string, day: Date, timeZone: string): Bound {
  const { hour, minute } = clockOf(text);
  const d = new TZDate(day.getTime(), timeZone);
  const local = new TZDate(d.getFullYear(), d.getMonth(), d.getDate(), hour, minute, 0, 0, timeZone);
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  if (local.getHours() !== hour || local.getMinutes() !== minute) {
    throw usage(
      `${quoteInput(text)} does not exist on ${date} in ${timeZone} (the clocks skip that hour); give a date and an offset, like \`since ${date}T${pad(hour)}:${pad(minute)}+01:00\`.`,
    );
  }
  return { at: new Date(local.getTime()), label: `${date}T${pad(hour)}:${pad(minute)}` };
}

/** The latest moment at `HH:MM` in the team time zone that is not after `now`: today's, or yesterday's if ahead. */
function latestClock(text: string, now: Date, timeZone: string): Bound {
  const today = clockOn(text, now, timeZone);
  if (today.at.getTime() <= now.getTime()) return today;
  return clockOn(text, addDays(new TZDate(now.getTime(), timeZone), -1), timeZone);
}

/** The first moment at `HH:MM` after `start`: the same day, or the next when the time is not later. */
function clockAfter(text: string, start: Date, timeZone: string): Bound {
  const sameDay = clockOn(text, start, timeZone);
  if (sameDay.at.getTime() > start.getTime()) return sameDay;
  return clockOn(text, addDays(new TZDate(start.getTime(), timeZone), 1), timeZone);
}

function build(start: Date, end: Date, label: string): TimeWindow {
  return {
    start: new Date(start.getTime()),
    end: new Date(end.getTime()),
    label,
    partitions: partitionsFor(start, end),
  };
}

function checkLength(label: string, ms: number, maxDays: number): void {
  // One hour of slack so a calendar range of exactly `maxDays` days that contains a 25-hour DST day still fits.
  if (ms > maxDays * DAY + HOUR) {
    throw usage(
      `${quoteInput(label)} is longer than the ${maxDays}-day maximum; narrow the window or set TRAIL_MAX_WINDOW_DAYS`,
    );
  }
}

function usage(message: string): UsageError {
  return new UsageError(message, WINDOW_HELP);
}

/**
 * What the user typed, safe to echo inside backticks: at most 40 characters, control characters escaped, and
 * backticks swapped so the text cannot close the code span in Slack.
 */
export function quoteInput(text: string): string {
  return `\`${shown(text)}\``;
}

export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}
