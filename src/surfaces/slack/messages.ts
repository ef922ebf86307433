/**
 * Slack messages for executions, as pure functions of the execution record (no I/O, no clock unless passed).
 *
 * Every message respects Block Kit limits BY CONSTRUCTION: text is cut with "…" and a note, rows and columns are
 * capped, and nothing here can produce a message Slack would reject (≤ 50 blocks, section text ≤ 3000, header ≤ 150,
 * one table of ≤ 100 rows × ≤ 20 cells, context ≤ 10 elements; https://docs.slack.dev/reference/block-kit/blocks,
 * its header-block page and https://docs.slack.dev/reference/block-kit/blocks/table-block). Total block text is also
 * kept under ~12k characters, because bolt-js issue #2509 saw `msg_blocks_too_long` near 13.2k, below any documented
 * limit.
 *
 * Every value that comes from a user or from CloudTrail goes through `escapeMrkdwn` before it lands in mrkdwn, so a
 * cell holding `<!channel>` cannot ping anyone: Slack parses `<…>` as links and mentions and asks apps to escape
 * `&`, `<` and `>` as HTML entities (https://docs.slack.dev/messaging/formatting-message-text#escaping). Values that
 * sit inside sentences (risk flags, the command, failure reasons) go further and are shown as inline code on one
 * line (src/util/echo.ts), in `verbatim` text objects, so they cannot forge a line, a quote,
 * bold text, a link or an `@here` (issue 13 item 3).
 */

import type { ActionsBlock, Button, ContextBlock, KnownBlock, SectionBlock, TableBlock } from '@slack/web-api';
import type { QueryState } from '../../core/engine';
import type { ExecutionRecord } from '../../core/execution';
import type { ResultSummary } from '../../core/publisher';
import { formatUsd, queryCostUsd } from '../../cost';
import { sqlLiteral } from '../../query/literal';
import { formatBytes, formatDuration, formatWindow } from '../../time/format';
import { scheduleNote } from '../../time/schedule-text';
import { codeSpan, escapeEntities, fenceBody, MAX_ECHOED_COMMAND, oneLine } from '../../util/echo';

/** A message ready for chat.postMessage / chat.update / respond: blocks plus the plain `text` fallback. */
export interface SlackMessage {
  /** Shown in notifications and read by screen readers; Slack asks for it whenever blocks are sent. */
  text: string;
  blocks: KnownBlock[];
}

/** `action_id`s of trailbot's buttons; the button `value` is always the execution id. */
export const ACTION_IDS = {
  cancel: 'trail_cancel',
  rerun: 'trail_rerun',
  showSql: 'trail_show_sql',
  confirm: 'trail_confirm',
} as const;

export interface RenderOptions {
  /** IANA zone windows are shown in (TRAIL_TIME_ZONE). */
  timeZone: string;
  /** "Now" for formatWindow's year elision; tests pin it. Default: the current time. */
  now?: Date;
}

export interface ResultRenderOptions extends RenderOptions {
  /** Data rows in the table (default 20, at most 99: the header takes one of the table block's 100 rows). */
  maxRows?: number;
  /** Columns shown (default 10, at most 20 cells per table row). */
  maxColumns?: number;
  /** Longest cell text before it is cut with "…" (default 80; JSON cells are cut at 60). */
  maxCellChars?: number;
  /** Flags listed by name (default 15); the count always covers all of them. */
  maxFlags?: number;
  /**
   * `block` = a Slack table block (default); `monospace` = aligned text in a code block, for workspaces or clients
   * without table blocks. Either way the CSV in the thread holds every row and column.
   */
  table?: 'block' | 'monospace';
}

