/**
 * Which row groups of the cached Parquet days a question cannot skip: for the bytes it reports (issue 16: "bytes read
 * … from the cache", the local stand-in for Athena's "Data scanned"), and to leave out of the view a cached day none of
 * whose row groups can hold an answer row (execute.ts).
 *
 * A Parquet reader skips a row group when the min/max statistics of a column rule out every value a filter on that
 * column accepts: DuckDB does it for the filters it pushes into `read_parquet`, and so do Athena's and Trino's readers
 * (Athena User Guide, "Columnar storage formats": predicate pushdown on Parquet). The cache writes each day sorted by
 * event source, event name and time (cache-convert.ts), so the calls a template names lie together and the others'
 * row groups are skipped. The conditions held against the recorded statistics come from DuckDB's own parse of the
 * question (`json_serialize_sql`, no binding, so it costs ~1 ms once per SQL text): equality and IN with text
 * constants on one of the `PRUNING_COLUMNS`, and ORs of those over one column, ANDed at the top of the WHERE. Every
 * row of the answer satisfies them, so a skipped row group holds none of it. Any other condition is not used: the
 * estimate can only be too high, never too low. (Asking the planner which filters it pushed into the Parquet scan,
 * `EXPLAIN`, binds the whole view again: 9–16 ms a question, as much as a warm answer.)
 */

/** Columns whose per-row-group min/max the cache records (Parquet `path_in_schema`, dotted). */
export const PRUNING_COLUMNS = ['eventsource', 'eventname', 'useridentity.type'] as const;
export type PruningColumn = (typeof PRUNING_COLUMNS)[number];

/** Values a question accepts per column; a column absent from the map is not filtered. */
export type Pruning = Map<PruningColumn, Set<string>>;

/** One row group of a cached day: its rows, the compressed bytes of each Parquet column, and min/max per column. */
export interface RowGroupStats {
  rows: number;
  columnBytes: Record<string, number>;
  ranges: Partial<Record<PruningColumn, [string, string]>>;
}

export const isPruningColumn = (name: string): name is PruningColumn =>
  (PRUNING_COLUMNS as readonly string[]).includes(name);

/** A node of DuckDB's parse tree as `json_serialize_sql` prints it (only the fields read here). */
interface AstNode {
  class?: string;
  type?: string;
  alias?: string;
  function_name?: string;
  identifier?: string;
  child?: AstNode;
  cast_type?: { id?: string; type_info?: { name?: string } | null };
  try_cast?: boolean;
  case_checks?: { when_expr?: AstNode; then_expr?: AstNode }[];
  else_expr?: AstNode | null;
  column_names?: string[];
  value?: { type?: { id?: string }; is_null?: boolean; value?: unknown };
  children?: AstNode[];
  left?: AstNode;
  right?: AstNode;
  from_table?: { type?: string; table_name?: string; alias?: string; column_name_alias?: string[] };
  where_clause?: AstNode | null;
}

const isTable = (node: unknown, table: string): boolean =>
  !!node &&
  typeof node === 'object' &&
  (node as AstNode['from_table'])?.type === 'BASE_TABLE' &&
  String((node as AstNode['from_table'])?.table_name).toLowerCase() === table;

/** Every object in the tree, depth first. */
function* objects(node: unknown): Generator<Record<string, unknown>> {
  if (!node || typeof node !== 'object') return;
  if (!Array.isArray(node)) yield node as Record<string, unknown>;
  for (const child of Object.values(node)) yield* objects(child);
}

/** The column a reference names, without the table's alias: `t.useridentity.type` → `useridentity.type`. */
function columnOf(node: AstNode | undefined, alias: string | undefined): string | undefined {
  if (node?.class !== 'COLUMN_REF' || !node.column_names?.length) return undefined;
  // A quoted name with a dot in it (`"useridentity.type"`) is no table column, so DuckDB binds it to a select-list
  // alias of that name, if any: not the struct field it reads like.
  if (node.column_names.some((n) => n.includes('.'))) return undefined;
  const names = node.column_names.map((n) => n.toLowerCase());
  if (alias && names.length > 1 && names[0] === alias.toLowerCase()) names.shift();
  return names.join('.');
}

const textConstant = (node: AstNode | undefined): string | undefined =>
  node?.class === 'CONSTANT' &&
  node.value?.type?.id === 'VARCHAR' &&
  !node.value.is_null &&
  typeof node.value.value === 'string'
    ? node.value.value
    : undefined;

