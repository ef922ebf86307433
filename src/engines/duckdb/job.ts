import type { QueryState } from '../../core/engine';
import { TrailError } from '../../core/errors';
import type { BoundQuery, SqlParam } from '../../core/query';
import type { CachedPartition } from './cache-manifest';
import type { LogFile } from './files';
import {
  BIGINT,
  BOOLEAN,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
  type DuckDBType,
  DuckDBTypeId,
  VARCHAR,
} from './native';
import type { ColumnNeeds } from './needs';
import type { Pruning } from './pruning';

/** One question on the DuckDB engine, from QUEUED to a terminal state and, once SUCCEEDED, its spooled result. */
export interface Job {
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
  /** Those of `cached` the answer read: the others could not change it (pruning.ts, newest.ts). */
  cachedRead?: CachedPartition[];
  /** The days whose per-hour counts (actions.ts) a question summed, and the bytes of those counts. */
  counted?: { days: number; bytes: number };
  needs?: ColumnNeeds;
  /** What the question's SQL accepts per sort column of the cached days, from DuckDB's parse (bytes read; pruning.ts). */
  pruning?: Pruning;
  connection?: DuckDBConnection;
  /**
   * How many file-list variables (file-lists.ts) the question set on its connection. They are reset, with the cached
   * reads' variables, when the connection goes back to the pool, after the answer is read, so the answer does not
   * wait for it.
   */
  fileLists?: number;
  columns?: string[];
  types?: DuckDBType[];
  rowCount?: number;
  /** The answer's rows when its statement answered with them (answer.ts); else they are in RESULT_TABLE. */
  rows?: (string | null)[][];
  settled: Promise<void>;
  /** Resolved by the engine when the job reaches a terminal state (`QueryEngine.ended`). */
  ended: Promise<void>;
  markEnded: () => void;
  /** Serialises statements on the job's connection (paging, eviction). */
  lock: Promise<unknown>;
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

export const RESULT_TABLE = 'trailbot_result';
/** Templates are few; a bound keeps test suites and odd callers from growing the engine's memos without end. */
export const MEMO_ENTRIES = 500;
/** DuckDB errors that come from reading a file rather than from the query. */
export const FILE_ERROR = /gzip|zstd|decompress|Malformed JSON|JSON transform|maximum_object_size|IO Error/i;

/** A function, not an inline comparison: cancel() changes the state while execute() awaits. */
export const isRunning = (job: Job): boolean => job.state === 'RUNNING';
export const succeeded = (job: Job): boolean => job.state === 'SUCCEEDED';
export const TERMINAL: ReadonlySet<QueryState> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Whether an error is DuckDB stopping a statement on `interrupt()` (a cancel). */
export const isInterrupt = (err: unknown): boolean => /INTERRUPT/i.test(messageOf(err));

/** DuckDB messages end with a `LINE n:` excerpt of the SQL: keep the first line only. */
export const firstLine = (message: string): string => message.split('\n')[0]!.trim();

/** Makes one SQL text safe to wrap in a subquery: no trailing `;` (a trailing `--` comment is closed by a newline). */
export const asSubquery = (sql: string): string => sql.trim().replace(/;+\s*$/, '');

export function bindParams(prepared: DuckDBPreparedStatement, params: readonly SqlParam[]): void {
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

/** The file an error message names (the longest match, so `a.json` does not shadow `a.json.gz`). */
export function fileNamedIn(message: string, files: readonly LogFile[]): LogFile | undefined {
  let best: LogFile | undefined;
  for (const file of files) {
    if (message.includes(file.path) && (!best || file.path.length > best.path.length)) best = file;
  }
  return best;
}
