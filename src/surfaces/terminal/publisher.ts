import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, link, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { sparklineWithin, totalOf } from '../../charts';
import type { QueryStats } from '../../core/engine';
import type { ExecutionRecord } from '../../core/execution';
import type { Publisher, Recipient, ResultSummary } from '../../core/publisher';
import { formatUsd } from '../../cost';
import { formatBytes, formatDuration, formatWindow } from '../../time/format';
import { scheduleNote } from '../../time/schedule-text';
import { csvFileName, UTF8_BOM } from '../../util/csv-name';
import { readCsvRows } from '../../util/csv-rows';
import { escapeControls } from '../../util/shown';
import { hiddenNote, layoutTable } from '../text-table';
import { columnOrder, ESSENTIAL_COLUMNS } from './columns';
import { Screen } from './screen';

/** Rows shown per answer, and per `more`, unless `--limit` says otherwise. */
export const PAGE_ROWS = 20;

export interface TerminalPublisherOptions {
  /** Where answers go: a Screen, or a plain stream (no colour, no redraw). */
  out: Screen | NodeJS.WritableStream;
  /** Where progress lines go (default `out`); the one-shot CLI sends them to stderr so stdout stays the answer. */
  progressOut?: Screen | NodeJS.WritableStream;
  timeZone: string;
  /** Terminal width for tables. */
  width?: number | (() => number);
  /** How to see the rows not shown (default: the REPL's `more`; the one-shot CLI says `--limit`). */
  moreHint?: string;
}

/**
 * Slack mrkdwn as plain text for a terminal: mentions and channel links become names (`<@root>` → `root`,
 * `<#C1|secops>` → `#secops`), links their text, and inline code loses its backticks. Only for text trailbot composed;
 * values from records are escaped, never rewritten.
 */
