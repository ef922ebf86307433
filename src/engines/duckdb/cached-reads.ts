import * as fs from 'node:fs';
import type { BoundQuery, SqlParam } from '../../core/query';
import { setBounded } from '../../util/bounded-map';
import { cachedArmSql, PRINCIPAL_COLUMN, principalCopyServes } from './cache-columns';
import type { CachedPartition, MergedFile, MergedKind } from './cache-manifest';
import { isInterrupt, MEMO_ENTRIES, RESULT_TABLE } from './job';
import { MERGED_DAY_COLUMN, mergedPositions, mergedRelation, mergedServes } from './merged';
import { type DuckDBConnection, type DuckDBType, DuckDBTypeId, LIST, listValue, VARCHAR } from './native';
import type { ColumnNeeds } from './needs';
import { type NewestFirst, newestFirstFromAst } from './newest';
import {
  addressNetworksFromAst,
  type Pruning,
  principalFromAst,
  pruningFromAst,
  selectiveLeaves,
  textSearchFromAst,
} from './pruning';
import { networkRange } from './trino';
import { parquetOf, quoteIdent } from './view';
import { daysWithWords } from './word-index';

/**
 * How one question reads its cached days (execute.ts): what DuckDB's parse of its SQL allows, once per SQL text, and
 * the cached arm of its view with the conditions that let the scan read less. Every condition added here is one the
 * question's own WHERE implies, so the arm drops only rows the question drops anyway:
 * - a condition on a struct leaf that rules out most row groups (pruning.ts, selectiveLeaves);
 * - the source texts its networks can match, from the days' address indexes (sourceAddresses);
 * - the one principal it names, read from the days' principal copies instead of their files (cache-columns.ts).
 * Newest-first questions (newest.ts) choose which days to read; the engine checks their answers (lastEventTime).
 */
export interface CachedReads {
  /** What it accepts per sort column of the cached days (pruning.ts): the days it reads and the bytes it reports. */
  pruning: Pruning;
  /** Set when it keeps the newest rows by event time (newest.ts). */
  newest?: NewestFirst;
  /** Of `days`, those that may hold a row the question accepts by the word index (the others hold none). */
  candidates(days: readonly CachedPartition[]): Promise<CachedPartition[]>;
  /** The view's arm over `days` (view.ts, cachedArm), with `more` conditions on the days' flat columns. */
  arm(days: readonly CachedPartition[], more?: readonly string[]): Promise<string>;
}

/** A question's CachedReads, on the connection that runs it (the arm's variables are set there). */
export async function planCachedReads(
  connection: DuckDBConnection,
  query: BoundQuery,
  needs: ColumnNeeds,
  merged?: { merged(kind: MergedKind): MergedFile | undefined },
): Promise<CachedReads> {
  const shape = await sqlShape(connection, query.sql);
  const ranges = shape.addressNetworks ? networkRanges(shape.addressNetworks, query.params) : undefined;
  const principal = shape.principal && principalCopyServes(needs) ? nameOf(shape.principal, query.params) : undefined;
  const needles = shape.textSearch ? textParams(shape.textSearch, query.params) : undefined;
  return {
    pruning: shape.pruning,
    ...(shape.newest ? { newest: shape.newest } : {}),
    candidates: async (days) =>
      needles ? daysWithWords(connection, days, needles, merged?.merged('words')) : [...days],
    async arm(days, more = []) {
      // A copy an older trailbot removed (it did not know the file) is not used; the day is not dropped for it.
      if (principal !== undefined && days.every((d) => d.principals && fs.existsSync(d.principals))) {
        // The days' principal copies, under the question's principal.
        // Bound as a parameter: it is user input.
        await connection.run(`SET VARIABLE ${PRINCIPAL_VARIABLE} = CAST($1 AS VARCHAR)`, [principal], [VARCHAR]);
        const named = `${quoteIdent(PRINCIPAL_COLUMN)} = getvariable('${PRINCIPAL_VARIABLE}')`;
        const all = merged?.merged('principals');
        const positions = mergedPositions('principals', all, days);
        if (positions) {
          // The merged copies hold other days too (other accounts, regions, days read raw): only these days' rows,
          // by their positions among the file's days (numbers from the manifest; a position names one day's build).
          // A list, not `IN (…)`: DuckDB joins its rows with an IN list of many values, ~1.3–2.6 ms of `user
          // bobodell 7d` (16 days) against list_contains (medians of 41, alternated, plain DuckDB).
          const list = [...new Set(positions)].sort((a, b) => a - b).join(', ');
          const these = `list_contains([${list}], ${quoteIdent(MERGED_DAY_COLUMN)})`;
          return cachedArmSql(await mergedRelation(connection, all!), needs, undefined, [named, these, ...more]);
        }
        return cachedArmSql(parquetOf(days.map((d) => d.principals!)), needs, undefined, [named, ...more]);
      }
      const leaves = selectiveLeaves(
        shape.pruning,
        days.map((d) => d.rowGroups),
      );
      const addresses = ranges
        ? await sourceAddresses(connection, days, ranges, merged?.merged('addresses'))
        : undefined;
      return cachedArmSql(parquetOf(days.map((d) => d.parquet)), needs, leaves, [
        ...(addresses ? [addresses] : []),
        ...more,
      ]);
    },
  };
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
  /** The parameters of the strings its rows must hold in a searched text (pruning.ts, textSearchFromAst). */
  textSearch?: string[];
}

/** The text values of a question's parameters by identifier (`?` numbered from 1); undefined if one is not text. */
function textParams(identifiers: readonly string[], params: readonly SqlParam[]): string[] | undefined {
  const values: string[] = [];
  for (const id of identifiers) {
    const param = params[Number(id) - 1];
    if (param?.type !== 'varchar') return undefined;
    values.push(param.value);
  }
  return values;
}

