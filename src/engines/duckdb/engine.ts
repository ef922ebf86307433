import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  BIGINT,
  BOOLEAN,
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBPreparedStatement,
  type DuckDBType,
  DuckDBTypeId,
  StatementType,
  VARCHAR,
} from '@duckdb/node-api';
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
import { type CachedPartition, type ColumnarCache, partitionKeyOf } from './cache';
import { discoverLogFiles, type LogFile, probeFormats, probeLogFiles } from './files';
import { installTrinoShims } from './trino';
import { branchesOf, type ColumnNeeds, columnNeeds, fileCheckSql, viewSql } from './view';

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

/** Reason of a query that failed because of one file in strict mode (or a file that could not be read at all). */
export class CorruptLogFileError extends TrailError {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(
      'CORRUPT_LOG_FILE',
      `CloudTrail log file ${file} is corrupt or truncated (${detail}). Repair or remove it, or turn strict mode off to skip it.`,
    );
    this.name = 'CorruptLogFileError';
  }
}

interface Job {
  readonly id: string;
  readonly executionId: string;
  readonly query: BoundQuery;
  state: QueryState;
  reason?: string;
  startedAt?: number;
  finishedAt?: number;
  files: LogFile[];
  /** Days read from the columnar cache instead of `files`. */
  cached: CachedPartition[];
  needs?: ColumnNeeds;
  connection?: DuckDBConnection;
  columns?: string[];
  types?: DuckDBType[];
  rowCount?: number;
  settled: Promise<void>;
  /** Serialises statements on the job's connection (paging, eviction). */
  lock: Promise<unknown>;
}

const RESULT_TABLE = 'trailbot_result';
/** DuckDB errors that come from reading a file rather than from the query. */
const FILE_ERROR = /gzip|zstd|decompress|Malformed JSON|JSON transform|maximum_object_size|IO Error/i;

/** A function, not an inline comparison: cancel() changes the state while execute() awaits. */
const isRunning = (job: Job): boolean => job.state === 'RUNNING';
const succeeded = (job: Job): boolean => job.state === 'SUCCEEDED';
const TERMINAL: ReadonlySet<QueryState> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** DuckDB messages end with a `LINE n:` excerpt of the SQL: keep the first line only. */
const firstLine = (message: string): string => message.split('\n')[0]!.trim();

/** Makes one SQL text safe to wrap in a subquery: no trailing `;` (a trailing `--` comment is closed by a newline). */
const asSubquery = (sql: string): string => sql.trim().replace(/;+\s*$/, '');

function bindParams(prepared: DuckDBPreparedStatement, params: readonly SqlParam[]): void {
  if (params.length === 0) return;
  prepared.bind(
    params.map((p) => (p.type === 'bigint' ? BigInt(p.value) : p.value)),
    params.map((p) => (p.type === 'varchar' ? VARCHAR : p.type === 'bigint' ? BIGINT : BOOLEAN)),
  );
}

/**
 * How a result column becomes text, as Athena's VarCharValue: numbers as decimal text, booleans `true`/`false`,
 * timestamps ISO-8601 (UTC instants with `Z`), structs / lists / maps as JSON. Done in SQL on each page only.
 */
