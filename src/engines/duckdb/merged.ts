import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { sqlLiteral } from '../../query/literal';
import { PRINCIPAL_COLUMN } from './cache-columns';
import type { CachedPartition, MergedFile, MergedKind } from './cache-manifest';
import type { DuckDBConnection } from './native';
import { parquetOf } from './view';

/**
 * Side files of every cached day merged into one file per kind, rebuilt by the conversion process after each
 * conversion run (cache.ts, mergeIndexes). DuckDB pays ~0.1 ms per file it opens however little it reads, so a lookup
 * over a month of days costs ~60 file openings in the days' own files, one here:
 * - `words` (word-index.ts): every day's words with the day's position among `days`, sorted by word;
 * - `addresses` (cache-convert.ts, writeAddressIndex): the distinct source texts of all days with their values,
 *   sorted by value; a question's networks find their texts in one or two row groups (cached-reads.ts);
 * - `principals` (cache-columns.ts, principalCopySql): every day's principal copy, sorted by principal, then day, with
 *   each row's day as its position among `days` (MERGED_DAY_COLUMN), in a DuckDB database (MERGED_EXTENSION). One
 *   principal's rows over a week lie together in one file, where the days' own copies hold them in one or two row
 *   groups of 2,048 rows per day file (DuckDB writes no smaller ones): `user bobodell 7d` over the bench's 16 cached
 *   days, 4,576 rows, took 31.3 and 35.4 ms from a merged Parquet file against 41.1 and 41.8 from the days' copies
 *   (medians of 15, alternated). The file is capped (MERGE_MAX_INPUT_BYTES): a larger cache keeps reading the days'
 *   copies.
 * A merged file is used for a question only when it holds every one of the question's days (`days` names each
 * day's own side file, a new name for each build); else the days' own files are read, as before it was built.
 */

/** The day side file of a kind. */
const sideOf: Record<MergedKind, (day: CachedPartition) => string | undefined> = {
  words: (day) => day.words,
  addresses: (day) => day.addresses,
  principals: (day) => day.principals,
};

/** The column of the merged principal copies that holds a row's day: the position of its copy among `days`. */
export const MERGED_DAY_COLUMN = 'trailbot_day';

/**
 * The most bytes of day side files merged into one file of a kind. The merged file is written again whole after each
 * conversion run, and its sort is the conversion process's largest: the bench's 62 principal copies (33 MiB, 1.3 M
 * rows) took 3.4 s and a peak of 468 MiB resident in a one-thread DuckDB with its 256 MB limit (a 128 MB limit
 * failed; sorting the principals in batches, one after another, peaked at 380–623 MiB, as DuckDB kept what the
 * earlier batches used). Capped at about twice that, so the time and memory stay those measured.
 */
const MERGE_MAX_INPUT_BYTES: Partial<Record<MergedKind, number>> = { principals: 64 * 1024 * 1024 };
const sideBytes: Record<MergedKind, (day: CachedPartition) => number> = {
  words: (day) => day.wordBytes ?? 0,
  addresses: (day) => day.addressBytes ?? 0,
  principals: (day) => day.principalBytes ?? 0,
};

/** Every kind, in the order the conversion process merges them. */
export const MERGED_KINDS = Object.keys(sideOf) as MergedKind[];

/**
 * Rows per row group. A range of words or of values lies in one or two of them. Measured for words over 62 days
 * (293,537 rows), the three ranges of `sg 7d` took 4.6 ms with 1,024 rows a group, 4.2 with 2,048, 2.7–3.4 with
 * 8,192, 3.4 with 16,384, 4.4 with 32,768 and 7.2 with 65,536.
 */
const MERGED_ROW_GROUP_ROWS: Record<'words' | 'addresses', number> = {
  words: 8192,
  addresses: 8192,
};

/**
 * The format of each kind's merged file. The principal copies are a DuckDB database (attached read-only by the engine,
 * mergedRelation): DuckDB's own storage gives the rows of one principal without decompressing whole Parquet pages of
 * every shown column. Measured over the bench's 62 days (838,412 rows), `user bobodell 7d` as one statement (its 4,576
 * rows as JSON, answer.ts) took 12.3–14.2 ms against 17.7–20.2 from the same rows in Parquet, medians of 41,
 * alternated in one process. The database is larger than the Parquet file (27.1 MB): 29.7 MB with `eventid` stored as
 * a UUID (writeDatabase) in blocks of 16 KiB (DATABASE_BLOCK_BYTES); 36.5 MB with `eventid` as text in 256 KiB blocks.
 */
