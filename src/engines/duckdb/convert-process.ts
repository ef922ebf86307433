import { type ChildProcess, fork } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { backgroundEnv } from './allocator-env';
import type { CachedPartition } from './cache-manifest';
import type { ConvertReply, ConvertRequest } from './convert-worker';

/**
 * The parent's side of the conversion process (convert-worker.ts): started on the first partition to convert, reused
 * for the next ones, stopped after `idleMs` without work or by `close`. One partition at a time.
 *
 * The bot's own process never loads the conversion: its Parquet writer, sort and JSON buffers live in the child, whose
 * threads all run at the lowest CPU priority, and whose memory is returned to the system when it exits.
 */

export interface ConvertProcessOptions {
  /** The worker's file; default convert-worker next to this file (`.ts` under tsx and jest, `.js` once built). */
  workerFile?: string;
  /** Stop the child after this long without a partition to convert. Default 30 s. */
  idleMs?: number;
}

export type ConvertJob = Omit<Extract<ConvertRequest, { type: 'convert' }>, 'type' | 'id'>;
export type MergeJob = Omit<Extract<ConvertRequest, { type: 'merge' }>, 'type' | 'id'>;

/** The child exited (killed, crashed, out of memory) before it answered. */
export class ConverterExited extends Error {
  constructor(
    readonly pid: number | undefined,
    readonly how: string,
  ) {
    super(`the conversion process${pid ? ` ${pid}` : ''} ${how}`);
  }
}

/** A request without its id (`ask` numbers it). */
type ConvertAsk = ({ type: 'convert' } & ConvertJob) | ({ type: 'merge' } & MergeJob);

/** What the child answered: a partition's entry (none when its folder held no log file), or a merged file's size. */
interface ConvertAnswer {
  entry?: CachedPartition;
  bytes?: number;
}

const STOP_GRACE_MS = 5_000;

export class ConvertProcess {
  private readonly workerFile: string;
  private readonly idleMs: number;
  private child?: ChildProcess;
  private exit?: Promise<void>;
  private nextId = 1;
  private waiting?: {
    child: ChildProcess;
    id: number;
    resolve: (answer: ConvertAnswer) => void;
    reject: (e: Error) => void;
  };
  private idleTimer?: NodeJS.Timeout;
  private peakRss = 0;

  constructor(options: ConvertProcessOptions = {}) {
    this.workerFile = options.workerFile ?? path.join(__dirname, `convert-worker${path.extname(__filename)}`);
    this.idleMs = options.idleMs ?? 30_000;
  }

  /** Whether a partition is in the child's hands now (sent, not yet answered). */
  get busy(): boolean {
    return this.waiting !== undefined;
  }

  /** The running child's process id, if one runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The highest `maxRSS` a child reported (each answer carries it): the conversion's own peak resident set. */
  get peakRssBytes(): number {
    return this.peakRss;
  }

  /** Converts one partition in the child (started if none runs); rejects with ConverterExited if the child dies. */
  async convert(job: ConvertJob): Promise<CachedPartition | undefined> {
    return (await this.ask({ type: 'convert', ...job })).entry;
  }

  /** Merges the cached days' side files of a kind in the child (merged.ts); resolves with the merged file's size. */
  async merge(job: MergeJob): Promise<number> {
    return (await this.ask({ type: 'merge', ...job })).bytes ?? 0;
  }

  private ask(job: ConvertAsk): Promise<ConvertAnswer> {
    if (this.waiting) return Promise.reject(new Error('the conversion process converts one partition at a time'));
    clearTimeout(this.idleTimer);
    const child = this.child ?? this.start();
    // Busy: the child and its channel keep this process alive until the answer.
    child.ref();
    child.channel?.ref();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting = { child, id, resolve, reject };
      const request: ConvertRequest = { ...job, id };
      child.send(request, (err) => {
        if (err) this.settle(child, new ConverterExited(child.pid, `could not be reached (${err.message})`));
      });
    });
  }

  /** Stops the child: the IPC channel is closed (it exits on 'disconnect'), then it is killed if it lingers. */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const child = this.child;
    const exit = this.exit;
    if (!child || !exit) return;
    // Detached at once: a partition asked for from now on starts a new child.
    this.child = undefined;
    this.exit = undefined;
    // Held until it is gone: an idle child is unref'd, and this process must not end before it has waited.
    child.ref();
    if (child.connected) child.disconnect();
    const grace = new Promise<'late'>((resolve) => setTimeout(resolve, STOP_GRACE_MS, 'late').unref());
    if ((await Promise.race([exit, grace])) === 'late') {
      child.kill('SIGKILL');
      await exit;
    }
  }

  private start(): ChildProcess {
    const child = fork(this.workerFile, [], {
      // The parent's flags (jest's, an inspector) are not the child's; a `.ts` worker needs tsx's loader, which is a
      // runtime dependency: `node --import <tsx>` is how tsx documents registering it ("Node.js loader").
      execArgv: this.workerFile.endsWith('.ts') ? ['--import', pathToFileURL(require.resolve('tsx')).href] : [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: backgroundEnv(),
    });
    // Lowered from here as well, at once: the child lowers every one of its threads when its code runs, but loading
    // Node and tsx before that would otherwise compete with the bot's acks at normal priority. Threads the main
    // thread starts from now on inherit the value (setpriority(2): nice is per thread on Linux).
    if (child.pid !== undefined) {
      try {
        os.setPriority(child.pid, 19);
      } catch {
        // Not permitted here or already gone: the child's own call still applies.
      }
    }
    this.child = child;
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (this.child === child) {
          this.child = undefined;
          this.exit = undefined;
          clearTimeout(this.idleTimer);
        }
        this.settle(
          child,
          new ConverterExited(child.pid, signal ? `was killed by ${signal}` : `exited with code ${code}`),
        );
        resolve();
      });
    });
    child.on('error', (err) => {
      // Not started, or a signal could not be sent: 'exit' may never come for the first, so the answer fails here.
      this.settle(child, new ConverterExited(child.pid, `failed: ${err.message}`));
    });
    child.on('message', (reply: ConvertReply) => {
      if (this.waiting?.child !== child || reply?.id !== this.waiting.id) return;
      this.peakRss = Math.max(this.peakRss, reply.maxRssBytes);
      this.settle(
        child,
        reply.type === 'converted'
          ? {
              ...(reply.entry ? { entry: reply.entry } : {}),
              ...(reply.bytes !== undefined ? { bytes: reply.bytes } : {}),
            }
          : new Error(reply.message),
      );
      this.idle(child);
    });
    return child;
  }

  private settle(child: ChildProcess, outcome: ConvertAnswer | Error): void {
    const waiting = this.waiting;
    if (waiting?.child !== child) return;
    this.waiting = undefined;
    if (outcome instanceof Error) waiting.reject(outcome);
    else waiting.resolve(outcome);
  }

  /** Between partitions: the idle child keeps nobody alive, and goes after `idleMs`. */
  private idle(child: ChildProcess): void {
    child.unref();
    child.channel?.unref();
    this.idleTimer = setTimeout(() => void this.close(), this.idleMs);
    this.idleTimer.unref();
  }
}
