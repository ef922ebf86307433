import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parseRequest } from '../../../commands';
import type { CommandContext } from '../../../commands/types';
import { DuckDbEngine } from '../../../src/engines/duckdb';
import { ColumnarCache } from '../../../src/engines/duckdb/cache';
import { flatColumnRead } from '../../../src/engines/duckdb/cache-columns';
import { ROW_GROUP_ROWS } from '../../../src/engines/duckdb/cache-convert';
import type { CachedPartition } from '../../../src/engines/duckdb/cache-manifest';
import { columnNeeds } from '../../../src/engines/duckdb/needs';
import {
  addressNetworksFromAst,
  type Pruning,
  type PruningColumn,
  pruningFromAst,
  type RowGroupStats,
  rowGroupNeeded,
  selectiveLeaves,
} from '../../../src/engines/duckdb/pruning';
import { generateSampleData, sampleAccountIds } from '../../../src/sample/generate';
import { testConfig } from '../../helpers/config';
import { queryOf, runCommand } from '../../helpers/run-query';
import { event, LogTree, memoryDuckDb, parseTree, run, WINDOW_PREDICATE, windowQuery } from './fixtures';

/**
 * The bytes a warm question reports skip the row groups its filters rule out by their statistics (pruning.ts): never
 * one that holds a row of the answer, and fewer than all of them when the template names event sources or names.
 */
