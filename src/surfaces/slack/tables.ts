/**
 * The rows of an answer in Slack, three ways, each simpler than the one before (issue 12: an answer is never lost):
 * a `table` block, aligned text in code blocks for a workspace or client without table blocks, and a plain summary
 * with no blocks at all. Risk flags are listed the same way in each. Rows and columns are capped to the block limits
 * (src/surfaces/slack/kit.ts); the CSV in the thread always holds every row and column.
 */

import type { KnownBlock, RawTextElement, RichTextBlock, SectionBlock, TableBlock } from '@slack/web-api';
import type { ExecutionRecord } from '../../core/execution';
import type { ResultSummary } from '../../core/publisher';
import type { ColumnLayout } from '../../core/query';
import { CONSOLE_URL_COLUMN, isConsoleEventUrl } from '../../util/console-link';
import { codeSpan, fenceBody, oneLine } from '../../util/echo';
import { escapeMrkdwn, truncate } from './escape';
import { commandLine, windowText } from './facts';
import {
  ACTION_IDS,
  button,
  clampInt,
  context,
  count,
  fallback,
  MAX_FALLBACK_TEXT,
  MAX_SECTION_TEXT,
  mrkdwnSection,
  plural,
  type RenderOptions,
  type ResultRenderOptions,
  type SlackMessage,
} from './kit';

// The table block's documented limits (kit.ts): 100 rows including the header, 20 cells a row.
const MAX_TABLE_DATA_ROWS = 99;
const MAX_TABLE_COLUMNS = 20;
/** Characters of table cells per message, leaving room for the summary and flags under the ~12k total. */
const TABLE_CHAR_BUDGET = 7000;
const MAX_FLAG_MESSAGE_CHARS = 200;
/** Widest line of the monospace table; wider lines wrap in Slack and lose the alignment. */
const MONOSPACE_LINE_WIDTH = 110;
const MONOSPACE_MAX_CELL = 30;
/** Sections of monospace table. */
const MAX_MONOSPACE_SECTIONS = 2;

/** Which columns (by index) and rows of a result a table shows. */
export interface TableShape {
  columns: number[];
  rows: (string | null)[][];
  /** Columns (by index) holding numbers: right-aligned. */
  numeric?: ReadonlySet<number>;
  /** The `console_url` column (by index), shown last as link cells labelled with the row's account when known. */
  link?: { column: number; account?: number };
}

/** A column whose shown cells run longer than this wraps (`is_wrapped`) instead of widening the table. */
const WRAP_OVER_CHARS = 24;
/** Header of the link column. */
const LINK_HEADER = 'console';
const ACCOUNT = /^\d{12}$/;

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

type TableCell = RawTextElement | RichTextBlock;

/**
 * The console link of a row as a table cell: a `rich_text` cell holding one `link` element (the table block takes
 * raw_text and rich_text cells, https://docs.slack.dev/reference/block-kit/blocks/table-block), labelled with the
 * account the event belongs to, since the console opens it only when signed in to that account. The URL is checked
 * again here: only the exact shape src/util/console-link.ts builds from a well-formed record becomes a link; anything
 * else is "—".
 */
function linkCell(url: string | null, account: string | null): { cell: TableCell; chars: number } {
  if (!isConsoleEventUrl(url)) return { cell: { type: 'raw_text', text: '—' }, chars: 1 };
  const label = account !== null && ACCOUNT.test(account) ? account : 'open';
  return {
    cell: {
      type: 'rich_text',
      elements: [{ type: 'rich_text_section', elements: [{ type: 'link', url, text: label }] }],
    },
    chars: url.length + label.length,
  };
}

/**
 * A Slack `table` block; returns it and how many data rows fit the character budget. Cells are raw_text (defused, see
 * displayCell) except the console link column. `column_settings` right-aligns numbers and wraps columns whose cells
 * run long (table block reference: `align` left|center|right, `is_wrapped`, at most 20 settings).
 */
