import * as fs from 'node:fs';
import * as path from 'node:path';
import { sqlLiteral } from '../../query/literal';
import { actionHours, actionsSql } from './actions';
import { flatSelect, principalCopySql } from './cache-columns';
import { type CachedPartition, parquetFileFor, sourcesOf } from './cache-manifest';
import { isLogFileName, type LogFile, probeLogFiles } from './files';
import { type DuckDBConnection, LIST, listValue, VARCHAR } from './native';
import { compareUtf8, isPruningColumn, type RowGroupStats } from './pruning';
import { addressHex } from './trino';
import { branchesOf, OWN_COLUMNS, viewSql } from './view';
import { WORD_ROW_GROUP_ROWS, wordIndexSql } from './word-index';

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
  // The side files, beside the day's file and named after it: `<day>.<kind>.parquet`.
  const side = (kind: string) => {
    const file = target.replace(/\.parquet$/, `.${kind}.parquet`);
    return { file, tmp: `${file}.${process.pid}.tmp` };
  };
  const addresses = side('addresses');
  const principals = side('principals');
  const words = side('words');
  const actions = side('actions');
  const sides = [addresses, principals, words, actions];
  const written = (file: string) => sqlLiteral({ type: 'varchar', value: file });
  try {
    await connection.run(viewSql(branchesOf(files), { needs: 'all' }, 'trailbot_convert'));
    await connection.run(
      `COPY (SELECT ${flatSelect().join(', ')} FROM trailbot_convert ORDER BY eventsource, eventname, eventtime) TO ${tmpLiteral} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROW_GROUP_ROWS})`,
    );
    const { groups: rowGroups, eventTimes } = await rowGroupStats(connection, tmpLiteral);
    const columnBytes: Record<string, number> = {};
    for (const group of rowGroups) {
      for (const [column, bytes] of Object.entries(group.columnBytes))
        columnBytes[column] = (columnBytes[column] ?? 0) + bytes;
    }
    await writeAddressIndex(connection, tmpLiteral, addresses.tmp);
    await connection.run(
      `COPY (${principalCopySql(tmpLiteral)}) TO ${written(principals.tmp)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${PRINCIPAL_ROW_GROUP_ROWS})`,
    );
    await connection.run(
      `COPY (${wordIndexSql(tmpLiteral)}) TO ${written(words.tmp)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${WORD_ROW_GROUP_ROWS})`,
    );
    // Hours of event time in UTC, as the engine's connections count them (trino.ts sets the same zone).
    await connection.run(`SET SESSION TimeZone = 'UTC'`);
    await connection.run(
      `COPY (${actionsSql(tmpLiteral)}) TO ${written(actions.tmp)} (FORMAT parquet, COMPRESSION zstd)`,
    );
    const hours = await actionHours(connection, tmpLiteral, written(actions.tmp));
    // The side files first: a day is used only once its entry is saved, and a file no entry names goes
    // (removeLeftovers).
    for (const f of sides) fs.renameSync(f.tmp, f.file);
    fs.renameSync(tmp, target);
    return {
      key,
      parquet: target,
      sources,
      rows: rowGroups.reduce((n, g) => n + g.rows, 0),
      bytes: fs.statSync(target).size,
      columnBytes,
      rowGroups,
      ...(eventTimes ? { eventTimes } : {}),
      addresses: addresses.file,
      addressBytes: fs.statSync(addresses.file).size,
      principals: principals.file,
      principalBytes: fs.statSync(principals.file).size,
      words: words.file,
      wordBytes: fs.statSync(words.file).size,
      actions: actions.file,
      actionBytes: fs.statSync(actions.file).size,
      ...(hours ? { actionHours: hours } : {}),
      builtAt: now().toISOString(),
      folderMtimeMs,
    };
  } finally {
    for (const file of [tmp, ...sides.map((f) => f.tmp)]) fs.rmSync(file, { force: true });
  }
}

/**
 * Rows per row group of a principal copy: smaller than the day's own, so one principal's rows (a few hundred a day
 * for a busy user) are read with few of anyone else's.
 */
const PRINCIPAL_ROW_GROUP_ROWS = 1024;

/**
 * Writes the day's address index: each distinct `sourceipaddress` text that is an IP address, with its value as
 * Trino holds it (addressHex: 32 hex digits, IPv4 as IPv4-mapped), sorted by that value. `contains(network, address)`
 * holds exactly for the texts whose value lies in the network's range (networkRange), so a question naming networks
 * finds the texts it can match in a few row groups of this small file instead of testing every row of the day, and
 * reads the day's rows for those texts only (execute.ts). Texts that are no IP address (service names) are left out:
 * no network contains them.
 */