describe("what a question accepts per sort column, from DuckDB's parse of its SQL", () => {
  const db = memoryDuckDb({ shims: false });
  const pruningOf = async (sql: string) => {
    const pruning = pruningFromAst(await parseTree(db.connection, sql));
    return Object.fromEntries([...pruning].map(([column, values]) => [column, [...values].sort()]));
  };

  test('equality, IN, and ORs of them over one column, ANDed at the top of the WHERE', async () => {
    expect(
      await pruningOf(`SELECT eventid FROM cloudtrail_logs WHERE "timestamp" BETWEEN ? AND ?
        AND eventsource = 'ec2.amazonaws.com' AND (eventname IN ('B', 'A') OR eventname IN ('C') OR eventname = 'It''s')
        AND useridentity.type = 'Root' ORDER BY eventtime`),
    ).toEqual({
      eventsource: ['ec2.amazonaws.com'],
      eventname: ['A', 'B', 'C', "It's"],
      'useridentity.type': ['Root'],
    });
    // A table alias, a CTE that reads the table once, two conditions on one column (both hold).
    expect(
      await pruningOf(`WITH x AS (SELECT * FROM cloudtrail_logs AS t WHERE t.eventname IN ('A', 'B') AND 'A' = t.eventname)
        SELECT * FROM x`),
    ).toEqual({ eventname: ['A'] });
  });

  test('nothing it cannot hold against statistics: parameters, other operators, other columns, ORs across columns', async () => {
    expect(await pruningOf('SELECT * FROM cloudtrail_logs WHERE eventname = ?')).toEqual({});
    expect(await pruningOf("SELECT * FROM cloudtrail_logs WHERE eventname <> 'A' AND NOT eventsource = 'B'")).toEqual(
      {},
    );
    expect(await pruningOf("SELECT * FROM cloudtrail_logs WHERE eventsource = 'A' OR eventname = 'B'")).toEqual({});
    expect(await pruningOf("SELECT * FROM cloudtrail_logs WHERE errorcode = 'AccessDenied'")).toEqual({});
    expect(await pruningOf("SELECT * FROM cloudtrail_logs WHERE eventname IN ('A', ?)")).toEqual({});
    expect(await pruningOf("SELECT * FROM cloudtrail_logs WHERE lower(eventname) = 'a'")).toEqual({});
    // The table read twice: each read has its own conditions, so none is used.
    expect(
      await pruningOf(`SELECT * FROM cloudtrail_logs WHERE eventname = 'A'
        AND eventid IN (SELECT eventid FROM cloudtrail_logs WHERE eventname = 'B')`),
    ).toEqual({});
    expect(
      await pruningOf("SELECT * FROM cloudtrail_logs a JOIN cloudtrail_logs b USING (eventid) WHERE a.eventname = 'A'"),
    ).toEqual({});
    expect(await pruningOf('this is not SQL')).toEqual({});
  });

  test('nothing where a name in the WHERE may not be the table column it looks like, or the table is read another way', async () => {
    // Column aliases on the table rename its columns by position: `eventname` here is the table's eventversion.
    expect(await pruningOf("SELECT eventid FROM cloudtrail_logs AS t(eventname) WHERE eventname = '1.10'")).toEqual({});
    expect(
      await pruningOf("SELECT eventid FROM cloudtrail_logs AS t(a, b, c, eventsource) WHERE t.eventsource = 'X'"),
    ).toEqual({});
    // A quoted name with a dot is no table column: DuckDB binds it to the select-list alias of that name.
    expect(
      await pruningOf(
        `SELECT eventid, eventsource AS "useridentity.type" FROM cloudtrail_logs WHERE "useridentity.type" = 'X'`,
      ),
    ).toEqual({});
    // A CTE named like the table: the FROM reads the CTE, whose `eventname` is another column.
    expect(
      await pruningOf(`WITH cloudtrail_logs AS (SELECT eventid, eventsource AS eventname FROM query_table('cloudtrail_logs'))
        SELECT eventid FROM cloudtrail_logs WHERE eventname = 'ec2.amazonaws.com'`),
    ).toEqual({});
    // The table read a second time through a table function: that read has no condition.
    expect(
      await pruningOf(`SELECT eventid FROM cloudtrail_logs WHERE eventname = 'A'
        UNION ALL SELECT eventid FROM query_table('cloudtrail_logs')`),
    ).toEqual({});
    expect(
      await pruningOf(`SELECT eventid FROM cloudtrail_logs WHERE eventname = 'A'
        UNION ALL SELECT eventid FROM query('SELECT * FROM cloudtrail_logs')`),
    ).toEqual({});
  });

  test('a row group is skipped only when a filtered column’s range holds none of the accepted values', () => {
    const group: RowGroupStats = {
      rows: 10,
      columnBytes: {},
      ranges: { eventsource: ['ec2.amazonaws.com', 'iam.amazonaws.com'], eventname: ['A', 'M'] },
    };
    expect(rowGroupNeeded(group, new Map([['eventsource', new Set(['s3.amazonaws.com'])]]))).toBe(false);
    expect(rowGroupNeeded(group, new Map([['eventsource', new Set(['guardduty.amazonaws.com'])]]))).toBe(true);
    expect(rowGroupNeeded(group, new Map([['eventname', new Set(['Z', 'B'])]]))).toBe(true);
    // No statistics for the column: read.
    expect(rowGroupNeeded(group, new Map([['useridentity.type', new Set(['Root'])]]))).toBe(true);
  });
});

