import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  type QueryEngine,
  type QueryState,
  type QueryStatus,
  type ResultPage,
  type StartOptions,
  UnknownQueryError,
} from '../../core/engine';
import { TrailError } from '../../core/errors';
import type { BoundQuery, SqlParam } from '../../core/query';
import { parseRows, rowsJson, WHOLE_ANSWER_ROWS } from './answer';
import type { ColumnarCache } from './cache';
import { bytesRead } from './cache-manifest';
import { clearCachedReads } from './cached-reads';
import { executeJob } from './execute';
import { clearFileLists } from './file-lists';
import { measureLogFiles } from './files';
import { CorruptLogFileError, firstLine, type Job, messageOf, RESULT_TABLE, succeeded, TERMINAL } from './job';
import { runKept } from './kept';
import { detachMerged } from './merged';
import { type DuckDBConnection, DuckDBInstance } from './native';
import { ConnectionPool, closePooled } from './pool';

export interface DuckDbEngineOptions {
  /** Folder holding CloudTrail logs: S3 layout (`AWSLogs/…`) and/or flat exports. */
  dataDir: string;
  /** Fail a query that meets a corrupt or truncated file, instead of skipping the file (default false). */
  strict?: boolean;
  /** DuckDB instance to use; default a private in-memory one. An instance passed in is not closed by close(). */
  instance?: DuckDBInstance;
  /** Operator notes, e.g. which corrupt file was skipped (default console.warn). */
  logger?: (msg: string) => void;
  /** Queries running at once; later ones wait as QUEUED (default 2: DuckDB already uses every core per query). */
  maxConcurrent?: number;
  /** Finished queries remembered with their results (default 50); the oldest beyond that are forgotten. */
  maxRetained?: number;
  /** DuckDB worker threads (default: every core). A Slack bot leaves one core to answer Slack within its 3 s. */
  threads?: number;
  /** The columnar cache of closed days (src/engines/duckdb/cache.ts); without it every question reads raw files. */
  cache?: ColumnarCache;
}

/**
 * QueryEngine over local CloudTrail files with embedded DuckDB (ARCHITECTURE.md). Each query gets its own connection
 * with the Trino shims and a `cloudtrail_logs` view over exactly the files of its partitions and scope; its result is
 * spooled to a temp table on that connection and paged by rowid, so paging never re-runs the query and the rows are
 * held once, in DuckDB (which can spill them to disk).
 */
export class DuckDbEngine implements QueryEngine {
  readonly kind = 'duckdb' as const;
  private readonly dataDir: string;
  private readonly strict: boolean;
  private readonly log: (msg: string) => void;
  private readonly maxConcurrent: number;
  private readonly maxRetained: number;
  private readonly ownsInstance: boolean;
  private instancePromise?: Promise<DuckDBInstance>;
  private readonly jobs = new Map<string, Job>();
  private readonly queue: Job[] = [];
  private running = 0;
  private closed = false;

  constructor(options: DuckDbEngineOptions) {
    this.dataDir = options.dataDir;
    this.strict = options.strict ?? false;
    this.log = options.logger ?? ((msg) => console.warn(msg));
    this.maxConcurrent = Math.max(1, options.maxConcurrent ?? 2);
    this.maxRetained = Math.max(1, options.maxRetained ?? 50);
    this.threads = options.threads;
    this.cache = options.cache;
    this.pool = new ConnectionPool(this.maxConcurrent, this.cache !== undefined);
    this.ownsInstance = !options.instance;
    if (options.instance) this.instancePromise = Promise.resolve(options.instance);
  }

  private readonly threads?: number;
  readonly cache?: ColumnarCache;
  private readonly pool: ConnectionPool;

  private instance(): Promise<DuckDBInstance> {
    // Spill (large results, big sorts) under the OS temp folder, not into the working directory.
    this.instancePromise ??= DuckDBInstance.create(':memory:', {
      temp_directory: path.join(os.tmpdir(), `trailbot-duckdb-${process.pid}`),
      ...(this.threads ? { threads: String(this.threads) } : {}),
    });
    return this.instancePromise;
  }

