import type { AthenaClient } from '@aws-sdk/client-athena';
import type { TrailLocation } from '../../../src/config';
import { TrailError } from '../../../src/core/errors';
import { compactionNames, renderCompactDayStatement } from '../../../src/ddl/compact';
import {
  type CompactOptions,
  type CompactTarget,
  compactClosedDays,
  compactDay,
  readWatermark,
} from '../../../src/engines/athena/compact';
import { setupCompaction } from '../../../src/engines/athena/setup';
import { FakeAthena, type FakeResponse, fixture, withExecution } from './fake-athena';

const location: TrailLocation = {
  bucket: 'acme-cloudtrail',
  prefix: '',
  accounts: ['111122223333'],
  regions: ['us-east-1'],
};
const names = compactionNames('trailbot');
/** 2026/11/28 is the latest closed day at this instant with a 30-minute delivery lag. */
const NOW = new Date('2026-11-30T06:00:00Z');

/** GetQueryResults of the watermark query: the header row, then (first_day, last_day); NULLs have no VarCharValue. */
const watermark = (first?: string, last?: string): FakeResponse => ({
  status: 200,
  body: {
    UpdateCount: 0,
    ResultSet: {
      Rows: [
        { Data: [{ VarCharValue: 'first_day' }, { VarCharValue: 'last_day' }] },
        { Data: [first ? { VarCharValue: first } : {}, last ? { VarCharValue: last } : {}] },
      ],
    },
  },
});
const succeeded = (statementType: string) =>
  withExecution(fixture('get-query-execution-succeeded'), { StatementType: statementType });

