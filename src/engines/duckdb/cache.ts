import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type CachedPartition,
  type CacheStatus,
  emptyManifest,
  filesOf,
  loadManifest,
  type Manifest,
  type MergedFile,
  type MergedKind,
  manifestTotals,
  parquetFileFor,
  partitionKeyOf,
  removeLeftovers,
  sameSources,
  saveManifest,
  sourceLogFiles,
  sourcesOf,
} from './cache-manifest';
import { ConverterExited, ConvertProcess, type ConvertProcessOptions } from './convert-process';
import type { LogFile, TrustedDay } from './files';
import { MERGED_EXTENSION, MERGED_KINDS, mergedHolds, mergeInputs } from './merged';

export type { CacheStatus } from './cache-manifest';

/**
 * The columnar cache of closed days (issue 16): each day folder of the S3 layout (one account, one region, one day)
 * that a question read is converted once into a Parquet file with every column of the table, so the next question
 * over the same days reads compressed column chunks instead of inflating and parsing the same JSON again.
 *
 * - A partition is converted only once it is *closed*: CloudTrail names a folder by the delivery time of its files
 *   (CloudTrail User Guide, "Finding your CloudTrail log files"), so no file lands in day D's folder after D ends;
 *   the delivery lag is added as a margin for clocks.
 * - The manifest records each partition's source files (path, size, modification time) and its folder's modification
 *   time. While the folder's time is unchanged, nothing was added, removed or replaced in it (sync tools write a file
 *   under a temporary name and rename it into place), and the day is used without listing it; otherwise its files
 *   are compared one by one, and a new, changed or removed file sends the question back to the raw files and the
 *   partition is rebuilt. A missing or unreadable Parquet file is the same: raw files, then a rebuild. A file
 *   rewritten in place (same name, the folder untouched) is not noticed: `--no-cache` or `cache clear` then.
 * - Conversion runs in a child process (convert-worker.ts) at the lowest CPU priority, on a DuckDB instance with one
 *   thread, one partition at a time, and only while no question is running (the engine asks between partitions):
 *   it never takes a core from an answer or an ack, and its memory is not the bot's. This process stays the only
 *   writer of the manifest. A partition whose child died is tried once more, later; what it left is removed.
 * - Each build of a partition is written under a new file name (cache-convert.ts says why), and what no manifest
 *   entry names is removed when a cache is opened.
 * - Flat exports (no day in their path) are always read raw.
 */

export interface CachePlan {
  /** Partitions served from Parquet. */
  cached: CachedPartition[];
  /** Files still read raw. */
  raw: LogFile[];
  /** Closed S3 partitions read raw that could be converted (after the answer). */
  convertible: string[];
  /** S3 partitions among the files whose day is not closed yet (read raw, not converted). */
  open: number;
}

export interface ColumnarCacheOptions {
  /** The cache folder (under the state folder, never inside the logs). One sub-folder per logs folder. */
  dir: string;
  /** The logs folder whose days are cached. */
  dataDir: string;
  /** Minutes after a day's end before its folder counts as closed (TRAIL_DELIVERY_LAG). */
  closeAfterMinutes?: number;
  now?: () => Date;
  logger?: (message: string) => void;
  /** The conversion process (convert-process.ts): its worker file and idle time. */
  converter?: ConvertProcessOptions;
}

const DAY_MS = 86_400_000;

export class ColumnarCache {
  readonly dir: string;
  private readonly dataDir: string;
  private readonly closeAfterMs: number;
  private readonly now: () => Date;
  private readonly log: (message: string) => void;
  private manifest: Manifest;
  /** Partitions to convert, with the files discovery saw for them. */
  private readonly pending = new Map<string, LogFile[]>();
  private readonly converter: ConvertProcess;
  /** Partitions whose conversion process died once: tried a second time, not a third. */
  private readonly retried = new Set<string>();
  /** Days queued once by `upgrade` in this process (a conversion that keeps failing is not tried again and again). */
  private readonly upgraded = new Set<string>();
  /** Files of builds replaced by an upgrade, removed at the next conversion run (a question may be reading them). */
  private retired: string[] = [];
  private hits = 0;
  private misses = 0;
  private converting?: Promise<number>;

