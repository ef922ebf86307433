import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { flatColumnRead } from './cache-columns';
import type { LogFile } from './files';
import type { ColumnNeeds } from './needs';
import { type Pruning, type RowGroupStats, rowGroupNeeded } from './pruning';

/**
 * The columnar cache's manifest (cache.ts): which day partitions are held as Parquet, built from which source files.
 * It is one JSON file, replaced whole by a rename, so a reader never sees half of it.
 */

export interface SourceFile {
  path: string;
  bytes: number;
  mtimeMs: number;
}

export interface CachedPartition {
  /** `<account>/<region>/<yyyy/MM/dd>`. */
  key: string;
  /** Absolute path of the Parquet file. */
  parquet: string;
  sources: SourceFile[];
  rows: number;
  /** Size of the Parquet file. */
  bytes: number;
  /** Compressed bytes per Parquet column (flat layout, cache-columns.ts): what a query naming only some reads. */
  columnBytes: Record<string, number>;
  /**
   * The day folder's modification time when its files were checked for the conversion. While the folder still has
   * it, no file was added, removed or renamed into it, and the day is used without listing it.
   */
  folderMtimeMs?: number;
  /** Per row group: rows, bytes per column, min/max of the sort columns (pruning.ts). Absent in older caches. */
  rowGroups?: RowGroupStats[];
  /**
   * The least and greatest `eventtime` text in the file, from its Parquet statistics (newest.ts); absent in older
   * caches and when a row group's statistics were not exact.
   */
  eventTimes?: [string, string];
  /** The day's address index (cache-convert.ts, writeAddressIndex) and its size; absent in older caches. */
  addresses?: string;
  addressBytes?: number;
  /** The day's principal copy (cache-columns.ts, principalCopySql) and its size; absent in older caches. */
  principals?: string;
  principalBytes?: number;
  /** The day's distinct words (word-index.ts) and their file's size; absent in older caches. */
  words?: string;
  wordBytes?: number;
  /** The day's calls counted per hour (actions.ts) and their file's size; absent in older caches. */
  actions?: string;
  actionBytes?: number;
  /** The first and last hour those counts hold; absent when the engine may not use them (actions.ts, actionHours). */
  actionHours?: [string, string];
  /** A token index an earlier trailbot wrote (no longer read): named so that its file goes with the day's. */
  tokens?: string;
  tokenBytes?: number;
  builtAt: string;
}

/**
 * 2: structs stored flat, one Parquet column per leaf (cache-columns.ts). A manifest of another version is read as
 * empty, and its Parquet files are removed as leftovers; the days are converted again as questions read them.
 */
export const MANIFEST_VERSION = 2;

/** A kind of day side file merged over all days (merged.ts). */
export type MergedKind = 'words' | 'addresses' | 'principals';

/** One merged file (merged.ts). */
export interface MergedFile {
  file: string;
  bytes: number;
  /** The day side files it was made from, sorted (a `words` row's `day` is a position here). */
  days: string[];
}

export interface Manifest {
  version: typeof MANIFEST_VERSION;
  dataDir: string;
  partitions: Record<string, CachedPartition>;
  /** Every day's side files of a kind in one file (merged.ts), once built. */
  merged?: Partial<Record<MergedKind, MergedFile>>;
}

const MANIFEST = 'manifest.json';

/** Where the Parquet files of a cache folder live. */
export const partsDir = (cacheDir: string): string => path.join(cacheDir, 'parts');

/** The cache partition of a file: `<account>/<region>/<yyyy/MM/dd>` for the S3 layout, none for flat exports. */
export const partitionKeyOf = (file: LogFile): string | undefined =>
  file.layout === 's3' && file.account && file.region && file.day
    ? `${file.account}/${file.region}/${file.day}`
    : undefined;

/**
 * A new file name for each build of a partition, never the name of an earlier build. A DuckDB instance keeps state
 * per file path while it lives (its external file cache is on by default: `enable_external_file_cache` in
 * `duckdb_settings()`, "Allow the database to cache external files (e.g., Parquet) in memory"), and the engine's
 * instance lives as long as the bot. Measured with DuckDB 1.5: a Parquet file rewritten in place at the same size
 * within the same second was read with its old content; and a damaged cache file rebuilt under the same name was,
 * now and then, still read as damaged by the engine that had met the damage, so the day fell back to its raw files
 * again (the flaky "5 cached partitions instead of 6" of test/engines/duckdb/cache.test.ts).
 */
export function parquetFileFor(cacheDir: string, key: string, extension: 'parquet' | 'duckdb' = 'parquet'): string {
  const build = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  return path.join(partsDir(cacheDir), `${key.replaceAll('/', '_')}.${build}.${extension}`);
}

export const sameSources = (a: readonly SourceFile[], b: readonly SourceFile[]): boolean =>
  a.length === b.length &&
  a.every((s, i) => s.path === b[i]!.path && s.bytes === b[i]!.bytes && s.mtimeMs === b[i]!.mtimeMs);