describe('bytes read from the cached days', () => {
  const NOW = new Date('2026-11-22T12:00:00Z');
  const ctx: CommandContext = { config: testConfig(), now: NOW };
  let dir: string;
  let engine: DuckDbEngine;
  let cache: ColumnarCache;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trail-pruning-'));
    await generateSampleData({
      outDir: path.join(dir, 'data'),
      days: 4,
      eventsPerDay: 3 * ROW_GROUP_ROWS,
      accounts: sampleAccountIds(1),
      regions: ['us-east-1'],
      seed: 61,
      now: NOW,
    });
    // The cache's clock a day on, so that 2026-11-22 (the sample's last, half-filled day) is closed and cached too:
    // a question over 19..21 reads it (its end plus the delivery lag), and every byte it reads is then from the cache.
    const dayLater = new Date(NOW.getTime() + 24 * 3600_000);
    cache = new ColumnarCache({ dir: path.join(dir, 'cache'), dataDir: path.join(dir, 'data'), now: () => dayLater });
    engine = new DuckDbEngine({ dataDir: path.join(dir, 'data'), cache, logger: () => {} });
    await runCommand(engine, 'recent all 2026-11-19..2026-11-22', ctx);
    await engine.convertCache();
  }, 120_000);
  afterAll(async () => {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const partitions = (): CachedPartition[] =>
    Object.values(
      (JSON.parse(fs.readFileSync(path.join(cache.dir, 'manifest.json'), 'utf8')) as { partitions: object }).partitions,
    ) as CachedPartition[];

  /** The row groups (file, index) holding the answer's events, found by event id in the Parquet files. */
  async function groupsOfAnswer(eventIds: string[]): Promise<Set<string>> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const files = partitions().map((p) => p.parquet);
      const found = new Set<string>();
      const reader = await connection.runAndReadAll(
        `SELECT filename, file_row_number, eventid FROM read_parquet([${files.map((f) => `'${f}'`).join(', ')}], filename = true, file_row_number = true)`,
      );
      const wanted = new Set(eventIds);
      for (const [file, row, id] of reader.getRows()) {
        if (wanted.has(String(id))) found.add(`${file}#${Math.floor(Number(row) / ROW_GROUP_ROWS)}`);
      }
      return found;
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }

  test.each(['sg --all 2026-11-19..2026-11-21', 'logins all 2026-11-19..2026-11-21', 'sg 2026-11-19..2026-11-21'])(
    '%s: every row group holding an answer row is counted, and fewer than all are',
    async (text) => {
      const answer = await runCommand(engine, text, ctx);
      expect(answer.stats.cachedPartitions).toBe(4);
      const request = parseRequest(text, ctx);
      if (request.kind !== 'query') throw new Error('a query');
      const needs = columnNeeds(request.query.sql);
      const cached = partitions();
      // Days of several row groups each (the last, half-filled day has one), so that pruning has something to skip.
      expect(cached.filter((p) => (p.rowGroups?.length ?? 0) > 1).length).toBeGreaterThanOrEqual(3);
      const bytesOf = (g: RowGroupStats) =>
        Object.entries(g.columnBytes)
          .filter(([c]) => flatColumnRead(c, needs))
          .reduce((n, [, b]) => n + b, 0);
      // Upper bound: every row group's named columns (no pruning). Lower bound: the row groups of the answer's rows.
      const all = cached.reduce((n, p) => n + p.rowGroups!.reduce((m, g) => m + bytesOf(g), 0), 0);
      const answerGroups = await groupsOfAnswer(answer.records.map((r) => String(r.eventid)));
      expect(answerGroups.size).toBeGreaterThan(0);
      const lower = cached.reduce(
        (n, p) => n + p.rowGroups!.reduce((m, g, i) => m + (answerGroups.has(`${p.parquet}#${i}`) ? bytesOf(g) : 0), 0),
        0,
      );
      // Every day it reads is cached (the window's end plus the delivery lag reaches 2026-11-22, cached too).
      expect(answer.stats.filesRead).toBe(0);
      expect(answer.stats.bytesScanned).toBeGreaterThanOrEqual(lower);
      expect(answer.stats.bytesScanned).toBeLessThan(all);
    },
  );
});