export function plainText(text: string): string {
  return (
    text
      .replace(/<@([A-Za-z0-9._-]+)(?:\|([^>]*))?>/g, (_, id: string, name?: string) => name || id)
      .replace(/<#([A-Za-z0-9._-]+)(?:\|([^>]*))?>/g, (_, id: string, name?: string) => `#${name || id}`)
      .replace(/<(https?:[^|>\s]+)\|([^>]*)>/g, '$2 ($1)')
      .replace(/```\n?|`/g, '')
      // Slack's three HTML entities (text made for Slack escapes `&`, `<`, `>`), decoded last so that nothing decoded is
      // read as a mention or a link.
      .replace(/&(lt|gt|amp);/g, (_, name: string) => ({ lt: '<', gt: '>', amp: '&' })[name] ?? '')
  );
}

/** What an execution cost and took, as one phrase: `2 rows · 1.2 MB read · 340 ms`. */
export function outcomePhrase(e: ExecutionRecord): string {
  const s = e.stats ?? {};
  const parts: string[] = [];
  if (s.rows !== undefined) parts.push(`${s.rows.toLocaleString('en-US')} row${s.rows === 1 ? '' : 's'}`);
  if (s.bytesScanned !== undefined)
    parts.push(`${formatBytes(s.bytesScanned)} ${e.engine === 'athena' ? 'scanned' : 'read'}`);
  if (s.filesRead !== undefined) parts.push(`${s.filesRead} file${s.filesRead === 1 ? '' : 's'}`);
  if (s.cachedPartitions)
    parts.push(`${s.cachedPartitions} day folder${s.cachedPartitions === 1 ? '' : 's'} from the cache`);
  if (e.engine === 'athena' && s.costUsd !== undefined) parts.push(formatUsd(s.costUsd));
  if (s.elapsedMs !== undefined) parts.push(formatDuration(s.elapsedMs));
  return parts.join(' · ');
}

/** `sg running · 4 s · 154 files (237 kB) to read`: elapsed, plus what the engine reports while it runs. */
export function progressPhrase(e: ExecutionRecord, elapsedMs: number, stats?: Partial<QueryStats>): string {
  const parts = [`… ${e.command} running (id ${e.id})`, formatDuration(elapsedMs)];
  if (stats?.filesRead)
    parts.push(`${stats.filesRead} file${stats.filesRead === 1 ? '' : 's'} (${formatBytes(stats.bytesScanned ?? 0)})`);
  else if (stats?.bytesScanned) parts.push(`${formatBytes(stats.bytesScanned)} scanned so far`);
  return parts.join(' · ');
}

export interface AnswerOptions {
  /** Rows to show (default 20). */
  limit?: number;
  /** Start the named CSV file with a UTF-8 byte-order mark (for Excel). */
  bom?: boolean;
}

/** A result being paged through with `more`. */
interface Paged {
  id: string;
  command: string;
  /** The columns shown first, in order: the command's declaration (BoundQuery.columns). */
  priority: readonly string[];
  columns: string[];
  csvPath: string;
  totalRows: number;
  shown: number;
}

function asScreen(target: Screen | NodeJS.WritableStream): Screen {
  return target instanceof Screen ? target : new Screen({ out: target });
}

/**
 * The terminal surface: the same content Slack would show, as plain text. Every line goes through the Screen, which
 * escapes control characters; values from records are also escaped as single lines before they are composed into a
 * flag or an error, so a newline in a user name cannot forge a line of its own. The full CSV is already spooled by
 * the runner; "uploading" it means printing its path.
 */
export class TerminalPublisher implements Publisher {
  private readonly screen: Screen;
  private readonly progressScreen: Screen;
  private readonly options = new Map<string, AnswerOptions>();
  private readonly bom = new Set<string>();
  private readonly running = new Set<string>();
  private paged: Paged | undefined;
  /** Called with each question's id as it is announced (the REPL cancels one that Ctrl-C caught before it had one). */
  onAnnounce: ((id: string) => void) | undefined;

  constructor(private readonly o: TerminalPublisherOptions) {
    this.screen = asScreen(o.out);
    this.progressScreen = o.progressOut ? asScreen(o.progressOut) : this.screen;
  }

  private get width(): number {
    const w = typeof this.o.width === 'function' ? this.o.width() : this.o.width;
    return Math.max(40, (w ?? 160) - 2);
  }

  private print(text: string, tone: Parameters<Screen['line']>[1] = 'plain', indent = ''): void {
    this.screen.line(plainText(text), tone, indent);
  }

  /** A scheduled run's answer or failure says so, who created the schedule and how to stop it. */
  private printScheduleNote(e: ExecutionRecord): void {
    if (e.scheduleId)
      this.print(
        scheduleNote({ id: e.scheduleId, createdBy: e.userId }, (u) => u),
        'dim',
        '  ',
      );
  }

  /**
   * Options for the next answer to exactly this command text: `limit` rows shown instead of 20 (`--limit N`), a
   * byte-order mark at the start of its CSV file (`--bom`).
   */
  nextAnswer(commandText: string, o: AnswerOptions): void {
    this.options.set(commandText, { ...this.options.get(commandText), ...o });
  }

  /** Questions announced in this session and not yet answered (Ctrl-C cancels them). */
  get inProgress(): string[] {
    return [...this.running];
  }

  async announce(e: ExecutionRecord): Promise<string> {
    this.running.add(e.id);
    this.onAnnounce?.(e.id);
    this.print(
      `▶ /trail ${escapeControls(e.commandText)}  ·  ${formatWindow(e.query.window, this.o.timeZone)}  ·  running (id ${e.id})`,
      'bold',
    );
    return `terminal:${e.id}`;
  }

  async progress(e: ExecutionRecord, elapsedMs: number, stats?: Partial<QueryStats>): Promise<void> {
    this.running.add(e.id); // a question resumed from the last run was announced by that run
    this.progressScreen.status(progressPhrase(e, elapsedMs, stats));
  }

  async postResult(e: ExecutionRecord, r: ResultSummary): Promise<string> {
    this.progressScreen.endStatus();
    this.running.delete(e.id);
    this.print(`✔ ${e.command}: ${outcomePhrase(e)}`, 'ok');
    this.printScheduleNote(e);
    // A flag's text quotes record values: one line each, whatever they hold.
    for (const f of r.flags) this.screen.line(`⚠ ${escapeControls(f.message)}`, 'warn', '  ');
    if (r.flagsTotal > r.flags.length)
      this.print(`⚠ … and ${r.flagsTotal - r.flags.length} more flags (see the CSV)`, 'warn', '  ');
    if (r.totalRows === 0) {
      this.print('Nothing found in this window.', 'plain', '  ');
      return `terminal:${e.id}:result`;
    }
    // The answer's timeline (issue 17), when its command declares one: the same series Slack draws as a chart.
    if (r.series && totalOf(r.series) > 0) {
      this.print(sparklineWithin(r.series, this.width - 2, { markedLabel: 'off-hours' }), 'plain', '  ');
    }
    const options = this.options.get(e.commandText) ?? {};
    this.options.delete(e.commandText);
    if (options.bom) this.bom.add(e.id);
    const limit = options.limit ?? PAGE_ROWS;
    const want = Math.min(limit, r.totalRows);
    const rows = want <= r.topRows.length ? r.topRows.slice(0, want) : await this.rowsFrom(r.csvPath, 0, want);
    this.paged = {
      id: e.id,
      command: e.command,
      priority: columnOrder(e),
      columns: r.columns,
      csvPath: r.csvPath,
      totalRows: r.totalRows,
      shown: rows.length,
    };
    this.table(columnOrder(e), r.columns, rows, 0, r.totalRows);
    return `terminal:${e.id}:result`;
  }

  /**
   * The next `count` rows of the last answer shown (`more`). Returns false when there is nothing more to show (and
   * says so).
   */
  async more(count = PAGE_ROWS): Promise<boolean> {
    const p = this.paged;
    if (!p) {
      this.print('Nothing to page through yet: ask a question first.');
      return false;
    }
    if (p.shown >= p.totalRows) {
      this.print(`All ${p.totalRows.toLocaleString('en-US')} rows of ${p.id} are shown; the CSV is ${p.csvPath}`);
      return false;
    }
    const rows = await this.rowsFrom(p.csvPath, p.shown, count);
    if (rows.length === 0) {
      this.print(`The result file of ${p.id} is gone (${p.csvPath}); run the question again.`);
      return false;
    }
    const first = p.shown;
    p.shown += rows.length;
    this.table(p.priority, p.columns, rows, first, p.totalRows);
    return true;
  }

  private async rowsFrom(csvPath: string, from: number, count: number): Promise<(string | null)[][]> {
    try {
      return await readCsvRows(csvPath, from, count);
    } catch {
      return [];
    }
  }

  private table(
    priority: readonly string[],
    columns: string[],
    rows: readonly (readonly (string | null)[])[],
    first: number,
    total: number,
  ): void {
    const width = this.width;
    const layout = layoutTable(columns, rows, {
      width,
      priority,
      essential: ESSENTIAL_COLUMNS,
      // The order Slack shows too: who, what, when, where first (issue 17, item 5).
      ordered: true,
    });
    const lines = layout.text.split('\n');
    // layoutTable escaped every cell; the header is styled apart from the rows.
    this.screen.rawLines(lines.map((l, i) => `  ${this.screen.paint(l, i < layout.headerLines ? 'bold' : 'plain')}`));
    const notes: string[] = [];
    const last = first + rows.length;
    if (last < total || first > 0) {
      notes.push(
        `rows ${first + 1}–${last} of ${total.toLocaleString('en-US')}${last < total ? `; ${this.o.moreHint ?? '`more` shows the next'}` : ''}`,
      );
    }
    if (notes.length) this.print(`(${notes.join('; ')})`, 'dim', '  ');
    if (layout.hidden.length) this.print(hiddenNote(layout.hidden, width), 'dim', '  ');
  }

  /**
   * The runner spooled the CSV as `<id>.csv`; the file people open gets a name that says what it holds, next to it
   * (a hard link, so no second copy; a copy where links are not possible, or with `--bom`).
   */
  async uploadCsv(e: ExecutionRecord, r: ResultSummary): Promise<string> {
    const named = path.join(path.dirname(r.csvPath), csvFileName(e));
    let shown = r.csvPath;
    const bom = this.bom.delete(e.id);
    try {
      await rm(named, { force: true });
      if (bom) {
        await writeFile(named, UTF8_BOM);
        await pipeline(createReadStream(r.csvPath), createWriteStream(named, { flags: 'a' }));
      } else {
        await link(r.csvPath, named).catch(() => copyFile(r.csvPath, named));
      }
      shown = named;
    } catch {
      // The spooled file is still there, under its id: show that one.
    }
    this.print(`CSV (${formatBytes(r.csvBytes)}${bom ? ', with BOM' : ''}): ${escapeControls(shown)}`, 'plain', '  ');
    return shown;
  }

  async postFailure(e: ExecutionRecord): Promise<string> {
    this.progressScreen.endStatus();
    this.running.delete(e.id);
    // An engine's reason can quote record values or typed input: one line.
    const why = escapeControls(plainText(e.error ?? 'no reason given'));
    this.screen.line(`✖ ${e.command} ${e.state === 'CANCELLED' ? 'cancelled' : 'failed'}: ${why}`, 'fail');
    this.printScheduleNote(e);
    return `terminal:${e.id}:failure`;
  }

  async updateParent(): Promise<void> {
    // The terminal has no message to edit: the result lines above are the final state.
  }

  async notify(_to: Recipient, text: string): Promise<void> {
    this.print(text);
  }
}