// Documented limits (see the file comment) and our own budgets under them.
const MAX_SECTION_TEXT = 3000;
const MAX_TABLE_DATA_ROWS = 99;
const MAX_TABLE_COLUMNS = 20;
const MAX_CONTEXT_ELEMENTS = 10;
/** Characters of table cells per message, leaving room for the summary and flags under the ~12k total. */
const TABLE_CHAR_BUDGET = 7000;
/** Plain `text` fallback: Slack recommends ≤ 4,000 characters. */
const MAX_FALLBACK_TEXT = 3000;
/** How much of the typed command is echoed in a message. */
const MAX_COMMAND_CHARS = MAX_ECHOED_COMMAND;
/** A failure reason longer than this is cut (Athena reasons can quote whole queries). */
const MAX_REASON_CHARS = 1500;
const MAX_FLAG_MESSAGE_CHARS = 200;
/** Sections of SQL in "show SQL" (3 × ~3000 stays under the total-text budget). */
const MAX_SQL_SECTIONS = 3;
/** Widest line of the monospace table; wider lines wrap in Slack and lose the alignment. */
const MONOSPACE_LINE_WIDTH = 110;
const MONOSPACE_MAX_CELL = 30;
/** Sections of monospace table. */
const MAX_MONOSPACE_SECTIONS = 2;

const ELLIPSIS = '…';

// ---------------------------------------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------------------------------------

/**
 * Escapes the three characters Slack's message parser treats as control characters. After this, `<!channel>`,
 * `<@U123>` and `<https://x|y>` in a value are shown as typed and never become pings or links.
 */
export function escapeMrkdwn(s: string): string {
  return escapeEntities(s);
}

/**
 * Inline code holding a value as data: one line (whitespace collapsed, bidi and zero-width characters removed),
 * escaped, and backticks swapped for a look-alike so a value cannot close the code span early.
 */
export function inlineCode(s: string): string {
  return codeSpan(s);
}

/** A fenced code block body: escaped, and no two backticks side by side, so no run of them can close the fence. */
function codeBlockBody(s: string): string {
  return fenceBody(s);
}

/** Cuts `s` to at most `max` characters (UTF-16 units), ending with "…", never splitting a surrogate pair. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  if (max <= 1) return ELLIPSIS.slice(0, max);
  let cut = max - 1;
  const code = s.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--; // would end on a high surrogate
  return s.slice(0, cut) + ELLIPSIS;
}

/** Where to cut already-escaped text at or before `at` without splitting an `&amp;`-style entity or a surrogate pair. */
function safeCut(escaped: string, at: number): number {
  let cut = Math.max(0, Math.min(at, escaped.length));
  const code = escaped.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  const amp = escaped.lastIndexOf('&', cut - 1);
  if (amp >= 0 && amp > cut - 5) {
    const semi = escaped.indexOf(';', amp);
    if (semi >= cut) cut = amp; // the entity would straddle the cut
  }
  return cut;
}

/** Cuts escaped mrkdwn to `max` characters ending in "…", never inside an entity (a half entity shows as junk). */
function truncateEscaped(escaped: string, max: number): string {
  if (escaped.length <= max) return escaped;
  return escaped.slice(0, safeCut(escaped, max - 1)) + ELLIPSIS;
}

/**
 * A mention when the id looks like a Slack user id; otherwise the name as escaped text (terminal and scheduled runs
 * may carry other ids).
 */
export function mention(userId: string): string {
  return /^[UW][A-Z0-9]{2,30}$/.test(userId) ? `<@${userId}>` : escapeMrkdwn(userId);
}

const count = (n: number): string => n.toLocaleString('en-US');
const plural = (n: number, one: string, many = `${one}s`): string => `${count(n)} ${n === 1 ? one : many}`;

/**
 * Every mrkdwn object trailbot sends is `verbatim`: Slack then still applies formatting and the manual strings
 * trailbot writes itself (`<@U…>`), but does not turn URLs into links or parse channel names and `@here` in the plain
 * text ("verbatim", Block Kit text object reference), so data that slipped past inline code still cannot link or ping.
 */
function mrkdwn(text: string): { type: 'mrkdwn'; text: string; verbatim: true } {
  return { type: 'mrkdwn', text: truncateEscaped(text, MAX_SECTION_TEXT), verbatim: true };
}

function mrkdwnSection(text: string): SectionBlock {
  return { type: 'section', text: mrkdwn(text) };
}

