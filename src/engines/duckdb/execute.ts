import { type DuckDBConnection, type DuckDBType, DuckDBTypeId, StatementType, VARCHAR } from '@duckdb/node-api';
import type { QueryState } from '../../core/engine';
import { TrailError } from '../../core/errors';
import type { SqlParam } from '../../core/query';
import { sqlLiteral } from '../../query/literal';
import { setBounded } from '../../util/bounded-map';
import type { ColumnarCache } from './cache';
import { cachedArmSql, PRINCIPAL_COLUMN, principalCopyServes } from './cache-columns';
import { type CachedPartition, filesOf, partitionKeyOf } from './cache-manifest';
import { clearFileLists, setFileLists } from './file-lists';
import { discoverLogFiles, type LogFile, probeFormats, probeLogFiles } from './files';
import {
  asSubquery,
  bindParams,
  FILE_ERROR,
  fileNamedIn,
  firstLine,
  isRunning,
  type Job,
  messageOf,
  RESULT_TABLE,
} from './job';
import { columnNeeds } from './needs';
import { coversNewest, daysFrom, type NewestFirst, newestDays, newestFirstFromAst } from './newest';
import {
  addressNetworksFromAst,
  type Pruning,
  partitionNeeded,
  principalFromAst,
  pruningFromAst,
  selectiveLeaves,
} from './pruning';
import { networkRange, setNetworkValues } from './trino';
import { branchesOf, fileCheckSql, quoteIdent, viewSql } from './view';

/** What running one question needs from the engine that owns it. */
export interface ExecutionContext {
  dataDir: string;
  /** The columnar cache, unless the engine has none or the question asked for `--no-cache`. */
  cache: ColumnarCache | undefined;
  /** A connection with the Trino shims installed (from the engine's pool). */
  acquireConnection: () => Promise<DuckDBConnection>;
  /** A file DuckDB cannot read: skipped with a log line, or the question's failure in strict mode (it throws). */
  badFile: (file: string, detail: string) => void;
  finish: (job: Job, state: QueryState, reason?: string) => void;
}

/**
 * Runs one question to SUCCEEDED with its result spooled to a temp table on its connection, or returns once it was
 * cancelled. Unreadable files are skipped (or fail it in strict mode) and the statement is run again without them; a
 * cached day whose Parquet file cannot be read is answered from its raw files instead.
 */
