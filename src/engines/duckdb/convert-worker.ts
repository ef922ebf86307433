import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type CachedPartition, type MergedKind, partsDir } from './cache-manifest';
import type { LogFile } from './files';

/**
 * The columnar cache's conversion process (forked by convert-process.ts): converts one day partition at a time into
 * Parquet with `convertPartition` and answers with the manifest entry; the parent process alone writes the manifest.
 *
 * It runs at the lowest CPU priority so that, on a machine with as many busy threads as cores, the scheduler gives
 * the bot's acks and answers the CPU first. On Linux the nice value belongs to each thread, not to the process
 * (setpriority(2), "Bugs": "under the current Linux/NPTL implementation of POSIX threads, the nice value is a
 * per-thread attribute"), and a new thread takes its creator's. Threads that exist before this file runs (V8's
 * platform workers, the tsx loader's thread) would stay at 0 if only the calling thread were lowered, so every task
 * of /proc/self/task is lowered, before DuckDB is loaded; DuckDB's and libuv's threads start later, from lowered
 * threads, and inherit it. Elsewhere `os.setPriority(0, …)` is process-wide (BSD/macOS setpriority, Windows priority
 * class).
 */

/** Parent → child: one partition to convert, or the cached days' word files to merge (word-index.ts). */
export type ConvertRequest =
  | {
      type: 'convert';
      id: number;
      key: string;
      /** The partition's files as the question saw them. */
      files: readonly LogFile[];
      cacheDir: string;
      /** ISO time recorded as the entry's `builtAt` (the parent's clock). */
      builtAt: string;
    }
  | { type: 'merge'; id: number; kind: MergedKind; files: readonly string[]; target: string };

/** Child → parent: the answer to one request, with the child's peak resident set so far. */
export type ConvertReply =
  | { type: 'converted'; id: number; entry?: CachedPartition; bytes?: number; maxRssBytes: number }
  | { type: 'failed'; id: number; message: string; maxRssBytes: number };

/** The lowest priority of every thread of this process; returns the thread ids it lowered (Linux). */
export function lowerPriority(): number[] {
  const lowest = os.constants.priority.PRIORITY_LOW; // 19 on Unix: the lowest (Node "Priority constants")
  os.setPriority(0, lowest);
  if (process.platform !== 'linux') return [];
  const lowered: number[] = [];
  // Twice: a thread started by a not yet lowered thread during the first pass is caught by the second.
  for (let pass = 0; pass < 2; pass++) {
    for (const name of fs.readdirSync('/proc/self/task')) {
      const tid = Number(name);
      try {
        if (os.getPriority(tid) !== lowest) {
          os.setPriority(tid, lowest);
          lowered.push(tid);
        }
      } catch {
        // The thread ended meanwhile.
      }
    }
  }
  return lowered;
}

const maxRssBytes = () => process.resourceUsage().maxRSS * 1024;

/** Lowers the priority, then converts the partitions the parent sends until it disconnects. */
export function serve(): void {
  lowerPriority();
  // Loaded only now, so that no thread of DuckDB's starts before the priority is lowered.
  const ready = (async () => {
    const { DuckDBInstance } = await import('./native');
    const { convertPartition } = await import('./cache-convert');
    const { writeMerged } = await import('./merged');
    // One thread and bounded memory: background work beside the answers. The external file cache would keep the
    // contents of log files read once in memory (`enable_external_file_cache`, duckdb_settings()); each file is read
    // once here, so it only adds to this process's size.
    const instance = await DuckDBInstance.create(':memory:', {
      threads: '1',
      memory_limit: '256MB',
      enable_external_file_cache: 'false',
    });
    return { instance, convertPartition, writeMerged };
  })();
  let queue = Promise.resolve();
  let cacheDir: string | undefined;
  // Listening from the first tick: a message that arrives while nobody listens is not kept for later.
  process.on('message', (message: ConvertRequest) => {
    if (message?.type !== 'convert' && message?.type !== 'merge') return;
    // A merge writes into the cache's parts folder too (its `.tmp` file goes if this process is stopped mid-way).
    cacheDir = message.type === 'convert' ? message.cacheDir : path.dirname(path.dirname(message.target));
    queue = queue.then(async () => {
      let reply: ConvertReply;
      try {
        const { instance, convertPartition, writeMerged } = await ready;
        const connection = await instance.connect();
        try {
          if (message.type === 'merge') {
            const bytes = await writeMerged(connection, message.kind, message.files, message.target);
            reply = { type: 'converted', id: message.id, bytes, maxRssBytes: maxRssBytes() };
          } else {
            const built = new Date(message.builtAt);
            const entry = await convertPartition(connection, message.cacheDir, message.key, message.files, () => built);
            reply = { type: 'converted', id: message.id, ...(entry ? { entry } : {}), maxRssBytes: maxRssBytes() };
          }
        } finally {
          connection.closeSync();
        }
      } catch (err) {
        const text = err instanceof Error ? err.message : String(err);
        reply = { type: 'failed', id: message.id, message: text, maxRssBytes: maxRssBytes() };
      }
      process.send?.(reply);
    });
  });
  // The parent closed the channel: it stopped us (idle, or the cache closed), or it is gone (killed, crashed). A
  // partition half-written is given up; its `.tmp` file is removed here (and by the next cache opened on the folder,
  // removeLeftovers, should this process be killed too).
  process.on('disconnect', () => {
    if (cacheDir) removeOwnTemporaryFiles(cacheDir);
    process.exit(0);
  });
}

/** The `.tmp` files of this process (cache-convert.ts names them `<target>.<pid>.tmp`). */
function removeOwnTemporaryFiles(cacheDir: string): void {
  const suffix = `.${process.pid}.tmp`;
  try {
    for (const name of fs.readdirSync(partsDir(cacheDir))) {
      if (name.endsWith(suffix)) fs.rmSync(path.join(partsDir(cacheDir), name), { force: true });
    }
  } catch {
    // No parts folder yet.
  }
}

if (require.main === module) {
  if (!process.send) {
    process.stderr.write('convert-worker: run only as a child process of trailbot (it needs an IPC channel)\n');
    process.exit(2);
  }
  serve();
}
