import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { AthenaEngine } from '../../src/engines/athena/engine';
import { DuckDbEngine } from '../../src/engines/duckdb';
import { sqlLiteral } from '../../src/query/literal';
import { generateSampleData, sampleAccountIds } from '../../src/sample/generate';
import { FakeAthena, fixture } from '../engines/athena/fake-athena';
import { context, queryOf } from '../helpers/commands';

/** One SQL source of truth: for the same template, parameters and window, both engines receive the same SQL text. */
describe('the same SQL text on Athena and DuckDB', () => {
  let athena: FakeAthena;
  let dataDir: string;
  beforeAll(async () => {
    athena = await FakeAthena.start();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'trail-one-sql-'));
    await generateSampleData({
      outDir: dataDir,
      days: 2,
      eventsPerDay: 200,
      accounts: sampleAccountIds(1),
      regions: ['us-east-1', 'eu-west-1'],
      seed: 5,
      now: new Date('2026-11-21T12:00:00Z'),
    });
  });
  afterAll(async () => {
    await athena.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // A multi-region trail: region: also filters the `region` partition column, which is what narrows Athena's scan.
  const ctx = context({ trail: { prefix: '', accounts: ['111122223333'], regions: ['us-east-1', 'eu-west-1'] } });

  test.each([
    'sg sg-5887f224 eni-6c5ca5a8 12h',
    'logins external 24h',
    'errors top 5 24h',
    'recent writes region:eu-west-1 12h',
  ])('%s', async (text) => {
    const q = queryOf(text, ctx).query;
    if (text.includes('region:')) expect(q.sql).toContain('AND region IN (?)');

    // Athena: the real SDK client against a local Athena; QueryString and ExecutionParameters as sent.
    athena.reset();
    athena.reply('StartQueryExecution', fixture('start-query-execution'));
    const client = athena.client();
    await new AthenaEngine({ client, workgroup: 'trailbot', database: 'trailbot' }).start(q, {
      executionId: 'one-sql',
    });
    client.destroy();
    const [sent] = athena.sent('StartQueryExecution');
    expect(sent!.QueryString).toBe(q.sql);
    expect(sent!.ExecutionParameters).toEqual(q.params.map(sqlLiteral));

    // DuckDB: a real instance whose connections record every statement they prepare.
    const prepared: string[] = [];
    const instance = await DuckDBInstance.create(':memory:');
    const connect = instance.connect.bind(instance);
    instance.connect = async () => {
      const connection = await connect();
      const prepare = connection.prepare.bind(connection);
      connection.prepare = (sql: string) => {
        prepared.push(sql);
        return prepare(sql);
      };
      return connection;
    };
    const duck = new DuckDbEngine({ dataDir, instance, logger: () => {} });
    const id = await duck.start(q, { executionId: 'one-sql' });
    for (;;) {
      const s = await duck.status(id);
      if (s.state === 'SUCCEEDED') break;
      if (s.state === 'FAILED') throw new Error(s.reason);
      await new Promise((r) => setTimeout(r, 10));
    }
    await duck.close();
    instance.closeSync();
    // DuckDB prepares the template's text itself (then the same text inside its result spool).
    expect(prepared).toContain(q.sql);
    expect(prepared.filter((p) => p.includes(q.sql))).toHaveLength(2);
  });
});
