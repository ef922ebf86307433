/**
 * Which row groups of the cached Parquet days a question cannot skip, for the bytes it reports (issue 16: "bytes read
 * … from the cache", the local stand-in for Athena's "Data scanned").
 *
 * A Parquet reader skips a row group when the min/max statistics of a column rule out every value a filter on that
 * column accepts: DuckDB does it for the filters it pushes into `read_parquet`, and so do Athena's and Trino's readers
 * (Athena User Guide, "Columnar storage formats": predicate pushdown on Parquet). The cache writes each day sorted by
 * event source, event name and time (cache-convert.ts), so the calls a template names lie together and the others'
 * row groups are skipped. Here the engine asks DuckDB which filters it pushed into the Parquet scan of this question
 * (`EXPLAIN (FORMAT JSON)`, the "Filters" of the READ_PARQUET operator) and keeps those it can hold against the
 * recorded statistics: equality and IN on one of the `PRUNING_COLUMNS`, and OR chains of equalities on one of them.
 * Any other filter is not used, so the estimate can only be too high, never too low.
 */

/** Columns whose per-row-group min/max the cache records (Parquet `path_in_schema`, dotted). */
export const PRUNING_COLUMNS = ['eventsource', 'eventname', 'useridentity.type'] as const;
export type PruningColumn = (typeof PRUNING_COLUMNS)[number];

/** Values a question accepts per column; a column absent from the map is not filtered. */
export type Pruning = Map<PruningColumn, Set<string>>;

/** One row group of a cached day: its rows, the compressed bytes of each top-level column, and min/max per column. */
export interface RowGroupStats {
  rows: number;
  columnBytes: Record<string, number>;
  ranges: Partial<Record<PruningColumn, [string, string]>>;
}

const isPruningColumn = (name: string): name is PruningColumn => (PRUNING_COLUMNS as readonly string[]).includes(name);

/** A single-quoted SQL string literal at the start of `text` (doubled quotes inside), with what follows it. */
function literalAt(text: string): { value: string; rest: string } | undefined {
  if (!text.startsWith("'")) return undefined;
  let value = '';
  let i = 1;
  while (i < text.length) {
    if (text[i] === "'" && text[i + 1] === "'") {
      value += "'";
      i += 2;
    } else if (text[i] === "'") {
      return { value, rest: text.slice(i + 1) };
    } else {
      value += text[i];
      i++;
    }
  }
  return undefined;
}

/** `a, b, c)` as literals, up to the closing parenthesis. */
function literalList(text: string): string[] | undefined {
  const values: string[] = [];
  let rest = text.trimStart();
  for (;;) {
    const lit = literalAt(rest);
    if (!lit) return undefined;
    values.push(lit.value);
    rest = lit.rest.trimStart();
    if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
    else if (rest === ')') return values;
    else return undefined;
  }
}

/**
 * One filter of DuckDB's plan, as it prints it: `col='v'`, `col IN ('a', 'b')`, `((col = 'a') OR (col = 'b'))`,
 * each maybe prefixed `optional: `. Anything else gives undefined.
 */
export function parseScanFilter(filter: string): { column: PruningColumn; values: string[] } | undefined {
  const text = filter.replace(/^optional:\s*/, '').trim();
  const inList = /^([a-z_.]+) IN \((.*)$/s.exec(text);
  if (inList) {
    const values = literalList(inList[2]!);
    return values && isPruningColumn(inList[1]!) ? { column: inList[1], values } : undefined;
  }
  // Equalities, alone or in an OR chain over one column; parentheses only group.
  const parts = text.replace(/[()]/g, ' ').split(/\s+OR\s+/);
  let column: PruningColumn | undefined;
  const values: string[] = [];
  for (const part of parts) {
    const eq = /^\s*([a-z_.]+)\s*=\s*(.*?)\s*$/s.exec(part);
    const lit = eq ? literalAt(eq[2]!) : undefined;
    if (!eq || !lit || lit.rest.trim() !== '' || !isPruningColumn(eq[1]!)) return undefined;
    if (column && column !== eq[1]) return undefined;
    column = eq[1];
    values.push(lit.value);
  }
  return column ? { column, values } : undefined;
}

/** The filters DuckDB pushed into the question's READ_PARQUET scan, from `EXPLAIN (FORMAT JSON)` output. */
export function pruningFromPlan(planJson: string): Pruning {
  const pruning: Pruning = new Map();
  const scans: string[][] = [];
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as { extra_info?: { Function?: unknown; Filters?: unknown }; children?: unknown[] };
    if (n.extra_info?.Function === 'READ_PARQUET') {
      const filters = n.extra_info.Filters;
      scans.push(Array.isArray(filters) ? filters.map(String) : typeof filters === 'string' ? [filters] : []);
    }
    for (const child of n.children ?? []) walk(child);
  };
  const plan = JSON.parse(planJson) as unknown;
  for (const root of Array.isArray(plan) ? plan : [plan]) walk(root);
  // One Parquet scan per question (the view's cached arm); with several, only what they all filter holds for each.
  if (scans.length !== 1) return pruning;
  for (const filter of scans[0]!) {
    const parsed = parseScanFilter(filter);
    if (!parsed) continue;
    const known = pruning.get(parsed.column);
    const values = new Set(parsed.values);
    // Two filters on one column are both applied: only values both accept remain.
    pruning.set(parsed.column, known ? new Set([...known].filter((v) => values.has(v))) : values);
  }
  return pruning;
}

/**
 * Whether a reader must read this row group: every filtered column's min/max range holds at least one accepted
 * value (strings compared as Parquet orders them, byte-wise in UTF-8). A group without statistics is read.
 */
export function rowGroupNeeded(group: RowGroupStats, pruning: Pruning): boolean {
  for (const [column, values] of pruning) {
    const range = group.ranges[column];
    if (!range) continue;
    const [min, max] = range;
    if (![...values].some((v) => compareUtf8(min, v) <= 0 && compareUtf8(v, max) <= 0)) return false;
  }
  return true;
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