export const MERGED_EXTENSION: Record<MergedKind, 'parquet' | 'duckdb'> = {
  words: 'parquet',
  addresses: 'parquet',
  principals: 'duckdb',
};

/** The table of a merged principal database's rows, and the view over it that gives them as the Parquet copies do. */
const ROWS_TABLE = 'principal_rows';
const MERGED_TABLE = 'principals';

const selectOf: Record<MergedKind, (files: readonly string[], replace?: string) => string> = {
  words: (files) => `SELECT word, CAST(file_index AS UINTEGER) AS day FROM ${parquetOf(files)} ORDER BY word, day`,
  addresses: (files) => `SELECT DISTINCT address, value FROM ${parquetOf(files)} ORDER BY value, address`,
  principals: (files, replace) =>
    `SELECT *${replace ? ` REPLACE (${replace})` : ''}, CAST(file_index AS UINTEGER) AS ${MERGED_DAY_COLUMN} FROM ${parquetOf(files)} ORDER BY ${PRINCIPAL_COLUMN}, "timestamp", ${MERGED_DAY_COLUMN}, eventtime`,
};

/**
 * The day side files of a kind that a merged file should hold now: every cached day's, sorted; undefined when they
 * are more bytes than a merged file of the kind may hold (MERGE_MAX_INPUT_BYTES).
 */
export function mergeInputs(kind: MergedKind, days: readonly CachedPartition[]): string[] | undefined {
  const held = days.filter((d) => sideOf[kind](d));
  const limit = MERGE_MAX_INPUT_BYTES[kind];
  if (limit !== undefined && held.reduce((n, d) => n + sideBytes[kind](d), 0) > limit) return undefined;
  return held.map((d) => sideOf[kind](d)!).sort();
}

/** Whether `merged` holds exactly these day side files. */
export const mergedHolds = (merged: MergedFile | undefined, files: readonly string[]): boolean =>
  merged !== undefined && merged.days.length === files.length && merged.days.every((f, i) => f === files[i]);

/**
 * The position among `merged.days` of the side file of each of `days`, when `merged` holds every one of them (and is
 * on disk); else undefined.
 */
export function mergedPositions(
  kind: MergedKind,
  merged: MergedFile | undefined,
  days: readonly CachedPartition[],
): number[] | undefined {
  if (!merged) return undefined;
  const position = new Map(merged.days.map((file, i) => [file, i]));
  const found = days.map((d) => position.get(sideOf[kind](d) ?? ''));
  return found.every((i) => i !== undefined) && fs.existsSync(merged.file) ? (found as number[]) : undefined;
}

/** Whether `merged` holds the side file of each of `days` (and is on disk). */
export const mergedServes = (kind: MergedKind, merged: MergedFile | undefined, days: readonly CachedPartition[]) =>
  mergedPositions(kind, merged, days) !== undefined;

/** Writes the merged file of a kind from `files` (day side files) to `target`; returns its size. */
export async function writeMerged(
  connection: DuckDBConnection,
  kind: MergedKind,
  files: readonly string[],
  target: string,
): Promise<number> {
  const tmp = `${target}.${process.pid}.tmp`;
  // A database left by a merge stopped mid-way is not written into.
  for (const leftover of [tmp, `${tmp}.wal`]) fs.rmSync(leftover, { force: true });
  try {
    if (MERGED_EXTENSION[kind] === 'duckdb') await writeDatabase(connection, files, tmp);
    else
      await connection.run(
        `COPY (${selectOf[kind](files)}) TO ${text(tmp)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${MERGED_ROW_GROUP_ROWS[kind as 'words' | 'addresses']})`,
      );
    fs.renameSync(tmp, target);
    return fs.statSync(target).size;
  } finally {
    fs.rmSync(tmp, { force: true });
    fs.rmSync(`${tmp}.wal`, { force: true });
  }
}

const text = (value: string) => sqlLiteral({ type: 'varchar', value });

