import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parseRequest } from '../../../commands';
import type { CommandContext } from '../../../commands/types';
import { DuckDbEngine } from '../../../src/engines/duckdb';
import { ColumnarCache } from '../../../src/engines/duckdb/cache';
import { ROW_GROUP_ROWS } from '../../../src/engines/duckdb/cache-convert';
import type { CachedPartition } from '../../../src/engines/duckdb/cache-manifest';
import {
  parseScanFilter,
  pruningFromPlan,
  type RowGroupStats,
  rowGroupNeeded,
} from '../../../src/engines/duckdb/pruning';
import { columnNeeds } from '../../../src/engines/duckdb/view';
import { generateSampleData, sampleAccountIds } from '../../../src/sample/generate';
import { testConfig } from '../../helpers/config';
import { runCommand } from '../../helpers/run-query';

/**
 * The bytes a warm question reports skip the row groups its filters rule out by their statistics (pruning.ts): never
 * one that holds a row of the answer, and fewer than all of them when the template names event sources or names.
 */
describe('scan filters as DuckDB prints them', () => {
  test('equality, IN and OR chains on one sort column are kept; anything else is not', () => {
    expect(parseScanFilter("eventsource='ec2.amazonaws.com'")).toEqual({
      column: 'eventsource',
      values: ['ec2.amazonaws.com'],
    });
    expect(parseScanFilter("optional: eventname IN ('ConsoleLogin', 'It''s')")).toEqual({
      column: 'eventname',
      values: ['ConsoleLogin', "It's"],
    });
    expect(parseScanFilter("((eventsource = 'a.amazonaws.com') OR (eventsource = 'b.amazonaws.com'))")).toEqual({
      column: 'eventsource',
      values: ['a.amazonaws.com', 'b.amazonaws.com'],
    });
    expect(parseScanFilter("useridentity.type='Root'")).toEqual({ column: 'useridentity.type', values: ['Root'] });
    // Not held against statistics: other columns, other operators, two columns in one OR, a literal with more after it.
    expect(parseScanFilter("errorcode='AccessDenied'")).toBeUndefined();
    expect(parseScanFilter("eventname!='ConsoleLogin'")).toBeUndefined();
    expect(parseScanFilter("timestamp>='2026/11/13' AND timestamp<='2026/11/20'")).toBeUndefined();
    expect(parseScanFilter("((eventsource = 'a') OR (eventname = 'b'))")).toBeUndefined();
    expect(parseScanFilter("eventname='a' AND eventsource='b'")).toBeUndefined();
    expect(parseScanFilter('optional: Dynamic Filter (eventtime)')).toBeUndefined();
  });

  test('only the READ_PARQUET scan counts, and two filters on one column keep what both accept', () => {
    const plan = JSON.stringify([
      {
        name: 'PROJECTION',
        children: [
          {
            name: 'TABLE_SCAN',
            extra_info: {
              Function: 'READ_PARQUET',
              Filters: ["optional: eventname IN ('A', 'B', 'C')", "eventname='B'", "eventsource='s'"],
            },
            children: [],
          },
          { name: 'TABLE_SCAN', extra_info: { Function: 'READ_JSON', Filters: ["eventname='Z'"] }, children: [] },
        ],
      },
    ]);
    const pruning = pruningFromPlan(plan);
    expect([...pruning.entries()].map(([c, v]) => [c, [...v]])).toEqual([
      ['eventname', ['B']],
      ['eventsource', ['s']],
    ]);
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
      eventsPerDay: 6000,
      accounts: sampleAccountIds(1),
      regions: ['us-east-1'],
      seed: 61,
      now: NOW,
    });
    cache = new ColumnarCache({ dir: path.join(dir, 'cache'), dataDir: path.join(dir, 'data'), now: () => NOW });
    engine = new DuckDbEngine({ dataDir: path.join(dir, 'data'), cache, logger: () => {} });
    await runCommand(engine, 'recent all 2026-11-19..2026-11-21', ctx);
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
      expect(answer.stats.cachedPartitions).toBe(3);
      const request = parseRequest(text, ctx);
      if (request.kind !== 'query') throw new Error('a query');
      const needs = columnNeeds(request.query.sql);
      const cached = partitions();
      expect(cached.every((p) => (p.rowGroups?.length ?? 0) > 1)).toBe(true);
      const bytesOf = (g: RowGroupStats) =>
        Object.entries(g.columnBytes)
          .filter(([c]) => needs === 'all' || needs.has(c))
          .reduce((n, [, b]) => n + b, 0);
      // Upper bound: every row group's named columns (no pruning). Lower bound: the row groups of the answer's rows.
      const all = cached.reduce((n, p) => n + p.rowGroups!.reduce((m, g) => m + bytesOf(g), 0), 0);
      const answerGroups = await groupsOfAnswer(answer.records.map((r) => String(r.eventid)));
      expect(answerGroups.size).toBeGreaterThan(0);
      const lower = cached.reduce(
        (n, p) => n + p.rowGroups!.reduce((m, g, i) => m + (answerGroups.has(`${p.parquet}#${i}`) ? bytesOf(g) : 0), 0),
        0,
      );
      expect(answer.stats.bytesScanned).toBeGreaterThanOrEqual(lower);
      expect(answer.stats.bytesScanned).toBeLessThan(all);
    },
  );
});
