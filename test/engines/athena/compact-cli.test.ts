import { PassThrough } from 'node:stream';
import { runCli } from '../../../src/cli';
import { FakeAthena, fixture, withExecution } from './fake-athena';

/** `npx trail ddl compacted`, `npx trail compact`: through the real CLI entry point. */
const ATHENA_ENV = {
  TRAIL_ATHENA_WORKGROUP: 'trailbot',
  TRAIL_ATHENA_DATABASE: 'trailbot',
  AWS_REGION: 'us-east-1',
  TRAIL_BUCKET: 'acme-cloudtrail',
  TRAIL_ACCOUNTS: '111122223333',
  TRAIL_REGIONS: 'us-east-1',
  TRAIL_DELIVERY_LAG: '30',
};

async function trail(env: Record<string, string>, ...argv: string[]) {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d) => {
    o += String(d);
  });
  err.on('data', (d) => {
    e += String(d);
  });
  const code = await runCli(argv, { out, err, env, now: () => new Date('2026-11-30T06:00:00Z') });
  return { code, out: o, err: e };
}

describe('npx trail ddl compacted / compact', () => {
  test('ddl compacted prints the raw table, the Iceberg table and the view, in order', async () => {
    const r = await trail(ATHENA_ENV, 'ddl', 'compacted', 's3://acme-trailbot-compacted/compacted/');
    expect(r.code).toBe(0);
    const statements = r.out.split(';\n\n').map((s) => s.split('\n')[0]);
    expect(statements).toEqual([
      'CREATE EXTERNAL TABLE IF NOT EXISTS `trailbot`.`cloudtrail_raw` (',
      'CREATE TABLE IF NOT EXISTS `trailbot`.`cloudtrail_compacted` (',
      'CREATE OR REPLACE VIEW "trailbot"."cloudtrail_logs" AS',
    ]);
  });

  test('ddl compacted without a folder, or with a bad one, says what it needs', async () => {
    const none = await trail(ATHENA_ENV, 'ddl', 'compacted');
    expect(none.code).toBe(2);
    expect(none.err).toContain('Name the compacted table’s S3 folder, e.g. s3://my-bucket/trailbot/compacted/');
    const bad = await trail(ATHENA_ENV, 'ddl', 'compacted', 's3://acme-cloudtrail/AWSLogs/x/');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('must not be inside the CloudTrail log folders');
  });

  test('compact refuses bad input before calling AWS: a malformed day, a stray word, the embedded engine', async () => {
    const day = await trail(ATHENA_ENV, 'compact', '28/11/2026');
    expect(day.code).toBe(2);
    expect(day.err).toContain('28/11/2026 is not a day: write it yyyy/MM/dd, e.g. 2026/11/28.');
    const attempt = await trail(ATHENA_ENV, 'compact', '2026/11/28', '--attempt', 'x');
    expect(attempt.code).toBe(2);
    expect(attempt.err).toContain('--attempt needs a whole number from 1 to 999');
    const mixed = await trail(ATHENA_ENV, 'compact', '2026/11/28', '--max-days', '3');
    expect(mixed.code).toBe(2);
    expect(mixed.err).toContain('--from and --max-days are for the daily run, without a day.');
    const embedded = await trail({}, 'compact');
    expect(embedded.code).toBe(2);
    expect(embedded.err).toContain('Compaction is for Athena');
  });

  describe('against recorded Athena responses', () => {
    let fake: FakeAthena;
    const saved: Record<string, string | undefined> = {};
    // The SDK reads its endpoint and credentials from the process environment (AWS SDK "Service-specific endpoints":
    // AWS_ENDPOINT_URL_<SERVICE>), not from the CLI's env, so they are set here for the duration of these tests.
    const sdkEnv = (endpoint: string) => ({
      AWS_ENDPOINT_URL_ATHENA: endpoint,
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'test-secret',
    });
    beforeAll(async () => {
      fake = await FakeAthena.start();
      for (const [k, v] of Object.entries(sdkEnv(fake.endpoint))) {
        saved[k] = process.env[k];
        process.env[k] = v;
      }
    });
    afterAll(async () => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await fake.close();
    });

    test('the daily run compacts the closed days after the watermark and says so', async () => {
      const ok = withExecution(fixture('get-query-execution-succeeded'), { StatementType: 'DML' });
      fake.reply('StartQueryExecution', ...Array.from({ length: 3 }, () => fixture('start-query-execution')));
      fake.reply('GetQueryExecution', ok, ok, ok);
      fake.reply('GetQueryResults', {
        status: 200,
        body: {
          ResultSet: {
            Rows: [
              { Data: [{ VarCharValue: 'first_day' }, { VarCharValue: 'last_day' }] },
              { Data: [{ VarCharValue: '2026/11/01' }, { VarCharValue: '2026/11/26' }] },
            ],
          },
        },
      });
      const r = await trail(ATHENA_ENV, 'compact');
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Compacted 2026\/11\/27 \(Athena query [0-9a-f-]+, \d+ bytes scanned\)\n/);
      expect(r.out).toContain('Compacted 2026/11/28');
      expect(fake.sent('StartQueryExecution').map((b) => b.ExecutionParameters)).toEqual([
        undefined,
        ["'2026/11/27'"],
        ["'2026/11/28'"],
      ]);
      expect(fake.unused()).toEqual([]);
    });
  });
});