/**
 * Writes the merged principal copies of `files` as a DuckDB database at `file`: its rows in ROWS_TABLE, and the view
 * MERGED_TABLE giving them with the Parquet copies' columns and types. `eventid` is stored as a UUID (16 bytes
 * against ~21 for its compressed text; half the database) when every id reads back as the very same text (CloudTrail
 * writes lower-case canonical UUIDs); else as text.
 */
async function writeDatabase(connection: DuckDBConnection, files: readonly string[], file: string): Promise<void> {
  const exact = await connection.runAndReadAll(
    `SELECT coalesce(bool_and(CAST(TRY_CAST(eventid AS UUID) AS VARCHAR) IS NOT DISTINCT FROM eventid), true) FROM ${parquetOf(files)}`,
  );
  const asUuid = exact.getRows()[0]?.[0] === true;
  const alias = `trailbot_merging_${process.pid}`;
  await connection.run(`ATTACH ${text(file)} AS ${alias} (BLOCK_SIZE ${DATABASE_BLOCK_BYTES})`);
  try {
    await connection.run(
      `CREATE TABLE ${alias}.${ROWS_TABLE} AS ${selectOf.principals(files, asUuid ? 'CAST(eventid AS UUID) AS eventid' : undefined)}`,
    );
    // Bound in the database it is in, under whatever name the engine attaches it.
    await connection.run(
      `CREATE VIEW ${alias}.${MERGED_TABLE} AS SELECT *${asUuid ? ' REPLACE (CAST(eventid AS VARCHAR) AS eventid)' : ''} FROM ${ROWS_TABLE}`,
    );
  } finally {
    // Writes the database out whole: no write-ahead log is left beside it.
    await connection.run(`DETACH ${alias}`);
  }
}

/**
 * The merged database's block size, DuckDB's smallest. Over the bench's 62 days: 29.7 MB against 32.5 with the default
 * 256 KiB and 30.7 with 64 KiB, and `user bobodell 7d` as fast (14.4 ms against 13.9 and 13.8, medians of 41); the
 * fixed cost of a small database is less (143 KB for 300 rows against 537 KB).
 */
const DATABASE_BLOCK_BYTES = 16_384;

/** The prefix of the names the engine attaches merged databases under (one per build: its file's digest). */
const ATTACHED_PREFIX = 'trailbot_merged_';
const aliasOf = (file: string) => `${ATTACHED_PREFIX}${createHash('sha256').update(file).digest('hex').slice(0, 16)}`;

/**
 * The relation of a merged principal file to read from: the Parquet file itself (caches built before the DuckDB
 * database), or the view of its database, attached read-only to the connection's instance unless it is already. A
 * database that cannot be opened fails the attach with its path in the message (execute.ts forgets it then).
 */
export async function mergedRelation(connection: DuckDBConnection, merged: MergedFile): Promise<string> {
  if (!merged.file.endsWith('.duckdb')) return parquetOf([merged.file]);
  const alias = aliasOf(merged.file);
  await connection.run(`ATTACH IF NOT EXISTS ${text(merged.file)} AS ${alias} (READ_ONLY)`);
  return `${alias}.${MERGED_TABLE}`;
}

/** Whether an error is a query's finding that its merged database was detached under it (detachMerged). */
export const isDetachedMerged = (message: string): boolean =>
  message.includes(ATTACHED_PREFIX) && /does not exist/i.test(message);

/**
 * Detaches the merged databases of the instance other than the `current` one's, so that a long-running engine does not
 * keep every earlier build open (and its disk space, once the build is removed). Stops as soon as a question runs
 * (`busy`); `current` is asked again before each one, as a merge may finish meanwhile. A question that still finds its
 * database gone attaches it again (execute.ts, isDetachedMerged).
 */
export async function detachMerged(
  connection: DuckDBConnection,
  current: () => MergedFile | undefined,
  busy: () => boolean,
): Promise<void> {
  const attached = await connection.runAndReadAll(
    `SELECT database_name FROM duckdb_databases() WHERE starts_with(database_name, ${text(ATTACHED_PREFIX)})`,
  );
  for (const [name] of attached.getRows()) {
    const kept = current();
    if (busy()) return;
    if (typeof name === 'string' && name !== (kept && aliasOf(kept.file))) {
      await connection.run(`DETACH DATABASE IF EXISTS ${name}`);
    }
  }
}