  async start(query: BoundQuery, options: StartOptions): Promise<string> {
    if (this.closed) throw new TrailError('ENGINE_CLOSED', 'The DuckDB engine has been closed; restart trailbot.');
    let markEnded = () => {};
    const ended = new Promise<void>((resolve) => {
      markEnded = resolve;
    });
    const job: Job = {
      id: `duckdb-${randomUUID()}`,
      executionId: options.executionId,
      query,
      state: 'QUEUED',
      files: [],
      cached: [],
      settled: Promise.resolve(),
      ended,
      markEnded,
      lock: Promise.resolve(),
    };
    this.jobs.set(job.id, job);
    this.queue.push(job);
    this.pump();
    return job.id;
  }

  async status(engineId: string): Promise<QueryStatus> {
    const job = this.job(engineId);
    const elapsedMs = job.startedAt === undefined ? 0 : (job.finishedAt ?? Date.now()) - job.startedAt;
    return {
      state: job.state,
      ...(job.reason ? { reason: job.reason } : {}),
      stats: {
        bytesScanned:
          job.files.reduce((sum, f) => sum + f.bytes, 0) +
          (job.cached.length
            ? bytesRead(job.cachedRead ?? job.cached, job.needs ?? 'all', job.pruning ?? new Map()) +
              (job.counted?.bytes ?? 0)
            : 0),
        elapsedMs,
        filesRead: job.files.length,
        ...(job.cached.length ? { cachedPartitions: job.cached.length } : {}),
        ...(job.counted?.days ? { countedPartitions: job.counted.days } : {}),
      },
    };
  }

  results(engineId: string, options: { pageSize?: number } = {}): AsyncIterable<ResultPage> {
    const job = this.job(engineId);
    if (job.state !== 'SUCCEEDED') {
      throw new TrailError(
        'RESULTS_NOT_READY',
        `Query ${engineId} is ${job.state}; results exist only once it SUCCEEDED.`,
      );
    }
    const pageSize = options.pageSize ?? 1000;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new RangeError(`pageSize must be a positive integer`);
    return this.pages(job, pageSize);
  }

  private async *pages(job: Job, pageSize: number): AsyncGenerator<ResultPage> {
    const columns = job.columns ?? [];
    const types = job.types ?? [];
    const rowCount = job.rowCount ?? 0;
    if (rowCount === 0) {
      yield { columns: [...columns], rows: [] };
      return;
    }
    // Each page comes back as ONE JSON text (an array of rows, each an array of text or null) that V8's JSON.parse
    // turns into strings, instead of a DuckDB value per cell converted one by one through node-api: measured on a
    // 4,867-row × 12-column answer, 65–117 ms for the pages cell by cell against 19–28 ms as JSON. json_array escapes
    // every control character, quote and backslash, so any text (attacker-written included) round-trips exactly.
    // Each row is its own JSON array, joined in rowid order: on the `user` drill-down's 4,576 rows the statement took
    // 8.2–9.5 ms against 11.4–14.7 for to_json over one list of all rows (medians of 25, plain DuckDB).
    const whole = rowCount <= WHOLE_ANSWER_ROWS;
    // A whole answer is every row of the table: no rowid condition to bind and test (~0.4 ms of a few-row answer).
    const sql = `SELECT ${rowsJson(types, 'rowid')} FROM ${RESULT_TABLE}${whole ? '' : ' WHERE rowid >= $1 AND rowid < $2'}`;
    const read = (from: number, to: number) =>
      this.withConnection(job, async (connection) => {
        const bounds: SqlParam[] = whole
          ? []
          : [
              { type: 'bigint', value: from },
              { type: 'bigint', value: to },
            ];
        return parseRows((await runKept(connection, 'read', sql, bounds)).getRows()[0]?.[0]);
      });
    // An answer of up to WHOLE_ANSWER_ROWS rows is read in one statement (or came with its query: answer.ts) and cut
    // into pages: each statement costs ~1 ms of its own (the `user` drill-down's 4,576 rows, 5 pages: warm 42.0 →
    // 37.3 ms, medians of 10 alternated). Larger ones are read page by page, so the JSON text of a 100,000-row answer
    // is never held at once.
    if (whole) {
      const rows = job.rows ?? (await read(0, rowCount));
      for (let offset = 0; offset < rowCount; offset += pageSize) {
        yield { columns: [...columns], rows: rows.slice(offset, offset + pageSize) };
      }
      return;
    }
    for (let offset = 0; offset < rowCount; offset += pageSize) {
      yield { columns: [...columns], rows: await read(offset, offset + pageSize) };
    }
  }

