import type { ExecutionRecord } from '../core/execution';
import { CONFIRM_TTL_SECONDS } from '../core/runner';
import { formatUsd } from '../cost';
import { formatBytes } from '../time/format';
import { echoCommand } from '../util/echo';

/*
 * Every sentence the runner says to a person, in one place. Text that came from someone's typing goes through
 * echoCommand (data, never markup); ids and counts are the runner's own.
 */

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

// Admission: limits and duplicates.

export function userLimitReached(running: number, limit: number): string {
  return `You already have ${running} questions running (the limit is ${limit}). Wait for one to finish or cancel one with \`/trail cancel <id>\`.`;
}

export function channelLimitReached(running: number, limit: number): string {
  return `This channel already has ${running} questions running (the limit is ${limit}). Try again when one has finished.`;
}

export function duplicateQuestion(existing: ExecutionRecord): string {
  const where = existing.state === 'PUBLISHED' ? 'was just answered' : 'is already running';
  return `The same question ${where} in this channel (execution \`${existing.id}\`, asked by <@${existing.userId}>): see its thread, or \`/trail status ${existing.id}\`.`;
}

// Cost pre-flight: the estimate, the daily budget and the confirmation.

export interface Estimate {
  bytes: number;
  /** Set on Athena, which bills by the bytes scanned. */
  usd?: number;
  /** Only some day folders could be sized; the rest were extrapolated. */
  partial?: { listed: number; total: number };
  /** The bytes count two scans of the window: the answer and its chart's series query (BoundQuery.series). */
  twice?: boolean;
}

const scansNote = (e: Estimate): string => (e.twice ? ' (read twice: once for the answer, once for its chart)' : '');

/** What follows the byte count: the price (Athena) and whether the estimate is partial. */
function estimateNotes(e: Estimate): string {
  const price = e.usd !== undefined ? ` (≈ ${formatUsd(e.usd)})` : '';
  const partial = e.partial
    ? ` (estimate partial: ${e.partial.listed} of ${e.partial.total} day folders sized, the rest extrapolated)`
    : '';
  return price + partial;
}

export function overDailyBudget(e: Estimate, usedToday: number, budget: number): string {
  return `This question would read about ${formatBytes(e.bytes)}${estimateNotes(e)}${scansNote(e)}; with the ${formatBytes(usedToday)} you already read today it passes your daily budget of ${formatBytes(budget)} (TRAIL_DAILY_BUDGET_BYTES). Narrow the window, or ask again tomorrow.`;
}

export function confirmationNeeded(commandText: string, e: Estimate, days: number, threshold: number): string {
  return `${echoCommand(commandText)} would read about ${formatBytes(e.bytes)}${estimateNotes(e)} from ${plural(days, 'day')} of logs${scansNote(e)}, more than the ${formatBytes(threshold)} that needs a confirmation. Narrow the window, or confirm to run it.`;
}

/** The confirmation on a surface without buttons (the terminal): the command that confirms. */
export function confirmByCommand(question: string, token: string): string {
  return `${question} To run it: \`/trail confirm ${token}\``;
}

export function confirmNotYours(): string {
  return 'Only the person who asked can confirm it, in the channel where it was asked.';
}

export function nothingToConfirm(): string {
  return `Nothing is waiting for that confirmation (it was run already, or it expired after ${CONFIRM_TTL_SECONDS / 60} minutes).`;
}

export function runningConfirmed(commandText: string): string {
  return `Running ${echoCommand(commandText)}…`;
}

// Cancel.

export function noSuchExecution(id: string): string {
  return `There is no execution \`${id}\`.`;
}

export function nothingToCancel(id: string, state: ExecutionRecord['state']): string {
  return `Execution \`${id}\` already ${state === 'PUBLISHED' ? 'finished' : state.toLowerCase()}; nothing to cancel.`;
}

export function finishedBeforeCancel(id: string): string {
  return `Execution \`${id}\` finished before it could be cancelled.`;
}

/** Recorded as the execution's error, so the thread says who stopped it. */
export function cancelledBy(userId: string): string {
  return `Cancelled by <@${userId}>.`;
}

export function cancelled(id: string): string {
  return `Cancelled \`${id}\`.`;
}

// Failures recorded on the execution (the thread shows them).

export function engineKeptForgetting(times: number): string {
  return `The query engine lost this query ${times} times in a row; ask again in a moment.`;
}

/** When the engine gave no reason of its own. */
export function queryEnded(state: 'FAILED' | 'CANCELLED'): string {
  return state === 'CANCELLED' ? 'The query was cancelled.' : 'The query failed.';
}

export function refetchFailed(reason: string): string {
  return `re-fetching results failed: ${reason}`;
}

// Giving up on publishing.

/** The answer was computed but could not be posted: say so, and where the rows are if the CSV made it. */
export function answerNotPosted(e: ExecutionRecord, attempts: number): string {
  const rows = e.stats?.rows;
  const counted = rows !== undefined ? ` with ${plural(rows, 'row')}` : '';
  const csv = e.fileRef ? ' The CSV in this thread has every row.' : '';
  return `The query finished${counted}, but its answer could not be posted after ${attempts} attempts.${csv}${lastError(e)} Use Re-run to ask again.`;
}

/** A failure or cancellation notice that could not be posted: keep its own text, add why it is late. */
export function noticeNotPosted(e: ExecutionRecord, attempts: number): string {
  return `${e.error ? `${e.error} ` : ''}(This notice could not be posted in full after ${attempts} attempts.${lastError(e)})`;
}

function lastError(e: ExecutionRecord): string {
  return e.lastPublishError ? ` The last error: ${e.lastPublishError}` : '';
}