export const sourcesOf = (files: readonly LogFile[]): SourceFile[] =>
  files
    .map((f) => ({ path: f.path, bytes: f.bytes, mtimeMs: f.mtimeMs }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

/** Every file of a cached partition: its Parquet file and the side files written with it. */
export const filesOf = (p: CachedPartition): string[] => [
  p.parquet,
  ...(p.addresses ? [p.addresses] : []),
  ...(p.principals ? [p.principals] : []),
  ...(p.words ? [p.words] : []),
  ...(p.actions ? [p.actions] : []),
  ...(p.tokens ? [p.tokens] : []),
];

/** Bytes a cached partition keeps on disk: its Parquet file and its side files. */
export const storedBytes = (p: CachedPartition): number =>
  p.bytes +
  (p.addressBytes ?? 0) +
  (p.principalBytes ?? 0) +
  (p.wordBytes ?? 0) +
  (p.actionBytes ?? 0) +
  (p.tokenBytes ?? 0);

/** Bytes a cache keeps on disk: its days' files and its merged files. */
export const storedTotal = (manifest: Manifest): number =>
  Object.values(manifest.partitions).reduce(
    (n, p) => n + storedBytes(p),
    Object.values(manifest.merged ?? {}).reduce((n, m) => n + m.bytes, 0),
  );

export interface CacheStatus {
  dir: string;
  partitions: number;
  days: number;
  bytes: number;
  sourceBytes: number;
  rows: number;
  /** Since this process started: partitions a question read from the cache, and those it read raw. */
  hits: number;
  misses: number;
  pending: number;
}

/** What a cache's status says of its manifest alone. */
export function manifestTotals(manifest: Manifest): Omit<CacheStatus, 'dir' | 'hits' | 'misses' | 'pending'> {
  const parts = Object.values(manifest.partitions);
  return {
    partitions: parts.length,
    days: new Set(parts.map((p) => p.key.split('/').slice(2).join('/'))).size,
    bytes: storedTotal(manifest),
    sourceBytes: parts.reduce((n, p) => n + p.sources.reduce((m, s) => m + s.bytes, 0), 0),
    rows: parts.reduce((n, p) => n + p.rows, 0),
  };
}

/** The raw files a cached day was made from (unprobed: `probeLogFiles` reads their heads if they are read). */
export function sourceLogFiles(entry: CachedPartition): LogFile[] {
  const [account, region, ...day] = entry.key.split('/');
  return entry.sources.map((src) => ({
    path: src.path,
    bytes: src.bytes,
    mtimeMs: src.mtimeMs,
    objectBytes: src.bytes,
    format: 'records' as const,
    layout: 's3' as const,
    account: account!,
    region: region!,
    day: day.join('/'),
    unprobed: true as const,
  }));
}

export const emptyManifest = (dataDir: string): Manifest => ({ version: MANIFEST_VERSION, dataDir, partitions: {} });

/** The manifest of a cache folder, or an empty one when it is missing, unreadable or made for another logs folder. */
export function loadManifest(cacheDir: string, dataDir: string): Manifest {
  try {
    const parsed = JSON.parse(fs.readFileSync(path.join(cacheDir, MANIFEST), 'utf8')) as Manifest;
    if (parsed.version !== MANIFEST_VERSION || parsed.dataDir !== dataDir || typeof parsed.partitions !== 'object') {
      return emptyManifest(dataDir);
    }
    return parsed;
  } catch {
    return emptyManifest(dataDir);
  }
}

export function saveManifest(cacheDir: string, manifest: Manifest): void {
  fs.mkdirSync(cacheDir, { recursive: true });
  const file = path.join(cacheDir, MANIFEST);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(manifest));
  fs.renameSync(tmp, file);
}

/**
 * Removes what no manifest entry refers to: a `.tmp` Parquet file a process killed while converting left behind, and
 * a finished Parquet file whose entry was never saved (killed between the rename and the save) or was dropped.
 */
export function removeLeftovers(cacheDir: string, manifest: Manifest): void {
  const parts = partsDir(cacheDir);
  let names: string[];
  try {
    names = fs.readdirSync(parts);
  } catch {
    return;
  }
  const referenced = new Set(
    [
      ...Object.values(manifest.partitions).flatMap(filesOf),
      ...Object.values(manifest.merged ?? {}).map((m) => m.file),
    ].map((f) => path.resolve(f)),
  );
  for (const name of names) {
    const file = path.join(parts, name);
    // A stopped merge can leave its database's write-ahead log beside its `.tmp` file (merged.ts).
    const leftover = name.endsWith('.tmp') || name.endsWith('.tmp.wal');
    if (leftover || (/\.(parquet|duckdb)$/.test(name) && !referenced.has(path.resolve(file)))) {
      fs.rmSync(file, { force: true });
    }
  }
}

/**
 * Bytes a query reads from cached partitions: the compressed chunks of the columns it names, in the row groups whose
 * statistics do not rule out every value its conditions on the sort columns accept (pruning.ts).
 */
export function bytesRead(partitions: readonly CachedPartition[], needs: ColumnNeeds, pruning: Pruning): number {
  // Every row group names the same ~130 columns: each is judged once, not once per row group. Judged per group, a
  // 30-day question's 268 row groups took ~10 ms of the main thread per call (the engine's `status`).
  const judged = new Map<string, boolean>();
  let total = 0;
  for (const p of partitions) {
    for (const group of p.rowGroups ?? [{ rows: p.rows, columnBytes: p.columnBytes, ranges: {} }]) {
      if (!rowGroupNeeded(group, pruning)) continue;
      for (const column in group.columnBytes) {
        let read = judged.get(column);
        if (read === undefined) {
          read = flatColumnRead(column, needs);
          judged.set(column, read);
        }
        if (read) total += group.columnBytes[column]!;
      }
    }
  }
  return total;
}