/** `col = 'v'`, `col IN ('a', …)`, or an OR of those over one column: the column and the values it accepts. */
function accepted(node: AstNode, alias: string | undefined): { column: PruningColumn; values: string[] } | undefined {
  if (node.class === 'COMPARISON' && node.type === 'COMPARE_EQUAL') {
    const [ref, lit] = columnOf(node.left, alias) ? [node.left, node.right] : [node.right, node.left];
    const column = columnOf(ref, alias);
    const value = textConstant(lit);
    return column && isPruningColumn(column) && value !== undefined ? { column, values: [value] } : undefined;
  }
  if (node.class === 'OPERATOR' && node.type === 'COMPARE_IN') {
    const [ref, ...list] = node.children ?? [];
    const column = columnOf(ref, alias);
    const values = list.map(textConstant);
    return column && isPruningColumn(column) && values.length > 0 && values.every((v) => v !== undefined)
      ? { column, values: values as string[] }
      : undefined;
  }
  if (node.class === 'CONJUNCTION' && node.type === 'CONJUNCTION_OR') {
    const parts = (node.children ?? []).map((child) => accepted(child, alias));
    const column = parts[0]?.column;
    return column && parts.every((p) => p?.column === column)
      ? { column, values: parts.flatMap((p) => p!.values) }
      : undefined;
  }
  return undefined;
}

/**
 * The values a question's SQL accepts per pruning column, from DuckDB's parse tree of it (`json_serialize_sql`): the
 * conditions ANDed at the top of the WHERE of the one SELECT that reads `cloudtrail_logs`. Parameters are not
 * constants and are not used; a question that reads the table more than once (a join, a second subquery) gets none.
 */
export function pruningFromAst(astJson: string, table = 'cloudtrail_logs'): Pruning {
  const pruning: Pruning = new Map();
  const found = whereOfReader(astJson, table);
  if (!found) return pruning;
  const { conjuncts, alias } = found;
  for (const conjunct of conjuncts) {
    const found = accepted(conjunct, alias);
    if (!found) continue;
    const values = new Set(found.values);
    const known = pruning.get(found.column);
    // Two conditions on one column both hold: only values both accept remain.
    pruning.set(found.column, known ? new Set([...known].filter((v) => values.has(v))) : values);
  }
  return pruning;
}

/**
 * The conditions ANDed at the top of the WHERE of the one SELECT that reads the table, and the table's alias there;
 * undefined when the question reads the table more than once, or may read something else under its name.
 */
function whereOfReader(
  astJson: string,
  table: string,
): { conjuncts: AstNode[]; alias: string | undefined } | undefined {
  const tree = JSON.parse(astJson) as { error?: boolean };
  if (tree.error) return undefined;
  const all = [...objects(tree)];
  const readers = all.filter((o) => o.type === 'SELECT_NODE' && isTable(o.from_table, table)) as AstNode[];
  const mentions = all.filter((o) => isTable(o, table)).length;
  if (readers.length !== 1 || mentions !== 1) return undefined;
  // The table's name anywhere else (a CTE of that name, which the FROM then reads; `query_table('cloudtrail_logs')`)
  // may be another read of it, or may make the FROM something else: no condition is used.
  if (namedElsewhere(all, table)) return undefined;
  const [reader] = readers;
  // Column aliases (`FROM cloudtrail_logs AS t(a, b)`) rename the table's columns by position: `eventname` in the
  // WHERE may then be another column.
  if (reader!.from_table?.column_name_alias?.length) return undefined;
  const alias = reader!.from_table?.alias || undefined;
  const conjuncts: AstNode[] = [];
  const flatten = (node: AstNode | null | undefined): void => {
    if (!node) return;
    if (node.class === 'CONJUNCTION' && node.type === 'CONJUNCTION_AND')
      for (const c of node.children ?? []) flatten(c);
    else conjuncts.push(node);
  };
  flatten(reader!.where_clause);
  return { conjuncts, alias };
}

/**
 * The parameters of the networks a question's rows must lie in: when a condition ANDed at the top of its WHERE holds
 * only if `contains(?, try_cast(sourceipaddress AS ipaddress))` holds for one of them (the `ip` template's
 * `_in_network.sql`: that call under a CASE whose other outcomes are false, under `coalesce(…, false)`, and ORed over
 * the networks), their identifiers (`?` numbered from 1); else undefined. A negated call (`logins external`: sources
 * in none of the known networks) is no such condition.
 */