export function textExpression(column: string, type: DuckDBType): string {
  switch (type.typeId) {
    case DuckDBTypeId.VARCHAR:
      return column;
    case DuckDBTypeId.TIMESTAMP_TZ:
      return `coalesce(try(strftime(timezone('UTC', ${column}), '%Y-%m-%dT%H:%M:%S.%gZ')), CAST(${column} AS VARCHAR))`;
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return `coalesce(try(strftime(CAST(${column} AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%g')), CAST(${column} AS VARCHAR))`;
    case DuckDBTypeId.STRUCT:
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
    case DuckDBTypeId.MAP:
    case DuckDBTypeId.UNION:
      return `CAST(to_json(${column}) AS VARCHAR)`;
    default:
      return `CAST(${column} AS VARCHAR)`;
  }
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
    this.ownsInstance = !options.instance;
    if (options.instance) this.instancePromise = Promise.resolve(options.instance);
  }

  private readonly threads?: number;
  readonly cache?: ColumnarCache;
  private readonly idleConnections: DuckDBConnection[] = [];

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
    const job: Job = {
      id: `duckdb-${randomUUID()}`,
      executionId: options.executionId,
      query,
      state: 'QUEUED',
      files: [],
      cached: [],
      settled: Promise.resolve(),
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
          (this.cache && job.cached.length ? this.cache.bytesRead(job.cached, job.needs ?? 'all') : 0),
        elapsedMs,
        filesRead: job.files.length,
        ...(job.cached.length ? { cachedPartitions: job.cached.length } : {}),
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
    const select = types.map((type, i) => textExpression(`c${i}`, type)).join(', ');
    if (rowCount === 0) {
      yield { columns: [...columns], rows: [] };
      return;
    }
    for (let offset = 0; offset < rowCount; offset += pageSize) {
      const rows = await this.withConnection(job, async (connection) => {
        const reader = await connection.runAndReadAll(
          `SELECT ${select} FROM ${RESULT_TABLE} WHERE rowid >= ${offset} AND rowid < ${offset + pageSize} ORDER BY rowid`,
        );
        return reader.getRows() as (string | null)[][];
      });
      yield { columns: [...columns], rows };
    }
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
    // DuckDB stops the running statement at its next check and raises "INTERRUPT Error" (caught in run()).
    job.connection?.interrupt();
    await job.settled;
  }

  async estimate(query: BoundQuery): Promise<{ bytes: number; objects: number }> {
    const { files } = await discoverLogFiles(this.dataDir, {
      partitions: query.partitions,
      ...(query.scope ? { scope: query.scope } : {}),
      probe: false,
    });
    return { bytes: files.reduce((sum, f) => sum + f.bytes, 0), objects: files.length };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const jobs = [...this.jobs.values()];
    await Promise.all(jobs.map((job) => this.cancel(job.id).catch(() => undefined)));
    await Promise.all(jobs.map((job) => job.settled));
    await Promise.all(jobs.map((job) => this.forget(job)));
    for (const connection of this.idleConnections.splice(0)) connection.closeSync();
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
      });
    }
  }

  /** Never rejects: every outcome ends in a terminal state with a reason a person can act on. */
  private async run(job: Job): Promise<void> {
    job.state = 'RUNNING';
    job.startedAt = Date.now();
    try {
      await this.execute(job);
    } catch (err) {
      // finish() keeps a state that is already terminal (a cancel that raced the failure wins).
      if (err instanceof TrailError) this.finish(job, 'FAILED', err.userMessage);
      else this.finish(job, 'FAILED', `DuckDB could not run ${job.query.template}: ${firstLine(messageOf(err))}`);
    } finally {
      // Failed and cancelled queries keep nothing; a successful one keeps its connection (and result) for paging.
      if (!succeeded(job)) this.closeConnection(job);
    }
  }

  private async execute(job: Job): Promise<void> {
    const { query } = job;
    const instance = await this.instance();
    const cache = query.noCache ? undefined : this.cache;
    const discovery = await discoverLogFiles(this.dataDir, {
      partitions: query.partitions,
      ...(query.scope ? { scope: query.scope } : {}),
      // Files of days the cache holds are only stat'ed (their size and time decide whether the day is still valid).
      ...(cache ? { probe: (f: { day?: string }) => !cache.mayHold(f), trustDay: (d) => cache.trusts(d) } : {}),
    });
    for (const bad of discovery.unreadable) this.badFile(bad.path, bad.reason);
    let files = discovery.files;
    let cached: CachedPartition[] = [];
    if (cache) {
      const plan = cache.plan(files, discovery.trusted);
      const probed = await probeLogFiles(plan.raw);
      for (const bad of probed.unreadable) this.badFile(bad.path, bad.reason);
      files = probed.files;
      cached = plan.cached;
    }
    job.files = files;
    job.cached = cached;
    if (!isRunning(job)) return;

    const connection = await this.acquireConnection(instance);
    job.connection = connection;
    const needs = columnNeeds(query.sql);
    job.needs = needs;
    const sql = asSubquery(query.sql);
    const grown = new Set<LogFile>();
    let probed = false;
    let scanned = false;
    const maxAttempts = files.length * 2 + 3;

    for (let attempt = 1; ; attempt++) {
      if (!isRunning(job)) return;
      try {
        await connection.run(
          viewSql(branchesOf(files), {
            needs,
            ...(query.scope ? { scope: query.scope } : {}),
            parquet: cached.map((c) => c.parquet),
          }),
        );
        const described = await connection.prepare(sql);
        const columns = Array.from({ length: described.columnCount }, (_, i) => described.columnName(i));
        // The spooled table has exactly these columns and types (renamed c0, c1, …): no second prepare to learn them.
        const types = Array.from({ length: described.columnCount }, (_, i) => described.columnType(i));
        const statementType = described.statementType;
        const parameterCount = described.parameterCount;
        described.destroySync();
        if (statementType !== StatementType.SELECT) {
          throw new TrailError('NOT_A_QUERY', `Template ${query.template} is not a SELECT; only queries can run.`);
        }
        if (parameterCount !== query.params.length) {
          throw new TrailError(
            'PARAMETER_COUNT',
            `Template ${query.template} has ${parameterCount} ? markers but ${query.params.length} parameters were bound.`,
          );
        }
        const aliases = columns.map((_, i) => `c${i}`).join(', ');
        const spool = await connection.prepare(
          `CREATE OR REPLACE TEMP TABLE ${RESULT_TABLE} AS SELECT * FROM (\n${sql}\n) AS q(${aliases})`,
        );
        bindParams(spool, query.params);
        let rowCount: number;
        try {
          // CREATE TABLE … AS answers with the number of rows it wrote.
          rowCount = Number((await spool.runAndReadAll()).getRows()[0]![0]);
        } finally {
          spool.destroySync();
        }
        if (!isRunning(job)) return;
        job.columns = columns;
        job.types = types;
        job.rowCount = rowCount;
        job.files = files;
        this.finish(job, 'SUCCEEDED');
        return;
      } catch (err) {
        if (!isRunning(job) || /INTERRUPT/i.test(messageOf(err))) {
          this.finish(job, 'CANCELLED', 'Cancelled on request.');
          return;
        }
        if (err instanceof TrailError || attempt >= maxAttempts) throw err;
        const message = firstLine(messageOf(err));
        // A cached day that cannot be read (a truncated or damaged Parquet file): its raw files answer instead, and
        // the day is converted again later.
        const damaged = cached.find((c) => message.includes(c.parquet));
        if (damaged && this.cache) {
          const listed = discovery.files.filter((f) => partitionKeyOf(f) === damaged.key);
          const itsFiles = (await probeLogFiles(listed.length ? listed : this.cache.filesOf(damaged))).files;
          this.cache.invalidate(damaged, message, itsFiles);
          cached = cached.filter((c) => c !== damaged);
          job.cached = cached;
          files = [...files, ...itsFiles];
          job.files = files;
          continue;
        }
        const culprit = fileNamedIn(message, files);
        if (!culprit) {
          // Some read errors do not say which file (e.g. "Failed to decode gzip stream"): read each file alone.
          if (scanned || !FILE_ERROR.test(message)) throw err;
          scanned = true;
          const broken = await this.unreadableFiles(connection, files, job);
          if (broken.length === 0) throw err;
          for (const { file, detail } of broken) this.badFile(file.path, detail);
          files = files.filter((f) => !broken.some((b) => b.file === f));
          job.files = files;
          continue;
        }
        // A file larger than its gzip trailer claimed (multi-member gzip, > 4 GiB): retry once with the size DuckDB saw.
        const seen = /maximum_object_size.*\(>(\d+) bytes\)/.exec(message);
        if (seen && !grown.has(culprit)) {
          grown.add(culprit);
          culprit.objectBytes = Math.max(culprit.objectBytes, Number(seen[1]) * 2);
          continue;
        }
        // A `{"Records":…}` file that is not on one line after all (pretty-printed by hand): read it as a multi-line
        // document before judging it, and look at the other files' heads once, so a tree of them costs one retry.
        if (culprit.format === 'records' && /Malformed JSON/i.test(message)) {
          if (!probed) {
            probed = true;
            await probeFormats(files.filter((f) => f.format === 'records'));
          }
          if (culprit.format === 'records') culprit.format = 'records-multiline';
          continue;
        }
        this.badFile(culprit.path, message);
        files = files.filter((f) => f !== culprit);
        job.files = files;
      }
    }
  }

  /** Reads each file on its own to find the ones DuckDB cannot get through (only after an error that names none). */
  private async unreadableFiles(
    connection: DuckDBConnection,
    files: readonly LogFile[],
    job: Job,
  ): Promise<{ file: LogFile; detail: string }[]> {
    const broken: { file: LogFile; detail: string }[] = [];
    for (const file of files) {
      if (!isRunning(job)) break;
      try {
        await connection.run(fileCheckSql(file));
      } catch (err) {
        const detail = firstLine(messageOf(err));
        if (file.format === 'records' && /Malformed JSON/i.test(detail)) {
          file.format = 'records-multiline';
          try {
            await connection.run(fileCheckSql(file));
            continue;
          } catch {
            file.format = 'records';
          }
        }
        broken.push({ file, detail });
      }
    }
    return broken;
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
      connection?.closeSync();
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
   * A connection with the Trino shims installed. Installing them costs ~20 ms (about 20 macros), as much as a whole
   * answer from the columnar cache, so connections of finished queries are kept (up to maxConcurrent) and reused.
   */
  private async acquireConnection(instance: DuckDBInstance): Promise<DuckDBConnection> {
    const pooled = this.idleConnections.pop();
    if (pooled) return pooled;
    const connection = await instance.connect();
    await installTrinoShims(connection);
    return connection;
  }

  /** Drops what a finished query left on its connection (result, view) and keeps the connection for the next one. */
  private async recycleConnection(job: Job): Promise<void> {
    const connection = job.connection;
    if (!connection || this.closed || !succeeded(job) || this.idleConnections.length >= this.maxConcurrent) {
      this.closeConnection(job);
      return;
    }
    job.connection = undefined;
    try {
      await connection.run(`DROP TABLE IF EXISTS ${RESULT_TABLE}; DROP VIEW IF EXISTS cloudtrail_logs`);
      if (this.closed) connection.closeSync();
      else this.idleConnections.push(connection);
    } catch {
      connection.closeSync();
    }
  }
}

/** The file an error message names (the longest match, so `a.json` does not shadow `a.json.gz`). */
function fileNamedIn(message: string, files: readonly LogFile[]): LogFile | undefined {
  let best: LogFile | undefined;
  for (const file of files) {
    if (message.includes(file.path) && (!best || file.path.length > best.path.length)) best = file;
  }
  return best;
}
