import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { parseRequest } from '../../../commands';
import type { CommandContext } from '../../../commands/types';
import type { BoundQuery } from '../../../src/core/query';
import { DuckDbEngine } from '../../../src/engines/duckdb';
import { planActions } from '../../../src/engines/duckdb/actions';
import type { CachedPartition } from '../../../src/engines/duckdb/cache-manifest';
import { generateSampleData, sampleAccountIds } from '../../../src/sample/generate';
import { testConfig } from '../../helpers/config';
import { cachedEngine, run } from './fixtures';

/**
 * `users` on cached days is summed from the days' per-hour counts (src/engines/duckdb/actions.ts,
 * sql/rollups/top_users.sql). It must give exactly the raw files' answer for any window: one that starts or ends
 * inside an hour (those hours' rows are counted row by row), an event at the very start (kept) or end (not kept), a
 * late-delivered event in the next day's folder, an empty userName (named by its ARN), an empty errorCode (not an
 * error), a region scope; and it must actually read the counts.
 */
const NOW = new Date('2026-11-22T12:00:00Z');
const ctx: CommandContext = { config: testConfig(), now: NOW };
const [ACCOUNT] = sampleAccountIds(1);

let dir: string;
let dataDir: string;
let raw: DuckDbEngine;
let cached: DuckDbEngine;

/** A user's call, written into its own file in the folder of the day `folderDay` (yyyy/MM/dd). */
function writeCall(folderDay: string, name: string, eventTime: string, extra: Record<string, unknown> = {}): void {
  const folder = path.join(dataDir, 'AWSLogs', ACCOUNT!, 'CloudTrail', 'us-east-1', ...folderDay.split('/'));
  const record = {
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT}:user/${name}`, accountId: ACCOUNT, userName: name },
    eventTime,
    eventSource: 'iam.amazonaws.com',
    eventName: 'ListUsers',
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.4',
    eventID: `${name}-${eventTime}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    recipientAccountId: ACCOUNT,
    ...extra,
  };
  const stamp = folderDay.replaceAll('/', '');
  fs.writeFileSync(
    path.join(folder, `${ACCOUNT}_CloudTrail_us-east-1_${stamp}T2359Z_${name}${fs.readdirSync(folder).length}.json.gz`),
    zlib.gzipSync(JSON.stringify({ Records: [record] })),
  );
}

