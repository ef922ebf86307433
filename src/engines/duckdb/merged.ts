import * as fs from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlLiteral } from '../../query/literal';
import type { CachedPartition, MergedFile, MergedKind } from './cache-manifest';
import { parquetOf } from './view';

/**
 * Side files of every cached day merged into one file per kind, rebuilt by the conversion process after each
 * conversion run (cache.ts, mergeIndexes). DuckDB pays ~0.1 ms per file it opens however little it reads, so a lookup
 * over a month of days costs ~60 file openings in the days' own files, one here:
 * - `words` (word-index.ts): every day's words with the day's position among `days`, sorted by word;
 * - `addresses` (cache-convert.ts, writeAddressIndex): the distinct source texts of all days with their values,
 *   sorted by value; a question's networks find their texts in one or two row groups (cached-reads.ts).
 * A merged file is used for a question only when it holds every one of the question's days (`days` names each
 * day's own side file, a new name for each build); else the days' own files are read, as before it was built.
 */

/** The day side file of a kind. */
const sideOf: Record<MergedKind, (day: CachedPartition) => string | undefined> = {
  words: (day) => day.words,
  addresses: (day) => day.addresses,
};

/** Every kind, in the order the conversion process merges them. */
export const MERGED_KINDS = Object.keys(sideOf) as MergedKind[];

/**
 * Rows per row group. A range of words or of values lies in one or two of them. Measured for words over 62 days
 * (293,537 rows), the three ranges of `sg 7d` took 4.6 ms with 1,024 rows a group, 4.2 with 2,048, 2.7–3.4 with
 * 8,192, 3.4 with 16,384, 4.4 with 32,768 and 7.2 with 65,536.
 */
const MERGED_ROW_GROUP_ROWS = 8192;

const selectOf: Record<MergedKind, (files: readonly string[]) => string> = {
  words: (files) => `SELECT word, CAST(file_index AS UINTEGER) AS day FROM ${parquetOf(files)} ORDER BY word, day`,
  addresses: (files) => `SELECT DISTINCT address, value FROM ${parquetOf(files)} ORDER BY value, address`,
};

/** The day side files of a kind that a merged file should hold now: every cached day's, sorted. */
export const mergeInputs = (kind: MergedKind, days: readonly CachedPartition[]): string[] =>
  days.flatMap((d) => sideOf[kind](d) ?? []).sort();

/** Whether `merged` holds exactly these day side files. */
export const mergedHolds = (merged: MergedFile | undefined, files: readonly string[]): boolean =>
  merged !== undefined && merged.days.length === files.length && merged.days.every((f, i) => f === files[i]);

/** Whether `merged` holds the side file of each of `days` (and is on disk). */
export function mergedServes(kind: MergedKind, merged: MergedFile | undefined, days: readonly CachedPartition[]) {
  if (!merged) return false;
  const held = new Set(merged.days);
  return days.every((d) => held.has(sideOf[kind](d) ?? '')) && fs.existsSync(merged.file);
}

/** Writes the merged file of a kind from `files` (day side files) to `target`; returns its size. */
export async function writeMerged(
  connection: DuckDBConnection,
  kind: MergedKind,
  files: readonly string[],
  target: string,
): Promise<number> {
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    await connection.run(
      `COPY (${selectOf[kind](files)}) TO ${sqlLiteral({ type: 'varchar', value: tmp })} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${MERGED_ROW_GROUP_ROWS})`,
    );
    fs.renameSync(tmp, target);
    return fs.statSync(target).size;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}
