import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRequest } from '../../../commands';
import { DuckDbEngine } from '../../../src/engines/duckdb';
import { ColumnarCache } from '../../../src/engines/duckdb/cache';
import type { CachedPartition } from '../../../src/engines/duckdb/cache-manifest';
import { lastEventTime } from '../../../src/engines/duckdb/cached-reads';
import {
  coversNewest,
  daysFrom,
  FILL_FACTOR,
  MAX_LIMIT,
  newestDays,
  newestFirstFromAst,
} from '../../../src/engines/duckdb/newest';
import { testConfig } from '../../helpers/config';
import {
  type CloudTrailEvent,
  event,
  LogTree,
  memoryDuckDb,
  parseTree,
  run,
  WINDOW_PREDICATE,
  windowQuery,
} from './fixtures';

/**
 * Newest-first questions (`recent`) read the newest cached days first and the others only when they could change the
 * answer (newest.ts). Whatever the data, the answer must be the one over every day.
 */

describe('which questions are newest-first', () => {
  const db = memoryDuckDb();
  let aggregates: Set<string>;

  beforeAll(async () => {
    const rows = (
      await db.connection.runAndReadAll(
        `SELECT DISTINCT lower(function_name) FROM duckdb_functions() WHERE function_type = 'aggregate'`,
      )
    ).getRows();
    aggregates = new Set(rows.map(([name]) => String(name)));
    aggregates.add('trailbot_counts'); // a macro whose body aggregates, as the engine lists them
  });

  const shape = async (sql: string) => {
    const ast = await parseTree(db.connection, sql);
    return newestFirstFromAst(ast, aggregates);
  };

  test('the recent template is: its 200 rows, eventtime the first column', async () => {
    for (const text of ['recent 7d', 'recent writes 7d', 'recent errors 7d']) {
      const r = parseRequest(text, { config: testConfig(), now: new Date('2026-11-20T12:00:00Z') });
      if (r.kind !== 'query') throw new Error(text);
      expect(await shape(r.query.sql)).toEqual({ limit: 200, column: 0, items: 10 });
    }
  });

  test('the other drill-downs are too, with their 10,000-row cap', async () => {
    const r = parseRequest('user alice 7d', { config: testConfig(), now: new Date('2026-11-20T12:00:00Z') });
    if (r.kind !== 'query') throw new Error('user');
    expect(await shape(r.query.sql)).toEqual({ limit: 10000, column: 0, items: 12 });
  });

  const base = 'FROM cloudtrail_logs WHERE eventname = ?';
  test.each([
    [`SELECT eventname, eventtime ${base} ORDER BY eventtime DESC, eventid LIMIT 7`, { limit: 7, column: 1, items: 2 }],
    [
      `SELECT t.eventtime FROM cloudtrail_logs AS t ORDER BY t.eventtime DESC NULLS LAST LIMIT 3`,
      { limit: 3, column: 0, items: 1 },
    ],
    [
      `SELECT eventtime AS eventtime, eventid ${base} ORDER BY eventtime DESC LIMIT 2`,
      { limit: 2, column: 0, items: 2 },
    ],
  ])('qualifies: %s', async (sql, expected) => {
    expect(await shape(sql)).toEqual(expected);
  });

  test.each([
    ['ascending', `SELECT eventtime ${base} ORDER BY eventtime LIMIT 5`],
    ['NULLs first', `SELECT eventtime ${base} ORDER BY eventtime DESC NULLS FIRST LIMIT 5`],
    ['another first key', `SELECT eventtime ${base} ORDER BY eventid DESC, eventtime DESC LIMIT 5`],
    ['no LIMIT', `SELECT eventtime ${base} ORDER BY eventtime DESC`],
    ['an OFFSET', `SELECT eventtime ${base} ORDER BY eventtime DESC LIMIT 5 OFFSET 5`],
    ['a LIMIT parameter', `SELECT eventtime ${base} ORDER BY eventtime DESC LIMIT ?`],
    ['DISTINCT', `SELECT DISTINCT eventtime ${base} ORDER BY eventtime DESC LIMIT 5`],
    ['GROUP BY', `SELECT eventtime ${base} GROUP BY eventtime ORDER BY eventtime DESC LIMIT 5`],
    ['an aggregate', `SELECT eventtime, count(*) OVER () AS n ${base} ORDER BY eventtime DESC LIMIT 5`],
    ['a plain aggregate', `SELECT max(eventtime) AS eventtime ${base} ORDER BY eventtime DESC LIMIT 5`],
    [
      'a macro that aggregates',
      `SELECT eventtime, trailbot_counts(eventid) AS n ${base} ORDER BY eventtime DESC LIMIT 5`,
    ],
    [
      'a subquery',
      `SELECT eventtime ${base} AND eventid IN (SELECT eventid FROM cloudtrail_logs) ORDER BY eventtime DESC LIMIT 5`,
    ],
    [
      'a CTE',
      `WITH cloudtrail_logs AS (SELECT 1) SELECT eventtime FROM cloudtrail_logs ORDER BY eventtime DESC LIMIT 5`,
    ],
    [
      'a join',
      `SELECT a.eventtime FROM cloudtrail_logs a JOIN cloudtrail_logs b USING (eventid) ORDER BY a.eventtime DESC LIMIT 5`,
    ],
    ['a union', `SELECT eventtime ${base} UNION ALL SELECT eventtime ${base} ORDER BY eventtime DESC LIMIT 5`],
    [
      'another column named eventtime',
      `SELECT eventtime, eventid AS eventtime ${base} ORDER BY eventtime DESC LIMIT 5`,
    ],
    ['eventtime only renamed', `SELECT eventid AS eventtime ${base} ORDER BY eventtime DESC LIMIT 5`],
    ['eventtime not shown', `SELECT eventid ${base} ORDER BY eventtime DESC LIMIT 5`],
    ['a star', `SELECT * ${base} ORDER BY eventtime DESC LIMIT 5`],
    ['COLUMNS()', `SELECT eventtime, COLUMNS('event.*') ${base} ORDER BY eventtime DESC LIMIT 5`],
    ['an unnested struct', `SELECT unnest(useridentity), eventtime ${base} ORDER BY eventtime DESC LIMIT 5`],
    ['another table', `SELECT eventtime FROM other ORDER BY eventtime DESC LIMIT 5`],
    ['two statements', `SELECT 1; SELECT eventtime ${base} ORDER BY eventtime DESC LIMIT 5`],
  ])('does not qualify: %s', async (_, sql) => {
    expect(await shape(sql)).toBeUndefined();
  });
});

