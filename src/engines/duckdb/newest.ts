import type { CachedPartition } from './cache-manifest';
import { compareUtf8 } from './pruning';

/**
 * Newest-first questions over cached days (`recent`: the newest 200 events of a window). Such a question keeps the
 * first `limit` rows by `eventtime` descending, so a cached day whose newest event is older than the answer's last
 * row cannot change it: every row it holds sorts after that row. The engine first reads only the newest days that
 * hold many times `limit` rows (newestDays), then checks its answer (coversNewest): when it has `limit` rows and its
 * last row is newer than every day it left out, it is the answer over all of them; otherwise it reads again every day
 * that may hold a newer row than that last one (daysFrom), which always passes the check, or all of them. The days'
 * time ranges come from their Parquet statistics (cache-convert.ts); a day without one is always read.
 *
 * Which questions qualify is decided on DuckDB's parse tree of the SQL (`json_serialize_sql`), conservatively: one
 * SELECT straight from `cloudtrail_logs` (no join, CTE, subquery, set operation, DISTINCT, GROUP BY, HAVING, QUALIFY,
 * window or aggregate function, `*`, COLUMNS or unnest), `ORDER BY eventtime DESC` first (NULLs last, DuckDB's and
 * Trino's default),
 * then any other keys, and `LIMIT n` with a constant n and no OFFSET; `eventtime` itself must be a column of the
 * result, and no other result column may be named `eventtime` (ORDER BY would then mean that one).
 */
export interface NewestFirst {
  limit: number;
  /** Index of the `eventtime` column in the result. */
  column: number;
  /** Items in the select list: the answer must have as many columns, or `column` is not where eventtime is. */
  items: number;
}

/** How many times `limit` rows the days read first hold between them, so that a filter keeping one row in this many
 * still fills the answer. `recent`'s 200 rows: the newest 4,000 events' days. */
export const FILL_FACTOR = 20;

/** The largest share of the days' rows a first read may hold (newestDays). */
export const WORTH_IT = 1 / 8;

/**
 * The largest LIMIT tried. The drill-downs' LIMIT 10000 is a cap, not a count: a person's or an address's events
 * rarely fill it, so over a large cache a first read would nearly always be followed by a read of every day.
 */
export const MAX_LIMIT = 1000;

interface Node {
  class?: string;
  type?: string;
  alias?: string;
  column_names?: string[];
  function_name?: string;
  value?: { type?: { id?: string }; is_null?: boolean; value?: unknown };
  [key: string]: unknown;
}

function* objects(node: unknown): Generator<Node> {
  if (!node || typeof node !== 'object') return;
  if (!Array.isArray(node)) yield node as Node;
  for (const child of Object.values(node)) yield* objects(child);
}

/** Functions whose one call in a select list gives several result columns (or rows). */
const EXPANDING = new Set(['unnest', 'unpack', 'columns']);

const INTEGER_TYPES = new Set([
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
]);

/**
 * Whether a question is newest-first (see above), from `json_serialize_sql`'s output. `aggregates` are the lower-case
 * names of the functions that aggregate rows (aggregateNames), which a select list must not call.
 */