describe('the compaction job against the Athena API (recorded responses)', () => {
  let fake: FakeAthena;
  let client: AthenaClient;
  let target: CompactTarget;
  let options: CompactOptions;

  beforeAll(async () => {
    fake = await FakeAthena.start();
    client = fake.client();
    target = { client, workgroup: 'trailbot', database: 'trailbot' };
  });
  afterAll(async () => {
    client.destroy();
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    options = { names, now: NOW, deliveryLagMinutes: 30, pollMs: 10, sleep: async () => {} };
  });
  afterEach(() => {
    expect(fake.unused()).toEqual([]);
  });

  /** Scripts one watermark read answering (first, last). */
  const scriptWatermark = (first?: string, last?: string) => {
    fake.reply('StartQueryExecution', fixture('start-query-execution'));
    fake.reply('GetQueryExecution', succeeded('DML'));
    fake.reply('GetQueryResults', watermark(first, last));
  };
  /** Scripts one MERGE that runs, then succeeds. */
  const scriptMerge = () => {
    fake.reply('StartQueryExecution', fixture('start-query-execution'));
    fake.reply('GetQueryExecution', fixture('get-query-execution-running'), succeeded('DML'));
  };

  test('reads the watermark, and an empty table as none', async () => {
    scriptWatermark('2026/11/20', '2026/11/25');
    expect(await readWatermark(target, names, options)).toEqual({ first: '2026/11/20', last: '2026/11/25' });
    scriptWatermark();
    expect(await readWatermark(target, names, options)).toBeUndefined();
    const [first] = fake.sent('StartQueryExecution');
    expect(first).toMatchObject({
      QueryString:
        'SELECT min("timestamp") AS first_day, max("timestamp") AS last_day FROM "trailbot"."cloudtrail_compacted"',
      WorkGroup: 'trailbot',
    });
  });

  test('one day: the MERGE text with the day as its only ExecutionParameter, in the workgroup and database', async () => {
    scriptWatermark('2026/11/20', '2026/11/27');
    scriptMerge();
    const done = await compactDay(target, location, '2026/11/28', options);
    expect(done).toMatchObject({ day: '2026/11/28', engineId: '7f1c2e9a-3b4d-4e5f-8a9b-0c1d2e3f4a5b' });
    expect(done.status.state).toBe('SUCCEEDED');
    const merge = fake.sent('StartQueryExecution')[1];
    expect(merge).toEqual({
      QueryString: renderCompactDayStatement(location, names),
      ExecutionParameters: ["'2026/11/28'"],
      ClientRequestToken: expect.stringMatching(/^[0-9a-f]{64}$/),
      WorkGroup: 'trailbot',
      QueryExecutionContext: { Database: 'trailbot', Catalog: 'AwsDataCatalog' },
    });
  });

  test('the same day and attempt always sends the same ClientRequestToken; another day or attempt does not', async () => {
    const tokenOf = async (day: string, attempt?: number) => {
      fake.reset();
      scriptWatermark('2026/11/20', '2026/11/27');
      scriptMerge();
      await compactDay(target, location, day, attempt === undefined ? options : { ...options, attempt });
      return fake.sent('StartQueryExecution')[1]!.ClientRequestToken;
    };
    const first = await tokenOf('2026/11/28');
    // A second replica, or the job retried after a crash: Athena returns the first query for this token.
    expect(await tokenOf('2026/11/28')).toBe(first);
    expect(await tokenOf('2026/11/28', 1)).toBe(first);
    expect(await tokenOf('2026/11/28', 2)).not.toBe(first);
    expect(await tokenOf('2026/11/27')).not.toBe(first);
  });

  test('refuses a bad day, an open day and a day that would leave a gap, before any MERGE', async () => {
    await expect(compactDay(target, location, "2026/11/28' OR 1=1", options)).rejects.toThrow(/yyyy\/MM\/dd/);
    await expect(compactDay(target, location, '2026/11/29', options)).rejects.toThrow(
      '2026/11/29 is not closed yet: its files may still arrive until the next day ends plus the delivery lag. The latest closed day is 2026/11/28.',
    );
    expect(fake.requests).toEqual([]);

    scriptWatermark('2026/11/20', '2026/11/25');
    const gap = compactDay(target, location, '2026/11/27', options);
    await expect(gap).rejects.toThrow(TrailError);
    scriptWatermark('2026/11/20', '2026/11/25');
    await expect(compactDay(target, location, '2026/11/27', options)).rejects.toThrow(
      '2026/11/27 would leave a gap: the compacted days are 2026/11/20 to 2026/11/25, so the next ones are 2026/11/19 (backfill) or 2026/11/26.',
    );
    // Only the two watermark reads reached Athena.
    expect(fake.sent('StartQueryExecution')).toHaveLength(2);
  });

  test('a re-run inside the range and a backfill day before it are allowed', async () => {
    for (const day of ['2026/11/22', '2026/11/19']) {
      scriptWatermark('2026/11/20', '2026/11/25');
      scriptMerge();
      expect((await compactDay(target, location, day, options)).day).toBe(day);
    }
  });

  test('the daily run compacts every closed day after the watermark, in order', async () => {
    scriptWatermark('2026/11/20', '2026/11/25');
    for (let i = 0; i < 3; i++) scriptMerge();
    const done = await compactClosedDays(target, location, options);
    expect(done.map((d) => d.day)).toEqual(['2026/11/26', '2026/11/27', '2026/11/28']);
    expect(
      fake
        .sent('StartQueryExecution')
        .slice(1)
        .map((b) => b.ExecutionParameters),
    ).toEqual([["'2026/11/26'"], ["'2026/11/27'"], ["'2026/11/28'"]]);
  });

  test('the daily run on an empty table starts at the latest closed day (or the first day asked), bounded', async () => {
    scriptWatermark();
    scriptMerge();
    expect((await compactClosedDays(target, location, options)).map((d) => d.day)).toEqual(['2026/11/28']);
    scriptWatermark();
    scriptMerge();
    scriptMerge();
    const bounded = await compactClosedDays(target, location, { ...options, firstDay: '2026/11/01', maxDays: 2 });
    expect(bounded.map((d) => d.day)).toEqual(['2026/11/01', '2026/11/02']);
  });

  test('nothing to do when the watermark is the latest closed day', async () => {
    scriptWatermark('2026/11/20', '2026/11/28');
    expect(await compactClosedDays(target, location, options)).toEqual([]);
    expect(fake.sent('StartQueryExecution')).toHaveLength(1);
  });

  test('stops at the first failed day with Athena’s reason; later days wait for the next run', async () => {
    scriptWatermark('2026/11/20', '2026/11/25');
    fake.reply('StartQueryExecution', fixture('start-query-execution'));
    fake.reply('GetQueryExecution', fixture('get-query-execution-failed-glue-access-denied'));
    const run = compactClosedDays(target, location, options);
    await expect(run).rejects.toThrow(/^Compacting 2026\/11\/26 did not succeed \(Athena query [0-9a-f-]+\): /);
    expect(fake.sent('StartQueryExecution')).toHaveLength(2);
  });

  test('setup compacted: database, raw table renamed, Iceberg table, then the view, waiting for each', async () => {
    fake.reply('StartQueryExecution', ...Array.from({ length: 4 }, () => fixture('start-query-execution')));
    fake.reply('GetQueryExecution', ...Array.from({ length: 4 }, () => succeeded('DDL')));
    const steps = await setupCompaction(target, location, {
      database: 'trailbot',
      location: 's3://acme-trailbot-compacted/compacted/',
      pollMs: 10,
      sleep: async () => {},
    });
    expect(steps.map((s) => s.status.state)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(fake.sent('StartQueryExecution').map((b) => String(b.QueryString).split('\n')[0])).toEqual([
      'CREATE DATABASE IF NOT EXISTS `trailbot`',
      'CREATE EXTERNAL TABLE IF NOT EXISTS `trailbot`.`cloudtrail_raw` (',
      'CREATE TABLE IF NOT EXISTS `trailbot`.`cloudtrail_compacted` (',
      'CREATE OR REPLACE VIEW "trailbot"."cloudtrail_logs" AS',
    ]);
  });

  test('setup compacted with a bad folder fails before any statement runs', async () => {
    await expect(
      setupCompaction(target, location, { database: 'trailbot', location: 's3://acme-cloudtrail/AWSLogs/' }),
    ).rejects.toThrow('must not be inside the CloudTrail log folders');
    expect(fake.requests).toEqual([]);
  });
});