  ended(engineId: string): Promise<void> {
    return this.jobs.get(engineId)?.ended ?? Promise.resolve();
  }

  async cancel(engineId: string): Promise<void> {
    const job = this.job(engineId);
    if (TERMINAL.has(job.state)) return;
    const wasQueued = job.state === 'QUEUED';
    this.finish(job, 'CANCELLED', 'Cancelled on request.');
    if (wasQueued) {
      const index = this.queue.indexOf(job);
      if (index >= 0) this.queue.splice(index, 1);
      return;
    }
    // DuckDB stops the running statement at its next check and raises "INTERRUPT Error" (caught in executeJob).
    job.connection?.interrupt();
    await job.settled;
  }

  /** The raw files' on-disk bytes and count (not opened, no record kept per file: the totals are all it needs). */
  async estimate(query: BoundQuery): Promise<{ bytes: number; objects: number }> {
    return measureLogFiles(this.dataDir, {
      partitions: query.partitions,
      ...(query.scope ? { scope: query.scope } : {}),
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const jobs = [...this.jobs.values()];
    await Promise.all(jobs.map((job) => this.cancel(job.id).catch(() => undefined)));
    await Promise.all(jobs.map((job) => job.settled));
    await Promise.all(jobs.map((job) => this.forget(job)));
    this.pool.closeAll();
    await this.cache?.close();
    if (this.ownsInstance && this.instancePromise) {
      const instance = await this.instancePromise.catch(() => undefined);
      instance?.closeSync();
    }
  }

  private job(engineId: string): Job {
    const job = this.jobs.get(engineId);
    if (!job) throw new UnknownQueryError(engineId);
    return job;
  }

  private pump(): void {
    while (this.running < this.maxConcurrent && this.queue.length > 0) {
      const job = this.queue.shift()!;
      if (job.state !== 'QUEUED') continue;
      this.running++;
      job.settled = this.run(job).finally(() => {
        this.running--;
        this.evict();
        this.pump();
        if (this.running === 0) void this.detachMerged();
      });
    }
  }

  /** Never rejects: every outcome ends in a terminal state with a reason a person can act on. */
  private async run(job: Job): Promise<void> {
    job.state = 'RUNNING';
    job.startedAt = Date.now();
    try {
      const instance = await this.instance();
      await executeJob(job, {
        dataDir: this.dataDir,
        cache: job.query.noCache ? undefined : this.cache,
        acquireConnection: () => this.pool.acquire(instance, job.query),
        badFile: (file, detail) => this.badFile(file, detail),
        finish: (j, state, reason) => this.finish(j, state, reason),
      });
    } catch (err) {
      // finish() keeps a state that is already terminal (a cancel that raced the failure wins).
      if (err instanceof TrailError) this.finish(job, 'FAILED', err.userMessage);
      else this.finish(job, 'FAILED', `DuckDB could not run ${job.query.template}: ${firstLine(messageOf(err))}`);
    } finally {
      // Failed and cancelled queries keep nothing; a successful one keeps its connection (and result) for paging.
      if (!succeeded(job)) this.closeConnection(job);
    }
  }

  /** The merged principal database the engine last detached the others for (merged.ts, detachMerged). */
  private mergedKept?: string;

  /** Once no question runs: detaches the merged principal databases of earlier builds, unless done for this one. */
  private async detachMerged(): Promise<void> {
    const current = this.cache?.merged('principals');
    if (!this.cache || !this.instancePromise || current?.file === this.mergedKept || this.closed) return;
    const connection = await (await this.instancePromise).connect();
    try {
      const busy = () => this.running > 0 || this.closed;
      await detachMerged(connection, () => this.cache?.merged('principals'), busy);
      if (!busy()) this.mergedKept = current?.file;
    } catch (err) {
      // Tried again after the next question.
      this.log(`trailbot: could not detach earlier merged principal copies: ${firstLine(messageOf(err))}`);
    } finally {
      connection.disconnectSync();
    }
  }

  /** A file DuckDB cannot read: skipped with a log line, or the query's failure in strict mode. */
  private badFile(file: string, detail: string): void {
    if (this.strict) throw new CorruptLogFileError(file, detail);
    this.log(`trailbot: skipping CloudTrail log file ${file}: ${detail}`);
  }

  private finish(job: Job, state: QueryState, reason?: string): void {
    if (TERMINAL.has(job.state)) return;
    job.state = state;
    if (reason) job.reason = reason;
    job.finishedAt = Date.now();
    job.startedAt ??= job.finishedAt;
    job.markEnded();
  }

  private withConnection<T>(job: Job, use: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const next = job.lock.then(() => {
      if (!this.jobs.has(job.id) || !job.connection) throw new UnknownQueryError(job.id);
      return use(job.connection);
    });
    job.lock = next.catch(() => undefined);
    return next;
  }

  private closeConnection(job: Job): void {
    const connection = job.connection;
    job.connection = undefined;
    try {
      if (connection) closePooled(connection);
    } catch (err) {
      this.log(`trailbot: closing the DuckDB connection of ${job.id} failed: ${firstLine(messageOf(err))}`);
    }
  }

  /**
   * Drops a finished query's result now instead of when it is evicted (the runner has spooled it to a CSV). The
   * answer is on its way: closed days the question read raw are converted in the background once no question runs.
   */
  async release(id: string): Promise<void> {
    const job = this.jobs.get(id);
    if (job && TERMINAL.has(job.state)) await this.forget(job);
    this.convertWhenIdle();
  }

  /** Converts the closed days questions have read raw, while (and only while) no question runs. */
  convertCache(): Promise<number> {
    if (!this.cache || this.closed) return Promise.resolve(0);
    return this.cache.convertPending(() => this.closed || this.running > 0 || this.queue.length > 0);
  }

  private convertWhenIdle(): void {
    if (!this.cache || this.cache.pendingCount === 0 || this.running > 0 || this.queue.length > 0) return;
    void this.convertCache().catch((err) => this.log(`trailbot: columnar cache: ${firstLine(messageOf(err))}`));
  }

  /** Forgets the oldest finished queries beyond maxRetained, dropping their results. */
  private evict(): void {
    const finished = [...this.jobs.values()]
      .filter((job) => TERMINAL.has(job.state) && job.finishedAt !== undefined)
      .sort((a, b) => a.finishedAt! - b.finishedAt!);
    for (const job of finished.slice(0, Math.max(0, finished.length - this.maxRetained))) void this.forget(job);
  }

  /** Drops a query and, once any page being read is done, its result; its connection goes back to the pool. */
  private forget(job: Job): Promise<unknown> {
    this.jobs.delete(job.id);
    job.lock = job.lock.then(() => this.recycleConnection(job)).catch(() => undefined);
    return job.lock;
  }

  /**
   * Drops a finished query's result and the variables it set, and keeps the connection for the next one. Its view
   * stays (a few KB of SQL): the next question over the same days need not create it again
   * (execute.ts, createView).
   */
  private async recycleConnection(job: Job): Promise<void> {
    const connection = job.connection;
    if (!connection || this.closed || !succeeded(job)) {
      this.closeConnection(job);
      return;
    }
    job.connection = undefined;
    try {
      await connection.run(`DROP TABLE IF EXISTS ${RESULT_TABLE}`);
      // A network as wide as a /8 can list thousands of source texts, and a month of raw days thousands of files: a
      // pooled connection does not keep them until its next question. (Resetting a variable never set is no error.)
      await clearFileLists(connection, job.fileLists ?? 0);
      await clearCachedReads(connection);
      if (this.closed) closePooled(connection);
      else this.pool.keep(connection);
    } catch {
      closePooled(connection);
    }
  }
}