export function addressNetworksFromAst(astJson: string, table = 'cloudtrail_logs'): string[] | undefined {
  const found = whereOfReader(astJson, table);
  if (!found) return undefined;
  for (const conjunct of found.conjuncts) {
    const params = impliedNetworks(conjunct, found.alias);
    if (params) return params;
  }
  return undefined;
}

const PRINCIPAL_NAME_COLUMNS = new Set(['useridentity.username', 'useridentity.sessioncontext.sessionissuer.username']);

/**
 * The principal a question's rows must name: when a condition ANDed at the top of its WHERE is `username = ?`,
 * `sessionissuer.username = ?`, or an OR of those (the `user` template), the parameters (identifiers, `?` numbered
 * from 1) and text constants compared; else undefined. Every row it accepts carries one of those values in one of
 * the two name columns, so the day's principal copy under that name holds it (cache-columns.ts).
 */
export function principalFromAst(
  astJson: string,
  table = 'cloudtrail_logs',
): { params: string[]; constants: string[] } | undefined {
  const found = whereOfReader(astJson, table);
  if (!found) return undefined;
  for (const conjunct of found.conjuncts) {
    const terms = orTerms(conjunct);
    const params: string[] = [];
    const constants: string[] = [];
    const named = terms.every((term) => {
      if (term.class !== 'COMPARISON' || term.type !== 'COMPARE_EQUAL') return false;
      const [ref, other] = columnOf(term.left, found.alias) ? [term.left, term.right] : [term.right, term.left];
      if (!PRINCIPAL_NAME_COLUMNS.has(columnOf(ref, found.alias) ?? '')) return false;
      if (other?.class === 'PARAMETER' && typeof other.identifier === 'string') params.push(other.identifier);
      else if (textConstant(other) !== undefined) constants.push(textConstant(other)!);
      else return false;
      return true;
    });
    if (named && terms.length > 0) return { params, constants };
  }
  return undefined;
}

/**
 * The strings a question's rows must hold in a searched text: when a condition ANDed at the top of its WHERE is
 * `strpos(<text>, ?) > 0`, or an OR of those, with <text> `requestparameters`, `responseelements` or
 * `json_format(CAST(resources AS JSON))` (the `who` template), the parameters compared (identifiers, `?` numbered from
 * 1); else undefined. Every row it accepts holds one of them in one of those texts (the cache's token index,
 * cache-columns.ts).
 */
export function textSearchFromAst(astJson: string, table = 'cloudtrail_logs'): string[] | undefined {
  const found = whereOfReader(astJson, table);
  if (!found) return undefined;
  const searched = (node: AstNode | undefined): boolean => {
    const column = columnOf(node, found.alias);
    if (column === 'requestparameters' || column === 'responseelements') return true;
    // json_format(CAST(resources AS JSON))
    if (node?.class !== 'FUNCTION' || node.function_name?.toLowerCase() !== 'json_format') return false;
    const cast = node.children?.length === 1 ? node.children[0] : undefined;
    return (
      cast?.class === 'CAST' &&
      (cast.cast_type?.id === 'JSON' || (cast.cast_type?.type_info?.name ?? '').toLowerCase() === 'json') &&
      !cast.try_cast &&
      columnOf(cast.child, found.alias) === 'resources'
    );
  };
  const term = (node: AstNode): string | undefined => {
    if (node.class !== 'COMPARISON' || node.type !== 'COMPARE_GREATERTHAN') return undefined;
    const zero = node.right;
    if (zero?.class !== 'CONSTANT' || zero.value?.value !== 0 || zero.value?.is_null) return undefined;
    const call = node.left;
    if (call?.class !== 'FUNCTION' || call.function_name?.toLowerCase() !== 'strpos' || call.children?.length !== 2)
      return undefined;
    const [text, needle] = call.children;
    return searched(text) && needle?.class === 'PARAMETER' && typeof needle.identifier === 'string'
      ? needle.identifier
      : undefined;
  };
  for (const conjunct of found.conjuncts) {
    const terms = orTerms(conjunct);
    const params = terms.map(term);
    if (terms.length > 0 && params.every((p) => p !== undefined)) return params as string[];
  }
  return undefined;
}

/** A constant false or NULL; DuckDB's parser writes the keyword `false` as `CAST('f' AS BOOLEAN)`. */
const isFalse = (node: AstNode | null | undefined): boolean => {
  if (node?.class === 'CAST' && node.cast_type?.id === 'BOOLEAN' && node.child?.class === 'CONSTANT') {
    const text = node.child.value?.value;
    return (
      node.child.value?.is_null === true || (typeof text === 'string' && ['f', 'false'].includes(text.toLowerCase()))
    );
  }
  return node?.class === 'CONSTANT' && (node.value?.is_null === true || node.value?.value === false);
};

