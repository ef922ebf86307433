import type { BoundQuery } from './query';

export type QueryState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface QueryStats {
  /** Bytes the engine read (Athena DataScannedInBytes; DuckDB: size of the files read). */
  bytesScanned: number;
  elapsedMs: number;
  /** Files read (DuckDB only). */
  filesRead?: number;
  /** Athena result reuse hit. */
  reusedResult?: boolean;
  /** Day partitions read from the columnar cache instead of raw files (DuckDB only). */
  cachedPartitions?: number;
  /** Of those, the days whose calls were summed from their per-hour counts (DuckDB only; BoundQuery.rollup). */
  countedPartitions?: number;
}

export interface QueryStatus {
  state: QueryState;
  /** For FAILED / CANCELLED: a message that says what to do, not a stack trace. */
  reason?: string;
  /** FAILED, but the engine says the same query may succeed if run again (Athena's `AthenaError.Retryable`). */
  retryable?: boolean;
  stats: QueryStats;
}

/** One page of results. Every cell is text or NULL (as Athena returns VarCharValue). */
export interface ResultPage {
  columns: string[];
  rows: (string | null)[][];
}

export interface StartOptions {
  /** trailbot's execution id: Athena derives ClientRequestToken from it so a retried start is idempotent. */
  executionId: string;
}

/**
 * The contract both engines implement (ARCHITECTURE.md). Engines know nothing about Slack or the store.
 */
export interface QueryEngine {
  readonly kind: 'athena' | 'duckdb';
  start(query: BoundQuery, options: StartOptions): Promise<string>;
  /** Throws UnknownQueryError when the engine no longer knows the id (e.g. DuckDB after a restart). */
  status(engineId: string): Promise<QueryStatus>;
  /** Pages of rows, column names on every page. Only valid once status is SUCCEEDED. */
  results(engineId: string, options?: { pageSize?: number }): AsyncIterable<ResultPage>;
  cancel(engineId: string): Promise<void>;
  /** The caller has everything it needs (the result is spooled): free what the engine keeps for this query. */
  release?(engineId: string): Promise<void>;
  /**
   * Resolves once the query has reached a terminal state (at once for an id the engine does not know); never rejects.
   * A caller that polls `status` races its pause with it, so an answer is seen when it is ready, not at the next
   * poll: an engine that runs in-process knows the moment. Engines that cannot tell (Athena) leave it out.
   */
  ended?(engineId: string): Promise<void>;
  /**
   * Bytes the query's partitions hold, before running it (cost pre-flight). `partial` when not every folder could be
   * sized (the figures are then extrapolated); a rejection means no estimate at all (the runner fails open).
   */
  estimate?(
    query: BoundQuery,
  ): Promise<{ bytes: number; objects: number; partial?: { listed: number; total: number; reason: string } }>;
  close?(): Promise<void>;
  /** The columnar cache of closed days, where the engine keeps one (DuckDB). */
  cache?: {
    status(): {
      partitions: number;
      days: number;
      bytes: number;
      sourceBytes: number;
      hits: number;
      misses: number;
      pending: number;
    };
  };
}

export class UnknownQueryError extends Error {
  readonly code = 'UNKNOWN_QUERY';
  constructor(readonly engineId: string) {
    super(`query ${engineId} is not known to this engine (it may have been lost in a restart)`);
  }
}
