import * as fs from 'node:fs';
import * as path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { TrailError } from '../../core/errors';
import { formatOf, type LogFormat, probeOpen, withFile } from './heads';

/**
 * Finding the local CloudTrail files a query must read: the local twin of Athena partition projection.
 *
 * S3 layout (as delivered, optionally below any prefix):
 *   AWSLogs/<account>/CloudTrail/<region>/yyyy/MM/dd/<file>.json.gz
 *   AWSLogs/o-<org id>/<account>/CloudTrail/<region>/yyyy/MM/dd/<file>.json.gz   (organization trail)
 * Only the day folders of the query's partitions are listed, and only the accounts / regions of its scope.
 * Any other `.json` / `.json.gz` file under the data folder is a flat export (bare array, NDJSON or `{"Records":…}`):
 * its path says nothing about time, so every flat file is read and the query's own predicates do the filtering.
 * `CloudTrail-Digest`, `CloudTrail-Insight` (and any other `CloudTrail-*` folder) and non-JSON files are skipped.
 *
 * Plain synchronous fs calls in small batches: for ~1,500 files they take ~15 ms, where the promise API spent ~150 ms.
 */

export type LogLayout = 's3' | 'flat';
export { formatOfHead, type LogFormat } from './heads';

export interface LogFile {
  /** Absolute path with `/` separators (DuckDB's `filename` returns it verbatim). */
  path: string;
  /** Size on disk: what "bytes scanned" adds up. */
  bytes: number;
  /** Last modification (ms since the epoch): with the size, what tells the columnar cache a file changed. */
  mtimeMs: number;
  /**
   * Largest JSON object DuckDB must hold at once: for `{"Records":…}` the whole uncompressed file (gzip ISIZE for
   * `.gz`); 0 for arrays and NDJSON, whose events are read one by one (the engine raises it if DuckDB says otherwise).
   */
  objectBytes: number;
  layout: LogLayout;
  format: LogFormat;
  /** Discovered without opening it (size and time only): `probeLogFiles` reads its head before DuckDB does. */
  unprobed?: true;
  /** S3 layout only: values of the partition columns, from the folders (the view gives them to DuckDB as constants). */
  account?: string;
  region?: string;
  day?: string;
}

export interface UnreadableFile {
  path: string;
  reason: string;
}

export interface DiscoveryRequest {
  /** Day partitions `yyyy/MM/dd`. */
  partitions: readonly string[];
  scope?: { accounts?: readonly string[]; regions?: readonly string[] };
  /**
   * Open files to learn their format and uncompressed size (default true; an estimate needs on-disk sizes only). A
   * function decides per file: the columnar cache skips the files of days it holds (`probeLogFiles` finishes any of
   * them that end up read raw after all).
   */
  probe?: boolean | ((file: { layout: LogLayout; account?: string; region?: string; day?: string }) => boolean);
  /**
   * Asked once per S3 day folder with the folder's modification time: true means the caller already holds this day
   * (the columnar cache) and the folder is neither listed nor are its files stat'ed. Any file added, removed or
   * renamed into the folder changes its modification time.
   */
  trustDay?: (day: TrustedDay) => boolean;
}

export interface TrustedDay {
  account: string;
  region: string;
  day: string;
  folderMtimeMs: number;
}

export interface Discovery {
  files: LogFile[];
  /** Day folders `trustDay` vouched for: not listed, their files not in `files`. */
  trusted: TrustedDay[];
  /** Files whose first bytes already show they are not CloudTrail JSON (bad gzip header, binary …). */
  unreadable: UnreadableFile[];
}

const PARTITION = /^\d{4}\/\d{2}\/\d{2}$/;
const MAX_DEPTH = 16;
const BATCH = 256;

/** Partitions become folder names, so anything but a `yyyy/MM/dd` day is refused before it reaches the disk. */
export class InvalidPartitionError extends TrailError {
  constructor(readonly partition: string) {
    super('INVALID_PARTITION', `Partition ${JSON.stringify(partition)} is not a yyyy/MM/dd day.`);
    this.name = 'InvalidPartitionError';
  }
}

/** What a log or export may be called: CloudTrail's `.json.gz`, and `.json` / `.ndjson` / `.jsonl`, gzipped or not. */
const LOG_FILE_EXTENSION = /\.(json|ndjson|jsonl)(\.gz)?$/;

/** A CloudTrail log file name (digests and Insights events live in their own folders but are also named so). */
export function isLogFileName(name: string): boolean {
  if (name.startsWith('.')) return false;
  if (!LOG_FILE_EXTENSION.test(name)) return false;
  return !/CloudTrail-(Digest|Insight)/.test(name);
}

const toPosix = (p: string): string => (path.sep === '/' ? p : p.split(path.sep).join('/'));

function listDir(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
      return [];
    throw err;
  }
}

