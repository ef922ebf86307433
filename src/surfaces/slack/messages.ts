/**
 * The Slack messages for executions, as pure functions of the execution record (no I/O, no clock unless passed): the
 * in-channel parent, the result reply in its thread, the failure reply, the cost confirmation and "show SQL". The
 * pieces come from kit.ts (Block Kit limits held by construction), escape.ts and src/util/echo.ts (escaping), facts.ts
 * (what is said about an execution) and tables.ts (the rows).
 *
 * Every mrkdwn text object is `verbatim`, and every value from a user or from CloudTrail is escaped or shown as one
 * line of inline code, so it cannot ping anyone, link, or forge a line, a quote or bold text (issue 13 item 3).
 */

import type { ActionsBlock, KnownBlock } from '@slack/web-api';
import type { ExecutionRecord } from '../../core/execution';
import type { ResultSummary } from '../../core/publisher';
import type { PivotFinder } from '../../dispatch/pivots';
import { sqlLiteral } from '../../query/literal';
import { formatDuration } from '../../time/format';
import { codeSpan, fenceBody } from '../../util/echo';
import { escapeMrkdwn, fenced, mention, splitLines, truncate, truncateEscaped } from './escape';
import {
  commandLine,
  type Outcome,
  originLine,
  outcomeOf,
  reasonText,
  scheduledLine,
  statsParts,
  whoAsked,
  windowText,
} from './facts';
import {
  ACTION_IDS,
  button,
  clampInt,
  context,
  count,
  fallback,
  MAX_SECTION_TEXT,
  mrkdwnSection,
  plural,
  type RenderOptions,
  type ResultRenderOptions,
  type SlackMessage,
} from './kit';
import { pivotBlocks } from './pivots';
import { answerLine, answerTable, flagsSection, tableLimits } from './tables';

/** Blocks per message (https://docs.slack.dev/reference/block-kit/blocks). */
const MAX_BLOCKS = 50;
/** Sections of SQL in "show SQL" (3 × ~3000 stays under the total-text budget). */
const MAX_SQL_SECTIONS = 3;

const OUTCOME_LABEL: Record<Outcome, { emoji: string; word: string }> = {
  queued: { emoji: ':hourglass_flowing_sand:', word: 'Queued' },
  running: { emoji: ':hourglass_flowing_sand:', word: 'Running' },
  succeeded: { emoji: ':white_check_mark:', word: 'Done' },
  failed: { emoji: ':x:', word: 'Failed' },
  cancelled: { emoji: ':no_entry_sign:', word: 'Cancelled' },
};

/**
 * The in-channel parent: who asked what, for which window, and the state. While running it carries Cancel; once
 * finished, rows / bytes scanned / cost / duration (or the failure reason) and Re-run / Show SQL.
 */
export function renderParent(e: ExecutionRecord, o: RenderOptions & { elapsedMs?: number }): SlackMessage {
  const outcome = outcomeOf(e);
  const { emoji, word } = OUTCOME_LABEL[outcome];
  const window = windowText(e, o);
  const running = outcome === 'queued' || outcome === 'running';
  const elapsed = running && o.elapsedMs !== undefined ? ` · ${formatDuration(o.elapsedMs)}` : '';
  const cancelled = outcome === 'cancelled' && e.cancelledBy !== undefined ? ` by ${mention(e.cancelledBy)}` : '';
  const headline = `${emoji} *${word}*${cancelled}${elapsed} · ${whoAsked(e)}`;

  const blocks: KnownBlock[] = [mrkdwnSection(headline + scheduledLine(e) + originLine(e))];
  if (outcome === 'failed') blocks.push(mrkdwnSection(`> ${reasonText(e, outcome)}`));
  const facts = [escapeMrkdwn(window), ...statsParts(e, outcome)];
  blocks.push(context([facts.join(' · '), `${e.engine === 'athena' ? 'Athena' : 'DuckDB'} · ${codeSpan(e.id)}`]));

  const actions: ActionsBlock = {
    type: 'actions',
    elements: running
      ? [
          {
            ...button('Cancel', ACTION_IDS.cancel, e.id, 'danger'),
            confirm: {
              title: { type: 'plain_text', text: 'Cancel this query?' },
              text: {
                type: 'plain_text',
                text:
                  e.engine === 'athena'
                    ? 'The query stops; Athena still bills what it scanned so far.'
                    : 'The query stops; its results are not posted.',
              },
              confirm: { type: 'plain_text', text: 'Cancel query' },
              deny: { type: 'plain_text', text: 'Keep running' },
            },
          },
        ]
      : [button('Re-run', ACTION_IDS.rerun, e.id), button('Show SQL', ACTION_IDS.showSql, e.id)],
  };
  blocks.push(actions);

  const text = fallback([
    `${word}${cancelled}: ${whoAsked(e)}${originLine(e)}`,
    facts.join(' · '),
    outcome === 'failed' ? reasonText(e, outcome) : '',
  ]);
  return { text, blocks };
}

