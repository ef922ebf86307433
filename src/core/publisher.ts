import type { QueryStats } from './engine';
import type { ExecutionRecord } from './execution';

/** A row-level finding that deserves attention (ingress open to the world, root without MFA, …). */
export interface RiskFlag {
  /** Index of the row in the full result (0-based). */
  row: number;
  /** Short code, e.g. `world-open`, `root-no-mfa`, `login-no-mfa`, `login-external`, `login-offhours`. */
  code: string;
  /** One line for a person: "tcp/143 opened to 0.0.0.0/0 on sg-5887f224 by bobodell". */
  message: string;
}

/**
 * What the runner hands a publisher once a query succeeded. The full result is already spooled to a CSV file,
 * so a 100,000-row result never sits in memory.
 */
export interface ResultSummary {
  columns: string[];
  /** The first rows (at most `topRowsLimit`), for the table in the thread. */
  topRows: (string | null)[][];
  totalRows: number;
  /** Flags found over the whole result (capped; `flagsTotal` has the real count). */
  flags: RiskFlag[];
  flagsTotal: number;
  /** RFC 4180 CSV of the complete result, header row first. */
  csvPath: string;
  csvBytes: number;
  /** Rows per time bucket, for commands that declare a chart (ChartSpec). */
  series?: TimeSeries;
}

/**
 * Rows `from`… of an answer, read back from its stored result (issue 17: "Show next 20 rows" in the thread). NULL and
 * the empty string are stored alike in the CSV, so both come back as ''.
 */
export interface ResultRows {
  columns: string[];
  rows: (string | null)[][];
  /** 0-based position of `rows[0]` in the whole result. */
  from: number;
  totalRows: number;
}

/** Where a message that only the asker should see goes. */
export interface Recipient {
  channelId: string;
  userId: string;
  /** Slack response_url for ephemeral replies, when there is one. */
  responseUrl?: string;
  /** Slack thread the question was asked in: an ephemeral without a response_url is shown there. */
  threadTs?: string;
}

/**
 * A surface shows executions to people. Each method is safe to call again after a crash: the runner records
 * `parentRef`, `resultRef` and `fileRef` as soon as each step succeeds and passes the record back in.
 */
export interface Publisher {
  /** Posts the in-channel parent message ("<user> asked … · running"); returns its reference (Slack ts). */
  announce(execution: ExecutionRecord): Promise<string | undefined>;
  /**
   * Optional progress while the query runs (terminal progress line, Slack parent update), with what the engine
   * reports so far (DuckDB: the files of the window and their size; Athena: the bytes scanned).
   */
  progress?(execution: ExecutionRecord, elapsedMs: number, stats?: Partial<QueryStats>): Promise<void>;
  /** Posts the result reply into the thread; returns its reference. Skipped by the runner if `resultRef` is set. */
  postResult(execution: ExecutionRecord, result: ResultSummary): Promise<string | undefined>;
  /** Uploads the CSV into the thread; returns the file reference. Skipped if `fileRef` is set. */
  uploadCsv(execution: ExecutionRecord, result: ResultSummary): Promise<string | undefined>;
  /** Posts why a query failed or was cancelled into the thread. */
  postFailure(execution: ExecutionRecord): Promise<string | undefined>;
  /** Updates the parent message with the final state, rows, bytes scanned, cost and duration. */
  updateParent(execution: ExecutionRecord): Promise<void>;
  /** Posts more rows of an answer into its thread (the "Show next 20 rows" button); returns the reply's reference. */
  postRows?(execution: ExecutionRecord, rows: ResultRows): Promise<string | undefined>;
  /** A message only the asker sees (usage errors, dedupe pointers, limits, denials). */
  notify(to: Recipient, text: string): Promise<void>;
  /**
   * Asks the asker to confirm an expensive question (a Confirm button on Slack). Without it, the runner notifies with
   * the text and the `/trail confirm <token>` command instead.
   */
  askConfirmation?(to: Recipient, text: string, token: string): Promise<void>;
}

/**
 * A command's timeline (issue 17), declared in the catalog: which column holds each row's time, the finest bucket,
 * and what one row is called. src/charts builds the series from the rows as they stream and draws it.
 */
export interface ChartSpec {
  /** Column with the row's ISO 8601 time (`eventtime` in every per-event template). */
  timeColumn: string;
  /** Finest bucket; a window too long for it is drawn in the next coarser one (minute → hour → day). */
  bucket: TimeBucket;
  /** What one row is, plural, for the chart's axis: `sign-ins`, `events`. */
  rows: string;
  /** Mark rows at off-hours (TRAIL_OFFHOURS in TRAIL_TIME_ZONE), e.g. for sign-ins. */
  markOffHours?: boolean;
  /**
   * A series template (`error_series` for `sql/error_series.sql`) for an answer whose rows are groups, not events
   * (`errors`, `root`): the same filters as the answer's template, one row per UTC bucket (`bucket`, an ISO 8601
   * prefix of eventtime; `events`, a count). The parser binds it next to the answer (BoundQuery.series) and the runner
   * runs it after the answer succeeds; the chart is drawn from its counts instead of the rows. Hour and day only.
   */
  template?: string;
  /** With `template` and `bucket: 'hour'`: a window longer than this many days is counted per day. Default 7. */
  hourlyUpToDays?: number;
}

export type TimeBucket = 'minute' | 'hour' | 'day';

/** Rows counted per UTC time bucket over a question's window: what a chart and a sparkline draw. Serialisable. */
export interface TimeSeries {
  bucket: TimeBucket;
  rows: string;
  /** Start of the first bucket (ISO 8601, UTC); bucket `i` starts `i` buckets later. */
  start: string;
  counts: number[];
  /** Per bucket, how many of its rows are marked (off-hours); absent when the chart marks nothing. */
  marked?: number[];
  /** Rows without a readable time or outside the window: counted here, not drawn. */
  skipped: number;
  /**
   * The answer reached its command's row cap (newest first): rows older than this time (the oldest one returned) may
   * exist and are not drawn, so an empty start of the chart does not mean a quiet one.
   */
  cappedBefore?: string;
}

/** Sees each result row once while it streams (bounded memory) and then gives the series to publish. */
export interface SeriesBuilder {
  /** `weight`: how many events the row stands for (a series template's `events`); 1 for a row that is one event. */
  add(row: (column: string) => string | null, weight?: number): void;
  finish(): TimeSeries;
}