function kindOf(dir: string, entry: fs.Dirent): 'dir' | 'file' | 'other' {
  if (entry.isDirectory()) return 'dir';
  if (entry.isFile()) return 'file';
  if (entry.isSymbolicLink()) {
    try {
      const stat = fs.statSync(path.join(dir, entry.name));
      return stat.isDirectory() ? 'dir' : stat.isFile() ? 'file' : 'other';
    } catch {
      return 'other';
    }
  }
  return 'other';
}

/** Where a listed file was found: one object per day folder (or the one for flat exports), shared by its files. */
interface Place {
  layout: LogLayout;
  account?: string;
  region?: string;
  day?: string;
}

const FLAT: Place = { layout: 'flat' };

/** `dir/name` without `path.join`, which normalizes the whole path again for each of thousands of files. */
const childOf = (dir: string, name: string): string => (dir.endsWith(path.sep) ? dir + name : dir + path.sep + name);

/**
 * Walks the data folder, handing each log file to `take` as it is listed: S3 trees are entered only at the requested
 * days; everything else is scanned for exports. Returns after every folder was walked; the event loop runs every
 * `BATCH` files.
 */
async function walkLogFiles(
  dataDir: string,
  request: DiscoveryRequest,
  trusted: TrustedDay[],
  take: (file: string, place: Place) => void,
): Promise<void> {
  for (const p of request.partitions) if (!PARTITION.test(p)) throw new InvalidPartitionError(p);
  const days = [...new Set(request.partitions)];
  const accounts = request.scope?.accounts?.length ? new Set(request.scope.accounts) : undefined;
  const regions = request.scope?.regions?.length ? new Set(request.scope.regions) : undefined;
  let taken = 0;
  const takeInTurn = async (file: string, place: Place): Promise<void> => {
    take(file, place);
    if (++taken % BATCH === 0) await yieldToEventLoop();
  };

  const trailRoot = async (dir: string, account: string): Promise<void> => {
    if (accounts && !accounts.has(account)) return;
    for (const regionEntry of listDir(dir)) {
      if (kindOf(dir, regionEntry) !== 'dir' || (regions && !regions.has(regionEntry.name))) continue;
      const region = regionEntry.name;
      const regionDir = path.join(dir, region);
      for (const day of days) {
        const dayDir = path.join(regionDir, ...day.split('/'));
        if (request.trustDay) {
          const folderMtimeMs = folderTime(dayDir);
          if (folderMtimeMs === undefined) continue;
          const held = { account, region, day, folderMtimeMs };
          if (request.trustDay(held)) {
            trusted.push(held);
            continue;
          }
        }
        const place: Place = { layout: 's3', account, region, day };
        for (const fileEntry of listDir(dayDir)) {
          if (!isLogFileName(fileEntry.name) || kindOf(dayDir, fileEntry) !== 'file') continue;
          await takeInTurn(childOf(dayDir, fileEntry.name), place);
        }
      }
    }
  };

  const walk = async (dir: string, depth: number): Promise<void> => {
    for (const entry of listDir(dir)) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const kind = kindOf(dir, entry);
      if (kind === 'dir') {
        // `<account>/CloudTrail/`: the account is the folder that holds it (with or without an `o-…` org level above).
        if (entry.name === 'CloudTrail') await trailRoot(path.join(dir, entry.name), path.basename(dir));
        else if (!entry.name.startsWith('CloudTrail-') && depth < MAX_DEPTH)
          await walk(path.join(dir, entry.name), depth + 1);
      } else if (kind === 'file' && isLogFileName(entry.name)) {
        await takeInTurn(childOf(dir, entry.name), FLAT);
      }
    }
  };

  await walk(path.resolve(dataDir), 0);
}

/** A folder's modification time, or undefined when it does not exist. */
function folderTime(dir: string): number | undefined {
  try {
    return fs.statSync(dir).mtimeMs;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
      return undefined;
    throw err;
  }
}

/**
 * Reads the format of S3-layout files from their heads. Discovery assumes what CloudTrail delivers (one-line
 * `{"Records":…}`) without inflating every file, which cost ~0.1 ms a file; the engine calls this when a file turns
 * out to be pretty-printed, to reclassify its neighbours in one pass. Files that cannot be probed keep their format.
 */
export async function probeFormats(files: readonly LogFile[]): Promise<void> {
  for (let i = 0; i < files.length; i++) {
    if (i > 0 && i % BATCH === 0) await yieldToEventLoop();
    const file = files[i]!;
    try {
      const format = withFile(file.path, (fd) => formatOf(fd, file.path, file.bytes, file.objectBytes));
      if (format) file.format = format;
    } catch {
      // left for the query to report with DuckDB's own words
    }
  }
}

/** Format and largest object of one file; null when it holds no events. */
function probeOne(file: string, layout: LogLayout, bytes: number): Pick<LogFile, 'objectBytes' | 'format'> | null {
  return withFile(file, (fd) => probeOpen(fd, file, layout === 'flat', bytes));
}

