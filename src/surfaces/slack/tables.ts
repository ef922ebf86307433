/**
 * The rows of an answer in Slack, three ways, each simpler than the one before (issue 12: an answer is never lost):
 * a `table` block, aligned text in code blocks for a workspace or client without table blocks, and a plain summary
 * with no blocks at all. Risk flags are listed the same way in each. Rows and columns are capped to the block limits
 * (src/surfaces/slack/kit.ts); the CSV in the thread always holds every row and column.
 */

import type { SectionBlock, TableBlock } from '@slack/web-api';
import type { ExecutionRecord } from '../../core/execution';
import type { ResultSummary } from '../../core/publisher';
import { codeSpan, fenceBody, oneLine } from '../../util/echo';
import { escapeMrkdwn, truncate } from './escape';
import { commandLine, windowText } from './facts';
import {
  clampInt,
  count,
  fallback,
  MAX_FALLBACK_TEXT,
  MAX_SECTION_TEXT,
  mrkdwnSection,
  plural,
  type RenderOptions,
} from './kit';

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
}

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

/** A Slack `table` block of raw_text cells; returns it and how many data rows fit the character budget. */
export function tableBlock(
  header: string[],
  shape: TableShape,
  maxCell: number,
): { block: TableBlock; rowsShown: number } {
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
