/** Words about schedules, shared by the control replies and the renderers of scheduled results. */

import type { Cadence, Schedule, ScheduleResult } from '../core/schedule';
import { codeSpan, echoCommand } from '../util/echo';
import { describeCadence, formatSlot } from './cadence';

/** A Slack mention for Slack user ids; anything else (terminal users) as it is. */
export function slackMention(userId: string): string {
  return /^[UW][A-Z0-9]{2,30}$/.test(userId) ? `<@${userId}>` : userId;
}

export interface ScheduleNoteInput {
  id: string;
  createdBy: string;
  /** With both, the note names the cadence too (needs the schedule; an execution alone has id and creator). */
  cadence?: Cadence;
  timeZone?: string;
}

/**
 * The line a scheduled result carries: that it is scheduled, who set it up, and how to stop it. Works from an
 * execution alone (`{ id: e.scheduleId, createdBy: e.userId }`, since scheduled runs are recorded as their creator's)
 * or from the schedule (adds the cadence):
 * `Scheduled daily 09:00 Europe/Berlin by <@U0ALICE>; stop it with /trail unschedule k3x9a1b2q7zc`.
 */
export function scheduleNote(schedule: ScheduleNoteInput, mention: (userId: string) => string = slackMention): string {
  const when = schedule.cadence && schedule.timeZone ? ` ${describeCadence(schedule.cadence, schedule.timeZone)}` : '';
  return `Scheduled${when} by ${mention(schedule.createdBy)}; stop it with \`/trail unschedule ${schedule.id}\``;
}

/** How far back each run looks, for the confirmation. */
export function periodOf(cadence: Cadence): string {
  return cadence.every === 'daily' ? 'the day before it' : 'the week before it';
}

const MAX_ERROR = 160;

/** `3 rows`, `nothing found`, `failed: …`, `skipped: …`, `not run yet`. */
export function resultText(result: ScheduleResult | undefined, timeZone: string): string {
  if (!result) return 'not run yet';
  const when = formatSlot(new Date(result.slot), timeZone);
  const id = result.executionId ? ` \`${result.executionId}\`` : '';
  // A reason can quote the question's own words or an engine's message, and `schedules` shows it to the whole channel.
  const reason = result.error ? `: ${codeSpan(clip(result.error))}` : '';
  switch (result.outcome) {
    case 'succeeded':
      return `${result.rows === 0 ? 'nothing found' : result.rows === 1 ? '1 row' : `${result.rows ?? '?'} rows`} (${when}${id})`;
    case 'failed':
      return `failed (${when}${id})${reason}`;
    case 'cancelled':
      return `cancelled (${when}${id})`;
    case 'skipped':
      return `skipped (${when})${reason}`;
  }
}

/** One line of `/trail schedules`. */
export function scheduleLine(schedule: Schedule, mention: (userId: string) => string = slackMention): string {
  return [
    `\`${schedule.id}\``,
    echoCommand(schedule.commandText),
    describeCadence(schedule.cadence, schedule.timeZone),
    `next ${formatSlot(new Date(schedule.nextRunAt), schedule.timeZone)}`,
    `last: ${resultText(schedule.lastResult, schedule.timeZone)}`,
    `by ${mention(schedule.createdBy)}`,
  ].join(' · ');
}

function clip(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MAX_ERROR ? `${line.slice(0, MAX_ERROR - 1)}…` : line;
}
