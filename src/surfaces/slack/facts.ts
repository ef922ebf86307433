/**
 * What the Slack messages say about an execution, each as escaped mrkdwn: its outcome, the command as typed, its
 * window, rows / bytes / cost / duration, who asked, why it failed. Values that sit inside sentences (the command,
 * failure reasons) are shown as inline code on one line (src/util/echo.ts), so they cannot forge a line, a quote,
 * bold text, a link or an `@here` (issue 13 item 3).
 */

import type { QueryState } from '../../core/engine';
import type { ExecutionRecord } from '../../core/execution';
import { watchOf } from '../../core/watch';
import { formatUsd, queryCostUsd } from '../../cost';
import { PIVOT_MEANING } from '../../dispatch/pivots';
import { formatBytes, formatDuration, formatWindow } from '../../time/format';
import { scheduleNote } from '../../time/schedule-text';
import { codeSpan, MAX_ECHOED_COMMAND, oneLine } from '../../util/echo';
import { mention, truncate } from './escape';
import { count, plural, type RenderOptions } from './kit';

/** A failure reason longer than this is cut (Athena reasons can quote whole queries). */
const MAX_REASON_CHARS = 1500;

export type Outcome = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** What happened to an execution, also once PUBLISHED (which only says the notice went out). */
export function outcomeOf(e: ExecutionRecord): Outcome {
  switch (e.state) {
    case 'SUBMITTED':
      return 'queued';
    case 'RUNNING':
      return 'running';
    case 'SUCCEEDED':
      return 'succeeded';
    case 'FAILED':
      return 'failed';
    case 'CANCELLED':
      return 'cancelled';
    case 'PUBLISHED':
      if (e.cancelledBy !== undefined) return 'cancelled';
      return e.error !== undefined ? 'failed' : 'succeeded';
  }
}

/** `/trail <what was typed>` on one line, cut to as much as any reply echoes. */
export function commandLine(e: ExecutionRecord): string {
  return truncate(oneLine(`/trail ${e.commandText}`), MAX_ECHOED_COMMAND);
}

export function windowText(e: ExecutionRecord, o: RenderOptions): string {
  try {
    return formatWindow(e.query.window, o.timeZone, o.now);
  } catch {
    // A record from an older version or a bad zone must still render; the label is what the user typed.
    return e.query.window.label;
  }
}

function durationMs(e: ExecutionRecord): number | undefined {
  if (e.stats?.elapsedMs !== undefined) return e.stats.elapsedMs;
  const from = Date.parse(e.startedAt ?? e.createdAt);
  const to = e.finishedAt === undefined ? Number.NaN : Date.parse(e.finishedAt);
  return Number.isFinite(from) && Number.isFinite(to) ? to - from : undefined;
}

function costText(e: ExecutionRecord, outcome: Outcome): string | undefined {
  if (e.engine !== 'athena') return undefined;
  const bytes = e.stats?.bytesScanned;
  if (e.stats?.costUsd === undefined && bytes === undefined) return undefined;
  const state: QueryState | undefined =
    outcome === 'failed' ? 'FAILED' : outcome === 'cancelled' ? 'CANCELLED' : 'SUCCEEDED';
  const usd =
    e.stats?.costUsd ??
    queryCostUsd('athena', { bytesScanned: bytes ?? 0, reusedResult: e.stats?.reusedResult }, state);
  return Number.isFinite(usd) ? formatUsd(usd) : undefined;
}

/** Rows · bytes scanned · cost · duration, whichever are known. */
export function statsParts(e: ExecutionRecord, outcome: Outcome): string[] {
  const parts: string[] = [];
  if (e.stats?.rows !== undefined) parts.push(plural(e.stats.rows, 'row'));
  if (e.stats?.bytesScanned !== undefined) parts.push(`${formatBytes(e.stats.bytesScanned)} scanned`);
  if (e.stats?.reusedResult) parts.push('reused result');
  if (e.stats?.cachedPartitions) parts.push(`${plural(e.stats.cachedPartitions, 'day folder')} from the cache`);
  const cost = costText(e, outcome);
  if (cost) parts.push(cost);
  const ms = durationMs(e);
  if (ms !== undefined && outcome !== 'queued' && outcome !== 'running') parts.push(formatDuration(ms));
  return parts;
}

export function whoAsked(e: ExecutionRecord): string {
  const verb = watchOf(e) ? 'watches' : e.scheduleId !== undefined ? 'scheduled' : 'asked';
  return `${mention(e.userId)} ${verb} ${codeSpan(commandLine(e))}`;
}

export function reasonText(e: ExecutionRecord, outcome: Outcome): string {
  if (outcome === 'cancelled') {
    const by = e.cancelledBy !== undefined ? ` by ${mention(e.cancelledBy)}` : '';
    return `Cancelled${by}.`;
  }
  // An engine's reason can quote what was queried (and so data): one line of inline code, like any other data.
  const reason = oneLine(e.error ?? '');
  if (reason === '') return 'The query failed without a reason from the engine.';
  return codeSpan(truncate(reason, MAX_REASON_CHARS));
}

/**
 * A pivot's parent says where it came from: which row of which question, and what it asks (issue 17 item 2). The
 * origin's command is what someone typed, so it is shown as data.
 */
export function originLine(e: ExecutionRecord): string {
  const o = e.origin;
  if (!o) return '';
  const meaning = PIVOT_MEANING[o.kind] ?? 'a pivot';
  const from = codeSpan(truncate(oneLine(`/trail ${o.commandText}`), MAX_ECHOED_COMMAND));
  return `\n:leftwards_arrow_with_hook: Pivot from row ${count(o.row + 1)} of ${from} (${codeSpan(o.executionId)}): ${meaning}`;
}

/** A scheduled run says so, who created the schedule and how to stop it (ids are trailbot's own, no user text). */
export function scheduledLine(e: ExecutionRecord): string {
  const watch = watchOf(e);
  if (watch) {
    // A watch's thread exists only because its run found something no earlier run posted (src/core/watch.ts).
    const id = codeSpan(watch.watchId);
    return `\n_Watch ${id} by ${mention(e.userId)}: only what no earlier run posted${watch.onlyFlagged ? ', flagged rows only' : ''}; stop it with ${codeSpan(`/trail unwatch ${watch.watchId}`)}_`;
  }
  return e.scheduleId ? `\n_${scheduleNote({ id: e.scheduleId, createdBy: e.userId })}_` : '';
}