export function newestFirstFromAst(
  astJson: string,
  aggregates: ReadonlySet<string>,
  table = 'cloudtrail_logs',
): NewestFirst | undefined {
  const tree = JSON.parse(astJson) as { error?: boolean; statements?: { node?: Node }[] };
  if (tree.error || tree.statements?.length !== 1) return undefined;
  const node = tree.statements[0]!.node;
  if (node?.type !== 'SELECT_NODE') return undefined;
  const from = node.from_table as { type?: string; table_name?: string; alias?: string; column_name_alias?: string[] };
  if (from?.type !== 'BASE_TABLE' || String(from.table_name).toLowerCase() !== table) return undefined;
  if (from.column_name_alias?.length) return undefined;
  const all = [...objects(node)];
  // The table read once, and nothing that reads rows in another way or groups them.
  if (all.filter((o) => o.type === 'BASE_TABLE').length !== 1) return undefined;
  if (Object.keys((node.cte_map as { map?: object })?.map ?? {}).length) return undefined;
  if (all.some((o) => o.class === 'SUBQUERY' || o.class === 'WINDOW' || o.type === 'SET_OPERATION_NODE'))
    return undefined;
  if ((node.group_expressions as unknown[])?.length || (node.group_sets as unknown[])?.length) return undefined;
  if (node.having || node.qualify || node.sample) return undefined;
  if (all.some((o) => o.class === 'FUNCTION' && aggregates.has(String(o.function_name).toLowerCase())))
    return undefined;
  // `*`, COLUMNS(…) and unnest/unpack of a struct expand into several result columns.
  if (all.some((o) => o.class === 'STAR' || o.class === 'COLUMNS')) return undefined;
  if (all.some((o) => o.class === 'FUNCTION' && EXPANDING.has(String(o.function_name).toLowerCase()))) return undefined;

  const modifiers = (node.modifiers as Node[]) ?? [];
  if (modifiers.length !== 2) return undefined;
  const order = modifiers.find((m) => m.type === 'ORDER_MODIFIER') as { orders?: Node[] } | undefined;
  const limitModifier = modifiers.find((m) => m.type === 'LIMIT_MODIFIER') as
    | { limit?: Node | null; offset?: Node | null }
    | undefined;
  if (!order || !limitModifier || limitModifier.offset) return undefined;
  const first = order.orders?.[0] as { type?: string; null_order?: string; expression?: Node } | undefined;
  if (first?.type !== 'DESCENDING' || !['ORDER_DEFAULT', 'NULLS LAST', 'NULLS_LAST'].includes(String(first.null_order)))
    return undefined;
  const alias = from.alias?.toLowerCase();
  if (!isEventTime(first.expression, alias)) return undefined;
  const limit = limitModifier.limit;
  if (
    limit?.class !== 'CONSTANT' ||
    !INTEGER_TYPES.has(String(limit.value?.type?.id)) ||
    limit.value?.is_null ||
    !(Number(limit.value?.value) >= 1) ||
    !Number.isSafeInteger(Number(limit.value?.value))
  )
    return undefined;

  const list = (node.select_list as Node[]) ?? [];
  const named = (item: Node): string => (item.alias ? item.alias.toLowerCase() : '');
  const column = list.findIndex((item) => isEventTime(item, alias) && (!item.alias || named(item) === 'eventtime'));
  if (column < 0) return undefined;
  if (list.some((item, i) => i !== column && named(item) === 'eventtime')) return undefined;
  return { limit: Number(limit.value!.value), column, items: list.length };
}

function isEventTime(node: Node | undefined, alias: string | undefined): boolean {
  if (node?.class !== 'COLUMN_REF' || !node.column_names) return false;
  const names = node.column_names.map((n) => n.toLowerCase());
  if (names.length === 2 && alias && names[0] === alias) names.shift();
  return names.length === 1 && names[0] === 'eventtime';
}

const newestTime = (p: CachedPartition): string | undefined => p.eventTimes?.[1];

/**
 * The days to read first: whole delivery days (every account and region of one date), newest first by their newest
 * event, until they hold FILL_FACTOR × limit rows, and every day without a time range. A day's folders of different
 * regions hold events of the same hours, so taking one and not the other would fail the check. Undefined when that
 * is every day, or when FILL_FACTOR × limit rows are more than a WORTH_IT share of all the days' rows: a first read
 * that large gains little, and it is wasted when the filter keeps fewer rows than that; nor above MAX_LIMIT.
 */
export function newestDays(days: readonly CachedPartition[], limit: number): CachedPartition[] | undefined {
  if (limit > MAX_LIMIT) return undefined;
  const wanted = limit * FILL_FACTOR;
  if (wanted > days.reduce((n, d) => n + d.rows, 0) * WORTH_IT) return undefined;
  const dates = new Map<string, CachedPartition[]>();
  const chosen = new Set<CachedPartition>();
  for (const day of days) {
    if (newestTime(day) === undefined) chosen.add(day);
    else {
      const date = day.key.split('/').slice(2).join('/');
      dates.set(date, [...(dates.get(date) ?? []), day]);
    }
  }
  const newestOf = (group: readonly CachedPartition[]): string =>
    group.map((d) => newestTime(d)!).reduce((a, b) => (compareUtf8(a, b) >= 0 ? a : b));
  const groups = [...dates.values()].sort((a, b) => compareUtf8(newestOf(b), newestOf(a)));
  let rows = 0;
  for (const group of groups) {
    if (rows >= wanted) break;
    for (const day of group) chosen.add(day);
    rows += group.reduce((n, d) => n + d.rows, 0);
  }
  return chosen.size < days.length ? days.filter((d) => chosen.has(d)) : undefined;
}

/**
 * Whether an answer read from some days is the answer over all of them: it has `limit` rows and its last row's
 * `eventtime` (`last`) is newer than the newest event of every day left out.
 */
export function coversNewest(
  rowCount: number,
  limit: number,
  last: string | null | undefined,
  left: readonly CachedPartition[],
): boolean {
  if (left.length === 0) return true;
  if (rowCount < limit || typeof last !== 'string') return false;
  return left.every((d) => newestTime(d) !== undefined && compareUtf8(newestTime(d)!, last) < 0);
}

/** After a check failed with `last` known: every day that may hold an event at or after it (the next read passes). */
export const daysFrom = (days: readonly CachedPartition[], last: string): CachedPartition[] =>
  days.filter((d) => newestTime(d) === undefined || compareUtf8(newestTime(d)!, last) >= 0);