export function tableBlock(
  header: string[],
  shape: TableShape,
  maxCell: number,
): { block: TableBlock; rowsShown: number } {
  const link = shape.link;
  const headerRow: TableCell[] = shape.columns.map((c) => ({
    type: 'raw_text',
    text: displayCell(header[c], 40, true),
  }));
  if (link) headerRow.push({ type: 'raw_text', text: LINK_HEADER });
  let used = headerRow.reduce((n, c) => n + (c.type === 'raw_text' ? c.text.length : 0), 0);
  const rows: TableCell[][] = [headerRow];
  const longest = shape.columns.map(() => 0);
  for (const row of shape.rows) {
    const texts = shape.columns.map((c) => displayCell(row[c] ?? null, maxCell, true));
    const cells: TableCell[] = texts.map((text) => ({ type: 'raw_text', text }));
    let size = texts.reduce((n, t) => n + t.length, 0);
    if (link) {
      const l = linkCell(row[link.column] ?? null, link.account === undefined ? null : (row[link.account] ?? null));
      cells.push(l.cell);
      size += l.chars;
    }
    if (used + size > TABLE_CHAR_BUDGET && rows.length > 1) break;
    used += size;
    rows.push(cells);
    texts.forEach((t, i) => {
      longest[i] = Math.max(longest[i]!, t.length);
    });
  }
  const settings: NonNullable<TableBlock['column_settings']> = shape.columns.map((c, i) => ({
    align: shape.numeric?.has(c) ? 'right' : 'left',
    is_wrapped: longest[i]! > WRAP_OVER_CHARS,
  }));
  if (link) settings.push({ align: 'left', is_wrapped: false });
  return { block: { type: 'table', rows, column_settings: settings }, rowsShown: rows.length - 1 };
}

/** How a table shows a result's columns: which (in the order shown), which are left out, and the link column. */
export interface ColumnPlan {
  shown: number[];
  /** Names of the columns left out (the CSV has them). */
  hidden: string[];
  numeric: Set<number>;
  link?: { column: number; account?: number };
}

/**
 * The columns of a table, most needed first: the command's declared order (who, what, when, where), then the others
 * in the result's order, as many as `maxColumns` allows. The `console_url` column is not shown as text: it becomes
 * the last column, of links, and takes one of the slots.
 */
export function planColumns(
  columns: readonly string[],
  layout: ColumnLayout | undefined,
  maxColumns: number,
): ColumnPlan {
  const linkAt = columns.indexOf(CONSOLE_URL_COLUMN);
  const accountAt = columns.indexOf('recipientaccountid');
  const declared = (layout?.order ?? []).map((name) => columns.indexOf(name)).filter((i) => i !== -1 && i !== linkAt);
  const rest = columns.map((_, i) => i).filter((i) => i !== linkAt && !declared.includes(i));
  const ordered = [...new Set(declared), ...rest];
  const slots = Math.max(1, maxColumns - (linkAt === -1 ? 0 : 1));
  const shown = ordered.slice(0, slots);
  const numeric = new Set((layout?.numeric ?? []).map((name) => columns.indexOf(name)).filter((i) => i !== -1));
  return {
    shown,
    hidden: ordered.slice(slots).map((i) => columns[i]!),
    numeric,
    ...(linkAt === -1 ? {} : { link: { column: linkAt, ...(accountAt === -1 ? {} : { account: accountAt }) } }),
  };
}

/** Rows of an answer to show: the whole answer's columns, rows `from`… of it, and how many rows it has in all. */
export interface RowsPage {
  columns: string[];
  rows: (string | null)[][];
  /** 0-based position of `rows[0]` in the whole result. */
  from: number;
  totalRows: number;
}

/** The value of a "Show next rows" button: the execution and the first row of the next page. */
export function pageValue(executionId: string, from: number): string {
  return `${executionId}@${from}`;
}

/**
 * The table of one page of an answer, with its note ("Rows 1–20 of 45 · hidden: requestparameters, useragent — in
 * the CSV in this thread") and, while rows remain, a "Show next 20 rows" button that posts the next page in the
 * thread (src/dispatch/page.ts).
 */
/** The table's size options, defaulted and held within the table block's documented limits. */
export function tableLimits(o: Pick<ResultRenderOptions, 'maxRows' | 'maxColumns' | 'maxCellChars'>) {
  return {
    maxRows: clampInt(o.maxRows, 20, 1, MAX_TABLE_DATA_ROWS),
    maxColumns: clampInt(o.maxColumns, 10, 1, MAX_TABLE_COLUMNS),
    maxCell: clampInt(o.maxCellChars, 80, 8, 500),
  };
}

