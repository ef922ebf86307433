import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { SqlParam } from '../../../src/core/query';
import { answerStatement, parseRows, rowsJson, WHOLE_ANSWER_ROWS } from '../../../src/engines/duckdb/answer';
import { RESULT_TABLE } from '../../../src/engines/duckdb/job';

// A question's answer taken with its statement (answer.ts) must be the very rows, in the very order, that the spooled
// answer gives when it is read back from RESULT_TABLE (engine.ts, pages).

let instance: DuckDBInstance;
let connection: DuckDBConnection;

beforeAll(async () => {
  // Two threads, as the bot runs: the order of the rows must not depend on which thread produced them.
  instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  connection = await instance.connect();
  await connection.run(`SET TimeZone = 'UTC'`);
});
afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

/** The statement's column types, as the engine learns them before it runs it (execute.ts, describe). */
async function typesOf(sql: string) {
  const prepared = await connection.prepare(sql);
  try {
    return Array.from({ length: prepared.columnCount }, (_, i) => prepared.columnType(i));
  } finally {
    prepared.destroySync();
  }
}

/** Runs the statement as a question does and gives its rows, from the answer or read back from the table. */
async function answer(sql: string, params: SqlParam[] = [], inline = true) {
  const types = await typesOf(sql);
  const got = await answerStatement(connection, { sql, params }, types, { inline });
  const spooled = got.rows === undefined;
  const rows =
    got.rows ??
    parseRows(
      (await connection.runAndReadAll(`SELECT ${rowsJson(types, 'rowid')} FROM ${RESULT_TABLE}`)).getRows()[0]?.[0],
    );
  await connection.run(`DROP TABLE IF EXISTS ${RESULT_TABLE}`);
  return { rowCount: got.rowCount, rows, spooled };
}

// Attacker-written text of every awkward kind: quotes, backslashes, control characters, a NUL-free C0 run, JSON and
// Slack markup, non-BMP characters, an empty string and a NULL.
const HOSTILE = `SELECT * FROM (VALUES
  (1, 'plain', TIMESTAMPTZ '2026-11-20 11:59:16+00', 1.5, true, {'a': 1, 'b': 'x"y'}),
  (2, '"quoted" \\ back\\slash', TIMESTAMPTZ '2026-11-20 00:00:00.123+00', -2, false, NULL),
  (3, chr(1) || chr(9) || chr(10) || chr(13) || chr(27) || '[31m' || chr(31), NULL, NULL, NULL, {'a': 3, 'b': NULL}),
  (4, '{"Records":[1]} <!channel> *bold* \`code\`', TIMESTAMPTZ '2026-01-01 00:00:00+00', 0, true, NULL),
  (5, '𝕏 emoji 🔥 and U+2028 ' || chr(8232), NULL, 1e300, NULL, NULL),
  (6, '', NULL, NULL, NULL, NULL),
  (7, NULL, NULL, NULL, NULL, NULL)
) AS t(n, text, ts, num, flag, obj)
ORDER BY n DESC`;

describe('answerStatement', () => {
  test('a repeat statement answers with its rows, the same rows in the same order as the spooled answer', async () => {
    const first = await answer(HOSTILE);
    const second = await answer(HOSTILE);
    expect(first.spooled).toBe(true);
    expect(second.spooled).toBe(false);
    expect(second.rowCount).toBe(7);
    expect(second.rows).toEqual(first.rows);
    expect(second.rows.map((r) => r[0])).toEqual(['7', '6', '5', '4', '3', '2', '1']);
    // The text comes back exactly: control characters included.
    expect(second.rows[4]![1]).toBe('\u0001\t\n\r\u001b[31m\u001f');
    expect(second.rows[2]![1]).toBe('𝕏 emoji 🔥 and U+2028 \u2028');
    expect(second.rows[5]![2]).toBe('2026-11-20T00:00:00.123Z');
    expect(second.rows[0]![1]).toBeNull();
  });

  test('thousands of rows keep the order the query gives them', async () => {
    // Sorted on a key that is not the order the rows are generated in, and larger than one vector per thread.
    const sql = `SELECT CAST(i AS VARCHAR) AS id, CAST((i * 7919) % 5003 AS INTEGER) AS key
FROM range(0, 20000) AS r(i) WHERE i < CAST(? AS BIGINT) ORDER BY key DESC, id`;
    const params: SqlParam[] = [{ type: 'bigint', value: 5000 }];
    const spooled = await answer(sql, params);
    const taken = await answer(sql, params);
    expect([spooled.spooled, taken.spooled]).toEqual([true, false]);
    expect(taken.rows).toHaveLength(5000);
    expect(taken.rows).toEqual(spooled.rows);
    const keys = taken.rows.map((r) => Number(r[1]));
    expect(keys).toEqual([...keys].sort((a, b) => b - a));
  });

  test('an answer that has grown past WHOLE_ANSWER_ROWS is spooled again, and the next one too', async () => {
    const sql = `SELECT i FROM range(0, 20000) AS r(i) WHERE i < CAST(? AS BIGINT) ORDER BY i`;
    const n = (count: number): SqlParam[] => [{ type: 'bigint', value: count }];
    expect((await answer(sql, n(3))).spooled).toBe(true);
    expect(await answer(sql, n(4))).toEqual({ rowCount: 4, rows: [['0'], ['1'], ['2'], ['3']], spooled: false });
    const big = await answer(sql, n(WHOLE_ANSWER_ROWS + 1));
    expect(big.spooled).toBe(true);
    expect(big.rowCount).toBe(WHOLE_ANSWER_ROWS + 1);
    expect(big.rows[WHOLE_ANSWER_ROWS]).toEqual([String(WHOLE_ANSWER_ROWS)]);
    // Its last run was large: the next one is spooled, which shows it small again, and the one after is taken.
    expect((await answer(sql, n(2))).spooled).toBe(true);
    expect(await answer(sql, n(2))).toEqual({ rowCount: 2, rows: [['0'], ['1']], spooled: false });
  });

  test('an answer of exactly WHOLE_ANSWER_ROWS rows is taken whole', async () => {
    const sql = `SELECT i FROM range(0, 20000) AS r(i) WHERE i < CAST(? AS BIGINT) ORDER BY i DESC`;
    const params: SqlParam[] = [{ type: 'bigint', value: WHOLE_ANSWER_ROWS }];
    await answer(sql, params);
    const taken = await answer(sql, params);
    expect(taken.spooled).toBe(false);
    expect(taken.rowCount).toBe(WHOLE_ANSWER_ROWS);
    expect(taken.rows[0]).toEqual([String(WHOLE_ANSWER_ROWS - 1)]);
  });

  test('an empty answer is taken as no rows', async () => {
    const sql = `SELECT i FROM range(0, 20000) AS r(i) WHERE i < CAST(? AS BIGINT) AND i > 10`;
    await answer(sql, [{ type: 'bigint', value: 20 }]);
    expect(await answer(sql, [{ type: 'bigint', value: 5 }])).toEqual({ rowCount: 0, rows: [], spooled: false });
  });

  test('without inline (a newest-first question reads its last row from the table) it is always spooled', async () => {
    const sql = `SELECT i + 42 AS answer FROM range(0, 3) AS r(i) WHERE i = 0 AND CAST(? AS BIGINT) = 1`;
    const one: SqlParam[] = [{ type: 'bigint', value: 1 }];
    await answer(sql, one);
    expect(await answer(sql, one, false)).toEqual({ rowCount: 1, rows: [['42']], spooled: true });
  });
});