describe('the last row of a spooled newest-first answer (lastEventTime)', () => {
  const db = memoryDuckDb({ shims: false });

  test('read at the limit’s row; unknown when the answer has another number of columns than the select list', async () => {
    await db.connection.run(
      `CREATE OR REPLACE TEMP TABLE trailbot_result AS SELECT * FROM (VALUES ('2024-05-04T10:00:00Z', 'a', 1), ('2024-05-04T09:00:00Z', 'b', 2)) AS t(c0, c1, c2)`,
    );
    const types = (await db.connection.runAndReadAll('SELECT * FROM trailbot_result')).columnTypes();
    expect(await lastEventTime(db.connection, { limit: 2, column: 0, items: 3 }, types)).toBe('2024-05-04T09:00:00Z');
    // An item that expanded into several columns (unnest of a struct): eventtime's position is not known.
    expect(await lastEventTime(db.connection, { limit: 2, column: 0, items: 2 }, types)).toBeUndefined();
    // Not text: no comparison with the days' ranges.
    expect(await lastEventTime(db.connection, { limit: 2, column: 2, items: 3 }, types)).toBeUndefined();
  });
});

const day = (key: string, rows: number, times?: [string, string]): CachedPartition => ({
  key,
  parquet: `/cache/${key.replaceAll('/', '_')}.parquet`,
  sources: [],
  rows,
  bytes: 1,
  columnBytes: {},
  ...(times ? { eventTimes: times } : {}),
  builtAt: '2026-11-21T00:00:00Z',
});

