/** Cells longer than this are shortened in tables (the CSV keeps them whole). */
export const CELL_MAX = 48;

export function shorten(value: string | null, max = CELL_MAX): string {
  if (value === null) return '';
  const flat = value.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * Aligned plain-text table: header, a rule, rows. Columns are dropped from the right when the table would be wider
 * than `width`, and the caller is told how many (so it can say so).
 */
export function textTable(
  columns: readonly string[],
  rows: readonly (readonly (string | null)[])[],
  width = 160,
): { text: string; droppedColumns: number } {
  const cells = rows.map((r) => columns.map((_, i) => shorten(r[i] ?? null)));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  let keep = columns.length;
  const total = (n: number) => widths.slice(0, n).reduce((a, w) => a + w, 0) + 2 * Math.max(0, n - 1);
  while (keep > 1 && total(keep) > width) keep -= 1;
  const line = (values: readonly string[]) =>
    values
      .slice(0, keep)
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const text = [line(columns), line(widths.map((w) => '─'.repeat(w))), ...cells.map(line)].join('\n');
  return { text, droppedColumns: columns.length - keep };
}
