import type { AthenaClient } from '@aws-sdk/client-athena';
import type { TrailLocation } from '../../../src/config';
import { renderCloudTrailDdl } from '../../../src/ddl/render';
import { AthenaEngine } from '../../../src/engines/athena/engine';
import { createTable, setupCloudTrailTable } from '../../../src/engines/athena/setup';
import { FakeAthena, type FakeResponse, fixture, withExecution } from './fake-athena';

const location: TrailLocation = {
  bucket: 'trailbot-logs-111122223333',
  prefix: '',
  accounts: ['111122223333'],
  regions: ['us-east-1', 'eu-west-1'],
};

/** GetQueryExecution answers for a DDL statement: DDL has no header row and no ExecutionParameters. */
const ddl = (response: FakeResponse, query: string): FakeResponse =>
  withExecution(response, { StatementType: 'DDL', SubstatementType: 'CREATE_TABLE', Query: query });

describe('Athena setup: database and CloudTrail table', () => {
  let fake: FakeAthena;
  let client: AthenaClient;
  let sleeps: number[];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };

  beforeAll(async () => {
    fake = await FakeAthena.start();
    client = fake.client();
  });
  afterAll(async () => {
    client.destroy();
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    sleeps = [];
  });
  afterEach(() => {
    expect(fake.unused()).toEqual([]);
  });

  test('creates the database, drops the old definition, creates the table, waiting for each', async () => {
    fake.reply('StartQueryExecution', ...Array.from({ length: 3 }, () => fixture('start-query-execution')));
    fake.reply(
      'GetQueryExecution',
      ddl(fixture('get-query-execution-running'), 'CREATE DATABASE'),
      ddl(fixture('get-query-execution-succeeded'), 'CREATE DATABASE'),
      ddl(fixture('get-query-execution-succeeded'), 'DROP TABLE'),
      ddl(fixture('get-query-execution-queued'), 'CREATE EXTERNAL TABLE'),
      ddl(fixture('get-query-execution-running'), 'CREATE EXTERNAL TABLE'),
      ddl(fixture('get-query-execution-succeeded'), 'CREATE EXTERNAL TABLE'),
    );
    const engine = new AthenaEngine({ client, workgroup: 'trailbot', database: 'trailbot' });

    const steps = await setupCloudTrailTable(engine, location, {
      database: 'trailbot',
      replace: true,
      pollMs: 250,
      sleep,
    });

    expect(steps.map((s) => s.status.state)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    const [database, drop, table] = fake.sent('StartQueryExecution');
    expect(database).toEqual({
      QueryString: 'CREATE DATABASE IF NOT EXISTS `trailbot`',
      ClientRequestToken: expect.stringMatching(/^[0-9a-f]{64}$/),
      WorkGroup: 'trailbot',
      // The database does not exist yet, so it is not the query's context.
      QueryExecutionContext: { Catalog: 'AwsDataCatalog' },
    });
    expect(drop!.QueryString).toBe('DROP TABLE IF EXISTS `trailbot`.`cloudtrail_logs`');
    expect(table!.QueryString).toBe(renderCloudTrailDdl(location, { database: 'trailbot' }));
    expect(table!.QueryExecutionContext).toEqual({ Database: 'trailbot', Catalog: 'AwsDataCatalog' });
    for (const sent of [database, drop, table]) {
      expect(sent).not.toHaveProperty('ExecutionParameters');
      expect(sent).not.toHaveProperty('ResultReuseConfiguration');
    }
    // Every statement gets its own token: a later setup must not be answered with an old execution.
    expect(new Set([database, drop, table].map((s) => s!.ClientRequestToken)).size).toBe(3);
    expect(sleeps).toEqual([250, 250, 250]);
  });

  test('a failed CREATE TABLE stops setup with Athena’s reason', async () => {
    fake.reply('StartQueryExecution', fixture('start-query-execution'));
    fake.reply(
      'GetQueryExecution',
      withExecution(fixture('get-query-execution-failed-glue-access-denied'), { StatementType: 'DDL' }),
    );
    const error = await createTable(
      { client, workgroup: 'trailbot', database: 'trailbot' },
      renderCloudTrailDdl(location, { database: 'trailbot' }),
      { sleep },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'ATHENA_DDL_FAILED',
      userMessage: expect.stringMatching(/^Creating the CloudTrail table did not succeed .*`glue:GetTable`/),
    });
  });

  test('a statement that never finishes times out with the query id to look up', async () => {
    fake.reply('StartQueryExecution', fixture('start-query-execution'));
    fake.reply(
      'GetQueryExecution',
      ...Array.from({ length: 4 }, () => ddl(fixture('get-query-execution-running'), 'CREATE')),
    );
    const error = await createTable({ client, workgroup: 'trailbot' }, 'CREATE EXTERNAL TABLE x (a string)', {
      sleep,
      pollMs: 1000,
      timeoutMs: 3000,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'ATHENA_DDL_TIMEOUT',
      userMessage: expect.stringContaining('7f1c2e9a-3b4d-4e5f-8a9b-0c1d2e3f4a5b'),
    });
    expect(sleeps).toEqual([1000, 1000, 1000]);
  });

  test('a bad trail location fails before anything is sent', async () => {
    await expect(
      setupCloudTrailTable(
        { client, workgroup: 'trailbot' },
        { ...location, accounts: ['not-an-account'] },
        {
          database: 'trailbot',
          sleep,
        },
      ),
    ).rejects.toMatchObject({ code: 'CONFIG' });
    expect(fake.requests).toEqual([]);
  });
});