describe('choosing and checking the days read first', () => {
  const a = '111122223333';
  const days = [
    day(`${a}/us-east-1/2026/11/18`, 1000, ['2026-11-17T23:50:00Z', '2026-11-18T23:48:00Z']),
    day(`${a}/eu-west-1/2026/11/18`, 1000, ['2026-11-17T23:51:00Z', '2026-11-18T23:47:00Z']),
    day(`${a}/us-east-1/2026/11/19`, 1000, ['2026-11-18T23:49:00Z', '2026-11-19T23:49:00Z']),
    day(`${a}/eu-west-1/2026/11/19`, 1000, ['2026-11-18T23:48:00Z', '2026-11-19T23:59:00Z']),
    day(`${a}/us-east-1/2026/11/20`, 300, ['2026-11-19T23:50:00Z', '2026-11-20T12:00:00Z']),
    day(`${a}/eu-west-1/2026/11/20`, 300, ['2026-11-19T23:51:00Z', '2026-11-20T11:59:00Z']),
    day(`${a}/eu-west-1/2026/11/17`, 1000, ['2026-11-16T23:51:00Z', '2026-11-17T23:40:00Z']),
    day(`${a}/us-east-1/2026/11/17`, 1000, ['2026-11-16T23:51:00Z', '2026-11-17T23:41:00Z']),
  ];

  test('whole dates, newest first, until they hold FILL_FACTOR × limit rows', () => {
    // 6,600 rows: 500 are in the newest date's two folders.
    expect(newestDays(days, 500 / FILL_FACTOR)?.map((d) => d.key)).toEqual([
      `${a}/us-east-1/2026/11/20`,
      `${a}/eu-west-1/2026/11/20`,
    ]);
    // 800 rows need a second date: both of its regions come.
    expect(newestDays(days, 800 / FILL_FACTOR)?.length).toBe(4);
  });

  test('a day without a time range is always read; a first read worth too little is not tried', () => {
    const untimed = day(`${a}/us-east-1/2026/11/10`, 1000);
    expect(newestDays([...days, untimed], 1)?.map((d) => d.key)).toContain(untimed.key);
    // 7,600 rows: a first read of more than an eighth of them is not worth it.
    expect(newestDays([...days, untimed], 900 / FILL_FACTOR)).toBeDefined();
    expect(newestDays([...days, untimed], 1000 / FILL_FACTOR)).toBeUndefined();
    expect(newestDays(days.slice(4, 6), 1)).toBeUndefined();
    // A drill-down's cap (LIMIT 10000) is never tried, however many rows the days hold.
    const many = days.map((d) => ({ ...d, rows: 10_000_000 }));
    expect(newestDays(many, MAX_LIMIT)).toBeDefined();
    expect(newestDays(many, MAX_LIMIT + 1)).toBeUndefined();
  });

  test('the check: a full answer whose last row is newer than every day left out', () => {
    const left = days.slice(0, 4);
    expect(coversNewest(200, 200, '2026-11-20T00:00:00Z', left)).toBe(true);
    expect(coversNewest(199, 200, '2026-11-20T00:00:00Z', left)).toBe(false);
    expect(coversNewest(200, 200, null, left)).toBe(false);
    // A tie with a day left out: its row may sort first by the next key.
    expect(coversNewest(200, 200, '2026-11-19T23:59:00Z', left)).toBe(false);
    expect(coversNewest(200, 200, '2026-11-19T23:58:00Z', left)).toBe(false);
    expect(coversNewest(200, 200, '2026-11-19T23:58:00Z', [])).toBe(true);
    expect(coversNewest(200, 200, '2026-11-21T00:00:00Z', [day('x/y/2026/11/01', 5)])).toBe(false);
  });

  test('after a failed check, every day that may hold a row at or after the last one', () => {
    expect(daysFrom(days, '2026-11-19T23:49:00Z').map((d) => d.key)).toEqual([
      `${a}/us-east-1/2026/11/19`,
      `${a}/eu-west-1/2026/11/19`,
      `${a}/us-east-1/2026/11/20`,
      `${a}/eu-west-1/2026/11/20`,
    ]);
  });
});