async function writeAddressIndex(connection: DuckDBConnection, dayLiteral: string, file: string): Promise<void> {
  const texts = (
    await connection.runAndReadAll(
      `SELECT DISTINCT "sourceipaddress" FROM read_parquet(${dayLiteral}, ${OWN_COLUMNS}) WHERE "sourceipaddress" IS NOT NULL`,
    )
  ).getRows();
  const addresses: string[] = [];
  const values: string[] = [];
  for (const [text] of texts) {
    const value = typeof text === 'string' ? addressHex(text) : null;
    if (value === null) continue;
    addresses.push(text as string);
    values.push(value);
  }
  await connection.run(
    `COPY (SELECT unnest($1::VARCHAR[]) AS address, unnest($2::VARCHAR[]) AS value ORDER BY value, address) TO ${sqlLiteral({ type: 'varchar', value: file })} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ADDRESS_ROW_GROUP_ROWS})`,
    [listValue(addresses), listValue(values)],
    [LIST(VARCHAR), LIST(VARCHAR)],
  );
}

/** Rows per row group of an address index: a network's texts lie in one or two groups, the others are skipped. */
const ADDRESS_ROW_GROUP_ROWS = 1024;

/**
 * Rows per row group. A day is written sorted by event source, event name and time, so the calls one template names
 * (security-group changes, console sign-ins, IAM changes) sit in a few row groups and a reader skips the rest by their
 * min/max statistics (pruning.ts). Smaller groups skip more but compress worse. Measured on the bench's 30 days
 * (990,000 events, 62 day partitions; bytes a 30-day question reads, as a share of the raw gzip): 2,048 rows gave
 * sg 5.4 %, errors 10.1 %, users 10.0 %; 4,096 gave sg 9.4 %, errors and users 9.2 %, root 1.2 %; 8,192 gave sg
 * 16.7 %; DuckDB's default (122,880, one group per day here) sg 24.4 %, errors 8.3 %.
 */
export const ROW_GROUP_ROWS = 4096;

/**
 * Per row group of a written Parquet file: rows, compressed bytes per top-level column, min/max of PRUNING_COLUMNS;
 * and the least and greatest event time in the whole file, when every row group's statistics give them exactly
 * (newest.ts), else undefined.
 */
async function rowGroupStats(
  connection: DuckDBConnection,
  fileLiteral: string,
): Promise<{ groups: RowGroupStats[]; eventTimes?: [string, string] }> {
  const meta = await connection.runAndReadAll(
    `SELECT row_group_id, row_group_num_rows, path_in_schema, total_compressed_size, stats_min_value, stats_max_value,
            min_is_exact, max_is_exact
     FROM parquet_metadata(${fileLiteral}) ORDER BY row_group_id`,
  );
  const groups: RowGroupStats[] = [];
  const times = new EventTimeRange();
  for (const [id, rows, pathInSchema, bytes, min, max, minExact, maxExact] of meta.getRows()) {
    const group = groups[Number(id)] ?? { rows: Number(rows), columnBytes: {}, ranges: {} };
    groups[Number(id)] = group;
    const parts = String(pathInSchema)
      .split(',')
      .map((part) => part.trim().toLowerCase());
    const dotted = parts.join('.');
    // The Parquet column: a table column, or a struct's leaf or presence flag in the flat layout (cache-columns.ts).
    const top = parts[0]!;
    group.columnBytes[top] = (group.columnBytes[top] ?? 0) + Number(bytes);
    if (isPruningColumn(dotted) && typeof min === 'string' && typeof max === 'string') {
      group.ranges[dotted] = [min, max];
    }
    if (dotted === 'eventtime') times.add(min, max, minExact === true && maxExact === true);
  }
  const eventTimes = times.range();
  return { groups: groups.filter(Boolean), ...(eventTimes ? { eventTimes } : {}) };
}

/**
 * The least and greatest `eventtime` text over a file's row groups. A row group whose statistics are missing (all
 * NULL, or not written) or inexact (a writer may shorten long texts) leaves the file without a range.
 */
class EventTimeRange {
  private min?: string;
  private max?: string;
  private spoilt = false;

  add(min: unknown, max: unknown, exact: boolean): void {
    if (typeof min !== 'string' || typeof max !== 'string' || !exact) {
      this.spoilt = true;
      return;
    }
    if (this.min === undefined || compareUtf8(min, this.min) < 0) this.min = min;
    if (this.max === undefined || compareUtf8(max, this.max) > 0) this.max = max;
  }

  range(): [string, string] | undefined {
    return this.spoilt || this.min === undefined || this.max === undefined ? undefined : [this.min, this.max];
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