describe('cached days the statistics rule out are not read', () => {
  const NOW = new Date('2024-05-10T12:00:00Z');
  const ctx: CommandContext = { config: testConfig(), now: NOW };
  let tree: LogTree;
  let stateDir: string;
  let cache: ColumnarCache;
  let engine: DuckDbEngine;

  beforeAll(async () => {
    tree = new LogTree();
    // 05-01: IAM users only. 05-02: the same, and one call by the root user.
    const users = (day: string) =>
      Array.from({ length: 20 }, (_, i) => event({ eventTime: `${day}T1${i % 10}:00:00Z`, eventName: `Call${i}` }));
    tree.s3({ day: '2024/05/01', events: users('2024-05-01') });
    tree.s3({
      day: '2024/05/02',
      events: [
        ...users('2024-05-02'),
        event({
          eventID: 'evt-root',
          eventTime: '2024-05-02T08:00:00Z',
          eventName: 'ConsoleLogin',
          eventSource: 'signin.amazonaws.com',
          userIdentity: { type: 'Root', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333' },
        }),
      ],
    });
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trail-pruned-days-'));
    cache = new ColumnarCache({
      dir: path.join(stateDir, 'cache'),
      dataDir: tree.root,
      now: () => NOW,
      logger: () => {},
    });
    engine = new DuckDbEngine({ dataDir: tree.root, cache, logger: () => {} });
    await runCommand(engine, 'recent all 2024-05-01..2024-05-02', ctx);
    expect(await engine.convertCache()).toBe(2);
  });
  afterAll(async () => {
    await engine.close();
    tree.remove();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  test('a name in the WHERE that is not the table column it looks like (column aliases, a quoted dotted name) cuts no day', async () => {
    // Column aliases rename the table's columns by position: here the 4th and 5th (eventsource, eventname) swap, so
    // `eventname` is the event source, ec2.amazonaws.com in every event but the root sign-in, though no day's
    // statistics of the real eventname hold that value.
    const renamed = await run(
      engine,
      windowQuery(
        `SELECT eventid FROM cloudtrail_logs AS t(eventversion, useridentity, eventtime, eventname, eventsource)
         WHERE ${WINDOW_PREDICATE} AND eventname = 'ec2.amazonaws.com'`,
        '2024-05-01T00:00:00Z',
        '2024-05-03T00:00:00Z',
      ),
    );
    expect(renamed.rows).toHaveLength(40);
    expect(renamed.status.stats?.cachedPartitions).toBe(2);
    // `"useridentity.type"` is the select-list alias (the event source), not the identity's type.
    const aliased = await run(
      engine,
      windowQuery(
        `SELECT eventid, eventsource AS "useridentity.type" FROM cloudtrail_logs
         WHERE ${WINDOW_PREDICATE} AND "useridentity.type" = 'signin.amazonaws.com'`,
        '2024-05-01T00:00:00Z',
        '2024-05-03T00:00:00Z',
      ),
    );
    expect(aliased.rows).toEqual([['evt-root', 'signin.amazonaws.com']]);
  });

  test('a root question skips the day with no root call in its statistics; a question that needs that day reads it', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(cache.dir, 'manifest.json'), 'utf8')) as {
      partitions: Record<string, CachedPartition>;
    };
    const dayOne = Object.values(manifest.partitions).find((p) => p.key.endsWith('2024/05/01'))!;
    // Garbage of the same size in the day with no root call: reading it would fail and fall back to its raw files.
    fs.writeFileSync(dayOne.parquet, Buffer.alloc(fs.statSync(dayOne.parquet).size, 7));

    const root = await runCommand(engine, 'root 2024-05-01..2024-05-02', ctx);
    expect(root.rows.map((r) => r[0])).toEqual(['ConsoleLogin']);
    expect(root.stats.cachedPartitions).toBe(2);
    expect(root.stats.filesRead).toBe(0);

    // The same damage is found by a question that has to read the day: it falls back to the raw files.
    const recent = await runCommand(engine, 'recent all 2024-05-01..2024-05-02', ctx);
    expect(recent.rows).toHaveLength(41);
    expect(recent.stats.filesRead).toBeGreaterThan(0);
  });
});