describe('newest-first answers from the cache are the answers over every day', () => {
  const NOW = new Date('2024-05-10T00:00:00Z');
  const DAYS = ['2024/05/01', '2024/05/02', '2024/05/03', '2024/05/04'];
  let tree: LogTree;
  let raw: DuckDbEngine;
  let cached: DuckDbEngine;
  let cache: ColumnarCache;
  let stateDir: LogTree;

  const at = (date: string, minute: number) =>
    new Date(Date.parse(`${date.replaceAll('/', '-')}T00:00:00Z`) + minute * 60_000).toISOString().replace('.000', '');

  beforeAll(async () => {
    tree = new LogTree();
    stateDir = new LogTree('trailbot-newest-state-');
    for (const date of DAYS) {
      for (const region of ['us-east-1', 'eu-west-1']) {
        // 120 events a folder, one every 10 minutes from 00:05 (no two at the same time across regions).
        const events: CloudTrailEvent[] = Array.from({ length: 120 }, (_, i) =>
          event({ eventTime: at(date, 5 + i * 10 + (region === 'eu-west-1' ? 1 : 0)), awsRegion: region }),
        );
        if (date === '2024/05/04') {
          // Five 'rare' calls early on the newest date (marked by user agent: no row-group statistic rules a day
          // out for it, so every day stays a candidate and only the newest-first reading decides what is read).
          for (let i = 0; i < 5; i++) events.push(event({ eventTime: at(date, 60 + i), userAgent: 'rare' }));
        }
        if (date === '2024/05/03' && region === 'us-east-1') {
          // An event stamped later than the folder's date (a wrong clock): its day is left out of a first read of
          // the newest date, and the check must bring it back.
          events.push(event({ eventTime: at('2024/05/04', 600), userAgent: 'rare' }));
        }
        if (date === '2024/05/01') events.push(event({ eventTime: at(date, 7), userAgent: 'scarce' }));
        tree.s3({ day: date, region, events });
      }
    }
    raw = new DuckDbEngine({ dataDir: tree.root, logger: () => {} });
    cache = new ColumnarCache({ dir: stateDir.root, dataDir: tree.root, now: () => NOW, logger: () => {} });
    cached = new DuckDbEngine({ dataDir: tree.root, logger: () => {}, cache });
  });
  afterAll(async () => {
    await raw.close();
    await cached.close();
    tree.remove();
    stateDir.remove();
  });

  const newest = (where: string, limit: number) =>
    windowQuery(
      `SELECT eventtime, eventname, awsregion, useragent, eventid FROM cloudtrail_logs WHERE ${WINDOW_PREDICATE} AND ${where} ORDER BY eventtime DESC, eventid LIMIT ${limit}`,
      '2024-05-01T00:00:00Z',
      '2024-05-05T00:00:00Z',
    );

  test('every day is cached', async () => {
    await run(cached, newest('true', 5));
    expect(await cached.convertCache()).toBe(8);
    expect(cache.status().partitions).toBe(8);
  });

  test.each([
    ['the newest date alone holds the answer', 'true', 5],
    ['the check fails with a last row known: a day stamped later comes back', `useragent = 'rare'`, 5],
    ['the first read finds too few rows: every day is read', `useragent = 'scarce'`, 5],
    ['a limit too large to try', 'true', 500],
  ])('%s', async (_, where, limit) => {
    const expected = await run(raw, newest(where, limit));
    const got = await run(cached, newest(where, limit));
    expect(got.status.stats?.cachedPartitions).toBe(8);
    expect(got.rows).toEqual(expected.rows);
    expect(got.rows.length).toBe(Math.min(limit, expected.rows.length));
  });

  test('what is read: the newest date alone, then the day that may hold a newer row, or every day', async () => {
    const bytes = async (where: string, limit: number) =>
      (await run(cached, newest(where, limit))).status.stats!.bytesScanned;
    const all = await bytes('true', 500);
    const first = await bytes('true', 5);
    const back = await bytes(`useragent = 'rare'`, 5);
    const scarce = await bytes(`useragent = 'scarce'`, 5);
    // Same columns, days of about the same size: 2 of 8 days, then 3 of 8 (the later-stamped day comes back); too
    // few rows in the first read: all 8, as without the newest-first reading.
    expect(first * 3).toBeLessThan(all);
    expect(back).toBeGreaterThan(first);
    expect(back * 2).toBeLessThan(all);
    expect(scarce).toBe(all);
    expect((await run(cached, newest(`useragent = 'rare'`, 5))).rows[0]![0]).toBe('2024-05-04T10:00:00Z');
  });

  test('a failed check and two damaged days in one question: the damaged days are read raw, the answer the same', async () => {
    const state = new LogTree('trailbot-newest-damaged-');
    const damagedCache = new ColumnarCache({ dir: state.root, dataDir: tree.root, now: () => NOW, logger: () => {} });
    const engine = new DuckDbEngine({ dataDir: tree.root, logger: () => {}, cache: damagedCache });
    try {
      await run(engine, newest('true', 5));
      expect(await engine.convertCache()).toBe(8);
      const manifest = JSON.parse(fs.readFileSync(path.join(damagedCache.dir, 'manifest.json'), 'utf8'));
      for (const key of ['111122223333/us-east-1/2024/05/04', '111122223333/us-east-1/2024/05/03']) {
        // Same size, garbage inside: only reading it finds out.
        const file = manifest.partitions[key].parquet as string;
        fs.writeFileSync(file, Buffer.alloc(fs.statSync(file).size, 7));
      }
      const where = `useragent = 'rare'`;
      const got = await run(engine, newest(where, 5));
      expect(got.rows).toEqual((await run(raw, newest(where, 5))).rows);
      expect(got.status.stats?.cachedPartitions).toBe(6);
    } finally {
      await engine.close();
      state.remove();
    }
  });
});
