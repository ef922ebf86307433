import type { ExecutionRecord } from '../src/core/execution';
import { formatUsd } from '../src/cost';
import { formatBytes, formatDuration, formatInstant } from '../src/time/format';
import { codeSpan, echoCommand } from '../src/util/echo';
import { takeId } from './ids';
import type { DeferredControl } from './types';

export const ExecutionStatus: DeferredControl<{ id: string }> = {
  kind: 'control',
  name: 'status',
  summary: 'the state of one question: running, finished, rows, bytes scanned, cost',
  usage: 'status <id>',
  examples: ['status k3x9q2m8a1'],
  parse(args) {
    return { id: takeId(this, args, 'execution') };
  },
  async handle({ id }, ctx) {
    const e = await ctx.executions.get(id);
    // Another channel's question is not acknowledged: its id says nothing to people here.
    if (!e || e.channelId !== ctx.asker.channelId) return `There is no execution \`${id}\` in this channel.`;
    return statusText(e, ctx.config.timeZone);
  },
};

/** One line of `history`, and the first line of `status`. */
export function historyLine(e: ExecutionRecord, timeZone: string): string {
  const rows = e.stats?.rows !== undefined ? `${e.stats.rows} rows` : '';
  const bytes = e.stats?.bytesScanned !== undefined ? formatBytes(e.stats.bytesScanned) : '';
  const when = formatInstant(new Date(e.createdAt), timeZone);
  // The command is someone's typing, shown to everyone in the channel: data only (issue 13 item 4).
  return [`\`${e.id}\``, when, `<@${e.userId}>`, echoCommand(e.commandText), e.state, rows, bytes]
    .filter((p) => p !== '')
    .join(' · ');
}

/** `status <id>` text. */
export function statusText(e: ExecutionRecord, timeZone: string): string {
  const lines = [historyLine(e, timeZone)];
  if (e.stats?.elapsedMs !== undefined) lines.push(`ran ${formatDuration(e.stats.elapsedMs)}`);
  if (e.stats?.costUsd !== undefined && e.engine === 'athena') lines.push(`cost ${formatUsd(e.stats.costUsd)}`);
  // An engine's reason can quote what was queried; a cancellation's is trailbot's own and said on the next line.
  if (e.error && !e.cancelledBy) lines.push(codeSpan(e.error.length > 1000 ? `${e.error.slice(0, 999)}…` : e.error));
  if (e.cancelledBy) lines.push(`cancelled by <@${e.cancelledBy}>`);
  // Finished but not posted yet: say why, so "where is my answer?" has one (the runner keeps trying, then gives up).
  if (e.state !== 'PUBLISHED' && e.lastPublishError)
    lines.push(`not posted yet after ${e.publishAttempts ?? 0} attempts: ${codeSpan(e.lastPublishError)}`);
  return lines.join('\n');
}