export async function executeJob(job: Job, context: ExecutionContext): Promise<void> {
  const { query } = job;
  const { cache } = context;
  const discovery = await discoverLogFiles(context.dataDir, {
    partitions: query.partitions,
    ...(query.scope ? { scope: query.scope } : {}),
    // Files of days the cache holds are only stat'ed (their size and time decide whether the day is still valid).
    ...(cache ? { probe: (f: { day?: string }) => !cache.mayHold(f), trustDay: (d) => cache.trusts(d) } : {}),
  });
  for (const bad of discovery.unreadable) context.badFile(bad.path, bad.reason);
  let files = discovery.files;
  let cached: CachedPartition[] = [];
  if (cache) {
    const plan = cache.plan(files, discovery.trusted);
    const probed = await probeLogFiles(plan.raw);
    for (const bad of probed.unreadable) context.badFile(bad.path, bad.reason);
    files = probed.files;
    cached = plan.cached;
  }
  job.files = files;
  job.cached = cached;
  if (!isRunning(job)) return;

  const connection = await context.acquireConnection();
  job.connection = connection;
  // The IP matching's per-network values, so that planning calls no JS function (trino.ts).
  await setNetworkValues(connection, query.params);
  const needs = columnNeeds(query.sql);
  job.needs = needs;
  const sql = asSubquery(query.sql);
  // A cached day none of whose row groups can hold a row the question accepts is not read at all: DuckDB cannot rule
  // it out itself when the condition is on a struct field, which the view packs from the flat columns (cache-columns).
  const shape = cached.length > 0 ? await sqlShape(connection, query.sql) : undefined;
  const pruning = shape?.pruning;
  const ranges = shape?.addressNetworks ? networkRanges(shape.addressNetworks, query.params) : undefined;
  const principal = shape?.principal && principalCopyServes(needs) ? nameOf(shape.principal, query.params) : undefined;
  // A newest-first question reads the newest cached days first, and the others only if they can change its answer.
  const newest = shape?.newest;
  let firstDays: ((day: CachedPartition) => boolean) | undefined;
  if (newest) {
    const days = newestDays(
      cached.filter((c) => !pruning || partitionNeeded(c.rowGroups, pruning)),
      newest.limit,
    );
    if (days) firstDays = (day) => days.includes(day);
  }
  const grown = new Set<LogFile>();
  let probed = false;
  let scanned = false;
  let listed = 0;
  const maxAttempts = files.length * 2 + 3;

  for (let attempt = 1; ; attempt++) {
    if (!isRunning(job)) return;
    try {
      const branches = branchesOf(files);
      const needed = cached.filter((c) => !pruning || partitionNeeded(c.rowGroups, pruning));
      const reading = firstDays ? needed.filter(firstDays) : needed;
      const parquet = reading.map((c) => c.parquet);
      // The most any attempt set: a retry without a file may need one list fewer, and all of them go after the spool.
      listed = Math.max(listed, await setFileLists(connection, branches));
      let cachedArm: string | undefined;
      if (parquet.length && principal !== undefined && reading.every((c) => c.principals)) {
        // The days' principal copies, under the question's principal.
        await setVariable(connection, PRINCIPAL_VARIABLE, principal);
        cachedArm = cachedArmSql(
          reading.map((c) => c.principals!),
          needs,
          undefined,
          [`${quoteIdent(PRINCIPAL_COLUMN)} = getvariable('${PRINCIPAL_VARIABLE}')`],
        );
      } else if (parquet.length) {
        const leaves =
          pruning &&
          selectiveLeaves(
            pruning,
            reading.map((c) => c.rowGroups),
          );
        const addresses = ranges ? await sourceAddresses(connection, reading, ranges) : undefined;
        cachedArm = cachedArmSql(parquet, needs, leaves, addresses ? [addresses] : []);
      }
      await connection.run(
        viewSql(branches, {
          needs,
          fileLists: 'variables',
          ...(query.scope ? { scope: query.scope } : {}),
          ...(cachedArm ? { cachedArm } : {}),
        }),
      );
      const { columns, types, statementType, parameterCount } = await describe(connection, sql);
      if (statementType !== StatementType.SELECT) {
        throw new TrailError('NOT_A_QUERY', `Template ${query.template} is not a SELECT; only queries can run.`);
      }
      if (parameterCount !== query.params.length) {
        throw new TrailError(
          'PARAMETER_COUNT',
          `Template ${query.template} has ${parameterCount} ? markers but ${query.params.length} parameters were bound.`,
        );
      }
      const aliases = columns.map((_, i) => `c${i}`).join(', ');
      const spool = await connection.prepare(
        `CREATE OR REPLACE TEMP TABLE ${RESULT_TABLE} AS SELECT * FROM (\n${sql}\n) AS q(${aliases})`,
      );
      bindParams(spool, query.params);
      let rowCount: number;
      try {
        // CREATE TABLE … AS answers with the number of rows it wrote.
        rowCount = Number((await spool.runAndReadAll()).getRows()[0]![0]);
      } finally {
        spool.destroySync();
      }
      if (newest && firstDays) {
        const left = needed.filter((c) => !reading.includes(c));
        const last = rowCount >= newest.limit ? await lastEventTime(connection, newest, types) : undefined;
        if (!coversNewest(rowCount, newest.limit, last, left)) {
          const next = typeof last === 'string' ? daysFrom(needed, last) : needed;
          firstDays = next.length < needed.length ? (day) => next.includes(day) : undefined;
          continue;
        }
      }
      // Best effort: the answer is already spooled, and the next question's lists replace these anyway.
      await clearFileLists(connection, listed).catch(() => undefined);
      if (!isRunning(job)) return;
      job.cachedRead = reading;
      if (pruning) job.pruning = pruning;
      job.columns = columns;
      job.types = types;
      job.rowCount = rowCount;
      job.files = files;
      context.finish(job, 'SUCCEEDED');
      return;
    } catch (err) {
      if (!isRunning(job) || /INTERRUPT/i.test(messageOf(err))) {
        context.finish(job, 'CANCELLED', 'Cancelled on request.');
        return;
      }
      if (err instanceof TrailError || attempt >= maxAttempts) throw err;
      const message = firstLine(messageOf(err));
      // A cached day that cannot be read (a truncated or damaged Parquet file): its raw files answer instead, and
      // the day is converted again later.
      const damaged = cached.find((c) => filesOf(c).some((file) => message.includes(file)));
      if (damaged && cache) {
        const listed = discovery.files.filter((f) => partitionKeyOf(f) === damaged.key);
        const itsFiles = (await probeLogFiles(listed.length ? listed : cache.filesOf(damaged))).files;
        cache.invalidate(damaged, message, itsFiles);
        cached = cached.filter((c) => c !== damaged);
        job.cached = cached;
        files = [...files, ...itsFiles];
        job.files = files;
        continue;
      }
      const culprit = fileNamedIn(message, files);
      if (!culprit) {
        // Some read errors do not say which file (e.g. "Failed to decode gzip stream"): read each file alone.
        if (scanned || !FILE_ERROR.test(message)) throw err;
        scanned = true;
        const broken = await unreadableFiles(connection, files, job);
        if (broken.length === 0) throw err;
        for (const { file, detail } of broken) context.badFile(file.path, detail);
        files = files.filter((f) => !broken.some((b) => b.file === f));
        job.files = files;
        continue;
      }
      // A file larger than its gzip trailer claimed (multi-member gzip, > 4 GiB): retry once with the size DuckDB saw.
      const seen = /maximum_object_size.*\(>(\d+) bytes\)/.exec(message);
      if (seen && !grown.has(culprit)) {
        grown.add(culprit);
        culprit.objectBytes = Math.max(culprit.objectBytes, Number(seen[1]) * 2);
        continue;
      }
      // A `{"Records":…}` file that is not on one line after all (pretty-printed by hand): read it as a multi-line
      // document before judging it, and look at the other files' heads once, so a tree of them costs one retry.
      if (culprit.format === 'records' && /Malformed JSON/i.test(message)) {
        if (!probed) {
          probed = true;
          await probeFormats(files.filter((f) => f.format === 'records'));
        }
        if (culprit.format === 'records') culprit.format = 'records-multiline';
        continue;
      }
      context.badFile(culprit.path, message);
      files = files.filter((f) => f !== culprit);
      job.files = files;
    }
  }
}

