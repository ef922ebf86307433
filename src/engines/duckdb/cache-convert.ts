import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { CLOUDTRAIL_COLUMNS } from '../../ddl/table';
import { sqlLiteral } from '../../query/literal';
import { type CachedPartition, partsDir, sourcesOf } from './cache-manifest';
import { isLogFileName, type LogFile, probeLogFiles } from './files';
import { branchesOf, PARTITION_COLUMNS, viewSql } from './view';

/**
 * A new file name for each build of a partition, never the name of an earlier build. A DuckDB instance keeps state
 * per file path while it lives (its external file cache is on by default: `enable_external_file_cache` in
 * `duckdb_settings()`, "Allow the database to cache external files (e.g., Parquet) in memory"), and the engine's
 * instance lives as long as the bot. Measured with DuckDB 1.5: a Parquet file rewritten in place at the same size
 * within the same second was read with its old content; and a damaged cache file rebuilt under the same name was,
 * now and then, still read as damaged by the engine that had met the damage, so the day fell back to its raw files
 * again (the flaky "5 cached partitions instead of 6" of test/engines/duckdb/cache.test.ts).
 */
export function parquetFileFor(cacheDir: string, key: string): string {
  const build = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  return path.join(partsDir(cacheDir), `${key.replaceAll('/', '_')}.${build}.parquet`);
}

/**
 * Converts one S3 day folder into a Parquet file with every column of the table, sorted by event time, and returns
 * its manifest entry; undefined when the folder holds no log file any more. `given` are the files a question saw
 * there: the folder is listed again, and exactly what is in it now is converted and recorded.
 */
export async function convertPartition(
  connection: DuckDBConnection,
  cacheDir: string,
  key: string,
  given: readonly LogFile[],
  now: () => Date,
): Promise<CachedPartition | undefined> {
  const first = given[0];
  if (!first) return undefined;
  const folder = path.dirname(first.path);
  // The folder's time first: a file arriving from here on changes it, and the next question lists the day again.
  const folderMtimeMs = fs.statSync(folder).mtimeMs;
  // The folder may have changed since the question listed it: convert what is in it now, and record exactly that.
  const files = (await probeLogFiles(listDayFolder(folder, first))).files;
  if (files.length === 0) return undefined;
  const sources = sourcesOf(files);
  const target = parquetFileFor(cacheDir, key);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  const tmpLiteral = sqlLiteral({ type: 'varchar', value: tmp });
  try {
    await connection.run(viewSql(branchesOf(files), { needs: 'all' }, 'trailbot_convert'));
    const columns = [...CLOUDTRAIL_COLUMNS.map((c) => c.name), ...PARTITION_COLUMNS].map((c) => `"${c}"`).join(', ');
    await connection.run(
      `COPY (SELECT ${columns} FROM trailbot_convert ORDER BY eventtime) TO ${tmpLiteral} (FORMAT parquet, COMPRESSION zstd)`,
    );
    const meta = await connection.runAndReadAll(
      `SELECT path_in_schema, sum(total_compressed_size) FROM parquet_metadata(${tmpLiteral}) GROUP BY path_in_schema`,
    );
    const rowsReader = await connection.runAndReadAll(`SELECT count(*) FROM read_parquet(${tmpLiteral})`);
    const columnBytes: Record<string, number> = {};
    for (const [pathInSchema, bytes] of meta.getRows()) {
      const top = String(pathInSchema).split(',')[0]!.trim().toLowerCase();
      columnBytes[top] = (columnBytes[top] ?? 0) + Number(bytes);
    }
    fs.renameSync(tmp, target);
    return {
      key,
      parquet: target,
      sources,
      rows: Number(rowsReader.getRows()[0]![0]),
      bytes: fs.statSync(target).size,
      columnBytes,
      builtAt: now().toISOString(),
      folderMtimeMs,
    };
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** The log files of one S3 day folder as it is now (unprobed: `probeLogFiles` reads their heads). */
function listDayFolder(folder: string, like: LogFile): LogFile[] {
  const out: LogFile[] = [];
  for (const name of fs.readdirSync(folder).sort()) {
    if (!isLogFileName(name)) continue;
    const file = path.join(folder, name);
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (!stat?.isFile()) continue;
    out.push({
      path: file.split(path.sep).join('/'),
      bytes: stat.size,
      mtimeMs: Math.floor(stat.mtimeMs),
      objectBytes: stat.size,
      format: 'records',
      layout: 's3',
      account: like.account!,
      region: like.region!,
      day: like.day!,
      unprobed: true,
    });
  }
  return out;
}
