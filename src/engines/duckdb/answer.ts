import type { SqlParam } from '../../core/query';
import { setBounded } from '../../util/bounded-map';
import { MEMO_ENTRIES, RESULT_TABLE, textExpression } from './job';
import { runKept } from './kept';
import type { DuckDBConnection, DuckDBType } from './native';

/**
 * The most rows an answer may have to be read in one statement (as one JSON text) rather than page by page, and to
 * be taken in the same statement as its query (below).
 */
export const WHOLE_ANSWER_ROWS = 10_000;

/** A row as text: a JSON array of its cells, each text or null, from a relation whose columns are c0, c1, … */
function rowJson(types: readonly DuckDBType[]): string {
  return `CAST(json_array(${types.map((type, i) => textExpression(`c${i}`, type)).join(', ')}) AS VARCHAR)`;
}

/** The rows aggregated as one JSON text, an array of rowJson arrays in `order`; NULL when there are none. */
export function rowsJson(types: readonly DuckDBType[], order: string): string {
  return `'[' || string_agg(${rowJson(types)}, ',' ORDER BY ${order}) || ']'`;
}

/** A JSON text of rows (rowsJson) as arrays of text or null. */
export function parseRows(text: unknown): (string | null)[][] {
  return typeof text === 'string' ? (JSON.parse(text) as (string | null)[][]) : [];
}

/** What a question's statement answered: how many rows, and the rows themselves when they came back with it. */
export interface Answer {
  rowCount: number;
  /** Absent when the rows are in the connection's RESULT_TABLE (read page by page, engine.ts). */
  rows?: (string | null)[][];
}

/**
 * Whether the last answer of each statement text had at most WHOLE_ANSWER_ROWS rows. A template's text is the same
 * whatever its parameters, so a repeat question, the one the columnar cache is for, is known to be small.
 */
const smallAnswer = new Map<string, boolean>();

/**
 * Runs a question's statement and keeps its answer.
 *
 * An answer the statement's last run showed to be small is taken in the statement itself, as one JSON text of its
 * rows in order (row_number() OVER () numbers them in the order the query gives them: DuckDB's documented order
 * preservation) with their count. That saves writing the rows to a table and a second statement reading them back:
 * on the `user` drill-down (4,576 rows) and `logins external` (8 rows) over the cached days, 2.2 ms of 20–34 ms a
 * question (medians of 31, plain DuckDB). At most WHOLE_ANSWER_ROWS + 1 rows are taken: an answer that has grown
 * past that is spooled by a second run, as every other answer is: to RESULT_TABLE, read page by page, so the JSON
 * text of a 100,000-row answer is never held at once.
 */
export async function answerStatement(
  connection: DuckDBConnection,
  statement: { sql: string; params: readonly SqlParam[] },
  types: readonly DuckDBType[],
  options: { inline: boolean },
): Promise<Answer> {
  const aliases = types.map((_, i) => `c${i}`).join(', ');
  const relation = `(\n${statement.sql}\n) AS q(${aliases})`;
  if (options.inline && smallAnswer.get(statement.sql)) {
    const numbered = `SELECT row_number() OVER () AS trailbot_row, * FROM ${relation} LIMIT ${WHOLE_ANSWER_ROWS + 1}`;
    const sql = `SELECT count(*), ${rowsJson(types, 'trailbot_row')} FROM (${numbered})`;
    const [count, text] = (await runKept(connection, 'inline', sql, statement.params)).getRows()[0] ?? [];
    const rowCount = Number(count ?? 0);
    if (rowCount <= WHOLE_ANSWER_ROWS) return { rowCount, rows: parseRows(text) };
  }
  const spooled = await runKept(
    connection,
    'spool',
    `CREATE OR REPLACE TEMP TABLE ${RESULT_TABLE} AS SELECT * FROM ${relation}`,
    statement.params,
  );
  // CREATE TABLE … AS answers with the number of rows it wrote.
  const rowCount = Number(spooled.getRows()[0]![0]);
  setBounded(smallAnswer, statement.sql, rowCount <= WHOLE_ANSWER_ROWS, MEMO_ENTRIES);
  return { rowCount };
}