/** The value ranges (trino.ts, networkRange) of a question's networks; undefined if one is not a valid network. */
function networkRanges(identifiers: readonly string[], params: readonly SqlParam[]): [string, string][] | undefined {
  const ranges = textParams(identifiers, params)?.map(networkRange);
  return ranges?.every((r) => r !== null) ? (ranges as [string, string][]) : undefined;
}

const SOURCE_ADDRESSES_VARIABLE = 'trailbot_source_addresses';

/**
 * The source texts found for recent lookups (sourceAddresses), by ranges and index files: a repeat question over the
 * same days sets its variable from here instead of reading the indexes again (`ip` warm: ~3 ms of ~16). Lists longer
 * than MEMO_ADDRESSES (a wide network over many days) are looked up every time rather than held.
 */
const foundAddresses = new Map<string, string[]>();
const ADDRESS_MEMO_ENTRIES = 32;
const MEMO_ADDRESSES = 4096;
const PRINCIPAL_VARIABLE = 'trailbot_principal';

/**
 * Drops what a question's cached arm set on its connection when the connection goes back to the pool, as the file
 * lists are (engine.ts, recycleConnection): a network as wide as a /8 can list thousands of source texts (from every
 * day the merged index holds), and a pooled connection should not keep them until its next question.
 */
export async function clearCachedReads(connection: DuckDBConnection): Promise<void> {
  await connection.run(`RESET VARIABLE ${SOURCE_ADDRESSES_VARIABLE}; RESET VARIABLE ${PRINCIPAL_VARIABLE}`);
}

/** The one non-empty name a question's principal condition compares with (principalFromAst); else undefined. */
function nameOf(found: { params: string[]; constants: string[] }, params: readonly SqlParam[]): string | undefined {
  const bound = textParams(found.params, params);
  if (!bound) return undefined;
  const values = new Set([...found.constants, ...bound]);
  const [name] = values;
  return values.size === 1 && name ? name : undefined;
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
  merged: MergedFile | undefined,
): Promise<string | undefined> {
  if (days.length === 0 || days.some((d) => !d.addresses)) return undefined;
  // The merged index when it holds every one of the days (its other days' texts only widen the list); else theirs.
  const fromMerged = mergedServes('addresses', merged, days);
  // Each day's index is a file of its own build (a new name whenever the day is converted again), never changed once
  // written, and the merged one holds the same texts for them: what was found for these ranges in these days' files
  // stays the answer while the question reads the same builds.
  const key = [...ranges.flat(), fromMerged ? 'merged' : 'days', ...days.map((d) => d.addresses!).sort()].join('\n');
  let texts = foundAddresses.get(key);
  try {
    if (!texts) {
      const indexes = fromMerged ? [merged!.file] : days.map((d) => d.addresses!);
      const inRange = ranges.map((_, i) => `value BETWEEN $${2 * i + 1} AND $${2 * i + 2}`).join(' OR ');
      const reader = await connection.runAndReadAll(
        `SELECT DISTINCT address FROM ${parquetOf(indexes)} WHERE ${inRange} ORDER BY address`,
        ranges.flat(),
        ranges.flat().map(() => VARCHAR),
      );
      texts = reader.getRows().flatMap(([address]) => (typeof address === 'string' ? [address] : []));
      if (texts.length <= MEMO_ADDRESSES) setBounded(foundAddresses, key, texts, ADDRESS_MEMO_ENTRIES);
    }
    await connection.run(`SET VARIABLE ${SOURCE_ADDRESSES_VARIABLE} = $1`, [listValue(texts)], [LIST(VARCHAR)]);
  } catch (err) {
    // A cancel stops the question here as anywhere; any other failure reads every row instead.
    if (isInterrupt(err)) throw err;
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
  let parsed = false;
  try {
    const reader = await connection.runAndReadAll('SELECT json_serialize_sql(CAST($1 AS VARCHAR))', [sql], [VARCHAR]);
    const ast = String(reader.getRows()[0]?.[0] ?? '{"error":true}');
    const aggregates = await aggregateNames(connection);
    const newest = aggregates ? newestFirstFromAst(ast, aggregates) : undefined;
    const addressNetworks = addressNetworksFromAst(ast);
    const principal = principalFromAst(ast);
    const textSearch = textSearchFromAst(ast);
    shape = {
      pruning: pruningFromAst(ast),
      ...(newest ? { newest } : {}),
      ...(addressNetworks ? { addressNetworks } : {}),
      ...(principal ? { principal } : {}),
      ...(textSearch ? { textSearch } : {}),
    };
    parsed = true;
  } catch {
    // The estimate stays an upper bound, and every day is read; the next question with this SQL tries again.
  }
  if (parsed) setBounded(shapedSql, sql, shape, MEMO_ENTRIES);
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

/**
 * The `eventtime` of a spooled newest-first answer's last row; undefined when that column is not text, or when the
 * answer has another number of columns than the select list has items (an item that expands into several, which the
 * parse tree alone does not tell): the column's position is then unknown.
 */
export async function lastEventTime(
  connection: DuckDBConnection,
  newest: NewestFirst,
  types: readonly DuckDBType[],
): Promise<string | null | undefined> {
  if (types.length !== newest.items || types[newest.column]?.typeId !== DuckDBTypeId.VARCHAR) return undefined;
  const reader = await connection.runAndReadAll(
    `SELECT c${newest.column} FROM ${RESULT_TABLE} WHERE rowid = ${newest.limit - 1}`,
  );
  const value = reader.getRows()[0]?.[0];
  return typeof value === 'string' ? value : null;
}
