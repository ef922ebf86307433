import { escapeControls } from '../util/shown';

/** Cells longer than this are shortened in tables (the CSV keeps them whole). */
export const CELL_MAX = 48;

/**
 * A cell as a table shows it: control, bidi and zero-width characters escaped (a value from a record must not act on
 * the terminal or start a line of its own), runs of spaces folded, and at most `max` characters. An ARN is cut at the
 * front, where it repeats the partition, service and account, so the user or role name at its end stays readable.
 */
export function shorten(value: string | null, max = CELL_MAX): string {
  if (value === null) return '';
  const flat = escapeControls(value).replace(/ {2,}/g, ' ');
  const chars = Array.from(flat);
  if (chars.length <= max) return flat;
  if (flat.startsWith('arn:')) return `…${chars.slice(chars.length - (max - 1)).join('')}`;
  return `${chars.slice(0, max - 1).join('')}…`;
}

/** Characters a string takes on screen, counting code points (what `shorten` counts). */
function widthOf(text: string): number {
  return Array.from(text).length;
}

function padTo(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - widthOf(text)));
}

export interface TableOptions {
  /** Characters available per line. */
  width?: number;
  /**
   * Columns in the order they matter most (who, what, when, where); they are kept first when not every column fits.
   * Columns not named follow in their own order. Shown columns keep the result's order unless `ordered`.
   */
  priority?: readonly string[];
  /**
   * This many columns (the first by priority) are always shown side by side, their longest cells cut shorter if need
   * be; when even that cannot fit, the records are shown one field per line instead. Default 3.
   */
  essential?: number;
  /** Show the kept columns in priority order (who, what, when, where) instead of the result's order. */
  ordered?: boolean;
}

export interface TableLayout {
  /** The rendered lines, without indentation. */
  text: string;
  /** Columns left out of a table, in the result's order (in priority order when `ordered`); the CSV has them all. */
  hidden: string[];
  /** True when the records are shown one field per line because too few columns fit side by side. */
  vertical: boolean;
  /** Lines that are the table's header (so a surface can style them). */
  headerLines: number;
}

/** Columns whose values lose their meaning when cut (a time, an address): narrower columns give way first. */
const KEEP_WHOLE = /^(eventtime|first_seen|last_seen|sourceipaddress|errorcode|used_mfa|mfa_used|result|console_url)$/;
/** The narrowest a cut column becomes. */
const MIN_CUT = 12;

/** Each column's rank: named priorities first, then the rest in result order. */
function ranked(columns: readonly string[], priority: readonly string[]): number[] {
  const order = columns.map((_, i) => i);
  const rank = (i: number) => {
    const p = priority.indexOf(columns[i]!);
    return p === -1 ? priority.length + i : p;
  };
  return order.sort((a, b) => rank(a) - rank(b));
}

/**
 * Lays out rows as an aligned table that fits `width`. The `essential` columns are always kept, their widest cells
 * cut (ARNs from the front) until they fit side by side; the other columns follow in priority order while they fit
 * whole, and the first that does not is cut to the room left (when there is a useful amount). When not even the essential columns fit, every record is shown vertically (`column  value`, one per line),
 * so nothing important disappears.
 */
export function layoutTable(
  columns: readonly string[],
  rows: readonly (readonly (string | null)[])[],
  o: TableOptions = {},
): TableLayout {
  const width = Math.max(20, o.width ?? 160);
  const order = ranked(columns, o.priority ?? []);
  const essential = order.slice(0, Math.min(o.essential ?? 3, columns.length));
  const natural = columns.map((c, i) => Math.max(widthOf(c), ...rows.map((r) => widthOf(shorten(r[i] ?? null)))));
  const widths = [...natural];
  const total = (cols: readonly number[]) =>
    cols.reduce((a, i) => a + widths[i]!, 0) + 2 * Math.max(0, cols.length - 1);
  while (total(essential) > width) {
    const cuttable = essential.filter((i) => widths[i]! > Math.max(MIN_CUT, widthOf(columns[i]!)));
    const pool = cuttable.filter((i) => !KEEP_WHOLE.test(columns[i]!));
    const from = pool.length ? pool : cuttable;
    if (from.length === 0) {
      return { text: verticalRecords(columns, rows, order, width), hidden: [], vertical: true, headerLines: 0 };
    }
    const widest = from.reduce((a, b) => (widths[b]! > widths[a]! ? b : a));
    widths[widest] = widths[widest]! - 1;
  }
  const kept = new Set(essential);
  let used = total(essential);
  for (const i of order) {
    if (kept.has(i)) continue;
    const room = width - used - 2;
    if (widths[i]! <= room) {
      kept.add(i);
      used += 2 + widths[i]!;
    } else if (room >= Math.max(MIN_CUT + 4, widthOf(columns[i]!)) && !KEEP_WHOLE.test(columns[i]!)) {
      // The next column by priority, cut to the room left (a rule's request parameters are worth their first
      // characters); columns after it would have come after it anyway.
      widths[i] = room;
      kept.add(i);
      break;
    }
  }
  const shownColumns = (o.ordered ? order : columns.map((_, i) => i)).filter((i) => kept.has(i));
  const cell = (r: readonly (string | null)[], i: number) => shorten(r[i] ?? null, Math.min(CELL_MAX, widths[i]!));
  const line = (values: (i: number) => string) =>
    shownColumns
      .map((i) => padTo(values(i), widths[i]!))
      .join('  ')
      .trimEnd();
  const text = [
    line((i) => columns[i]!),
    line((i) => '─'.repeat(widths[i]!)),
    ...rows.map((r) => line((i) => cell(r, i))),
  ].join('\n');
  const hidden = (o.ordered ? order : columns.map((_, i) => i)).filter((i) => !kept.has(i)).map((i) => columns[i]!);
  return { text, hidden, vertical: false, headerLines: 2 };
}

/** Records one field per line, the important fields first; a record's fields are indented under its number. */
function verticalRecords(
  columns: readonly string[],
  rows: readonly (readonly (string | null)[])[],
  order: readonly number[],
  width: number,
): string {
  const labelWidth = Math.max(...columns.map(widthOf));
  const valueMax = Math.max(24, width - labelWidth - 4);
  const out: string[] = [];
  rows.forEach((row, n) => {
    out.push(`── ${n + 1} ──`);
    for (const i of order) {
      const value = row[i] ?? null;
      if (value === null || value === '') continue;
      out.push(`  ${padTo(columns[i]!, labelWidth)}  ${shorten(value, valueMax)}`);
    }
  });
  return out.join('\n');
}

/** `(hidden: useragent, awsregion — all in the CSV)`, cut to fit `width` characters. */
export function hiddenNote(hidden: readonly string[], width = 160): string {
  if (hidden.length === 0) return '';
  const tail = ' — all in the CSV)';
  let names = hidden.join(', ');
  const room = width - '(hidden: '.length - tail.length;
  if (widthOf(names) > room) {
    const kept: string[] = [];
    for (const h of hidden) {
      if (widthOf([...kept, h].join(', ')) + 2 > room) break;
      kept.push(h);
    }
    names = `${kept.join(', ')} …`;
  }
  return `(hidden: ${names}${tail}`;
}

/** The plain aligned table (no priorities): what `layoutTable` gives with the result's own column order. */
export function textTable(
  columns: readonly string[],
  rows: readonly (readonly (string | null)[])[],
  width = 160,
): { text: string; droppedColumns: number } {
  const { text, hidden } = layoutTable(columns, rows, { width, essential: 1 });
  return { text, droppedColumns: hidden.length };
}