interface Described {
  columns: string[];
  types: DuckDBType[];
  statementType: StatementType;
  parameterCount: number;
}

/**
 * What a template's SQL returns. It depends only on the SQL text: whatever files or cached days the view reads, its
 * columns are the same and so are the types the SQL can see (unread columns are typed NULLs; a struct the SQL uses
 * whole is cast to the table's type, one it only takes text leaves of gives text). So it is learnt once per text
 * instead of binding the whole view a third time for every question (after the view and before the spool; with
 * thousands of raw files each bind lists them all).
 */
const describedSql = new Map<string, Described>();
/** Templates are few; a bound keeps test suites and odd callers from growing the memos below without end. */
const MEMO_ENTRIES = 500;

async function describe(connection: DuckDBConnection, sql: string): Promise<Described> {
  const known = describedSql.get(sql);
  if (known) return known;
  const prepared = await connection.prepare(sql);
  try {
    const count = prepared.columnCount;
    const described: Described = {
      columns: Array.from({ length: count }, (_, i) => prepared.columnName(i)),
      // The spooled table has exactly these columns and types (renamed c0, c1, …): no second prepare to learn them.
      types: Array.from({ length: count }, (_, i) => prepared.columnType(i)),
      statementType: prepared.statementType,
      parameterCount: prepared.parameterCount,
    };
    setBounded(describedSql, sql, described, MEMO_ENTRIES);
    return described;
  } finally {
    prepared.destroySync();
  }
}

