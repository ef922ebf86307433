import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import ipaddr from 'ipaddr.js';
import { DuckDbEngine } from '../../src/engines/duckdb';
import {
  generateSampleData,
  SAMPLE_KNOWN_NETWORKS,
  type SampleManifest,
  sampleAccountIds,
} from '../../src/sample/generate';
import { testConfig } from '../helpers/config';
import { runCommand } from '../helpers/run-query';

/**
 * Every template runs on DuckDB against generated data, and its answer is checked against the generator's manifest
 * (counted from what was written) or against an independent recount of the raw records in plain TypeScript.
 */
type Rec = Record<string, unknown> & { eventTime: string; eventID: string; eventName: string };

describe('templates on generated CloudTrail data (DuckDB)', () => {
  let dataDir: string;
  let manifest: SampleManifest;
  let engine: DuckDbEngine;
  let records: Rec[];
  const now = new Date('2026-11-21T12:00:00Z');
  const ctx = () => ({ config: testConfig({ knownNetworks: [...SAMPLE_KNOWN_NETWORKS] }), now });
  const within = (hours: number) => (r: { eventTime: string }) =>
    Date.parse(r.eventTime) >= now.getTime() - hours * 3600_000 && Date.parse(r.eventTime) < now.getTime();

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'trail-templates-'));
    manifest = await generateSampleData({
      outDir: dataDir,
      days: 30,
      eventsPerDay: 150,
      accounts: sampleAccountIds(1),
      regions: ['us-east-1', 'eu-west-1'],
      seed: 3,
      now,
    });
    engine = new DuckDbEngine({ dataDir, logger: () => {} });
    records = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const full = path.join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (full.includes(`${path.sep}CloudTrail${path.sep}`) && name.endsWith('.json.gz')) {
          records.push(...(JSON.parse(gunzipSync(readFileSync(full)).toString('utf8')) as { Records: Rec[] }).Records);
        }
      }
    };
    walk(path.join(dataDir, 'AWSLogs'));
  });
  afterAll(async () => {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('sg with the article ids: bobodell’s two changes, with the world-open flags', async () => {
    const r = await runCommand(engine, 'sg sg-5887f224 eni-6c5ca5a8 12h', ctx());
    const expected = manifest.scenarios.sg.filter((e) => !e.readOnly).filter(within(12));
    expect(r.records.map((x) => x.eventid)).toEqual(expected.map((e) => e.eventId));
    expect(r.records.map((x) => [x.eventname, x.username])).toEqual([
      ['ModifyNetworkInterfaceAttribute', 'bobodell'],
      ['AuthorizeSecurityGroupIngress', 'bobodell'],
    ]);
    expect(r.flags.map((f) => f.message)).toEqual([
      'tcp/143 ingress opened to 0.0.0.0/0 on sg-5887f224 by bobodell',
      'tcp/143 ingress opened to ::/0 on sg-5887f224 by bobodell',
    ]);
  });

  test('sg --all adds the Describe calls on those groups; sg without ids lists every change in the window', async () => {
    const all = await runCommand(engine, 'sg sg-5887f224 sg-e214609e eni-6c5ca5a8 12h --all', ctx());
    expect(all.records.map((x) => x.eventid).sort()).toEqual(
      manifest.scenarios.sg
        .filter(within(12))
        .map((e) => e.eventId)
        .sort(),
    );
    const changes = await runCommand(engine, 'sg 12h', ctx());
    expect(changes.records.map((x) => x.eventid)).toEqual(
      manifest.scenarios.sgChanges.filter(within(12)).map((e) => e.eventId),
    );
  });

  test.each([
    ['all', 'allLogins'],
    ['offhours', 'offHoursLogins'],
    ['mobile', 'mobileLogins'],
    ['external', 'externalLogins'],
    ['nomfa', 'noMfaLogins'],
    ['failed', 'failedLogins'],
  ] as const)('logins %s returns exactly the generated %s', async (mode, key) => {
    const r = await runCommand(engine, `logins ${mode} 24h`, ctx());
    // `nomfa` means sign-ins that succeeded without MFA; the manifest's list also holds failed attempts without MFA.
    const logins = manifest.scenarios.logins.filter(within(24)).filter((l) => key !== 'noMfaLogins' || l.success);
    const inWindow = new Set(logins.map((l) => l.eventId));
    const expected = manifest.scenarios[key].filter((id) => inWindow.has(id));
    expect(expected.length).toBeGreaterThan(0);
    expect(r.records.map((x) => x.eventid).sort()).toEqual([...expected].sort());
  });

  test('errors ranks the generated error codes in the generated order, with their counts', async () => {
    const r = await runCommand(engine, 'errors top 10 30d', ctx());
    expect(r.records.map((x) => [x.errorcode, x.eventname, Number(x.total_events)])).toEqual(
      manifest.scenarios.errors.slice(0, 10).map((e) => [e.errorCode, e.eventName, e.count]),
    );
  });

  test('users: the top IAM users by events, as counted by the generator', async () => {
    const r = await runCommand(engine, 'users top 10 30d', ctx());
    expect(r.records.map((x) => [x.username, Number(x.total_events)])).toEqual(
      manifest.scenarios.users.map((u) => [u.userName, u.count]),
    );
  });

  test('root: grouped by event name and invokedBy, with calls without MFA, and the direct no-MFA flag', async () => {
    const r = await runCommand(engine, 'root 30d', ctx());
    const key = (name: unknown, by: unknown) => `${name}|${by ?? ''}`;
    expect(
      Object.fromEntries(
        r.records.map((x) => [key(x.eventname, x.invoked_by), [Number(x.total_events), Number(x.without_mfa)]]),
      ),
    ).toEqual(
      Object.fromEntries(
        manifest.scenarios.root.map((e) => [key(e.eventName, e.invokedBy), [e.count, e.count - e.withMfa]]),
      ),
    );
    const direct = manifest.scenarios.root.filter((e) => e.invokedBy === null && e.count > e.withMfa);
    expect(r.flags.map((f) => f.code)).toEqual(direct.map(() => 'root-no-mfa'));
  });

  test('who / user / ip / recent match an independent recount of the raw records', async () => {
    const ids = (rs: Rec[]) => rs.map((x) => x.eventID).sort();
    const last24 = records.filter(within(24));

    const who = await runCommand(engine, 'who sg-5887f224 24h', ctx());
    const mentions = (x: Rec) =>
      JSON.stringify([x.requestParameters, x.responseElements, x.resources]).includes('sg-5887f224');
    expect(who.records.map((x) => x.eventid).sort()).toEqual(ids(last24.filter(mentions)));

    const user = await runCommand(engine, 'user bobodell 24h', ctx());
    const byBob = (x: Rec) => {
      const u = x.userIdentity as { userName?: string; sessionContext?: { sessionIssuer?: { userName?: string } } };
      return u.userName === 'bobodell' || u.sessionContext?.sessionIssuer?.userName === 'bobodell';
    };
    expect(user.records.map((x) => x.eventid).sort()).toEqual(ids(last24.filter(byBob)));

    const ip = await runCommand(engine, 'ip 198.51.100.0/24 24h', ctx());
    const net = ipaddr.parseCIDR('198.51.100.0/24');
    const fromNet = (x: Rec) => {
      const a = String(x.sourceIPAddress);
      return ipaddr.IPv4.isValidFourPartDecimal(a) && ipaddr.parse(a).match(net);
    };
    expect(ip.records.map((x) => x.eventid).sort()).toEqual(ids(last24.filter(fromNet)));
    expect(ip.records.length).toBeGreaterThan(0);

    const recent = await runCommand(engine, 'recent writes 6h', ctx());
    const writes = records.filter(within(6)).filter((x) => x.readOnly === false);
    expect(recent.records.map((x) => x.eventid).sort()).toEqual(
      ids(writes).slice(0, 200).length === writes.length
        ? ids(writes)
        : recent.records.map((x) => String(x.eventid)).sort(),
    );
    expect(recent.records.length).toBe(Math.min(200, writes.length));
    const times = recent.records.map((x) => String(x.eventtime));
    expect([...times].sort().reverse()).toEqual(times);
  });

  test('a 12 h window over 30 days of data reads only the files of the days it touches', async () => {
    const r = await runCommand(engine, 'sg 12h', ctx());
    const days = ['2026/11/21'];
    const allFiles = records.length > 0 ? manifest.files : 0;
    const dayFiles = (day: string) =>
      manifest.regions.reduce((n, region) => {
        const dir = path.join(dataDir, 'AWSLogs', manifest.accounts[0]!, 'CloudTrail', region, ...day.split('/'));
        try {
          return n + readdirSync(dir).filter((f) => f.endsWith('.json.gz')).length;
        } catch {
          return n;
        }
      }, 0);
    expect(r.stats.filesRead).toBe(days.reduce((n, d) => n + dayFiles(d), 0));
    expect(r.stats.filesRead!).toBeLessThan(allFiles / 10);
  });
});
