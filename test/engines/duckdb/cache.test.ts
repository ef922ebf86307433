import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { CommandContext } from '../../../commands/types';
import { DuckDbEngine } from '../../../src/engines/duckdb';
import { ColumnarCache } from '../../../src/engines/duckdb/cache';
import type { LogFile } from '../../../src/engines/duckdb/files';
import { generateSampleData, sampleAccountIds } from '../../../src/sample/generate';
import { testConfig } from '../../helpers/config';
import { type QueryResult, runCommand } from '../../helpers/run-query';
import { plainQuery, run } from './fixtures';

/**
 * The columnar cache (issue 16) must never change an answer: every template over the same window gives the same rows
 * from the raw files and from the cached days, including after a day gains a late file, and a damaged cache file
 * falls back to the raw files.
 */
const NOW = new Date('2026-11-22T12:00:00Z');
const ctx: CommandContext = { config: testConfig(), now: NOW };
const WINDOW = '2026-11-19..2026-11-21';
const QUESTIONS = [
  'sg',
  'sg --all',
  'logins all',
  'logins offhours',
  'logins external',
  'logins nomfa',
  'logins failed',
  'errors top 20',
  'users top 20',
  'root',
  'recent all',
  'recent writes',
  'recent errors',
  'ip 198.51.100.0/24',
  'ip 2001:db8::/32',
  'user alice',
  'who sg-5887f224',
].map((q) => `${q} ${WINDOW}`);

let dir: string;
let dataDir: string;
let raw: DuckDbEngine;

const cacheFor = () =>
  new ColumnarCache({ dir: path.join(dir, 'state', 'cache'), dataDir, now: () => NOW, logger: () => {} });
const comparable = (r: QueryResult) => ({ columns: r.columns, rows: r.rows, flags: r.flags });
/**
 * The cached days' Parquet files in a parts folder; each has four side files beside it: an address index
 * (`….addresses.parquet`), a principal copy (`….principals.parquet`), its words (`….words.parquet`) and its calls
 * counted per hour (`….actions.parquet`). Every day's words, addresses and principal copies are also merged into one
 * file each (`words.<build>.parquet`, `addresses.<build>.parquet`, `principals.<build>.parquet`).
 */