/** What the engine learns from a question's parse tree for reading cached days. */
interface SqlShape {
  /** What it accepts per sort column of the cached days (pruning.ts): the days it reads and the bytes it reports. */
  pruning: Pruning;
  /** Set when it keeps the newest rows by event time (newest.ts). */
  newest?: NewestFirst;
  /** The parameters of the networks its rows' source must lie in (pruning.ts, addressNetworksFromAst). */
  addressNetworks?: string[];
  /** What its rows' principal name is compared with (pruning.ts, principalFromAst). */
  principal?: { params: string[]; constants: string[] };
}

/** The value ranges (trino.ts, networkRange) of a question's networks; undefined if one is not a valid network. */
function networkRanges(identifiers: readonly string[], params: readonly SqlParam[]): [string, string][] | undefined {
  const ranges: [string, string][] = [];
  for (const id of identifiers) {
    const param = params[Number(id) - 1];
    const range = param?.type === 'varchar' ? networkRange(param.value) : null;
    if (!range) return undefined;
    ranges.push(range);
  }
  return ranges;
}

const SOURCE_ADDRESSES_VARIABLE = 'trailbot_source_addresses';
const PRINCIPAL_VARIABLE = 'trailbot_principal';

/** The one non-empty name a question's principal condition compares with (principalFromAst); else undefined. */
function nameOf(found: { params: string[]; constants: string[] }, params: readonly SqlParam[]): string | undefined {
  const values = new Set(found.constants);
  for (const id of found.params) {
    const param = params[Number(id) - 1];
    if (param?.type !== 'varchar') return undefined;
    values.add(param.value);
  }
  const [name] = values;
  return values.size === 1 && name ? name : undefined;
}

/** `SET VARIABLE name = value`, the value bound as a parameter (it is user input). */
async function setVariable(connection: DuckDBConnection, name: string, value: string): Promise<void> {
  const set = await connection.prepare(`SET VARIABLE ${name} = CAST($1 AS VARCHAR)`);
  try {
    set.bindVarchar(1, value);
    await set.run();
  } finally {
    set.destroySync();
  }
}

/**
 * The condition that keeps, of the cached days' rows, those whose source is one of the texts their address indexes
 * (cache-convert.ts) place in one of `ranges`: a necessary condition of the question's own, so the arm drops only rows
 * its WHERE drops anyway. The texts are found in the small sorted indexes (a network's are in one or two row groups)
 * and kept in a connection variable, never in SQL text; DuckDB then reads the days' rows for those texts only,
 * skipping the row groups whose statistics or Bloom filters rule them all out, instead of testing every row's address.
 * Undefined, and every row read as before, when a day has no index (an older cache) or one cannot be read.
 */
async function sourceAddresses(
  connection: DuckDBConnection,
  days: readonly CachedPartition[],
  ranges: readonly [string, string][],
): Promise<string | undefined> {
  if (days.length === 0 || days.some((d) => !d.addresses)) return undefined;
  const files = days.map((d) => sqlLiteral({ type: 'varchar', value: d.addresses! })).join(', ');
  const inRange = ranges.map((_, i) => `value BETWEEN $${2 * i + 1} AND $${2 * i + 2}`).join(' OR ');
  try {
    const set = await connection.prepare(
      `SET VARIABLE ${SOURCE_ADDRESSES_VARIABLE} = (SELECT coalesce(list(DISTINCT address), []::VARCHAR[]) FROM read_parquet([${files}]) WHERE ${inRange})`,
    );
    try {
      set.bind(
        ranges.flat(),
        ranges.flat().map(() => VARCHAR),
      );
      await set.run();
    } finally {
      set.destroySync();
    }
  } catch {
    return undefined;
  }
  return `"sourceipaddress" IN (SELECT unnest(getvariable('${SOURCE_ADDRESSES_VARIABLE}')))`;
}

const shapedSql = new Map<string, SqlShape>();

