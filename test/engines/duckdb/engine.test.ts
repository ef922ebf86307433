import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { BIGINT, BOOLEAN, type DuckDBConnection, DuckDBInstance, DuckDBScalarFunction } from '@duckdb/node-api';
import { UnknownQueryError } from '../../../src/core/engine';
import { DuckDbEngine } from '../../../src/engines/duckdb/engine';
import { CorruptLogFileError } from '../../../src/engines/duckdb/job';
import { fileListVariable } from '../../../src/engines/duckdb/view';
import {
  allPages,
  days,
  event,
  LogTree,
  plainQuery,
  records,
  run,
  settle,
  WINDOW_PREDICATE,
  windowQuery,
} from './fixtures';

const FIXTURES = path.resolve(__dirname, '../../fixtures/cloudtrail');

/** The connection holding a finished question's answer, and the engine's pool (private members, read in tests). */
const heldConnection = (engine: DuckDbEngine, id: string): DuckDBConnection =>
  (engine as unknown as { jobs: Map<string, { connection: DuckDBConnection }> }).jobs.get(id)!.connection;
const pooledConnections = (engine: DuckDbEngine): DuckDBConnection[] =>
  (engine as unknown as { pool: { idle: DuckDBConnection[] } }).pool.idle;
/** The file-list variables set on a connection (the network values are kept on purpose: trino.ts). */
const variablesOf = async (connection: DuckDBConnection): Promise<string[]> =>
  (await connection.runAndReadAll(`SELECT name FROM duckdb_variables() ORDER BY name`))
    .getRows()
    .map((r) => String(r[0]))
    .filter((name) => name.startsWith(fileListVariable(0).slice(0, -1)));

/** The question the lead's templates ask, in the same Trino style (sql/README.md). */
const SG_CHANGES = `SELECT eventname, useridentity.username, sourceipaddress, eventtime, requestparameters
FROM cloudtrail_logs
WHERE ${WINDOW_PREDICATE} AND strpos(requestparameters, ?) > 0
ORDER BY eventtime`;

const EVENTS_IN_WINDOW = `SELECT eventid, eventname, eventtime, "timestamp", region, account
FROM cloudtrail_logs WHERE ${WINDOW_PREDICATE} ORDER BY eventtime, eventid`;