  constructor(options: ColumnarCacheOptions) {
    this.dataDir = path.resolve(options.dataDir);
    const id = createHash('sha256').update(this.dataDir).digest('hex').slice(0, 16);
    this.dir = path.join(path.resolve(options.dir), id);
    this.closeAfterMs = (options.closeAfterMinutes ?? 15) * 60_000;
    this.now = options.now ?? (() => new Date());
    this.log = options.logger ?? ((m) => console.warn(m));
    this.manifest = loadManifest(this.dir, this.dataDir);
    removeLeftovers(this.dir, this.manifest);
    this.converter = new ConvertProcess(options.converter);
  }

  /** The conversion process now running, if any, and the highest resident set one of them reported. */
  get converterProcess(): { pid?: number; peakRssBytes: number; busy: boolean } {
    return { pid: this.converter.pid, peakRssBytes: this.converter.peakRssBytes, busy: this.converter.busy };
  }

  /** For discovery (`trustDay`): a day held in the cache whose folder has not changed since it was converted. */
  trusts(day: TrustedDay): boolean {
    const entry = this.manifest.partitions[`${day.account}/${day.region}/${day.day}`];
    return entry?.folderMtimeMs === day.folderMtimeMs && this.intact(entry);
  }

  /**
   * Splits a question's files into cached partitions and raw files; notes closed raw partitions to convert. `trusted`
   * are the days discovery did not list because `trusts` vouched for them.
   */
  plan(files: readonly LogFile[], trusted: readonly TrustedDay[] = []): CachePlan {
    const groups = new Map<string, LogFile[]>();
    const raw: LogFile[] = [];
    // On the event loop of every question (8,500 files for 30 days of the bench data) and of `warm`: a file of the
    // same folder as the one before joins its group without a key being built (discovery lists a folder's files
    // together), and groups grow in place (a copy per file made this quadratic in a day's files).
    let last: LogFile | undefined;
    let lastGroup: LogFile[] | undefined;
    for (const file of files) {
      if (lastGroup && sameFolder(file, last!)) {
        lastGroup.push(file);
        continue;
      }
      const key = partitionKeyOf(file);
      if (key === undefined) {
        raw.push(file);
        last = lastGroup = undefined;
        continue;
      }
      let group = groups.get(key);
      if (!group) {
        group = [];
        groups.set(key, group);
      }
      group.push(file);
      last = file;
      lastGroup = group;
    }
    const cached: CachedPartition[] = [];
    const convertible: string[] = [];
    let open = 0;
    for (const day of trusted) {
      const entry = this.manifest.partitions[`${day.account}/${day.region}/${day.day}`];
      if (entry) {
        cached.push(entry);
        this.hits += 1;
        this.upgrade(entry);
      }
    }
    for (const [key, group] of groups) {
      const entry = this.manifest.partitions[key];
      if (entry && sameSources(entry.sources, sourcesOf(group)) && this.intact(entry)) {
        cached.push(entry);
        this.hits += 1;
        this.upgrade(entry);
        continue;
      }
      if (entry) this.drop(key, 'its log files changed');
      for (const file of group) raw.push(file);
      this.misses += 1;
      if (this.isClosed(group[0]!.day!)) {
        convertible.push(key);
        this.pending.set(key, group);
      } else {
        open += 1;
      }
    }
    return { cached, raw, convertible, open };
  }

  /**
   * A day an older trailbot cached without the side files (address index, principal copy, words, counts) is used as
   * it is, and queued to be converted again, so a cache kept across an upgrade gains them in the background.
   */
  private upgrade(entry: CachedPartition): void {
    if (this.upgraded.has(entry.key)) return;
    const sides = [entry.addresses, entry.principals, entry.words, entry.actions];
    // The files are looked at once per day and process; a side file removed by hand (or by an older trailbot, which
    // did not know it) counts as missing.
    this.upgraded.add(entry.key);
    if (sides.every((file) => file && fs.existsSync(file))) return;
    if (!this.pending.has(entry.key)) this.pending.set(entry.key, this.filesOf(entry));
  }