/**
 * A question's SqlShape, from DuckDB's parse of its SQL, once per SQL text. If the parse fails, no row group counts
 * as skipped and every day is read.
 */
async function sqlShape(connection: DuckDBConnection, sql: string): Promise<SqlShape> {
  const known = shapedSql.get(sql);
  if (known) return known;
  let shape: SqlShape = { pruning: new Map() };
  try {
    const prepared = await connection.prepare('SELECT json_serialize_sql(CAST($1 AS VARCHAR))');
    let ast: string;
    try {
      prepared.bindVarchar(1, sql);
      ast = String((await prepared.runAndReadAll()).getRows()[0]?.[0] ?? '{"error":true}');
    } finally {
      prepared.destroySync();
    }
    const aggregates = await aggregateNames(connection);
    const newest = aggregates ? newestFirstFromAst(ast, aggregates) : undefined;
    const addressNetworks = addressNetworksFromAst(ast);
    const principal = principalFromAst(ast);
    shape = {
      pruning: pruningFromAst(ast),
      ...(newest ? { newest } : {}),
      ...(addressNetworks ? { addressNetworks } : {}),
      ...(principal ? { principal } : {}),
    };
  } catch {
    // The estimate stays an upper bound, and every day is read.
  }
  setBounded(shapedSql, sql, shape, MEMO_ENTRIES);
  return shape;
}

let aggregates: Promise<ReadonlySet<string> | undefined> | undefined;

/**
 * The lower-case names of the functions that aggregate rows: DuckDB's aggregate functions, and the macros whose text
 * calls one (a macro is expanded in place, so it aggregates if its body does). Undefined if they cannot be listed.
 */
function aggregateNames(connection: DuckDBConnection): Promise<ReadonlySet<string> | undefined> {
  aggregates ??= (async () => {
    try {
      const rows = (
        await connection.runAndReadAll(
          `SELECT DISTINCT lower(function_name), function_type, coalesce(macro_definition, '') FROM duckdb_functions()
           WHERE function_type IN ('aggregate', 'macro')`,
        )
      ).getRows();
      const names = new Set(rows.filter(([, type]) => type === 'aggregate').map(([name]) => String(name)));
      const call = new RegExp(`\\b(${[...names].filter((n) => /^[a-z0-9_]+$/.test(n)).join('|')})\\s*\\(`, 'i');
      for (const [name, type, body] of rows) if (type === 'macro' && call.test(String(body))) names.add(String(name));
      return names;
    } catch {
      aggregates = undefined;
      return undefined;
    }
  })();
  return aggregates;
}

/** The `eventtime` of a spooled newest-first answer's last row; undefined when that column is not text. */
async function lastEventTime(
  connection: DuckDBConnection,
  newest: NewestFirst,
  types: readonly DuckDBType[],
): Promise<string | null | undefined> {
  if (types[newest.column]?.typeId !== DuckDBTypeId.VARCHAR) return undefined;
  const reader = await connection.runAndReadAll(
    `SELECT c${newest.column} FROM ${RESULT_TABLE} WHERE rowid = ${newest.limit - 1}`,
  );
  const value = reader.getRows()[0]?.[0];
  return typeof value === 'string' ? value : null;
}

/** Reads each file on its own to find the ones DuckDB cannot get through (only after an error that names none). */
async function unreadableFiles(
  connection: DuckDBConnection,
  files: readonly LogFile[],
  job: Job,
): Promise<{ file: LogFile; detail: string }[]> {
  const broken: { file: LogFile; detail: string }[] = [];
  for (const file of files) {
    if (!isRunning(job)) break;
    try {
      await connection.run(fileCheckSql(file));
    } catch (err) {
      const detail = firstLine(messageOf(err));
      if (file.format === 'records' && /Malformed JSON/i.test(detail)) {
        file.format = 'records-multiline';
        try {
          await connection.run(fileCheckSql(file));
          continue;
        } catch {
          file.format = 'records';
        }
      }
      broken.push({ file, detail });
    }
  }
  return broken;
}
