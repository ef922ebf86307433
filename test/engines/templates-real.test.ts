import * as fs from 'node:fs';
import * as path from 'node:path';
import { DuckDbEngine } from '../../src/engines/duckdb';
import { testConfig } from '../helpers/config';
import { runCommand } from '../helpers/run-query';

/**
 * Every command's template on the real stratus-red-team records (see ../shared/data/README.md): their values are
 * anonymised and odd (fake regions, invalid IPs, altered CIDRs), so these tests check that each template runs
 * unchanged, handles the nesting and NULLs, and returns what the README says the data holds.
 */
const LOGS = path.resolve(__dirname, '../../../shared/data/stratus-red-team/docs/detonation-logs');
const available = fs.existsSync(LOGS);
if (!available)
  console.log(`skipping the templates-on-real-data tests: ${LOGS} does not exist (a clone without shared/)`);

(available ? describe : describe.skip)('templates on real CloudTrail records', () => {
  let engine: DuckDbEngine;
  // The records span 2024-07-30 to 2024-11-30; one explicit window covers them.
  const window = '2024-07-01..2024-12-31';
  const ctx = {
    config: testConfig({
      window: { maxDays: 200, defaults: {}, deliveryLagMinutes: 15, projectionStart: '2020/01/01' },
    }),
    now: new Date('2025-01-01T00:00:00Z'),
  };

  beforeAll(() => {
    engine = new DuckDbEngine({ dataDir: LOGS, logger: () => {} });
  });
  afterAll(() => engine.close());

  test('sg: the one AuthorizeSecurityGroupIngress opens tcp/22 to a /0, which is the whole internet', async () => {
    const r = await runCommand(engine, `sg ${window}`, ctx);
    const ingress = r.records.filter((x) => x.eventname === 'AuthorizeSecurityGroupIngress');
    expect(ingress).toHaveLength(1);
    expect(JSON.parse(String(ingress[0]!.requestparameters)).fromPort).toBe(22);
    expect(r.flags).toEqual([
      {
        code: 'world-open',
        message: `tcp/22 ingress opened to 208.236.235.254/0 on sg-003dc7f1f1c686164 by ${ingress[0]!.username}`,
      },
    ]);
  });

  test('logins: the one console sign-in, without MFA', async () => {
    expect((await runCommand(engine, `logins all ${window}`, ctx)).records).toHaveLength(1);
    const nomfa = await runCommand(engine, `logins nomfa ${window}`, ctx);
    expect(nomfa.records.map((x) => x.mfa_used)).toEqual(['No']);
  });

  test('errors: Client.UnauthorizedOperation is the most frequent error code', async () => {
    const r = await runCommand(engine, `errors top 100 ${window}`, ctx);
    const byCode = new Map<string, number>();
    for (const x of r.records)
      byCode.set(String(x.errorcode), (byCode.get(String(x.errorcode)) ?? 0) + Number(x.total_events));
    expect(byCode.get('Client.UnauthorizedOperation')).toBe(46);
    expect(byCode.get('AccessDenied')).toBe(5);
    expect([...byCode.values()].reduce((a, b) => a + b, 0)).toBe(52);
  });

  test('users, root, who, user, ip and recent all run unchanged on the real shapes', async () => {
    const users = await runCommand(engine, `users top 100 ${window}`, ctx);
    expect(users.records.reduce((n, x) => n + Number(x.total_events), 0)).toBe(241);
    expect((await runCommand(engine, `root ${window}`, ctx)).records).toEqual([]);
    const first = users.records[0]!;
    const user = await runCommand(engine, `user ${first.username} ${window}`, ctx);
    expect(user.records).toHaveLength(Number(first.total_events));
    const recent = await runCommand(engine, `recent all ${window}`, ctx);
    expect(recent.records).toHaveLength(200);
    // Anonymised IPs such as 253.252.51.07 are not addresses: they never match, and nothing crashes.
    const ip = await runCommand(engine, `ip 0.0.0.0/0 ${window}`, ctx);
    expect(ip.records.every((x) => /^\d+\.\d+\.\d+\.\d+$/.test(String(x.sourceipaddress)))).toBe(true);
    const who = await runCommand(engine, `who ${String(user.records[0]!.principal_arn)} ${window}`, ctx);
    expect(who.records.length).toBeGreaterThan(0);
  });
});