describe('DuckDbEngine over an S3-layout month', () => {
  let tree: LogTree;
  const month = days('2024/05/01', 30);
  const logs: string[] = [];
  let engine: DuckDbEngine;

  beforeAll(() => {
    tree = new LogTree();
    // 30 day folders, two deliveries a day; each file holds one security-group change and one read.
    for (const day of month) {
      const date = day.replaceAll('/', '-');
      for (const hour of ['03', '15']) {
        logs.push(
          tree.s3({
            day,
            events: [
              event({
                eventTime: `${date}T${hour}:10:00Z`,
                eventName: 'AuthorizeSecurityGroupIngress',
                requestParameters: { groupId: 'sg-0abc', ipPermissions: { items: [{ fromPort: 22, toPort: 22 }] } },
                readOnly: false,
              }),
              event({ eventTime: `${date}T${hour}:20:00Z` }),
            ],
          }),
        );
      }
    }
    engine = new DuckDbEngine({ dataDir: tree.root, logger: () => undefined });
  });

  afterAll(async () => {
    await engine.close();
    tree.remove();
  });

  test('a 12 h window reads only the one or two day folders it touches', async () => {
    const query = windowQuery(SG_CHANGES, '2024-05-14T18:00:00Z', '2024-05-15T06:00:00Z', [
      { type: 'varchar', value: 'sg-' },
    ]);
    expect(query.partitions).toEqual(['2024/05/14', '2024/05/15']);
    const result = await run(engine, query);

    const expectedFiles = logs.filter((f) => /\/2024\/05\/1[45]\//.test(f));
    expect(expectedFiles).toHaveLength(4);
    expect(result.status.stats.filesRead).toBe(4);
    expect(result.status.stats.bytesScanned).toBe(expectedFiles.reduce((sum, f) => sum + fs.statSync(f).size, 0));
    expect(await engine.estimate(query)).toEqual({ bytes: result.status.stats.bytesScanned, objects: 4 });

    expect(result.columns).toEqual(['eventname', 'username', 'sourceipaddress', 'eventtime', 'requestparameters']);
    expect(result.rows).toEqual([
      [
        'AuthorizeSecurityGroupIngress',
        'alice',
        '203.0.113.10',
        '2024-05-15T03:10:00Z',
        '{"groupId":"sg-0abc","ipPermissions":{"items":[{"fromPort":22,"toPort":22}]}}',
      ],
    ]);
  });

  test('a repeat question on a pooled connection reads the files of its day now, not those of the last time', async () => {
    // The view stays on the connection between questions and is not created again when its text is the same
    // (execute.ts, createView): the file lists it reads are variables set for each question.
    const fresh = new DuckDbEngine({ dataDir: tree.root, logger: () => undefined, maxConcurrent: 1 });
    const query = windowQuery(EVENTS_IN_WINDOW, '2024-05-20T00:00:00Z', '2024-05-21T00:00:00Z');
    const ask = async () => {
      const id = await fresh.start(query, { executionId: `repeat-${Date.now()}-${Math.random()}` });
      expect((await settle(fresh, id)).state).toBe('SUCCEEDED');
      const rows = (await allPages(fresh, id)).flatMap((p) => p.rows);
      // The file lists stay set while the answer is held, and are reset before the connection is pooled again.
      expect(await variablesOf(heldConnection(fresh, id))).toEqual([fileListVariable(0)]);
      await fresh.release(id);
      expect(await variablesOf(pooledConnections(fresh)[0]!)).toEqual([]);
      return rows.length;
    };
    try {
      expect(await ask()).toBe(4);
      const late = tree.s3({ day: '2024/05/20', events: [event({ eventTime: '2024-05-20T22:00:00Z' })] });
      expect(await ask()).toBe(5);
      fs.rmSync(late);
      expect(await ask()).toBe(4);
    } finally {
      await fresh.close();
    }
  });

  test('partition columns come from the folders', async () => {
    const result = await run(engine, windowQuery(EVENTS_IN_WINDOW, '2024-05-30T15:00:00Z', '2024-05-31T00:00:00Z'));
    expect(records(result).map((r) => [r.timestamp, r.region, r.account])).toEqual([
      ['2024/05/30', 'us-east-1', '111122223333'],
      ['2024/05/30', 'us-east-1', '111122223333'],
    ]);
  });

  test('a window with no logs succeeds with zero rows and the column names', async () => {
    const query = windowQuery(SG_CHANGES, '2025-01-01T00:00:00Z', '2025-01-01T12:00:00Z', [
      { type: 'varchar', value: 'sg-' },
    ]);
    const id = await engine.start(query, { executionId: 'empty' });
    const status = await settle(engine, id);
    expect(status).toMatchObject({ state: 'SUCCEEDED', stats: { bytesScanned: 0, filesRead: 0 } });
    expect(await allPages(engine, id)).toEqual([
      { columns: ['eventname', 'username', 'sourceipaddress', 'eventtime', 'requestparameters'], rows: [] },
    ]);
  });

  test('the pool gives a question the connection that ran it last, so a repeat after another question finds its view', async () => {
    const fresh = new DuckDbEngine({ dataDir: tree.root, logger: () => undefined, maxConcurrent: 2 });
    const count = `SELECT count(*) AS n FROM cloudtrail_logs WHERE ${WINDOW_PREDICATE}`;
    const names = `SELECT DISTINCT eventname FROM cloudtrail_logs WHERE ${WINDOW_PREDICATE} ORDER BY eventname`;
    const other = `SELECT max(eventtime) AS t FROM cloudtrail_logs WHERE ${WINDOW_PREDICATE}`;
    const window = ['2024-05-01T00:00:00Z', '2024-05-03T00:00:00Z'] as const;
    const ask = async (sql: string): Promise<{ connection: DuckDBConnection; rows: (string | null)[][] }> => {
      const id = await fresh.start(windowQuery(sql, ...window), { executionId: `affinity-${Math.random()}` });
      expect((await settle(fresh, id)).state).toBe('SUCCEEDED');
      const connection = heldConnection(fresh, id);
      const rows = (await allPages(fresh, id)).flatMap((p) => p.rows);
      await fresh.release(id);
      return { connection, rows };
    };
    try {
      const first = await ask(count);
      const second = await ask(names);
      // The pool had room: the second question got a connection of its own and the first one's stayed.
      expect(second.connection).not.toBe(first.connection);
      const again = await ask(count);
      expect(again.connection).toBe(first.connection);
      expect(again.rows).toEqual(first.rows);
      // Not merely the one pooled longest ago: the same question again gets the same connection again.
      expect((await ask(count)).connection).toBe(first.connection);
      expect((await ask(names)).connection).toBe(second.connection);
      // A third question takes the connection pooled longest ago (the first's); the pool never holds more than two.
      const third = await ask(other);
      expect(third.connection).toBe(first.connection);
      expect(third.rows).toEqual([['2024-05-02T15:20:00Z']]);
      expect(pooledConnections(fresh)).toHaveLength(2);
      expect((await ask(names)).rows).toEqual([['AuthorizeSecurityGroupIngress'], ['DescribeInstances']]);
    } finally {
      await fresh.close();
    }
  });

  test('parameters bind with their types; user text never becomes SQL', async () => {
    const sql = `SELECT count(*) AS n FROM cloudtrail_logs
      WHERE ${WINDOW_PREDICATE} AND eventname = ? AND (readonly = 'true') = ? AND length(eventname) > ?`;
    const window = ['2024-05-01T00:00:00Z', '2024-05-03T00:00:00Z'] as const;
    const count = async (name: string, readOnly: boolean, minLength: number): Promise<string | null> =>
      (
        await run(
          engine,
          windowQuery(sql, ...window, [
            { type: 'varchar', value: name },
            { type: 'boolean', value: readOnly },
            { type: 'bigint', value: minLength },
          ]),
        )
      ).rows[0]![0]!;
    expect(await count('DescribeInstances', true, 3)).toBe('4');
    expect(await count('DescribeInstances', false, 3)).toBe('0');
    expect(await count('DescribeInstances', true, 100)).toBe('0');
    expect(await count("x' OR '1'='1", true, 0)).toBe('0');
  });

  test("a pooled connection runs the statement it kept with each question's own values and days", async () => {
    // One connection (maxConcurrent 1): a repeat of the same SQL reuses the spool statement it prepared
    // (kept.ts), which DuckDB plans again with the values and file lists bound for each question.
    const fresh = new DuckDbEngine({ dataDir: tree.root, logger: () => undefined, maxConcurrent: 1 });
    const sql = `SELECT count(*) AS n FROM cloudtrail_logs WHERE ${WINDOW_PREDICATE} AND eventname = ?`;
    const other = `SELECT count(*) + 1000 AS n FROM cloudtrail_logs WHERE ${WINDOW_PREDICATE} AND eventname <> ?`;
    const count = async (name: string, from: string, to: string, text = sql): Promise<string | null> => {
      const id = await fresh.start(windowQuery(text, from, to, [{ type: 'varchar', value: name }]), {
        executionId: `kept-${Date.now()}-${Math.random()}`,
      });
      expect((await settle(fresh, id)).state).toBe('SUCCEEDED');
      const rows = (await allPages(fresh, id)).flatMap((p) => p.rows);
      await fresh.release(id);
      return rows[0]![0]!;
    };
    const twoDays = ['2024-05-01T00:00:00Z', '2024-05-03T00:00:00Z'] as const;
    const fourDays = ['2024-05-10T00:00:00Z', '2024-05-14T00:00:00Z'] as const;
    try {
      expect(await count('DescribeInstances', ...twoDays)).toBe('4');
      expect(await count('AuthorizeSecurityGroupIngress', ...twoDays)).toBe('4');
      expect(await count('RunInstances', ...twoDays)).toBe('0');
      expect(await count('DescribeInstances', ...fourDays)).toBe('8');
      expect(await count('AuthorizeSecurityGroupIngress', ...fourDays)).toBe('8');
      expect(await count('DescribeInstances', ...twoDays)).toBe('4');
      expect(await count('DescribeInstances', ...twoDays, other)).toBe('1004');
      expect(await count('DescribeInstances', ...twoDays)).toBe('4');
      expect(pooledConnections(fresh)).toHaveLength(1);
    } finally {
      await fresh.close();
    }
  });

  test('every value comes back as text: numbers, booleans, timestamps (ISO-8601), structs and lists (JSON)', async () => {
    const sql = `SELECT count(*) AS n, count(*) > 0 AS any, max(from_iso8601_timestamp(eventtime)) AS last_seen,
        arbitrary(useridentity) AS who, array_agg(DISTINCT eventname ORDER BY eventname) AS names, 1.5 AS ratio,
        CAST(NULL AS varchar) AS nothing,
        max(at_timezone(from_iso8601_timestamp(eventtime), 'Europe/Paris')) AS paris
      FROM cloudtrail_logs WHERE ${WINDOW_PREDICATE}`;
    const result = await run(engine, windowQuery(sql, '2024-05-01T00:00:00Z', '2024-05-02T00:00:00Z'));
    const [row] = records(result);
    expect(row).toEqual({
      n: '4',
      any: 'true',
      last_seen: '2024-05-01T15:20:00.000Z',
      who: expect.any(String),
      names: '["AuthorizeSecurityGroupIngress","DescribeInstances"]',
      ratio: '1.5',
      nothing: null,
      paris: '2024-05-01T17:20:00.000',
    });
    expect(JSON.parse(row!.who!)).toMatchObject({ type: 'IAMUser', username: 'alice', sessioncontext: null });
  });

  test('pages hold pageSize rows, in the order of the query, without running it again', async () => {
    const query = windowQuery(EVENTS_IN_WINDOW, '2024-05-01T00:00:00Z', '2024-05-31T00:00:00Z');
    const id = await engine.start(query, { executionId: 'paging' });
    await settle(engine, id);
    const pages = await allPages(engine, id, 25);
    expect(pages.map((p) => p.rows.length)).toEqual([25, 25, 25, 25, 20]);
    const times = pages.flatMap((p) => p.rows.map((r) => r[2]!));
    expect(times).toEqual([...times].sort());
    // Paging twice gives the same rows (the result is kept, not recomputed from files that may have changed).
    expect((await allPages(engine, id, 1000)).flatMap((p) => p.rows)).toEqual(pages.flatMap((p) => p.rows));
  });

  test('a repeat question answers with its rows (answer.ts): the same pages, and no answer table written', async () => {
    const query = windowQuery(EVENTS_IN_WINDOW, '2024-05-01T00:00:00Z', '2024-05-31T00:00:00Z');
    const first = await engine.start(query, { executionId: 'repeat-1' });
    await settle(engine, first);
    const firstPages = await allPages(engine, first, 25);
    await engine.release(first);
    const second = await engine.start(query, { executionId: 'repeat-2' });
    expect((await settle(engine, second)).state).toBe('SUCCEEDED');
    const tables = await heldConnection(engine, second).runAndReadAll(
      `SELECT count(*) FROM duckdb_tables() WHERE table_name = 'trailbot_result'`,
    );
    expect(Number(tables.getRows()[0]![0])).toBe(0);
    expect(await allPages(engine, second, 25)).toEqual(firstPages);
    expect(firstPages.map((p) => p.rows.length)).toEqual([25, 25, 25, 25, 20]);
    await engine.release(second);
  });

  test('pages carry any text exactly: quotes, backslashes, control characters, NUL, non-BMP characters, NULL', async () => {
    // Pages travel as one JSON text each (engine.ts pages); attacker-written values must come back byte for byte.
    const hostile = [
      'plain',
      '"quoted", \\back\\slash, \'single\'',
      'line\nbreak\r\ttab\u0007bell\u001b[31mred\u001b[0m',
      'nul\u0000inside',
      '=HYPERLINK("http://x")',
      '\u2028\u2029 separators, 🦆 duck, e\u0301 combining, \ud83d\ude00',
      '[1, {"k": null}]',
      'null',
      '',
    ];
    const sql = `SELECT v, CAST(NULL AS VARCHAR) AS nothing, length(v) AS n FROM (VALUES ${hostile.map(() => '(CAST(? AS VARCHAR))').join(', ')}) AS t(v)`;
    const params = hostile.map((value) => ({ type: 'varchar' as const, value }));
    const { rows } = await run(engine, plainQuery(sql, [], params));
    expect(rows.map((r) => r[0])).toEqual(hostile);
    expect(rows.every((r) => r[1] === null)).toBe(true);
    expect(rows.map((r) => r[2])).toEqual(hostile.map((h) => String([...h].length)));
  });

  test('a query DuckDB cannot run FAILS with its reason, and the engine keeps working', async () => {
    const id = await engine.start(plainQuery('SELECT no_such_column FROM cloudtrail_logs', ['2024/05/01']), {
      executionId: 'bad-sql',
    });
    const status = await settle(engine, id);
    expect(status.state).toBe('FAILED');
    expect(status.reason).toMatch(/no_such_column/);
    expect(() => engine.results(id)).toThrow(/FAILED/);

    const mismatch = await engine.start(plainQuery('SELECT count(*) FROM cloudtrail_logs WHERE eventname = ?'), {
      executionId: 'params',
    });
    expect(await settle(engine, mismatch)).toMatchObject({
      state: 'FAILED',
      reason: expect.stringMatching(/1 \? markers but 0/),
    });

    const ok = await run(engine, plainQuery('SELECT count(*) FROM cloudtrail_logs', ['2024/05/01']));
    expect(ok.rows).toEqual([['4']]);
  });

  test('unknown ids throw UnknownQueryError', async () => {
    await expect(engine.status('duckdb-nope')).rejects.toThrow(UnknownQueryError);
    expect(() => engine.results('duckdb-nope')).toThrow(UnknownQueryError);
    await expect(engine.cancel('duckdb-nope')).rejects.toThrow(UnknownQueryError);
  });
});

describe('DuckDbEngine cancel and queueing', () => {
  let tree: LogTree;
  let instance: DuckDBInstance;
  let engine: DuckDbEngine;
  /** Resolves when DuckDB first calls test_executing(): the statement is running inside DuckDB. */
  let executing: Promise<void>;
  let signalExecuting: () => void;
  /** A cross join DuckDB would spend hours on: only an interrupt ends it. */
  const slow = plainQuery(
    'SELECT count(*) FROM cloudtrail_logs, range(10000000000) t(i) WHERE test_executing(i) AND hash(i + length(eventname)) % 1000003 = 7',
    ['2024/05/01'],
  );

  beforeAll(async () => {
    tree = new LogTree();
    tree.s3({ day: '2024/05/01', events: [event(), event()] });
    executing = new Promise((resolve) => {
      signalExecuting = resolve;
    });
    // The engine accepts an instance; this one carries a probe function so the test knows when DuckDB is working.
    instance = await DuckDBInstance.create(':memory:');
    const setup = await instance.connect();
    setup.registerScalarFunction(
      DuckDBScalarFunction.create({
        name: 'test_executing',
        returnType: BOOLEAN,
        parameterTypes: [BIGINT],
        mainFunction: (_info, input, output) => {
          signalExecuting();
          for (let row = 0; row < input.rowCount; row++) output.setItem(row, true);
          output.flush();
        },
      }),
    );
    setup.closeSync();
    engine = new DuckDbEngine({ dataDir: tree.root, instance, maxConcurrent: 1, logger: () => undefined });
  });

  afterAll(async () => {
    await engine.close();
    instance.closeSync();
    tree.remove();
  });

  test('cancel interrupts a running query: CANCELLED, and a queued one never starts', async () => {
    const running = await engine.start(slow, { executionId: 'slow' });
    const queued = await engine.start(plainQuery('SELECT count(*) FROM cloudtrail_logs', ['2024/05/01']), {
      executionId: 'queued',
    });
    await executing;
    expect((await engine.status(running)).state).toBe('RUNNING');
    expect((await engine.status(queued)).state).toBe('QUEUED');

    await engine.cancel(queued);
    expect(await engine.status(queued)).toMatchObject({ state: 'CANCELLED', stats: { filesRead: 0 } });

    // Resolves only once DuckDB has stopped the statement (a hang here would time the test out).
    await engine.cancel(running);
    expect(await engine.status(running)).toMatchObject({ state: 'CANCELLED', reason: expect.any(String) });

    // The slot is free again.
    const next = await run(engine, plainQuery('SELECT count(*) FROM cloudtrail_logs', ['2024/05/01']));
    expect(next.rows).toEqual([['2']]);
  });

  test('ended() resolves when a query reaches its terminal state: done, cancelled while running or queued, unknown', async () => {
    const states: string[] = [];
    const watch = async (id: string) => {
      await engine.ended(id);
      states.push((await engine.status(id)).state);
    };
    const running = await engine.start(slow, { executionId: 'ended-slow' });
    const queued = await engine.start(plainQuery('SELECT 1 AS one'), { executionId: 'ended-queued' });
    const watching = [watch(running), watch(queued)];
    await executing;
    // Both still going: nothing has resolved.
    await new Promise((resolve) => setImmediate(resolve));
    expect(states).toEqual([]);
    await engine.cancel(queued);
    await watching[1];
    expect(states).toEqual(['CANCELLED']);
    await engine.cancel(running);
    await watching[0];
    expect(states).toEqual(['CANCELLED', 'CANCELLED']);

    const done = await engine.start(plainQuery('SELECT 1 AS one'), { executionId: 'ended-done' });
    await engine.ended(done);
    expect((await engine.status(done)).state).toBe('SUCCEEDED');
    // An id the engine never gave (or forgot) does not hang the caller.
    await expect(engine.ended('duckdb-unknown')).resolves.toBeUndefined();
  });

  test('closing the engine ends the running and the queued query: what waits on ended() goes on', async () => {
    const closing = new DuckDbEngine({ dataDir: tree.root, instance, maxConcurrent: 1, logger: () => undefined });
    executing = new Promise((resolve) => {
      signalExecuting = resolve;
    });
    const running = await closing.start(slow, { executionId: 'close-slow' });
    const queued = await closing.start(plainQuery('SELECT 1 AS one'), { executionId: 'close-queued' });
    // Taken before close(): a closed engine forgets its queries, and ended() of an unknown id resolves at once.
    const endings = [closing.ended(running), closing.ended(queued)];
    await executing;
    await closing.close();
    await expect(Promise.all(endings)).resolves.toEqual([undefined, undefined]);
  });

  test('cancel of a finished query changes nothing', async () => {
    const id = await engine.start(plainQuery('SELECT 1 AS one'), { executionId: 'done' });
    await settle(engine, id);
    await engine.cancel(id);
    expect((await engine.status(id)).state).toBe('SUCCEEDED');
  });
});

describe('DuckDbEngine inputs', () => {
  let tree: LogTree;
  const messages: string[] = [];
  let engine: DuckDbEngine;
  let corruptGz: string;
  let truncatedJson: string;
  let notGzip: string;
  const COUNT_BY_SOURCE = `SELECT account, region, count(*) AS n FROM cloudtrail_logs
    WHERE ${WINDOW_PREDICATE} GROUP BY account, region ORDER BY account NULLS LAST, region`;

  beforeAll(() => {
    tree = new LogTree();
    const at = (time: string) => event({ eventTime: `2024-05-01T${time}Z` });
    // Two accounts of one org trail, a stand-alone account in two regions, a trail under an extra prefix.
    tree.s3({ org: 'o-a1b2c3d4e5', account: '111122223333', day: '2024/05/01', events: [at('01:00:00')] });
    tree.s3({
      org: 'o-a1b2c3d4e5',
      account: '444455556666',
      day: '2024/05/01',
      events: [at('02:00:00'), at('02:01:00')],
    });
    tree.s3({ account: '777788889999', region: 'eu-west-1', day: '2024/05/01', events: [at('03:00:00')] });
    tree.s3({ account: '777788889999', region: 'us-east-1', day: '2024/05/01', events: [at('04:00:00')] });
    tree.s3({
      prefix: 'archive/2024',
      account: '121212121212',
      day: '2024/05/01',
      events: [at('05:00:00')],
      name: 'plain.json',
    });
    // A pretty-printed S3 file: not corrupt, only not on one line.
    tree.s3({
      account: '777788889999',
      region: 'eu-west-1',
      day: '2024/05/01',
      events: [at('06:00:00')],
      pretty: true,
    });
    // Digest files next to the logs are not read.
    tree.write(
      'AWSLogs/777788889999/CloudTrail-Digest/eu-west-1/2024/05/01/777788889999_CloudTrail-Digest_eu-west-1_t_eu-west-1_20240501T010000Z.json.gz',
      JSON.stringify({ awsAccountId: '777788889999', digestStartTime: '2024-05-01T00:00:00Z' }),
    );
    // Flat exports: bare array (.json), NDJSON (.json.gz), {"Records"} (.json), and the hand-made NDJSON fixture.
    tree.write('exports/array.json', JSON.stringify([at('07:00:00'), at('07:01:00')], null, 2));
    tree.write(
      'exports/lines.json.gz',
      [at('08:00:00'), at('08:01:00'), at('08:02:00')].map((e) => JSON.stringify(e)).join('\n'),
    );
    tree.write('exports/wrapped.json', JSON.stringify({ Records: [at('09:00:00')] }));
    tree.write('exports/bob.json', fs.readFileSync(path.join(FIXTURES, 'ndjson-export.json')));
    // Broken files: a gzip stream with garbage in the middle, and JSON cut short.
    const good = tree.s3({
      account: '999999999999',
      day: '2024/05/01',
      events: Array.from({ length: 200 }, () => at('10:00:00')),
    });
    const bytes = fs.readFileSync(good);
    fs.rmSync(good);
    for (let i = 40; i < bytes.length - 40; i++) bytes[i] = 0x55;
    corruptGz = tree.write('AWSLogs/999999999999/CloudTrail/us-east-1/2024/05/01/corrupt.json.gz', bytes, {
      raw: true,
    });
    const text = JSON.stringify({ Records: [at('11:00:00'), at('11:01:00')] });
    truncatedJson = tree.write(
      'AWSLogs/999999999999/CloudTrail/us-east-1/2024/05/01/truncated.json.gz',
      text.slice(0, text.length - 20),
    );
    // A flat export whose first bytes are not gzip at all: caught while probing, before DuckDB sees it.
    notGzip = tree.write('exports/not-gzip.json.gz', 'this was never compressed', { raw: true });
    engine = new DuckDbEngine({ dataDir: tree.root, logger: (msg) => messages.push(msg) });
  });

  afterAll(async () => {
    await engine.close();
    tree.remove();
  });

  test('reads org, multi-account, prefixed, pretty-printed, array, NDJSON, .json and .json.gz files; skips digests and broken files by name', async () => {
    const result = await run(engine, windowQuery(COUNT_BY_SOURCE, '2024-05-01T00:00:00Z', '2024-05-02T00:00:00Z'));
    expect(records(result)).toEqual([
      // 1 from the S3 layout + 6 flat-export events, whose region/account come from their own records.
      { account: '111122223333', region: 'us-east-1', n: '7' },
      { account: '121212121212', region: 'us-east-1', n: '1' },
      { account: '444455556666', region: 'us-east-1', n: '2' },
      { account: '777788889999', region: 'eu-west-1', n: '2' },
      { account: '777788889999', region: 'us-east-1', n: '1' },
    ]);
    for (const broken of [corruptGz, truncatedJson, notGzip]) {
      expect(messages.filter((m) => m.includes(broken))).toEqual([expect.stringMatching(/^trailbot: skipping/)]);
    }
    expect(messages).toHaveLength(3);
    // 6 S3 logs + 4 exports; the broken files are not counted as read.
    expect(result.status.stats.filesRead).toBe(10);
  });

  test('the NDJSON export lands in its own day and is filtered by the window like any other', async () => {
    const result = await run(
      engine,
      windowQuery(EVENTS_IN_WINDOW, '2024-05-02T08:00:00Z', '2024-05-02T08:16:00Z', [], undefined),
    );
    expect(records(result).map((r) => [r.eventid, r.timestamp, r.account])).toEqual([
      ['evt-nd-1', '2024/05/02', '444455556666'],
    ]);
  });

  test('scope narrows S3 folders to the accounts and regions asked for, and exports by their own fields', async () => {
    const result = await run(
      engine,
      windowQuery(COUNT_BY_SOURCE, '2024-05-01T00:00:00Z', '2024-05-03T00:00:00Z', [], {
        accounts: ['777788889999', '444455556666'],
        regions: ['eu-west-1'],
      }),
    );
    expect(records(result)).toEqual([{ account: '777788889999', region: 'eu-west-1', n: '2' }]);
  });

  test('strict mode FAILS the query with a reason that names the broken file', async () => {
    const strict = new DuckDbEngine({ dataDir: tree.root, strict: true, logger: () => undefined });
    try {
      const id = await strict.start(windowQuery(COUNT_BY_SOURCE, '2024-05-01T00:00:00Z', '2024-05-02T00:00:00Z'), {
        executionId: 'strict',
      });
      const status = await settle(strict, id);
      expect(status.state).toBe('FAILED');
      expect(status.reason).toMatch(/corrupt or truncated/);
      expect([corruptGz, truncatedJson, notGzip].some((file) => status.reason!.includes(file))).toBe(true);
      expect(new CorruptLogFileError('f', 'd').code).toBe('CORRUPT_LOG_FILE');
    } finally {
      await strict.close();
    }
  });
});

describe('DuckDbEngine strict mode', () => {
  const good = JSON.stringify({ Records: [event({ eventTime: '2024-05-01T10:00:00Z' })] });
  test.each([
    [
      'a gzip stream with garbage inside',
      (tree: LogTree) => {
        const file = tree.s3({ day: '2024/05/01', events: Array.from({ length: 200 }, () => event()) });
        const bytes = fs.readFileSync(file);
        for (let i = 40; i < bytes.length - 40; i++) bytes[i] = 0x55;
        fs.writeFileSync(file, bytes);
        return file;
      },
    ],
    [
      'JSON cut short',
      (tree: LogTree) =>
        tree.write('AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/cut.json.gz', good.slice(0, good.length - 30)),
    ],
    ['a .gz that is not gzip', (tree: LogTree) => tree.write('exports/plain.json.gz', good, { raw: true })],
  ])('%s: skipped by default, the query FAILS naming it in strict mode', async (_kind, writeBroken) => {
    const tree = new LogTree();
    try {
      tree.s3({ day: '2024/05/01', events: [event({ eventTime: '2024-05-01T09:00:00Z' })] });
      const broken = writeBroken(tree);
      const query = plainQuery('SELECT count(*) FROM cloudtrail_logs', ['2024/05/01']);

      const messages: string[] = [];
      const lenient = new DuckDbEngine({ dataDir: tree.root, logger: (msg) => messages.push(msg) });
      const strict = new DuckDbEngine({ dataDir: tree.root, strict: true, logger: (msg) => messages.push(msg) });
      try {
        expect((await run(lenient, query)).rows).toEqual([['1']]);
        expect(messages).toEqual([expect.stringContaining(broken)]);
        const status = await settle(strict, await strict.start(query, { executionId: 'strict' }));
        expect(status.state).toBe('FAILED');
        expect(status.reason).toContain(broken);
        expect(status.reason).toMatch(/corrupt or truncated.*turn strict mode off/);
      } finally {
        await lenient.close();
        await strict.close();
      }
    } finally {
      tree.remove();
    }
  });
});

describe('DuckDbEngine with a file over 16 MB', () => {
  let tree: LogTree;
  const EVENTS = 100_000;
  const messages: string[] = [];
  let engine: DuckDbEngine;

  beforeAll(() => {
    tree = new LogTree();
    // ~20 MB uncompressed in one {"Records":[…]} object: over DuckDB's default maximum_object_size (16 MiB).
    const padding = 'x'.repeat(60);
    const events = Array.from({ length: EVENTS }, (_, i) => ({
      eventVersion: '1.10',
      eventTime: `2024-06-01T${String(Math.floor(i / 6000)).padStart(2, '0')}:00:00Z`,
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      eventID: `e${String(i).padStart(6, '0')}`,
      sourceIPAddress: '10.0.0.1',
      requestParameters: { bucketName: 'logs', key: `k-${i}-${padding}` },
    }));
    const file = tree.s3({ day: '2024/06/01', events });
    const text = JSON.stringify({ Records: events });
    expect(text.length).toBeGreaterThan(16 * 1024 * 1024);
    expect(fs.statSync(file).size).toBeLessThan(16 * 1024 * 1024);
    // The same text as two gzip members: the trailer then gives only the last member's size (RFC 1952), so the
    // engine learns the real size from DuckDB's error and reads it on a second try.
    // The last member is bigger than the whole file (so the trailer looks plausible) yet far below 16 MiB.
    const cut = text.length - 4_000_000;
    const twoMembers = Buffer.concat([
      zlib.gzipSync(text.slice(0, cut), { level: 1 }),
      zlib.gzipSync(text.slice(cut), { level: 1 }),
    ]);
    expect(twoMembers.length).toBeLessThan(4_000_000);
    tree.write('AWSLogs/111122223333/CloudTrail/us-east-1/2024/06/02/two-members.json.gz', twoMembers, { raw: true });
    engine = new DuckDbEngine({ dataDir: tree.root, logger: (msg) => messages.push(msg) });
  });

  afterAll(async () => {
    await engine.close();
    tree.remove();
  });

  test('reads it, and pages a 100,000-row result', async () => {
    const query = windowQuery(
      `SELECT eventid, json_extract_scalar(requestparameters, '$.bucketName') AS bucket FROM cloudtrail_logs WHERE ${WINDOW_PREDICATE} ORDER BY eventid`,
      '2024-06-01T00:00:00Z',
      '2024-06-02T00:00:00Z',
    );
    const id = await engine.start(query, { executionId: 'big' });
    expect(await settle(engine, id)).toMatchObject({ state: 'SUCCEEDED', stats: { filesRead: 1 } });
    const ids: string[] = [];
    const buckets = new Set<string | null>();
    let pages = 0;
    for await (const page of engine.results(id, { pageSize: 5000 })) {
      pages++;
      for (const [eventId, bucket] of page.rows) {
        ids.push(eventId!);
        buckets.add(bucket ?? null);
      }
    }
    expect(ids).toHaveLength(EVENTS);
    expect(ids.every((eventId, i) => i === 0 || eventId > ids[i - 1]!)).toBe(true);
    expect([...buckets]).toEqual(['logs']);
    expect(pages).toBe(EVENTS / 5000);
  });

  test('reads a file whose gzip trailer understates its size', async () => {
    const result = await run(engine, plainQuery('SELECT count(*) FROM cloudtrail_logs', ['2024/06/02']));
    expect(result.rows).toEqual([[String(EVENTS)]]);
    expect(result.status.stats.filesRead).toBe(1);
    expect(messages).toEqual([]);
  });
});