  /** Whether the manifest has the partition of this file (still to be checked against its sources by `plan`). */
  mayHold(file: { layout?: string; account?: string; region?: string; day?: string }): boolean {
    if (file.layout !== 's3' || !file.account || !file.region || !file.day) return false;
    return `${file.account}/${file.region}/${file.day}` in this.manifest.partitions;
  }

  /** The raw files a cached day was made from (cache-manifest.ts, sourceLogFiles). */
  filesOf(entry: CachedPartition): LogFile[] {
    return sourceLogFiles(entry);
  }

  /** A day folder is closed once the day is over and the delivery lag has passed. */
  isClosed(day: string): boolean {
    const start = Date.parse(`${day.replaceAll('/', '-')}T00:00:00Z`);
    return this.now().getTime() >= start + DAY_MS + this.closeAfterMs;
  }

  /** The days' side files of a kind merged into one (merged.ts), if built. */
  merged(kind: MergedKind): MergedFile | undefined {
    return this.manifest.merged?.[kind];
  }

  /** Forgets a merged file (merged.ts) that failed to read, or is no longer wanted; its days' own files serve. */
  forgetMerged(kind: MergedKind, reason: string): void {
    const merged = this.manifest.merged?.[kind];
    if (!merged) return;
    delete this.manifest.merged![kind];
    saveManifest(this.dir, this.manifest);
    this.retired.push(merged.file);
    this.log(`trailbot: the cached days' merged ${kind} file is not used (${reason})`);
  }