const queryOf = (text: string): BoundQuery => {
  const request = parseRequest(text, ctx);
  if (request.kind !== 'query') throw new Error(`${text} is not a query`);
  return request.query;
};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trail-actions-'));
  dataDir = path.join(dir, 'data');
  await generateSampleData({
    outDir: dataDir,
    days: 4,
    eventsPerDay: 400,
    accounts: sampleAccountIds(1),
    regions: ['us-east-1', 'eu-west-1'],
    seed: 61,
    now: NOW,
  });
  // At the very start of the first window below (kept), at its very end (not kept), late in the next day's folder,
  // inside a cut first hour, with an empty userName, with an empty errorCode and with a real one.
  writeCall('2026/11/19', 'edge-start', '2026-11-19T07:23:00Z');
  writeCall('2026/11/21', 'edge-end', '2026-11-21T16:05:00Z');
  writeCall('2026/11/20', 'latecomer', '2026-11-19T23:58:00Z');
  writeCall('2026/11/19', 'early-in-hour', '2026-11-19T07:41:10Z');
  writeCall('2026/11/20', 'arn-only', '2026-11-20T09:10:00Z', {
    userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT}:user/arn-only`, accountId: ACCOUNT, userName: '' },
  });
  writeCall('2026/11/20', 'empty-error', '2026-11-20T09:11:00Z', { errorCode: '' });
  writeCall('2026/11/20', 'denied', '2026-11-20T09:12:00Z', { errorCode: 'AccessDenied', errorMessage: 'no' });
  raw = new DuckDbEngine({ dataDir, logger: () => {} });
  cached = cachedEngine(dataDir, path.join(dir, 'state', 'cache'), NOW).engine;
  await run(cached, queryOf('users top 100 2026-11-19..2026-11-21'));
  expect(await cached.convertCache()).toBe(6);
});
afterAll(async () => {
  await raw.close();
  await cached.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('users from the cached days per-hour counts', () => {
  test.each([
    'users top 100 2026-11-19T07:23Z..2026-11-21T16:05Z',
    'users top 100 2026-11-19T07:00Z..2026-11-21T16:05Z',
    'users top 100 2026-11-19T07:23Z..2026-11-21T16:00Z',
    'users top 100 2026-11-19T23:30Z..2026-11-20T09:11Z',
    'users top 100 2026-11-19T07:23Z..2026-11-21T16:05Z region:us-east-1',
    'users top 100 2026-11-19T07:23Z..2026-11-21T16:05Z region:eu-west-1',
    'users top 3 2026-11-19..2026-11-21',
  ])('%s: the raw files answer, from the counts', async (text) => {
    const query = queryOf(text);
    expect(query.rollup?.sql).toContain('cloudtrail_actions');
    const expected = await run(raw, query);
    const answer = await run(cached, query);
    // Every cached day it read was summed from its counts.
    expect(answer.status.stats.countedPartitions).toBe(answer.status.stats.cachedPartitions);
    expect(answer.status.stats.cachedPartitions).toBeGreaterThan(0);
    expect(answer.columns).toEqual(expected.columns);
    expect(answer.rows).toEqual(expected.rows);
    // The same question without its variant reads the days' rows, with the same answer.
    const { rollup: _, ...rowsOnly } = query;
    const byRows = await run(cached, rowsOnly);
    expect(byRows.status.stats.countedPartitions).toBeUndefined();
    expect(byRows.rows).toEqual(expected.rows);
  });

  test('the edge events: kept at the start, dropped at the end, the late one and the ARN-named one counted', async () => {
    const answer = await run(cached, queryOf('users top 100 2026-11-19T07:23Z..2026-11-21T16:05Z region:us-east-1'));
    const users = new Map(answer.rows.map((r) => [r[0], r]));
    expect(users.get('edge-start')?.[1]).toBe('1');
    expect(users.has('edge-end')).toBe(false);
    expect(users.get('latecomer')?.[1]).toBe('1');
    expect(users.get('early-in-hour')?.[1]).toBe('1');
    expect(users.get(`arn:aws:iam::${ACCOUNT}:user/arn-only`)?.[1]).toBe('1');
    expect(users.get('empty-error')?.[2]).toBe('0');
    expect(users.get('denied')?.[2]).toBe('1');
  });
});

describe('planActions', () => {
  const day = (first: string, last: string, extra: Partial<CachedPartition> = {}): CachedPartition =>
    ({ key: first, actions: __filename, actionHours: [first, last], ...extra }) as CachedPartition;
  const query = (start: string, end: string): BoundQuery =>
    ({ rollup: { sql: '', params: [] }, window: { start, end } }) as unknown as BoundQuery;

  test('the whole hours of the window; a day is read row by row only if it holds a cut first or last hour', () => {
    const days = [
      day('2026-11-19T00:00:00Z', '2026-11-19T23:00:00Z'),
      day('2026-11-20T00:00:00Z', '2026-11-20T23:00:00Z'),
      day('2026-11-21T00:00:00Z', '2026-11-21T23:00:00Z'),
    ];
    const plan = planActions(query('2026-11-19T07:23:00.000Z', '2026-11-21T16:05:00.000Z'), days)!;
    expect(plan.from.toISOString()).toBe('2026-11-19T08:00:00.000Z');
    expect(plan.to.toISOString()).toBe('2026-11-21T16:00:00.000Z');
    expect(days.map((d) => plan.rowLevel(d))).toEqual([true, false, true]);
    const aligned = planActions(query('2026-11-19T07:00:00.000Z', '2026-11-21T16:00:00.000Z'), days)!;
    expect(days.map((d) => aligned.rowLevel(d))).toEqual([false, false, false]);
  });

  test('no variant, no whole hour, or a day without usable counts: the question runs as written', () => {
    const days = [day('2026-11-19T00:00:00Z', '2026-11-19T23:00:00Z')];
    expect(planActions(query('2026-11-19T07:10:00.000Z', '2026-11-19T07:50:00.000Z'), days)).toBeUndefined();
    const plain = { window: { start: '2026-11-19T00:00:00.000Z', end: '2026-11-20T00:00:00.000Z' } } as BoundQuery;
    expect(planActions(plain, days)).toBeUndefined();
    const q = query('2026-11-19T00:00:00.000Z', '2026-11-20T00:00:00.000Z');
    expect(planActions(q, days)).toBeDefined();
    expect(
      planActions(q, [day('2026-11-19T00:00:00Z', '2026-11-19T23:00:00Z', { actionHours: undefined })]),
    ).toBeUndefined();
    expect(
      planActions(q, [day('2026-11-19T00:00:00Z', '2026-11-19T23:00:00Z', { actions: '/nonexistent' })]),
    ).toBeUndefined();
  });
});
