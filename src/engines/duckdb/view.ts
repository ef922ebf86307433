import { CLOUDTRAIL_COLUMNS, CLOUDTRAIL_TABLE, type Column, type ColumnType } from '../../ddl/table';
import { sqlLiteral } from '../../query/literal';
import type { LogFile, LogFormat, LogLayout } from './files';
import type { ColumnNeeds, Need } from './needs';

/**
 * The `cloudtrail_logs` view: the Athena table's columns (src/ddl/table.ts) over an explicit list of local files.
 *
 * Types: every leaf is read as VARCHAR, `jsonText` columns included. For a VARCHAR target DuckDB's JSON reader gives
 * an object or array as its JSON text, a boolean or number as its text and a string as the string itself: what Athena's
 * JsonSerDe does for a string column (`readOnly: false` → 'false', `requestParameters: {…}` → '{…}'). A JSON target
 * would quote plain strings, and measured no faster. Structs are pinned with CloudTrail's camelCase keys (key matching
 * in `read_json`'s `columns` is case-sensitive, as checked locally on DuckDB 1.5) and cast to the table's lowercase
 * fields, unless the query only takes text leaves out of them (`projection` says why).
 *
 * Speed comes from three choices, measured on ~1M events / 1,440 files (numbers in the engine's report):
 * - `records='true'` with pinned `columns`: without it read_json samples up to 32 files while binding (~0.4 s).
 * - compact `{"Records":[…]}` files (what CloudTrail delivers: one line) are read as `newline_delimited`, about twice
 *   as fast as `auto`/`unstructured` on the same files.
 * - only the columns (and struct fields) the query names are pinned in `columns`; the others are typed NULLs, so the
 *   view keeps exactly the table's column names while read_json materialises only what the query needs.
 */

/** Partition columns after the table columns, as in the Athena DDL (`timestamp`) plus region / account. */
export const PARTITION_COLUMNS = ['timestamp', 'region', 'account'] as const;

/**
 * DuckDB's default and smallest maximum_object_size (it ignores lower values); a larger JSON object needs it raised
 * (DuckDB docs, "Loading JSON": https://duckdb.org/docs/stable/data/json/loading_json).
 */
export const DEFAULT_MAX_OBJECT_BYTES = 16 * 1024 * 1024;

export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const literal = (value: string): string => sqlLiteral({ type: 'varchar', value });