  /**
   * Forgets a partition whose Parquet file failed to read; the caller reads `files` (its raw files) instead, and the
   * partition is converted again with them.
   */
  invalidate(entry: CachedPartition, reason: string, files: readonly LogFile[]): void {
    // A build replaced since the question planned (an upgrade) is not the one that failed: the new one stays.
    if (this.manifest.partitions[entry.key] !== entry) return;
    this.drop(entry.key, reason);
    if (files.length > 0) this.pending.set(entry.key, [...files]);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * Converts pending partitions one by one until none is left or `yieldTo()` says a question is waiting. Returns how
   * many were converted. Calls made while one runs share it.
   */
  convertPending(yieldTo: () => boolean = () => false): Promise<number> {
    this.converting ??= this.drain(yieldTo).finally(() => {
      this.converting = undefined;
    });
    return this.converting;
  }

  /** Queues the closed partitions among `files` and converts them now (`cache warm`). */
  async warm(files: readonly LogFile[]): Promise<{ converted: number; cached: number; open: number }> {
    const plan = this.plan(files);
    const converted = await this.convertPending();
    return { converted, cached: plan.cached.length, open: plan.open };
  }

  status(): CacheStatus {
    return {
      dir: this.dir,
      ...manifestTotals(this.manifest),
      hits: this.hits,
      misses: this.misses,
      pending: this.pending.size,
    };
  }

  /** Removes every cached partition of this logs folder. */
  async clear(): Promise<number> {
    await this.converting;
    const count = Object.keys(this.manifest.partitions).length;
    this.pending.clear();
    fs.rmSync(this.dir, { recursive: true, force: true });
    this.manifest = emptyManifest(this.dataDir);
    return count;
  }

  /** Stops converting (the partition under way is finished) and stops the conversion process. */
  async close(): Promise<void> {
    this.pending.clear();
    await this.converting?.catch(() => undefined);
    await this.converter.close();
  }

  private async drain(yieldTo: () => boolean): Promise<number> {
    let converted = 0;
    if (!yieldTo()) {
      for (const file of this.retired.splice(0)) fs.rmSync(file, { force: true });
    }
    while (this.pending.size > 0 && !yieldTo()) {
      const [key, files] = this.pending.entries().next().value as [string, LogFile[]];
      this.pending.delete(key);
      try {
        await this.convert(key, files);
        this.retried.delete(key);
        converted += 1;
      } catch (err) {
        if (err instanceof ConverterExited) this.afterDeath(key, files, err);
        else this.log(`trailbot: could not cache ${key} as Parquet (its files are read raw): ${firstLine(err)}`);
      }
    }
    for (const kind of MERGED_KINDS) {
      if (this.pending.size === 0 && !yieldTo()) await this.merge(kind);
    }
    return converted;
  }

  /** Merges every cached day's side files of a kind into one (merged.ts) unless the merged file holds them already. */
  private async merge(kind: MergedKind): Promise<void> {
    const files = mergeInputs(kind, Object.values(this.manifest.partitions));
    const before = this.manifest.merged?.[kind];
    // Over its cap, the days' own side files serve, and a merged file of fewer days goes.
    if (!files) return this.forgetMerged(kind, 'the days it would hold are over its size cap');
    if (files.length === 0 || mergedHolds(before, files)) return;
    try {
      const target = parquetFileFor(this.dir, kind, MERGED_EXTENSION[kind]);
      const bytes = await this.converter.merge({ kind, files, target });
      this.manifest.merged = { ...this.manifest.merged, [kind]: { file: target, bytes, days: files } };
      saveManifest(this.dir, this.manifest);
      if (before) this.retired.push(before.file);
    } catch (err) {
      // The days' own side files stay; questions read them until a later run builds the merged file.
      this.log(`trailbot: could not merge the cached days' ${kind}: ${firstLine(err)}`);
      if (err instanceof ConverterExited) removeLeftovers(this.dir, this.manifest);
    }
  }

  private async convert(key: string, files: readonly LogFile[]): Promise<void> {
    const entry = await this.converter.convert({
      key,
      files,
      cacheDir: this.dir,
      builtAt: this.now().toISOString(),
    });
    if (!entry) return;
    const before = this.manifest.partitions[key];
    this.manifest.partitions[key] = entry;
    saveManifest(this.dir, this.manifest);
    // A day converted again while cached (upgrade): its earlier build's files go at the next conversion run, when no
    // question reads them (or at the next start, as files no entry names).
    if (before) {
      const kept = new Set(filesOf(entry));
      this.retired.push(...filesOf(before).filter((file) => !kept.has(file)));
    }
  }

  /**
   * The conversion process died with `key` under way (killed, out of memory, crashed): no entry was saved for it, so
   * what it wrote (a `.tmp` file, or a finished Parquet file it had no time to report) is named by no entry and goes;
   * the partition is queued once more, behind the others, and read raw if the next process dies on it too.
   */
  private afterDeath(key: string, files: readonly LogFile[], err: ConverterExited): void {
    removeLeftovers(this.dir, this.manifest);
    const again = !this.retried.has(key);
    this.log(
      `trailbot: ${err.message} while caching ${key} as Parquet; ${again ? 'it is tried once more later' : 'its files are read raw'}`,
    );
    if (again) {
      this.retried.add(key);
      if (!this.pending.has(key)) this.pending.set(key, [...files]);
    } else {
      this.retried.delete(key);
    }
  }

  private intact(entry: CachedPartition): boolean {
    try {
      return fs.statSync(entry.parquet).size === entry.bytes;
    } catch {
      return false;
    }
  }

  private drop(key: string, reason: string): void {
    const entry = this.manifest.partitions[key];
    if (!entry) return;
    delete this.manifest.partitions[key];
    for (const file of filesOf(entry)) fs.rmSync(file, { force: true });
    saveManifest(this.dir, this.manifest);
    this.log(`trailbot: cached day ${key} is rebuilt (${reason})`);
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

/** Whether two S3 log files lie in the same day folder (what `partitionKeyOf` would say, without building keys). */
function sameFolder(a: LogFile, b: LogFile): boolean {
  return a.layout === 's3' && a.day === b.day && a.region === b.region && a.account === b.account;
}