/**
 * The result reply in the thread: a summary line, risk flags, the top rows as a table (or aligned text), a note
 * naming what was left out ("Rows 1–20 of 1,234 · hidden: useragent — in the CSV in this thread") and a button for
 * the next rows.
 */
export function renderResult(
  e: ExecutionRecord,
  result: ResultSummary,
  o: ResultRenderOptions & { pivots?: PivotFinder },
): SlackMessage {
  const { maxRows, maxColumns, maxCell } = tableLimits(o);
  const maxFlags = clampInt(o.maxFlags, 15, 0, 100);
  const window = windowText(e, o);
  const total = result.totalRows;
  const flagsTotal = Math.max(result.flagsTotal, result.flags.length);

  const blocks: KnownBlock[] = [];
  const summary =
    total === 0
      ? `:white_check_mark: *No matching events* for ${codeSpan(commandLine(e))} in ${escapeMrkdwn(window)}.`
      : `:bar_chart: *${plural(total, 'row')}* for ${codeSpan(commandLine(e))} · ${escapeMrkdwn(window)}`;
  blocks.push(mrkdwnSection(summary + scheduledLine(e)));

  const flags = flagsSection(result, maxFlags);
  if (flags) blocks.push(flags);

  let note = '';
  if (total > 0 && result.columns.length > 0 && result.topRows.length > 0) {
    // The table in the command's column order, its note (rows shown, hidden columns named) and the "Show next 20
    // rows" button: tables.ts answerTable.
    const page = { columns: result.columns, rows: result.topRows, from: 0, totalRows: total };
    const table = answerTable(e, page, { maxRows, maxColumns, maxCellChars: maxCell, table: o.table });
    blocks.push(...table.blocks);
    const rowsShown = table.rowsShown;
    note = table.note;
    // The next questions each shown row offers (issue 17 item 2), within the message's 50 blocks.
    if (o.pivots) blocks.push(...pivotBlocks(e.id, result, rowsShown, o.pivots, MAX_BLOCKS - blocks.length));
  }

  const text = fallback([
    answerLine(e, total, escapeMrkdwn(window)) +
      (total > 0 && flagsTotal > 0 ? ` · ${plural(flagsTotal, 'risk flag')}` : ''),
    note,
  ]);
  return { text, blocks };
}

/** The parent as one section of text: what `renderParent` says, without context, buttons or anything else. */
export function renderPlainParent(e: ExecutionRecord, o: RenderOptions): SlackMessage {
  const { text } = renderParent(e, o);
  return { text, blocks: [mrkdwnSection(text)] };
}

/** The cost pre-flight question, only for the asker: the estimate and a Confirm button carrying the pending token. */
export function renderConfirmation(text: string, token: string): SlackMessage {
  return {
    text: truncate(text, 3000),
    blocks: [
      mrkdwnSection(`:moneybag: ${text}`),
      {
        type: 'actions',
        block_id: 'trail_confirm',
        elements: [button('Run it', ACTION_IDS.confirm, token, 'primary')],
      },
    ],
  };
}