/** DuckDB type of a column, with either the view's lowercase names or CloudTrail's JSON keys as struct field names. */
export function duckDbType(type: ColumnType, names: 'view' | 'json' = 'view', need: Need = 'whole'): string {
  switch (type.kind) {
    case 'string':
      return 'VARCHAR';
    case 'map':
      return `MAP(${duckDbType(type.key, names)}, ${duckDbType(type.value, names)})`;
    case 'array':
      return `${duckDbType(type.of, names, need)}[]`;
    case 'struct': {
      const fields = type.fields.flatMap((field) => {
        const fieldNeed = need === 'whole' ? 'whole' : need.get(field.name);
        if (!fieldNeed) return [];
        return [
          `${quoteIdent(names === 'view' ? field.name : field.json)} ${duckDbType(field.type, names, fieldNeed)}`,
        ];
      });
      return `STRUCT(${fields.join(', ')})`;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The view SQL

/** One read_json call: files of one layout and one format. */
export interface ViewBranch {
  layout: LogLayout;
  format: LogFormat;
  /**
   * Said explicitly rather than left to DuckDB's guess from the name: its guess reads a path with `?` in it as a URL
   * with a query string and misses the `.gz`.
   */
  compression: 'gzip' | 'uncompressed';
  files: readonly LogFile[];
  /** read_json's maximum_object_size for these files (each object must fit). */
  maxObjectBytes: number;
}

export interface ViewOptions {
  needs: ColumnNeeds;
  /**
   * Where each read_json call finds its file list: inline literals (default), or the connection variables
   * `setFileLists` (file-lists.ts) sets, which keeps thousands of paths out of the SQL DuckDB parses.
   */
  fileLists?: 'literals' | 'variables';
  /** Narrows flat exports by the records' own awsRegion / recipientAccountId (their path says nothing). */
  scope?: { accounts?: readonly string[]; regions?: readonly string[] };
}

const READ_FORMAT: Record<LogFormat, string> = {
  records: 'newline_delimited',
  'records-multiline': 'unstructured',
  array: 'array',
  events: 'auto',
};

/**
 * Top-level JSON keys pinned for a branch, with their read types. eventTime is always read (a flat export's
 * `timestamp`), and for flat exports awsRegion / recipientAccountId too: they stand in for the `region` / `account`
 * partition values an S3 path would give, so `region IN (…)` means the same on every input.
 */
function pinnedColumns(options: ViewOptions, layout: ViewBranch['layout']): { column: Column; need: Need }[] {
  const pinned = new Map<string, Need>();
  if (options.needs === 'all') for (const c of CLOUDTRAIL_COLUMNS) pinned.set(c.name, 'whole');
  else for (const [name, need] of options.needs) pinned.set(name, need);
  const always = ['eventtime'];
  if (layout === 'flat' || options.scope?.regions?.length) always.push('awsregion');
  if (layout === 'flat' || options.scope?.accounts?.length) always.push('recipientaccountid');
  for (const name of always) pinned.set(name, 'whole');
  return CLOUDTRAIL_COLUMNS.flatMap((column) => {
    const need = pinned.get(column.name);
    return need ? [{ column, need }] : [];
  });
}

function jsonName(name: string): string {
  const column = CLOUDTRAIL_COLUMNS.find((c) => c.name === name);
  if (!column) throw new Error(`unknown CloudTrail column ${name}`);
  return column.json;
}

/** `SELECT` list of the view for one branch; `field(json)` is how that branch reaches a record's key. */
function projection(pinned: ReadonlyMap<string, Need>, field: (json: string) => string): string[] {
  return CLOUDTRAIL_COLUMNS.map((column) => {
    const viewType = duckDbType(column.type);
    const need = pinned.get(column.name);
    if (!need) return `CAST(NULL AS ${viewType}) AS ${quoteIdent(column.name)}`;
    // Struct casts in DuckDB match fields by name, case-insensitively, and fill missing ones with NULL: one cast renames
    // camelCase keys to the table's lowercase fields and adds the fields this query did not pin. When the query only
    // takes text leaves out of a struct (`useridentity.arn`), the struct is left as read: field access is
    // case-insensitive too, and the cast (building every missing field, MAPs included, for every event) measured
    // 10–20 % of a 7-day `user` question. A struct the query uses whole is cast, so its type and JSON are the table's.
    const value =
      column.type.kind === 'string' || leavesOnly(column.type, need)
        ? field(column.json)
        : `CAST(${field(column.json)} AS ${viewType})`;
    return `${value} AS ${quoteIdent(column.name)}`;
  });
}

/** Whether `need` reaches only text leaves of a struct column (never a whole struct, list or map). */
function leavesOnly(type: ColumnType, need: Need): boolean {
  if (type.kind !== 'struct' || need === 'whole') return false;
  return [...need].every(([name, fieldNeed]) => {
    const field = type.fields.find((f) => f.name === name);
    if (!field) return false;
    return fieldNeed === 'whole' ? field.type.kind === 'string' : leavesOnly(field.type, fieldNeed);
  });
}

/**
 * A file path as a pattern that matches only that file. DuckDB expands `*`, `?` and `[…]` in the paths given to
 * read_json (and `{` is reserved too), so a log file named `*.json` would read every file beside it: each such
 * character becomes a one-character class (`*` → `[*]`, `[` → `[[]`), which DuckDB's glob matches literally.
 */
export function exactPath(path: string): string {
  return path.replace(/[[*?{]/g, (c) => `[${c}]`);
}

/**
 * The option every read of ours passes: a file's columns are its own. By default DuckDB takes each `key=value` folder
 * of a file's path for a Hive partition column, and its value *replaces* the file's column of that name (measured
 * with DuckDB 1.5: a Parquet file under `…/day=3/` read `day = 3` on every row). A state folder under `…/day=1/`
 * made the merged word index place every word in day 1, and `who` lost the other days' rows; a logs folder under
 * `…/region=x/` added a column to every raw file. Paths are the operator's, but their names must not change data.
 */
export const OWN_COLUMNS = 'hive_partitioning = false';

/** A SQL list naming exactly these files (exactPath): no glob character in a path matches other files. */
const fileListSql = (paths: readonly string[]): string => `[${paths.map((p) => literal(exactPath(p))).join(', ')}]`;

/** `read_parquet` over exactly these files (exactPath), each file's columns its own (OWN_COLUMNS). */
export const parquetOf = (files: readonly string[]): string => `read_parquet(${fileListSql(files)}, ${OWN_COLUMNS})`;

/** Partition values of an S3-layout file from its path: `<account>/CloudTrail/<region>/yyyy/MM/dd/<file>`. */
const S3_PATH_PATTERN = '([^/]+)/CloudTrail/([^/]+)/([0-9]{4}/[0-9]{2}/[0-9]{2})/[^/]+$';

/**
 * The partition columns of S3-layout files whose account, region and day discovery read from their folders, as SQL
 * over read_json's `file_index` (the file's position in the list): a constant when every file is of one partition,
 * else a CASE over the runs of files that share one (discovery lists them in path order, so a day's files are
 * consecutive). Parsing `filename` instead gives the same values, but DuckDB then tries to prune the file list with
 * the query's `"timestamp" BETWEEN …` on them while planning: measured on 2,137 files (7 days), ~160 ms of a ~200 ms
 * plan went to that, for files discovery had already chosen by day. Undefined when a file's partition is not known.
 */
function knownPartitions(files: readonly LogFile[]): [string, string, string] | undefined {
  const runs: { end: number; values: [string, string, string] }[] = [];
  for (const [i, file] of files.entries()) {
    if (file.day === undefined || file.region === undefined || file.account === undefined) return undefined;
    const values: [string, string, string] = [file.day, file.region, file.account];
    const last = runs.at(-1);
    if (last?.values.every((v, k) => v === values[k])) last.end = i + 1;
    else runs.push({ end: i + 1, values });
  }
  if (runs.length === 0) return undefined;
  return [0, 1, 2].map((k) => {
    if (runs.length === 1) return literal(runs[0]!.values[k]!);
    const whens = runs.slice(0, -1).map((run) => `WHEN file_index < ${run.end} THEN ${literal(run.values[k]!)}`);
    return `CASE ${whens.join(' ')} ELSE ${literal(runs.at(-1)!.values[k]!)} END`;
  }) as [string, string, string];
}

/** The connection variables holding the file lists of the view's read_json calls, by index (file-lists.ts). */
export const FILE_LIST_PREFIX = 'trailbot_files_';
export const fileListVariable = (index: number): string => `${FILE_LIST_PREFIX}${index}`;

/**
 * The branches that become a read_json call of the view, in order: a call's position is the index of the variable
 * its file list is in, so `viewSql` and `setFileLists` (file-lists.ts) both number them from this.
 */
export const readBranches = (branches: readonly ViewBranch[]): ViewBranch[] =>
  branches.filter((b) => b.files.length > 0);

function branchSql(branch: ViewBranch, options: ViewOptions, index: number): string {
  const pinned = pinnedColumns(options, branch.layout);
  const readColumns = pinned
    .map(({ column, need }) => `${literal(column.json)}: ${literal(duckDbType(column.type, 'json', need))}`)
    .join(', ');
  const recordsWrapped = branch.format === 'records' || branch.format === 'records-multiline';
  const columnsArg = recordsWrapped
    ? `{'Records': ${literal(`STRUCT(${structFields(pinned)})[]`)}}`
    : `{${readColumns}}`;
  const files =
    options.fileLists === 'variables'
      ? `getvariable(${literal(fileListVariable(index))})`
      : fileListSql(branch.files.map((f) => f.path));
  const known = branch.layout === 's3' ? knownPartitions(branch.files) : undefined;
  const fromPath = branch.layout === 's3' && !known;
  const read = `read_json(${files}, format = ${literal(READ_FORMAT[branch.format])}, records = 'true', columns = ${columnsArg}, compression = ${literal(branch.compression)}, maximum_object_size = ${branch.maxObjectBytes}, ${OWN_COLUMNS}${fromPath ? ', filename = true' : ''})`;

  // Partition values are computed once per file, before the records are unnested.
  const partitionOfFile = known
    ? PARTITION_COLUMNS.map((name, i) => `${known[i]} AS ${quoteIdent(name)}`).join(', ')
    : fromPath
      ? `regexp_extract(filename, ${literal(S3_PATH_PATTERN)}, 3) AS "timestamp", regexp_extract(filename, ${literal(S3_PATH_PATTERN)}, 2) AS region, regexp_extract(filename, ${literal(S3_PATH_PATTERN)}, 1) AS account`
      : '';
  const field = recordsWrapped
    ? (json: string) => `r.${quoteIdent(json)}`
    : (json: string) => `src.${quoteIdent(json)}`;
  const source = recordsWrapped
    ? branch.layout === 's3'
      ? `(SELECT unnest("Records") AS r, "timestamp", region, account FROM (SELECT "Records", ${partitionOfFile} FROM ${read})) AS src`
      : `(SELECT unnest("Records") AS r FROM ${read}) AS src`
    : branch.layout === 's3'
      ? `(SELECT *, ${partitionOfFile} FROM ${read}) AS src`
      : `${read} AS src`;
  const partitions =
    branch.layout === 's3'
      ? ['src."timestamp"', 'src.region', 'src.account']
      : [`replace(left(${field('eventTime')}, 10), '-', '/')`, field('awsRegion'), field('recipientAccountId')];
  const select = [
    ...projection(new Map(pinned.map((p) => [p.column.name, p.need])), field),
    ...partitions.map((expr, i) => `${expr} AS ${quoteIdent(PARTITION_COLUMNS[i]!)}`),
  ];
  const where: string[] = [];
  if (branch.layout === 'flat' && options.scope?.regions?.length) {
    where.push(`${field(jsonName('awsregion'))} IN (${options.scope.regions.map(literal).join(', ')})`);
  }
  if (branch.layout === 'flat' && options.scope?.accounts?.length) {
    where.push(`${field(jsonName('recipientaccountid'))} IN (${options.scope.accounts.map(literal).join(', ')})`);
  }
  return `SELECT ${select.join(',\n  ')}\nFROM ${source}${where.length ? `\nWHERE ${where.join(' AND ')}` : ''}`;
}

function structFields(pinned: { column: Column; need: Need }[]): string {
  return pinned
    .map(({ column, need }) => `${quoteIdent(column.json)} ${duckDbType(column.type, 'json', need)}`)
    .join(', ');
}

/** A view with the right columns and no rows: an empty file list is zero events, not an error. */
function emptySql(): string {
  const select = [
    ...CLOUDTRAIL_COLUMNS.map((c) => `CAST(NULL AS ${duckDbType(c.type)}) AS ${quoteIdent(c.name)}`),
    ...PARTITION_COLUMNS.map((name) => `CAST(NULL AS VARCHAR) AS ${quoteIdent(name)}`),
  ];
  return `SELECT ${select.join(', ')} WHERE false`;
}

/**
 * `CREATE OR REPLACE TEMP VIEW cloudtrail_logs AS …` over the given branches (one UNION ALL arm each) and the arm
 * reading the cached Parquet days, if any (cache-columns.ts).
 */
export function viewSql(
  branches: readonly ViewBranch[],
  options: ViewOptions & { cachedArm?: string },
  name: string = CLOUDTRAIL_TABLE,
): string {
  const arms = readBranches(branches).map((b, i) => branchSql(b, options, i));
  if (options.cachedArm) arms.push(options.cachedArm);
  return `CREATE OR REPLACE TEMP VIEW ${name} AS\n${arms.length ? arms.join('\nUNION ALL\n') : emptySql()}`;
}

/** Groups files into view branches, sizing maximum_object_size per branch from the largest object it may hold. */
export function branchesOf(files: readonly LogFile[]): ViewBranch[] {
  const groups = new Map<string, ViewBranch>();
  for (const file of files) {
    const compression = file.path.endsWith('.gz') ? 'gzip' : 'uncompressed';
    const key = `${file.layout}:${file.format}:${compression}`;
    let branch = groups.get(key);
    if (!branch) {
      branch = {
        layout: file.layout,
        format: file.format,
        compression,
        files: [],
        maxObjectBytes: DEFAULT_MAX_OBJECT_BYTES,
      };
      groups.set(key, branch);
    }
    (branch.files as LogFile[]).push(file);
    branch.maxObjectBytes = Math.max(branch.maxObjectBytes, maxObjectSizeFor(file.objectBytes));
  }
  return [...groups.values()];
}

/** A query that reads one file the way the view would (eventTime only): does DuckDB get through it? */
export function fileCheckSql(file: LogFile): string {
  const [branch] = branchesOf([file]);
  return `SELECT count(*) FROM (${branchSql(branch!, { needs: new Map() }, 0)})`;
}

/** maximum_object_size must exceed the object; DuckDB takes a UINTEGER. */
export function maxObjectSizeFor(objectBytes: number): number {
  return Math.min(0xffffffff, Math.max(DEFAULT_MAX_OBJECT_BYTES, Math.ceil(objectBytes * 1.01) + 1024 * 1024));
}