/** Probes the files discovery left unopened (see `DiscoveryRequest.probe`); drops those that hold nothing. */
export async function probeLogFiles(files: readonly LogFile[]): Promise<Discovery> {
  const out: LogFile[] = [];
  const unreadable: UnreadableFile[] = [];
  for (let i = 0; i < files.length; i++) {
    if (i > 0 && i % BATCH === 0) await yieldToEventLoop();
    const file = files[i]!;
    if (!file.unprobed) {
      out.push(file);
      continue;
    }
    try {
      const probed = probeOne(file.path, file.layout, file.bytes);
      // A new record without `unprobed` (the list may be the cache's own), built field by field rather than spread.
      if (probed) out.push(logFile(file, file.path, file.bytes, file.mtimeMs, probed.objectBytes, probed.format));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      unreadable.push({ path: file.path, reason: (err as Error).message });
    }
  }
  return { files: out, unreadable, trusted: [] };
}

/**
 * One discovered file, built in one go with the key order `{ ...candidate, … }` gave it (flat files have no
 * partition keys at all), rather than by spreading: discovery builds thousands of these.
 */
function logFile(
  place: Place,
  path: string,
  bytes: number,
  mtimeMs: number,
  objectBytes: number,
  format: LogFormat,
): LogFile {
  if (place.layout === 'flat') return { path, layout: 'flat', bytes, mtimeMs, objectBytes, format };
  const { account, region, day } = place;
  return { path, layout: 's3', account, region, day, bytes, mtimeMs, objectBytes, format };
}

/**
 * A file opened once: its size and time from the open file (fstat, where a separate stat resolved the path a second
 * time and cost ~40 % more), then its gzip trailer and, for a flat file, its head. Null when it holds nothing.
 */
function openAndProbe(file: string, place: Place): LogFile | null {
  const fd = fs.openSync(file, 'r');
  try {
    const stat = fs.fstatSync(fd);
    // The listing said file; a path swapped for a folder since then is skipped as the listing would have.
    if (!stat.isFile()) return null;
    const probed = probeOpen(fd, file, place.layout === 'flat', stat.size);
    if (!probed) return null;
    return logFile(place, toPosix(file), stat.size, Math.floor(stat.mtimeMs), probed.objectBytes, probed.format);
  } finally {
    fs.closeSync(fd);
  }
}

const byPath = (a: { path: string }, b: { path: string }): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/**
 * The files a query reads, in path order, with size and format. S3-layout files are taken to be one-line
 * `{"Records":…}` (their gzip trailer is read for the size); flat files are probed (~2 KB) for their format. A file
 * whose first bytes are not JSON is returned in `unreadable` for the engine to report.
 *
 * Each file is opened as it is listed, so nothing but the result outlives its folder: an intermediate list of every
 * candidate, kept until all were probed, made V8 grow its young generation (it grows when many allocations survive
 * collections) by ~16 MiB of resident memory on a 30-day question. Synchronous calls in batches of 256 between
 * which the event loop runs: on the libuv thread pool the same four calls a file (open, fstat, pread, close) took
 * 4–6x longer in wall time for 8,582 files (each completion is a trip back through the event loop), whatever the
 * concurrency (4–32 in flight).
 */
export async function discoverLogFiles(dataDir: string, request: DiscoveryRequest): Promise<Discovery> {
  const trusted: TrustedDay[] = [];
  const files: LogFile[] = [];
  const unreadable: UnreadableFile[] = [];
  await walkLogFiles(dataDir, request, trusted, (file, place) => {
    try {
      const probe = typeof request.probe === 'function' ? request.probe(place) : request.probe !== false;
      if (probe) {
        const found = openAndProbe(file, place);
        if (found) files.push(found);
        return;
      }
      // Not opened: size and time only (an estimate, or a day the columnar cache may hold).
      const stat = fs.statSync(file);
      const found = logFile(place, toPosix(file), stat.size, Math.floor(stat.mtimeMs), stat.size, 'records');
      if (request.probe !== false) found.unprobed = true;
      files.push(found);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return; // removed since the listing
      unreadable.push({ path: toPosix(file), reason: (err as Error).message });
    }
  });
  files.sort(byPath);
  unreadable.sort(byPath);
  return { files, unreadable, trusted };
}

/**
 * What `discoverLogFiles` with `probe: false` would list, summed: the on-disk bytes and the number of files, without
 * building, sorting or keeping a record per file (a cost estimate needs the totals only). Files removed since the
 * listing are not counted, nor are those that cannot be stat'ed (discovery would report them unreadable).
 */
export async function measureLogFiles(
  dataDir: string,
  request: Pick<DiscoveryRequest, 'partitions' | 'scope'>,
): Promise<{ bytes: number; objects: number }> {
  let bytes = 0;
  let objects = 0;
  await walkLogFiles(dataDir, request, [], (file) => {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(file, { throwIfNoEntry: false });
    } catch {
      return; // unreadable: not counted, as discovery would report it instead of listing it
    }
    if (!stat) return;
    bytes += stat.size;
    objects++;
  });
  return { bytes, objects };
}