/** Why a query failed or who cancelled it, for the thread. */
export function renderFailure(e: ExecutionRecord, o: RenderOptions): SlackMessage {
  const outcome = outcomeOf(e) === 'cancelled' ? 'cancelled' : 'failed';
  const reason = reasonText(e, outcome);
  const window = windowText(e, o);
  // A SUCCEEDED execution with an error is an answer Slack would not take (the runner gave up publishing it).
  const notPosted = e.state === 'SUCCEEDED';
  const headline =
    outcome === 'cancelled'
      ? `:no_entry_sign: ${reason} ${whoAsked(e)} · ${escapeMrkdwn(window)}`
      : notPosted
        ? `:x: *The answer could not be posted* · ${whoAsked(e)} · ${escapeMrkdwn(window)}`
        : `:x: *The query failed* · ${whoAsked(e)} · ${escapeMrkdwn(window)}`;
  const blocks: KnownBlock[] = [mrkdwnSection(headline + scheduledLine(e))];
  if (outcome === 'failed') blocks.push(mrkdwnSection(`> ${reason}`));
  const stats = statsParts(e, outcome);
  blocks.push(context([[...stats, 'Re-run or Show SQL on the message above'].join(' · ')]));
  const text = fallback([
    outcome === 'cancelled'
      ? `${reason} ${codeSpan(commandLine(e))}`
      : `${notPosted ? 'The answer could not be posted' : 'The query failed'}: ${codeSpan(commandLine(e))}`,
    outcome === 'failed' ? reason : '',
  ]);
  return { text, blocks };
}

/**
 * The SQL an execution ran, for the clicking user only: SQL in code blocks (split across sections past 3000
 * characters), each `?` parameter as the literal Athena receives, and the partitions read.
 */
export function renderShowSql(e: ExecutionRecord, o: RenderOptions): SlackMessage {
  const q = e.query;
  const blocks: KnownBlock[] = [
    mrkdwnSection(`*SQL for* ${codeSpan(commandLine(e))} · template ${codeSpan(q.template)}`),
  ];
  const fence = 6; // ``` … ```
  const sqlBody = fenceBody(q.sql.trim());
  const pieces = splitLines(sqlBody, MAX_SECTION_TEXT - fence - 2);
  const shown = pieces.slice(0, MAX_SQL_SECTIONS);
  for (const piece of shown) blocks.push(mrkdwnSection(fenced(piece)));

  const params = q.params.map((p, i) => {
    let literal: string;
    try {
      literal = sqlLiteral(p);
    } catch {
      literal = `${p.type} ${String(p.value)}`;
    }
    return `\`?${i + 1}\` ${p.type} = ${codeSpan(truncate(literal, 300))}`;
  });
  const paramLines: string[] = [];
  let used = 0;
  for (const line of params) {
    if (used + line.length + 1 > MAX_SECTION_TEXT - 200) break;
    paramLines.push(line);
    used += line.length + 1;
  }
  if (paramLines.length < params.length) paramLines.push(`_…and ${count(params.length - paramLines.length)} more_`);
  blocks.push(mrkdwnSection(params.length === 0 ? '*Parameters:* none' : `*Parameters*\n${paramLines.join('\n')}`));

  const partitions = q.partitions;
  const partitionText =
    partitions.length === 0
      ? 'no partitions'
      : partitions.length === 1
        ? `partition ${partitions[0]}`
        : `partitions ${partitions[0]} … ${partitions[partitions.length - 1]} (${partitions.length} days)`;
  const notes = [escapeMrkdwn(windowText(e, o)), escapeMrkdwn(partitionText)];
  if (pieces.length > shown.length) notes.push(`SQL cut after ${count(shown.join('').length)} characters`);
  blocks.push(context([notes.join(' · ')]));

  const text = fallback([
    `SQL for ${codeSpan(commandLine(e))} (template ${escapeMrkdwn(q.template)}):`,
    fenced(truncateEscaped(sqlBody, 1800)),
    params.length === 0 ? 'Parameters: none' : `Parameters:\n${paramLines.join('\n')}`,
  ]);
  return { text, blocks };
}

/** File name of the CSV in the thread: command, id, and nothing a file system would mind. */
export function csvFileName(e: ExecutionRecord): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'query';
  return `trail-${safe(e.command).slice(0, 40)}-${safe(e.id).slice(0, 60)}.csv`;
}
