import type { TimeWindowJson } from './window';

/**
 * One positional `?` parameter. Values are typed so each engine can bind them natively (DuckDB) or render them as
 * SQL literals (Athena ExecutionParameters, see `sqlLiteral` in src/query/literal.ts).
 */
export type SqlParam =
  | { type: 'varchar'; value: string }
  | { type: 'bigint'; value: number }
  | { type: 'boolean'; value: boolean };

/**
 * How a command's answer reads best (issue 17, item 5), declared per command in the catalog: the columns an
 * investigator needs first (who, what, when, where) in the order a table shows them, and which hold numbers. Columns
 * not named follow in the result's order; the CSV keeps every column.
 */
export interface ColumnLayout {
  order: readonly string[];
  /** Counts and other numbers: right-aligned. */
  numeric?: readonly string[];
}

/** A template bound to validated parameters and a window: what an engine runs. Serialisable as JSON. */
export interface BoundQuery {
  /** Template name = file name under sql/ without `.sql`, e.g. `security_group_changes`. */
  template: string;
  /** Final SQL text with `?` placeholders only; never contains user-typed text. */
  sql: string;
  params: SqlParam[];
  /**
   * Day partitions (`yyyy/MM/dd`) to read: the window's days plus those up to `end` + the delivery lag (files are
   * foldered by delivery time). The engine reads only these; `window.partitions` keeps the window's own days.
   */
  partitions: string[];
  window: TimeWindowJson;
  /**
   * The template's variant over the embedded engine's per-hour counts (sql/rollups/<template>.sql), bound with the
   * same values: the same answer, which that engine may run instead when its cache keeps the counts of every day it
   * reads (src/engines/duckdb/actions.ts). Athena runs `sql`.
   */
  rollup?: { sql: string; params: SqlParam[] };
  /** `--no-cache`: read the raw log files even where the columnar cache holds the day (embedded engine). */
  noCache?: boolean;
  /** Optional narrowing to accounts / regions (also narrows which prefixes are read). */
  scope?: { accounts?: string[]; regions?: string[] };
  /** The command's column layout, carried with the question so every surface shows its answer the same way. */
  columns?: ColumnLayout;
  /**
   * The answer's chart series query (ChartSpec.template), bound with the same window and scope: run after the answer
   * succeeds, its rows (`bucket`, `events`) are the chart. Absent for commands whose chart counts the answer's rows.
   */
  series?: SeriesQuery;
}

/** A bound series template and the bucket its `bucket` column is cut to. */
export interface SeriesQuery extends BoundQuery {
  bucket: 'hour' | 'day';
}
