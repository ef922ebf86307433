import { formatUsd } from '../../cost';
import { scheduleNote } from '../../scheduler/text';
import type { ExecutionRecord } from '../../store/types';
import { formatBytes, formatDuration, formatWindow } from '../../time/format';
import { textTable } from '../text-table';
import type { Publisher, Recipient, ResultSummary } from '../types';

export interface TerminalPublisherOptions {
  out: NodeJS.WritableStream;
  /** Where progress lines go (default `out`); the one-shot CLI sends them to stderr so stdout stays the answer. */
  progressOut?: NodeJS.WritableStream;
  timeZone: string;
  /** Terminal width for tables. */
  width?: number;
}

/** Slack mrkdwn references read as plain text in a terminal: `<@U1>` → `@U1`, `<#C1>` → `#C1`. */
export function plainText(text: string): string {
  return text.replace(/<([@#])([A-Za-z0-9._-]+)(?:\|[^>]*)?>/g, '$1$2');
}

/** What an execution cost and took, as one phrase: `2 rows · 1.2 MB read · 340 ms`. */
export function outcomePhrase(e: ExecutionRecord): string {
  const s = e.stats ?? {};
  const parts: string[] = [];
  if (s.rows !== undefined) parts.push(`${s.rows.toLocaleString('en-US')} row${s.rows === 1 ? '' : 's'}`);
  if (s.bytesScanned !== undefined)
    parts.push(`${formatBytes(s.bytesScanned)} ${e.engine === 'athena' ? 'scanned' : 'read'}`);
  if (s.filesRead !== undefined) parts.push(`${s.filesRead} file${s.filesRead === 1 ? '' : 's'}`);
  if (e.engine === 'athena' && s.costUsd !== undefined) parts.push(formatUsd(s.costUsd));
  if (s.elapsedMs !== undefined) parts.push(formatDuration(s.elapsedMs));
  return parts.join(' · ');
}

/**
 * The terminal surface: the same content Slack would show, as text on stdout. The full CSV is already spooled by
 * the runner under the results folder; "uploading" it means printing its path.
 */
export class TerminalPublisher implements Publisher {
  constructor(private readonly o: TerminalPublisherOptions) {}

  private print(text: string): void {
    this.o.out.write(`${plainText(text)}\n`);
  }

  async announce(e: ExecutionRecord): Promise<string> {
    this.print(
      `▶ /trail ${e.commandText}  ·  ${formatWindow(e.query.window, this.o.timeZone)}  ·  running (id ${e.id})`,
    );
    return `terminal:${e.id}`;
  }

  async progress(e: ExecutionRecord, elapsedMs: number): Promise<void> {
    (this.o.progressOut ?? this.o.out).write(`  … ${e.id} still running (${formatDuration(elapsedMs)})\n`);
  }

  async postResult(e: ExecutionRecord, r: ResultSummary): Promise<string> {
    this.print(`✔ ${e.command}: ${outcomePhrase(e)}`);
    if (e.scheduleId) this.print(`  ${scheduleNote({ id: e.scheduleId, createdBy: e.userId }, (u) => u)}`);
    for (const f of r.flags) this.print(`  ⚠ ${f.message}`);
    if (r.flagsTotal > r.flags.length)
      this.print(`  ⚠ … and ${r.flagsTotal - r.flags.length} more flags (see the CSV)`);
    if (r.totalRows === 0) {
      this.print('  Nothing found in this window.');
      return `terminal:${e.id}:result`;
    }
    const { text, droppedColumns } = textTable(r.columns, r.topRows, this.o.width ?? 160);
    this.print(text.replace(/^/gm, '  '));
    const notes: string[] = [];
    if (r.totalRows > r.topRows.length)
      notes.push(`showing ${r.topRows.length} of ${r.totalRows.toLocaleString('en-US')} rows`);
    if (droppedColumns > 0) notes.push(`${droppedColumns} more column${droppedColumns === 1 ? '' : 's'} in the CSV`);
    if (notes.length) this.print(`  (${notes.join('; ')})`);
    return `terminal:${e.id}:result`;
  }

  async uploadCsv(_e: ExecutionRecord, r: ResultSummary): Promise<string> {
    this.print(`  CSV (${formatBytes(r.csvBytes)}): ${r.csvPath}`);
    return r.csvPath;
  }

  async postFailure(e: ExecutionRecord): Promise<string> {
    this.print(`✖ ${e.command} ${e.state === 'CANCELLED' ? 'cancelled' : 'failed'}: ${e.error ?? 'no reason given'}`);
    if (e.scheduleId) this.print(`  ${scheduleNote({ id: e.scheduleId, createdBy: e.userId }, (u) => u)}`);
    return `terminal:${e.id}:failure`;
  }

  async updateParent(): Promise<void> {
    // The terminal has no message to edit: the result lines above are the final state.
  }

  async notify(_to: Recipient, text: string): Promise<void> {
    this.print(text);
  }
}