export function answerTable(
  e: ExecutionRecord,
  page: RowsPage,
  o: Pick<ResultRenderOptions, 'maxRows' | 'maxColumns' | 'maxCellChars' | 'table'>,
): { blocks: KnownBlock[]; note: string; rowsShown: number } {
  const { maxRows, maxColumns, maxCell } = tableLimits(o);
  const plan = planColumns(page.columns, e.query.columns, maxColumns);
  const blocks: KnownBlock[] = [];
  const shape: TableShape = { columns: plan.shown, rows: page.rows.slice(0, maxRows), numeric: plan.numeric };
  let rowsShown: number;
  const hidden = [...plan.hidden];
  if (o.table === 'monospace') {
    const mono = monospaceSections(page.columns, shape, maxCell);
    blocks.push(...mono.blocks);
    rowsShown = mono.rowsShown;
    hidden.unshift(...plan.shown.slice(mono.columnsShown).map((i) => page.columns[i]!));
    if (plan.link) hidden.push(CONSOLE_URL_COLUMN);
  } else {
    const table = tableBlock(page.columns, { ...shape, ...(plan.link ? { link: plan.link } : {}) }, maxCell);
    blocks.push(table.block);
    rowsShown = table.rowsShown;
  }
  const note = pageNote(page, rowsShown, hidden);
  blocks.push(context([note]));
  const next = page.from + rowsShown;
  if (next < page.totalRows) {
    const label = `Show next ${count(Math.min(maxRows, page.totalRows - next))} rows`;
    blocks.push({ type: 'actions', elements: [button(label, ACTION_IDS.page, pageValue(e.id, next))] });
  }
  return { blocks, note, rowsShown };
}

/** "Rows 21–40 of 45 · hidden: useragent, eventid — in the CSV in this thread." */
function pageNote(page: RowsPage, rowsShown: number, hidden: readonly string[]): string {
  const all = page.from === 0 && rowsShown >= page.totalRows;
  const rows = all ? '' : `Rows ${count(page.from + 1)}–${count(page.from + rowsShown)} of ${count(page.totalRows)}`;
  // Column names are the templates' own (sql/), but escaped all the same; a long list is cut, the CSV has them all.
  const names = truncate(hidden.join(', '), 600);
  if (hidden.length > 0)
    return `${rows ? `${rows} · ` : ''}hidden: ${escapeMrkdwn(names)} — in the CSV in this thread.`;
  return rows ? `${rows} · the CSV in this thread has all of them.` : 'The CSV in this thread has the same rows.';
}

/** A later page of an answer, posted in its thread by the "Show next rows" button. */
export function renderRowsPage(e: ExecutionRecord, page: RowsPage, o: ResultRenderOptions): SlackMessage {
  const last = Math.min(page.totalRows, page.from + page.rows.length);
  const head = `:bar_chart: Rows ${count(page.from + 1)}–${count(last)} of ${count(page.totalRows)} for ${codeSpan(commandLine(e))}`;
  if (page.rows.length === 0) {
    const text = `No rows after row ${count(page.from)} for ${codeSpan(commandLine(e))}; the CSV in this thread has all ${plural(page.totalRows, 'row')}.`;
    return { text, blocks: [mrkdwnSection(text)] };
  }
  const table = answerTable(e, page, o);
  return {
    text: fallback([head.replace(':bar_chart: ', ''), table.note]),
    blocks: [mrkdwnSection(head), ...table.blocks],
  };
}

/** Aligned text in code blocks; returns sections and how many rows and columns fit. */
export function monospaceSections(
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
  const sectionText = (lines: string[]) => `\`\`\`${fenceBody(lines.join('\n'))}\`\`\``;
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

/** The risk flags of an answer as one section: the count, then one line each until the section is full. */
export function flagsSection(result: ResultSummary, maxFlags: number): SectionBlock | undefined {
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
  return `• row ${count(flag.row + 1)} ${codeSpan(truncate(flag.code, 40))} ${codeSpan(truncate(oneLine(flag.message), MAX_FLAG_MESSAGE_CHARS))}`;
}

/** The first line of an answer, without formatting: how many rows, for which command and window (escaped). */
export function answerLine(e: ExecutionRecord, totalRows: number, window: string): string {
  return totalRows === 0
    ? `No matching events for ${codeSpan(commandLine(e))} in ${window}.`
    : `${plural(totalRows, 'row')} for ${codeSpan(commandLine(e))} · ${window}`;
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
  const flagsTotal = Math.max(result.flagsTotal, result.flags.length);
  const lines = [answerLine(e, total, escapeMrkdwn(windowText(e, o)))];
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