function context(parts: string[]): ContextBlock {
  const elements = parts
    .filter((p) => p.length > 0)
    .slice(0, MAX_CONTEXT_ELEMENTS)
    .map((p) => mrkdwn(p));
  return { type: 'context', elements };
}

function button(text: string, actionId: string, value: string, style?: 'primary' | 'danger'): Button {
  return {
    type: 'button',
    text: { type: 'plain_text', text, emoji: true },
    action_id: actionId,
    value,
    ...(style ? { style } : {}),
  };
}

/** The plain `text` of a message, from lines that are already escaped. */
function fallback(lines: string[]): string {
  return truncateEscaped(lines.filter((l) => l.length > 0).join('\n'), MAX_FALLBACK_TEXT);
}

// ---------------------------------------------------------------------------------------------------------------------
// Execution facts
// ---------------------------------------------------------------------------------------------------------------------

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

const OUTCOME_LABEL: Record<Outcome, { emoji: string; word: string }> = {
  queued: { emoji: ':hourglass_flowing_sand:', word: 'Queued' },
  running: { emoji: ':hourglass_flowing_sand:', word: 'Running' },
  succeeded: { emoji: ':white_check_mark:', word: 'Done' },
  failed: { emoji: ':x:', word: 'Failed' },
  cancelled: { emoji: ':no_entry_sign:', word: 'Cancelled' },
};

/** `/trail <what was typed>` on one line, cut to a sensible length. */
function commandLine(e: ExecutionRecord): string {
  return truncate(oneLine(`/trail ${e.commandText}`), MAX_COMMAND_CHARS);
}

function windowText(e: ExecutionRecord, o: RenderOptions): string {
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
function statsParts(e: ExecutionRecord, outcome: Outcome): string[] {
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

function whoAsked(e: ExecutionRecord): string {
  const verb = e.scheduleId !== undefined ? 'scheduled' : 'asked';
  return `${mention(e.userId)} ${verb} ${inlineCode(commandLine(e))}`;
}

function reasonText(e: ExecutionRecord, outcome: Outcome): string {
  if (outcome === 'cancelled') {
    const by = e.cancelledBy !== undefined ? ` by ${mention(e.cancelledBy)}` : '';
    return `Cancelled${by}.`;
  }
  // An engine's reason can quote what was queried (and so data): one line of inline code, like any other data.
  const reason = oneLine(e.error ?? '');
  if (reason === '') return 'The query failed without a reason from the engine.';
  return codeSpan(truncate(reason, MAX_REASON_CHARS));
}

// ---------------------------------------------------------------------------------------------------------------------
// Parent message (in channel; thread root)
// ---------------------------------------------------------------------------------------------------------------------

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

  const blocks: KnownBlock[] = [mrkdwnSection(headline + scheduledLine(e))];
  if (outcome === 'failed') blocks.push(mrkdwnSection(`> ${reasonText(e, outcome)}`));
  const facts = [escapeMrkdwn(window), ...statsParts(e, outcome)];
  blocks.push(context([facts.join(' · '), `${e.engine === 'athena' ? 'Athena' : 'DuckDB'} · ${inlineCode(e.id)}`]));

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
    `${word}${cancelled}: ${mention(e.userId)} ${e.scheduleId !== undefined ? 'scheduled' : 'asked'} ${inlineCode(commandLine(e))}`,
    [escapeMrkdwn(window), ...statsParts(e, outcome)].join(' · '),
    outcome === 'failed' ? reasonText(e, outcome) : '',
  ]);
  return { text, blocks };
}

// ---------------------------------------------------------------------------------------------------------------------
// Result reply (thread)
// ---------------------------------------------------------------------------------------------------------------------

/**
 * One cell as shown: single line, NULL as "—", long text and long JSON cut with "…". For raw_text (`defused`), a
 * zero-width space after every `<` defuses anything that could be read as a mention or link whatever a client does with
 * raw text (entities would show literally there, so escaping is not an option); it is added before the cut so the
 * cap holds.
 */