const isMerged = (name: string) => /^(words|addresses|principals)\./.test(name);
const dayFiles = (parts: string): string[] =>
  fs
    .readdirSync(parts)
    .filter((f) => /\.parquet$/.test(f) && !/\.(addresses|principals|words|actions)\.parquet$/.test(f) && !isMerged(f));

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trail-cache-'));
  dataDir = path.join(dir, 'data');
  await generateSampleData({
    outDir: dataDir,
    days: 4,
    eventsPerDay: 400,
    accounts: sampleAccountIds(1),
    regions: ['us-east-1', 'eu-west-1'],
    seed: 16,
    now: NOW,
  });
  raw = new DuckDbEngine({ dataDir, logger: () => {} });
});
afterAll(async () => {
  await raw.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('columnar cache', () => {
  test('every template gives the same answer from the cached days as from the raw files', async () => {
    const engine = new DuckDbEngine({ dataDir, logger: () => {}, cache: cacheFor() });
    try {
      const first = await runCommand(engine, QUESTIONS[0]!, ctx);
      expect(first.stats.cachedPartitions).toBeUndefined();
      expect(await engine.convertCache()).toBeGreaterThan(0);
      for (const q of QUESTIONS) {
        const expected = comparable(await runCommand(raw, q, ctx));
        const cached = await runCommand(engine, q, ctx);
        expect({ q, ...comparable(cached) }).toEqual({ q, ...expected });
        // 2026-11-22 is still open (today): its folders are read raw; the three closed days (× 2 regions) are Parquet.
        expect(cached.stats.cachedPartitions).toBe(3 * 2);
      }
    } finally {
      await engine.close();
    }
  });

  test('only closed days are converted; --no-cache reads raw; bytes read drop to the named columns', async () => {
    const cache = cacheFor();
    const engine = new DuckDbEngine({ dataDir, logger: () => {}, cache });
    try {
      const q = `recent all 2026-11-21T00:00Z..2026-11-22T11:00Z`;
      await runCommand(engine, q, ctx);
      await engine.convertCache();
      const status = cache.status();
      expect(status.days).toBe(3); // from the first test's conversion; 2026-11-22 never
      const again = await runCommand(engine, q, ctx);
      const noCache = await runCommand(engine, `${q} --no-cache`, ctx);
      expect(again.rows).toEqual(noCache.rows);
      expect(noCache.stats.cachedPartitions).toBeUndefined();
      expect(again.stats.cachedPartitions).toBe(2); // 2026/11/21 × 2 regions
      expect(again.stats.bytesScanned).toBeLessThan(noCache.stats.bytesScanned);
      expect(status.bytes).toBeLessThan(status.sourceBytes);
    } finally {
      await engine.close();
    }
  });

  test('a day that gains a late file is read raw until it is rebuilt, and then cached again', async () => {
    const cache = cacheFor();
    const engine = new DuckDbEngine({ dataDir, logger: () => {}, cache });
    try {
      const q = `users top 50 ${WINDOW}`;
      const before = await runCommand(engine, q, ctx);
      const [account] = sampleAccountIds(1);
      const day = path.join(dataDir, 'AWSLogs', account!, 'CloudTrail', 'us-east-1', '2026', '11', '20');
      const late = {
        eventVersion: '1.09',
        userIdentity: {
          type: 'IAMUser',
          arn: `arn:aws:iam::${account}:user/latecomer`,
          accountId: account,
          userName: 'latecomer',
        },
        eventTime: '2026-11-19T23:58:00Z',
        eventSource: 'iam.amazonaws.com',
        eventName: 'ListUsers',
        awsRegion: 'us-east-1',
        sourceIPAddress: '198.51.100.4',
        eventID: 'late-0001',
        readOnly: true,
        eventType: 'AwsApiCall',
        recipientAccountId: account,
      };
      fs.writeFileSync(
        path.join(day, `${account}_CloudTrail_us-east-1_20261120T0003Z_late.json.gz`),
        zlib.gzipSync(JSON.stringify({ Records: [late] })),
      );
      const after = await runCommand(engine, q, ctx);
      expect(after.stats.cachedPartitions).toBe(5);
      expect(after.records.find((r) => r.username === 'latecomer')?.total_events).toBe('1');
      expect(comparable(after)).toEqual(comparable(await runCommand(raw, q, ctx)));
      expect(before.records.some((r) => r.username === 'latecomer')).toBe(false);
      expect(await engine.convertCache()).toBe(1);
      const rebuilt = await runCommand(engine, q, ctx);
      expect(rebuilt.stats.cachedPartitions).toBe(6);
      expect(comparable(rebuilt)).toEqual(comparable(after));
    } finally {
      await engine.close();
    }
  });

  test('a log file replaced the way sync tools do (new content under a temporary name, renamed over it) is noticed', async () => {
    const cache = cacheFor();
    const engine = new DuckDbEngine({ dataDir, logger: () => {}, cache });
    try {
      const q = `users top 50 ${WINDOW}`;
      expect((await runCommand(engine, q, ctx)).stats.cachedPartitions).toBe(6);
      const [account] = sampleAccountIds(1);
      const day = path.join(dataDir, 'AWSLogs', account!, 'CloudTrail', 'eu-west-1', '2026', '11', '19');
      const victim = path.join(day, fs.readdirSync(day).find((f) => f.endsWith('.json.gz'))!);
      const doc = JSON.parse(zlib.gunzipSync(fs.readFileSync(victim)).toString('utf8')) as { Records: object[] };
      const extra = { ...(doc.Records[0] as Record<string, unknown>), eventID: 'replaced-0001' };
      fs.writeFileSync(`${victim}.tmp`, zlib.gzipSync(JSON.stringify({ Records: [...doc.Records, extra] })));
      fs.renameSync(`${victim}.tmp`, victim);
      const after = await runCommand(engine, q, ctx);
      expect(after.stats.cachedPartitions).toBe(5);
      expect(comparable(after)).toEqual(comparable(await runCommand(raw, q, ctx)));
      expect(await engine.convertCache()).toBe(1);
      expect((await runCommand(engine, q, ctx)).stats.cachedPartitions).toBe(6);
    } finally {
      await engine.close();
    }
  });

  test('a damaged or missing cache file falls back to the raw files and is rebuilt', async () => {
    const cache = cacheFor();
    const engine = new DuckDbEngine({ dataDir, logger: () => {}, cache });
    try {
      const q = `errors top 20 ${WINDOW}`;
      const expected = comparable(await runCommand(raw, q, ctx));
      const parts = path.join(cache.dir, 'parts');
      const files = dayFiles(parts);
      // Same size, garbage inside: only reading it finds out.
      const victim = path.join(parts, files[0]!);
      fs.writeFileSync(victim, Buffer.alloc(fs.statSync(victim).size, 7));
      fs.rmSync(path.join(parts, files[1]!));
      const r = await runCommand(engine, q, ctx);
      expect(comparable(r)).toEqual(expected);
      expect(r.stats.cachedPartitions).toBe(4);
      expect(await engine.convertCache()).toBe(2);
      expect((await runCommand(engine, q, ctx)).stats.cachedPartitions).toBe(6);
    } finally {
      await engine.close();
    }
  });

  test('a rebuilt day gets a new file name, so the engine never reads a rebuild through what it kept of the old file', async () => {
    const cache = cacheFor();
    const engine = new DuckDbEngine({ dataDir, logger: () => {}, cache });
    try {
      const q = `errors top 20 ${WINDOW}`;
      const parts = path.join(cache.dir, 'parts');
      const before = dayFiles(parts);
      expect(before).toHaveLength(6);
      const victim = path.join(parts, before[0]!);
      // The engine reads the damaged file first, then the rebuild: within a second, at the same size.
      fs.writeFileSync(victim, Buffer.alloc(fs.statSync(victim).size, 7));
      expect((await runCommand(engine, q, ctx)).stats.cachedPartitions).toBe(5);
      expect(await engine.convertCache()).toBe(1);
      const after = dayFiles(parts);
      expect(after).toHaveLength(6);
      expect(after).not.toContain(before[0]);
      // The old build's side files went with it. (The merged files were made again; those they replace go at the
      // next conversion run, as a question may be reading them.)
      expect(fs.readdirSync(parts).filter((f) => !isMerged(f))).toHaveLength(30);
      expect(fs.readdirSync(parts).filter(isMerged)).toHaveLength(6);
      expect((await runCommand(engine, q, ctx)).stats.cachedPartitions).toBe(6);
    } finally {
      await engine.close();
    }
    // A Parquet file no manifest entry names (a process killed between writing it and saving the manifest) goes.
    const orphan = path.join(cache.dir, 'parts', 'orphan.parquet');
    fs.writeFileSync(orphan, 'left behind');
    cacheFor();
    expect(fs.existsSync(orphan)).toBe(false);
    expect(cacheFor().status().partitions).toBe(6);
  });

  test('an engine with a cache keeps the Parquet footers it read (the test above shows a rebuild is still seen); one without does not', async () => {
    const setting = plainQuery(`SELECT current_setting('parquet_metadata_cache') AS kept`);
    const engine = new DuckDbEngine({ dataDir, logger: () => {}, cache: cacheFor() });
    try {
      expect((await run(engine, setting)).rows).toEqual([['true']]);
    } finally {
      await engine.close();
    }
    expect((await run(raw, setting)).rows).toEqual([['false']]);
  });

  test('plan groups files by day folder in any order, queues the closed days and counts the open ones', () => {
    const cache = new ColumnarCache({ dir: path.join(dir, 'plan-state'), dataDir, now: () => NOW, logger: () => {} });
    const file = (account: string, region: string, day: string, name: string): LogFile => ({
      path: `${dataDir}/AWSLogs/${account}/CloudTrail/${region}/${day}/${name}`,
      bytes: 10,
      mtimeMs: 1,
      objectBytes: 10,
      format: 'records',
      layout: 's3',
      account,
      region,
      day,
    });
    const a1 = file('111122223333', 'us-east-1', '2026/11/20', 'a1.json.gz');
    const a2 = file('111122223333', 'us-east-1', '2026/11/20', 'a2.json.gz');
    const b1 = file('111122223333', 'eu-west-1', '2026/11/20', 'b1.json.gz');
    const c1 = file('444455556666', 'us-east-1', '2026/11/20', 'c1.json.gz');
    const today = file('111122223333', 'us-east-1', '2026/11/22', 'd1.json.gz');
    const flat: LogFile = { ...a1, path: `${dataDir}/export.json`, layout: 'flat' };
    // Interleaved, with runs of one folder, another account's same-named day, a flat export and an open day.
    const plan = cache.plan([a1, b1, a2, a2, c1, flat, today, a1]);
    expect(plan.cached).toEqual([]);
    expect(plan.raw).toEqual([flat, a1, a2, a2, a1, b1, c1, today]);
    expect([...plan.convertible].sort()).toEqual([
      '111122223333/eu-west-1/2026/11/20',
      '111122223333/us-east-1/2026/11/20',
      '444455556666/us-east-1/2026/11/20',
    ]);
    expect(plan.open).toBe(1);
    expect(cache.status().pending).toBe(3);
  });

  test('the cache lives in its own folder, never in the logs folder; clear removes it', async () => {
    const cache = cacheFor();
    expect(cache.dir.startsWith(path.join(dir, 'state'))).toBe(true);
    const inLogs = (d: string): string[] =>
      fs
        .readdirSync(d, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? inLogs(path.join(d, e.name)) : [e.name]));
    expect(inLogs(dataDir).some((f) => f.endsWith('.parquet'))).toBe(false);
    // What a conversion killed half-way leaves behind is removed by the next process.
    fs.writeFileSync(path.join(cache.dir, 'parts', 'x.parquet.123.tmp'), 'half');
    expect(fs.readdirSync(path.join(cacheFor().dir, 'parts')).some((f) => f.endsWith('.tmp'))).toBe(false);
    expect(await cache.clear()).toBe(6);
    expect(fs.existsSync(cache.dir)).toBe(false);
    expect(cacheFor().status().partitions).toBe(0);
  });

  test('a cache written in an earlier layout (manifest version 1: nested structs) is dropped, its files removed, and the days converted again', async () => {
    const engine = new DuckDbEngine({ dataDir, logger: () => {}, cache: cacheFor() });
    try {
      const q = `user alice ${WINDOW}`;
      await runCommand(engine, q, ctx);
      await engine.convertCache();
      const dirOf = cacheFor().dir;
      const manifestFile = path.join(dirOf, 'manifest.json');
      const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { version: number; partitions: object };
      expect(manifest.version).toBe(2);
      expect(dayFiles(path.join(dirOf, 'parts')).length).toBe(6);
      // Five files a day, and the merged words, addresses and principal copies.
      expect(fs.readdirSync(path.join(dirOf, 'parts')).length).toBe(33);
      // As a trailbot before the flat layout left it: same entries, version 1.
      fs.writeFileSync(manifestFile, JSON.stringify({ ...manifest, version: 1 }));
      const reopened = cacheFor();
      expect(reopened.status().partitions).toBe(0);
      expect(fs.readdirSync(path.join(dirOf, 'parts'))).toEqual([]);
      const fresh = new DuckDbEngine({ dataDir, logger: () => {}, cache: reopened });
      try {
        const expected = comparable(await runCommand(raw, q, ctx));
        const first = await runCommand(fresh, q, ctx);
        expect(first.stats.cachedPartitions).toBeUndefined();
        expect(comparable(first)).toEqual(expected);
        expect(await fresh.convertCache()).toBe(6);
        const again = await runCommand(fresh, q, ctx);
        expect(again.stats.cachedPartitions).toBe(6);
        expect(comparable(again)).toEqual(expected);
      } finally {
        await fresh.close();
      }
    } finally {
      await engine.close();
    }
  });
});