describe('which struct-leaf conditions go into the cached days’ scan (selectiveLeaves)', () => {
  const group = (rows: number, type: [string, string], name: [string, string] = ['A', 'Z']): RowGroupStats => ({
    rows,
    columnBytes: {},
    ranges: { 'useridentity.type': type, eventname: name },
  });
  // Four row groups sorted by event name: Root calls in one of them, IAMUser calls in three.
  const days = [
    [group(4096, ['AssumedRole', 'IAMUser']), group(4096, ['IAMUser', 'Root'])],
    [group(4096, ['AWSService', 'IAMUser']), group(4096, ['AWSService', 'AssumedRole'])],
  ];
  const only = (column: PruningColumn, ...values: string[]): Pruning => new Map([[column, new Set(values)]]);

  test('a condition that rules out more than half of the rows goes; one that rules out less does not', () => {
    expect([...selectiveLeaves(only('useridentity.type', 'Root'), days).keys()]).toEqual(['useridentity.type']);
    expect(selectiveLeaves(only('useridentity.type', 'IAMUser'), days).size).toBe(0);
    // Exactly half still goes.
    expect(selectiveLeaves(only('useridentity.type', 'AWSService'), days).size).toBe(1);
  });

  test('plain columns are left to DuckDB; a row group without statistics counts as read', () => {
    expect(selectiveLeaves(only('eventname', 'B'), days).size).toBe(0);
    expect(selectiveLeaves(only('useridentity.type', 'Root'), [undefined, undefined]).size).toBe(0);
    expect(selectiveLeaves(only('useridentity.type', 'Root'), [...days, undefined]).size).toBe(1);
    expect(
      selectiveLeaves(only('useridentity.type', 'Root'), [...days, [{ rows: 20000, columnBytes: {}, ranges: {} }]])
        .size,
    ).toBe(0);
  });
});

describe('which networks a question’s sources must lie in (addressNetworksFromAst)', () => {
  const db = memoryDuckDb({ shims: false });
  const networksOf = async (sql: string) => {
    return addressNetworksFromAst(await parseTree(db.connection, sql));
  };
  const question = (text: string) => queryOf(text, { config: testConfig(), now: new Date('2026-11-20T12:00:00Z') });

  test('the ip template: the parameter its network is bound to', async () => {
    for (const text of ['ip 198.51.100.7 7d', 'ip 2001:db8::/32 24h']) {
      const q = question(text);
      const ids = await networksOf(q.sql);
      expect(ids).toHaveLength(1);
      expect(q.params[Number(ids![0]) - 1]!.value).toBe(q.params.at(-1)!.value);
      expect(q.params.at(-1)!.value).toContain('/');
    }
  });

  test('a negated match (logins external: sources in none of the known networks) is no such condition', async () => {
    expect(await networksOf(question('logins external 7d').sql)).toBeUndefined();
  });

  const where = (condition: string) =>
    `SELECT eventtime FROM cloudtrail_logs WHERE "timestamp" BETWEEN ? AND ? AND ${condition}`;
  test.each([
    ['a bare call', `contains(?, try_cast(sourceipaddress AS ipaddress))`, ['3']],
    [
      'ORed networks',
      `(contains(?, sourceipaddress) OR coalesce(contains(?, try_cast(sourceipaddress AS ipaddress)), false))`,
      ['3', '4'],
    ],
    [
      'under a CASE whose other outcomes are false or NULL',
      `CASE WHEN x THEN contains(?, try_cast(sourceipaddress AS ipaddress)) WHEN y THEN NULL ELSE false END`,
      ['3'],
    ],
    ['inside an AND', `(eventname = 'x' AND contains(?, try_cast(sourceipaddress AS ipaddress)))`, ['3']],
  ])('used: %s', async (_, condition, expected) => {
    expect(await networksOf(where(condition))).toEqual(expected);
  });

  test.each([
    ['negated', `NOT contains(?, try_cast(sourceipaddress AS ipaddress))`],
    ['ORed with something else', `(contains(?, try_cast(sourceipaddress AS ipaddress)) OR eventname = 'x')`],
    [
      'a CASE that may be true otherwise',
      `CASE WHEN x THEN contains(?, try_cast(sourceipaddress AS ipaddress)) ELSE true END`,
    ],
    ['coalesce to true', `coalesce(contains(?, try_cast(sourceipaddress AS ipaddress)), true)`],
    ['another column', `contains(?, try_cast(useragent AS ipaddress))`],
    ['a constant network', `contains('10.0.0.0/8', try_cast(sourceipaddress AS ipaddress))`],
    ['a cast to another type', `contains(?, try_cast(sourceipaddress AS VARCHAR))`],
    ['a list contains', `contains(?, eventname)`],
  ])('not used: %s', async (_, condition) => {
    expect(await networksOf(where(condition))).toBeUndefined();
  });
});