function displayCell(v: string | null, maxChars: number, defused = false): string {
  if (v === null) return '—';
  const line = oneLine(v);
  if (line === '') return '—';
  const looksJson = /^[[{]/.test(line);
  // Every `<`: a cell may hold `<https://…|…>` or `<mailto:…>` as well as `<!here>`, and what a client makes of
  // raw text is not documented, so nothing that looks like a link or a mention is left whole.
  const shown = defused ? line.replaceAll('<', '<\u200b') : line;
  return truncate(shown, looksJson ? Math.min(maxChars, 60) : maxChars);
}

interface TableShape {
  columns: number[];
  rows: (string | null)[][];
}

function clampInt(v: number | undefined, fallbackValue: number, min: number, max: number): number {
  if (v === undefined || !Number.isFinite(v)) return fallbackValue;
  return Math.min(max, Math.max(min, Math.floor(v)));
}

function tableBlock(header: string[], shape: TableShape, maxCell: number): { block: TableBlock; rowsShown: number } {
  const headerRow = shape.columns.map((c) => ({ type: 'raw_text' as const, text: displayCell(header[c], 40, true) }));
  let used = headerRow.reduce((n, c) => n + c.text.length, 0);
  const rows = [headerRow];
  for (const row of shape.rows) {
    const cells = shape.columns.map((c) => ({
      type: 'raw_text' as const,
      text: displayCell(row[c] ?? null, maxCell, true),
    }));
    const size = cells.reduce((n, c) => n + c.text.length, 0);
    if (used + size > TABLE_CHAR_BUDGET && rows.length > 1) break;
    used += size;
    rows.push(cells);
  }
  return { block: { type: 'table', rows }, rowsShown: rows.length - 1 };
}

/** Aligned text in code blocks; returns sections and how many rows and columns fit. */
function monospaceSections(
  header: string[],
  shape: TableShape,
  maxCell: number,
): { blocks: SectionBlock[]; rowsShown: number; columnsShown: number } {
  const cellMax = Math.min(maxCell, MONOSPACE_MAX_CELL);
  const cells = (row: (string | null)[]) => shape.columns.map((c) => displayCell(row[c] ?? null, cellMax));
  const headerCells = shape.columns.map((c) => displayCell(header[c], cellMax));
  const body = shape.rows.map(cells);
  const widths = headerCells.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  // Keep as many leading columns as fit on one line.
  let columnsShown = 0;
  let lineWidth = 0;
  for (const w of widths) {
    const next = lineWidth + (columnsShown > 0 ? 2 : 0) + w;
    if (next > MONOSPACE_LINE_WIDTH && columnsShown > 0) break;
    lineWidth = next;
    columnsShown++;
  }
  const line = (r: string[]) =>
    r
      .slice(0, columnsShown)
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const headerLine = line(headerCells);
  const rule = widths
    .slice(0, columnsShown)
    .map((w) => '-'.repeat(w))
    .join('  ');

  const sections: SectionBlock[] = [];
  let current = [headerLine, rule];
  let rowsShown = 0;
  const sectionText = (lines: string[]) => `\`\`\`${codeBlockBody(lines.join('\n'))}\`\`\``;
  for (const r of body) {
    const candidate = [...current, line(r)];
    if (sectionText(candidate).length <= MAX_SECTION_TEXT) {
      current = candidate;
      rowsShown++;
      continue;
    }
    if (sections.length + 1 >= MAX_MONOSPACE_SECTIONS) break;
    sections.push(mrkdwnSection(sectionText(current)));
    current = [line(r)];
    if (sectionText(current).length > MAX_SECTION_TEXT) break;
    rowsShown++;
  }
  sections.push(mrkdwnSection(sectionText(current)));
  return { blocks: sections, rowsShown, columnsShown };
}

function flagsSection(result: ResultSummary, maxFlags: number): SectionBlock | undefined {
  const total = Math.max(result.flagsTotal, result.flags.length);
  if (total === 0) return undefined;
  const head = `:warning: *${plural(total, 'risk flag')}*`;
  const lines: string[] = [];
  let used = head.length;
  // Room for the "…and N more" line.
  const budget = MAX_SECTION_TEXT - 120;
  for (const flag of result.flags.slice(0, maxFlags)) {
    const text = flagLine(flag);
    if (used + 1 + text.length > budget) break;
    lines.push(text);
    used += 1 + text.length;
  }
  const more = total - lines.length;
  if (more > 0) lines.push(`_…and ${count(more)} more; the CSV has every row._`);
  return mrkdwnSection([head, ...lines].join('\n'));
}

/**
 * One flag as one line. A flag's message is finished text in which the command's words and the record's values can
 * no longer be told apart (`tcp/22 opened to 0.0.0.0/0 on sg-… by <userName>`), so the whole message is shown as
 * data: inline code on one line, in a verbatim section. Nothing in it can start a line, quote, format or link.
 */
function flagLine(flag: ResultSummary['flags'][number]): string {
  return `• row ${count(flag.row + 1)} ${inlineCode(truncate(flag.code, 40))} ${inlineCode(truncate(oneLine(flag.message), MAX_FLAG_MESSAGE_CHARS))}`;
}

/**
 * The result reply in the thread: a summary line, risk flags, the top rows as a table (or aligned text), and a note
 * when rows or columns were left out ("showing 20 of 1,234 rows; the CSV has all of them").
 */
/** A scheduled run says so, who created the schedule and how to stop it (ids are trailbot's own, no user text). */
function scheduledLine(e: ExecutionRecord): string {
  return e.scheduleId ? `\n_${scheduleNote({ id: e.scheduleId, createdBy: e.userId })}_` : '';
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

export function renderResult(e: ExecutionRecord, result: ResultSummary, o: ResultRenderOptions): SlackMessage {
  const maxRows = clampInt(o.maxRows, 20, 1, MAX_TABLE_DATA_ROWS);
  const maxColumns = clampInt(o.maxColumns, 10, 1, MAX_TABLE_COLUMNS);
  const maxCell = clampInt(o.maxCellChars, 80, 8, 500);
  const maxFlags = clampInt(o.maxFlags, 15, 0, 100);
  const window = windowText(e, o);
  const total = result.totalRows;
  const flagsTotal = Math.max(result.flagsTotal, result.flags.length);

  const blocks: KnownBlock[] = [];
  const summary =
    total === 0
      ? `:white_check_mark: *No matching events* for ${inlineCode(commandLine(e))} in ${escapeMrkdwn(window)}.`
      : `:bar_chart: *${plural(total, 'row')}* for ${inlineCode(commandLine(e))} · ${escapeMrkdwn(window)}`;
  blocks.push(mrkdwnSection(summary + scheduledLine(e)));

  const flags = flagsSection(result, maxFlags);
  if (flags) blocks.push(flags);

  let note = '';
  if (total > 0 && result.columns.length > 0 && result.topRows.length > 0) {
    const shape: TableShape = {
      columns: result.columns.slice(0, maxColumns).map((_, i) => i),
      rows: result.topRows.slice(0, maxRows),
    };
    let rowsShown: number;
    let columnsShown: number;
    if (o.table === 'monospace') {
      const mono = monospaceSections(result.columns, shape, maxCell);
      blocks.push(...mono.blocks);
      rowsShown = mono.rowsShown;
      columnsShown = mono.columnsShown;
    } else {
      const table = tableBlock(result.columns, shape, maxCell);
      blocks.push(table.block);
      rowsShown = table.rowsShown;
      columnsShown = shape.columns.length;
    }
    const parts: string[] = [];
    if (rowsShown < total) parts.push(`showing ${count(rowsShown)} of ${plural(total, 'row')}`);
    if (columnsShown < result.columns.length)
      parts.push(`${count(columnsShown)} of ${count(result.columns.length)} columns`);
    note =
      parts.length > 0
        ? `${capitalise(parts.join(' and '))}; the CSV in this thread has all of them.`
        : 'The CSV in this thread has the same rows.';
    blocks.push(context([note]));
  }

  const text = fallback([
    total === 0
      ? `No matching events for ${inlineCode(commandLine(e))} in ${escapeMrkdwn(window)}.`
      : `${plural(total, 'row')} for ${inlineCode(commandLine(e))} · ${escapeMrkdwn(window)}` +
        (flagsTotal > 0 ? ` · ${plural(flagsTotal, 'risk flag')}` : ''),
    note,
  ]);
  return { text, blocks };
}

/**
 * The answer as text only, for a workspace that refused every block layout (issue 12: an answer is never lost): the
 * summary, the risk flags as one-line data, and where the rows are. No blocks, so no block check can refuse it.
 */
export function renderPlainResult(
  e: ExecutionRecord,
  result: ResultSummary,
  o: RenderOptions & { maxFlags?: number },
): { text: string } {
  const total = result.totalRows;
  const window = escapeMrkdwn(windowText(e, o));
  const flagsTotal = Math.max(result.flagsTotal, result.flags.length);
  const lines = [
    total === 0
      ? `No matching events for ${inlineCode(commandLine(e))} in ${window}.`
      : `${plural(total, 'row')} for ${inlineCode(commandLine(e))} · ${window}`,
  ];
  if (flagsTotal > 0) {
    lines.push(`:warning: ${plural(flagsTotal, 'risk flag')}`);
    const shown = result.flags.slice(0, clampInt(o.maxFlags, 15, 0, 100));
    let used = lines.join('\n').length;
    for (const flag of shown) {
      const line = flagLine(flag);
      if (used + line.length + 200 > MAX_FALLBACK_TEXT) break;
      lines.push(line);
      used += line.length + 1;
    }
  }
  if (total > 0) lines.push('Slack did not accept the table for this answer; the CSV in this thread has every row.');
  return { text: fallback(lines) };
}

/** The parent as one section of text: what `renderParent` says, without context, buttons or anything else. */
export function renderPlainParent(e: ExecutionRecord, o: RenderOptions): SlackMessage {
  const { text } = renderParent(e, o);
  return { text, blocks: [mrkdwnSection(text)] };
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// ---------------------------------------------------------------------------------------------------------------------
// Failure reply (thread) and "show SQL" (ephemeral)
// ---------------------------------------------------------------------------------------------------------------------

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
      ? `${reason} ${inlineCode(commandLine(e))}`
      : `${notPosted ? 'The answer could not be posted' : 'The query failed'}: ${inlineCode(commandLine(e))}`,
    outcome === 'failed' ? reason : '',
  ]);
  return { text, blocks };
}

/**
 * A piece of an escaped code block body between fences. A cut may leave a backtick at either end of the piece, where
 * it would join the fence's own three: a zero-width space keeps them apart.
 */
function fenced(piece: string): string {
  const start = piece.startsWith('`') ? '\u200b' : '';
  const end = piece.endsWith('`') ? '\u200b' : '';
  return `\`\`\`${start}${piece}${end}\`\`\``;
}

/** Splits text into pieces of at most `max` characters, preferring line breaks. */
function splitLines(s: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = s;
  while (rest.length > max) {
    let cut = rest.lastIndexOf('\n', max);
    if (cut <= 0) cut = safeCut(rest, max) || max;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^\n/, '');
  }
  pieces.push(rest);
  return pieces;
}

/**
 * The SQL an execution ran, for the clicking user only: SQL in code blocks (split across sections past 3000
 * characters), each `?` parameter as the literal Athena receives, and the partitions read.
 */
export function renderShowSql(e: ExecutionRecord, o: RenderOptions): SlackMessage {
  const q = e.query;
  const blocks: KnownBlock[] = [
    mrkdwnSection(`*SQL for* ${inlineCode(commandLine(e))} · template ${inlineCode(q.template)}`),
  ];
  const fence = 6; // ``` … ```
  const sqlBody = codeBlockBody(q.sql.trim());
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
    return `\`?${i + 1}\` ${p.type} = ${inlineCode(truncate(literal, 300))}`;
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
    `SQL for ${inlineCode(commandLine(e))} (template ${escapeMrkdwn(q.template)}):`,
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