/** Networks (parameter identifiers) one of which contains the row's source whenever `node` is true. */
function impliedNetworks(node: AstNode | null | undefined, alias: string | undefined): string[] | undefined {
  if (!node) return undefined;
  if (node.class === 'FUNCTION' && node.function_name?.toLowerCase() === 'contains' && node.children?.length === 2) {
    const [network, address] = node.children;
    const source = address?.class === 'CAST' ? address.child : address;
    const castOk =
      address?.class !== 'CAST' || (address.cast_type?.type_info?.name ?? '').toLowerCase() === 'ipaddress';
    return network?.class === 'PARAMETER' &&
      typeof network.identifier === 'string' &&
      castOk &&
      columnOf(source, alias) === 'sourceipaddress'
      ? [network.identifier]
      : undefined;
  }
  if (node.class === 'OPERATOR' && node.type === 'OPERATOR_COALESCE' && node.children?.length === 2) {
    return isFalse(node.children[1]) ? impliedNetworks(node.children[0], alias) : undefined;
  }
  if (node.class === 'CASE') {
    const outcomes = [...(node.case_checks ?? []).map((check) => check.then_expr), node.else_expr];
    const implied = outcomes.map((o) => (isFalse(o) ? [] : impliedNetworks(o, alias)));
    if (implied.some((i) => i === undefined) || implied.every((i) => i!.length === 0)) return undefined;
    return implied.flatMap((i) => i!);
  }
  if (node.class === 'CONJUNCTION' && node.type === 'CONJUNCTION_AND') {
    for (const child of node.children ?? []) {
      const implied = impliedNetworks(child, alias);
      if (implied) return implied;
    }
    return undefined;
  }
  if (node.class === 'CONJUNCTION' && node.type === 'CONJUNCTION_OR') {
    const implied = (node.children ?? []).map((child) => impliedNetworks(child, alias));
    return implied.every((i) => i !== undefined) && implied.length > 0 ? implied.flatMap((i) => i!) : undefined;
  }
  return undefined;
}

/** The terms of an OR, or the node itself when it is no OR. */
const orTerms = (node: AstNode): AstNode[] =>
  node.class === 'CONJUNCTION' && node.type === 'CONJUNCTION_OR' ? (node.children ?? []) : [node];

/** Whether a text in the tree other than a BASE_TABLE's own name names the table (case-insensitively). */
function namedElsewhere(all: readonly Record<string, unknown>[], table: string): boolean {
  return all.some((o) =>
    Object.entries(o).some(
      ([key, value]) =>
        typeof value === 'string' &&
        value.toLowerCase().includes(table) &&
        !(key === 'table_name' && o.type === 'BASE_TABLE'),
    ),
  );
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

/** The largest share of the rows a condition on a struct leaf may leave to be read and still go into the scan. */
export const SELECTIVE_SHARE = 1 / 2;

/**
 * The conditions on struct leaves worth handing to the cached days' scan (cachedArmSql): those that rule out row
 * groups holding more than half of the rows read. Filtering in the scan tests every row of the row groups it reads
 * and pays off only by the groups it skips: `root 30d` (Root calls in few row groups) 23 → 14 ms warm with it, while
 * `users 30d` (IAMUser calls in almost every group) 74 → 84 ms. A row group without statistics for the column counts
 * as read; a day without row-group statistics (an older cache) is not counted, and with none at all nothing goes.
 */
export function selectiveLeaves(pruning: Pruning, days: readonly (readonly RowGroupStats[] | undefined)[]): Pruning {
  const groups = days.flatMap((d) => d ?? []);
  const total = groups.reduce((n, g) => n + g.rows, 0);
  const kept: Pruning = new Map();
  for (const [column, values] of pruning) {
    if (!column.includes('.')) continue;
    const read = groups.filter((g) => rowGroupNeeded(g, new Map([[column, values]]))).reduce((n, g) => n + g.rows, 0);
    if (total > 0 && read <= total * SELECTIVE_SHARE) kept.set(column, values);
  }
  return kept;
}

/** Whether any row group of a cached day may hold a row the question accepts; a day without statistics may. */
export const partitionNeeded = (groups: readonly RowGroupStats[] | undefined, pruning: Pruning): boolean =>
  !groups || groups.some((group) => rowGroupNeeded(group, pruning));

/** Texts compared as Parquet statistics and DuckDB's VARCHAR ordering compare them: byte-wise in UTF-8. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
