import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import { UsageError } from '../../src/core/errors';
import { generateSampleData, SAMPLE_MANIFEST_FILE, type SampleOptions } from '../../src/sample/generate';
import type { SampleManifest } from '../../src/sample/manifest';
import { SAMPLE_KNOWN_NETWORKS } from '../../src/sample/world';
import {
  type LogFile,
  listFiles,
  makeTempDir,
  type ReadRecord,
  readGzipJson,
  readLogFiles,
  removeTempDir,
} from './helpers';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = new Date('2026-11-20T10:17:42Z');

const baseOptions = (outDir: string): SampleOptions => ({
  outDir,
  days: 2,
  eventsPerDay: 300,
  accounts: ['111122223333'],
  regions: ['us-east-1', 'eu-west-1'],
  seed: 42,
  now: NOW,
});

let dir: string;
let manifest: SampleManifest;
let files: LogFile[];
let records: ReadRecord[];

beforeAll(async () => {
  dir = await makeTempDir('gen');
  manifest = await generateSampleData(baseOptions(dir));
  files = await readLogFiles(dir);
  records = files.flatMap((f) => f.records);
});

afterAll(() => removeTempDir(dir));

const ms = (iso: string) => new Date(iso).getTime();
const byName = (name: string) => records.filter((r) => r.eventName === name);

describe('determinism', () => {
  let second: string | undefined;
  let other: string | undefined;
  afterAll(async () => {
    await removeTempDir(second);
    await removeTempDir(other);
  });

  test('the same seed and now give byte-identical files', async () => {
    second = await makeTempDir('gen-again');
    const again = await generateSampleData(baseOptions(second));
    expect(again).toEqual(manifest);
    const keys = await listFiles(dir);
    expect(await listFiles(second)).toEqual(keys);
    for (const key of keys) {
      const [a, b] = await Promise.all([readFile(path.join(dir, key)), readFile(path.join(second, key))]);
      expect({ key, same: a.equals(b) }).toEqual({ key, same: true });
    }
  });

  test('another seed gives other events', async () => {
    other = await makeTempDir('gen-other');
    const m = await generateSampleData({ ...baseOptions(other), seed: 7 });
    expect(m.scenarios.allLogins).not.toEqual(manifest.scenarios.allLogins);
    expect(await listFiles(other)).not.toEqual(await listFiles(dir));
  });
});

describe('layout', () => {
  const logName =
    /^AWSLogs\/(\d{12})\/CloudTrail\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$/;

  test('log files follow the S3 layout, named and foldered by delivery time', () => {
    expect(files.length).toBe(manifest.files);
    for (const file of files) {
      const m = logName.exec(file.key);
      expect(m).not.toBeNull();
      const [, account, region, yyyy, mm, dd, nameAccount, nameRegion, stamp] = m!;
      expect(nameAccount).toBe(account);
      expect(nameRegion).toBe(region);
      expect(stamp!.slice(0, 8)).toBe(`${yyyy}${mm}${dd}`);
      const delivered = Date.UTC(
        +stamp!.slice(0, 4),
        +stamp!.slice(4, 6) - 1,
        +stamp!.slice(6, 8),
        +stamp!.slice(9, 11),
        +stamp!.slice(11, 13),
      );
      expect(delivered).toBeLessThanOrEqual(NOW.getTime());
      const newest = Math.max(...file.records.map((r) => ms(r.eventTime)));
      // Delivered after its newest event (the name has minute precision).
      expect(delivered + 60_000).toBeGreaterThan(newest);
      expect(delivered - newest).toBeLessThan(30 * 60_000);
      for (const r of file.records) {
        expect(r.recipientAccountId).toBe(account);
        expect(r.awsRegion).toBe(region);
      }
    }
  });

  test('each file is a gzip of {"Records": [...]} with events in time order', async () => {
    for (const file of files.slice(0, 50)) {
      const bytes = await readFile(path.join(dir, file.key));
      expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
      expect(file.text.startsWith('{"Records":[')).toBe(true);
    }
    for (const file of files) {
      expect(file.records.length).toBeGreaterThan(0);
      const times = file.records.map((r) => r.eventTime);
      expect([...times].sort()).toEqual(times);
    }
  });

  test('digest files exist, are skipped by readers, and hash the log files they list', async () => {
    const keys = (await listFiles(dir)).filter((k) => k.includes('/CloudTrail-Digest/'));
    expect(keys.length).toBe(manifest.digestFiles);
    expect(keys.length).toBeGreaterThan(0);
    const digestName =
      /^AWSLogs\/111122223333\/CloudTrail-Digest\/(us-east-1|eu-west-1)\/\d{4}\/\d{2}\/\d{2}\/111122223333_CloudTrail-Digest_(us-east-1|eu-west-1)_management-events_us-east-1_\d{8}T\d{6}Z\.json\.gz$/;
    const texts = new Map(files.map((f) => [f.key, f.text]));
    let listed = 0;
    for (const key of keys) {
      expect(key).toMatch(digestName);
      const { json } = await readGzipJson(path.join(dir, key));
      const digest = json as {
        Records?: unknown;
        digestS3Object: string;
        logFiles: { s3Object: string; hashValue: string }[];
      };
      expect(digest.Records).toBeUndefined();
      expect(digest.digestS3Object).toBe(key);
      for (const entry of digest.logFiles) {
        const text = texts.get(entry.s3Object);
        expect(text).toBeDefined();
        expect(createHash('sha256').update(text!).digest('hex')).toBe(entry.hashValue);
        listed++;
      }
    }
    expect(listed).toBeGreaterThan(files.length / 2);
  });

  test('the manifest is written at the root and matches the returned one', async () => {
    const onDisk = JSON.parse(await readFile(path.join(dir, SAMPLE_MANIFEST_FILE), 'utf8'));
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(manifest)));
    const dayFolders = [...new Set(files.map((f) => f.key.split('/').slice(4, 7).join('/')))].sort();
    expect(manifest.partitions).toEqual(dayFolders);
  });
});

describe('records', () => {
  test('every event lies in [now - days, now)', () => {
    const start = NOW.getTime() - 2 * DAY;
    for (const r of records) {
      expect(ms(r.eventTime)).toBeGreaterThanOrEqual(start);
      expect(ms(r.eventTime)).toBeLessThan(NOW.getTime());
    }
    expect(manifest.window).toEqual({ start: new Date(start).toISOString(), end: NOW.toISOString() });
  });

  test('fill about events-per-day, plus the scenario events', () => {
    expect(manifest.totalEvents).toBe(records.length);
    expect(records.length).toBeGreaterThanOrEqual(600);
    expect(records.length).toBeLessThan(600 + 150);
  });

  test('have the fields and formats of real CloudTrail records', () => {
    const identityTypes = new Set<string | undefined>();
    const eventTypes = new Set<unknown>();
    for (const r of records) {
      expect(['1.08', '1.09', '1.10']).toContain(r.eventVersion);
      expect(r.eventTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(r.eventID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(r.eventSource).toMatch(/^[a-z0-9-]+\.amazonaws\.com$/);
      expect(typeof r.readOnly).toBe('boolean');
      expect(typeof r.managementEvent).toBe('boolean');
      expect(['Management', 'Data']).toContain(r.eventCategory);
      expect(r.requestParameters === null || typeof r.requestParameters === 'object').toBe(true);
      expect('responseElements' in r).toBe(true);
      identityTypes.add(r.userIdentity.type);
      eventTypes.add(r.eventType);
      if (r.userIdentity.type === 'AssumedRole') {
        expect(r.userIdentity.sessionContext).toMatchObject({
          sessionIssuer: { type: 'Role', arn: expect.stringMatching(/^arn:aws:iam::\d{12}:role\//) },
          attributes: { creationDate: expect.any(String), mfaAuthenticated: 'false' },
        });
        expect(r.userIdentity.arn).toMatch(/^arn:aws:sts::\d{12}:assumed-role\//);
      }
      if (r.userIdentity.type === 'IAMUser') expect(r.userIdentity.userName).toEqual(expect.any(String));
      if (r.userIdentity.type === 'AWSService') expect(r.userIdentity.invokedBy).toMatch(/\.amazonaws\.com$/);
      if (r.resources !== undefined) {
        for (const res of r.resources as { ARN: string; type: string }[]) {
          expect(res.ARN).toMatch(/^arn:aws:/);
          expect(res.type).toMatch(/^AWS::/);
        }
      }
    }
    expect([...identityTypes].sort()).toEqual(expect.arrayContaining(['AWSService', 'AssumedRole', 'IAMUser', 'Root']));
    for (const t of eventTypes) expect(['AwsApiCall', 'AwsConsoleSignIn', 'AwsServiceEvent']).toContain(t);
    expect(eventTypes.has('AwsApiCall') && eventTypes.has('AwsConsoleSignIn')).toBe(true);
  });

  test('look like the real records next to the repo (keys of ConsoleLogin and AuthorizeSecurityGroupIngress)', async () => {
    const logs = path.resolve(__dirname, '../../../shared/data/stratus-red-team/docs/detonation-logs');
    let real: ReadRecord[];
    try {
      real = [
        ...JSON.parse(await readFile(path.join(logs, 'aws.initial-access.console-login-without-mfa.json'), 'utf8')),
        ...JSON.parse(
          await readFile(path.join(logs, 'aws.exfiltration.ec2-security-group-open-port-22-ingress.json'), 'utf8'),
        ),
      ];
    } catch {
      console.warn(`real CloudTrail samples not found under ${logs}: shape comparison skipped`);
      return;
    }
    for (const sample of real) {
      const ours = records.find(
        (r) => r.eventName === sample.eventName && r.userIdentity.type === 'IAMUser' && r.errorMessage === undefined,
      );
      expect(ours).toBeDefined();
      // Every key the real record has, ours has too (ours may carry more, e.g. requestID on sign-ins is absent there).
      expect(Object.keys(ours!).sort()).toEqual(expect.arrayContaining(Object.keys(sample).sort()));
      expect(Object.keys(ours!.userIdentity)).toEqual(expect.arrayContaining(Object.keys(sample.userIdentity)));
      expect(typeof ours!.readOnly).toBe(typeof sample.readOnly);
    }
  });
});

describe('scenario: security groups', () => {
  const walk = () =>
    records.filter((r) => r.userIdentity.userName === 'bobodell' && r.eventSource === 'ec2.amazonaws.com');

  test('bobodell attaches the groups to the ENI, then opens tcp/143 to the world, in the last 6 hours', () => {
    const modify = byName('ModifyNetworkInterfaceAttribute');
    expect(modify).toHaveLength(1);
    expect(modify[0]!.requestParameters).toEqual({
      networkInterfaceId: 'eni-6c5ca5a8',
      groupSet: { items: [{ groupId: 'sg-e214609e' }, { groupId: 'sg-5887f224' }] },
    });
    const authorize = byName('AuthorizeSecurityGroupIngress').filter((r) => r.userIdentity.userName === 'bobodell');
    expect(authorize).toHaveLength(1);
    expect(authorize[0]!.requestParameters).toEqual({
      groupId: 'sg-5887f224',
      ipPermissions: {
        items: [
          {
            ipProtocol: 'tcp',
            fromPort: 143,
            toPort: 143,
            groups: {},
            ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] },
            ipv6Ranges: { items: [{ cidrIpv6: '::/0' }] },
            prefixListIds: {},
          },
        ],
      },
    });
    for (const r of [modify[0]!, authorize[0]!]) {
      expect(r.userIdentity).toMatchObject({
        type: 'IAMUser',
        userName: 'bobodell',
        arn: 'arn:aws:iam::111122223333:user/bobodell',
      });
      expect(r.readOnly).toBe(false);
      expect(NOW.getTime() - ms(r.eventTime)).toBeLessThan(6 * HOUR);
    }
    expect(ms(modify[0]!.eventTime)).toBeLessThan(ms(authorize[0]!.eventTime));
  });

  test('read-only Describe calls filter on the scenario groups', () => {
    const describes = records.filter(
      (r) =>
        (r.eventName === 'DescribeSecurityGroups' || r.eventName === 'DescribeNetworkInterfaces') &&
        /sg-5887f224|sg-e214609e|eni-6c5ca5a8/.test(JSON.stringify(r.requestParameters)),
    );
    expect(describes.map((r) => r.eventName).sort()).toEqual([
      'DescribeNetworkInterfaces',
      'DescribeNetworkInterfaces',
      'DescribeSecurityGroups',
      'DescribeSecurityGroups',
    ]);
    for (const r of describes) expect(r.readOnly).toBe(true);
    expect(walk().length).toBeGreaterThanOrEqual(5);
  });

  test('the manifest lists exactly the events naming the ENI or groups, within the sg window', () => {
    const expected = records
      .filter((r) => /sg-5887f224|sg-e214609e|eni-6c5ca5a8/.test(JSON.stringify(r.requestParameters)))
      .sort((a, b) => a.eventTime.localeCompare(b.eventTime));
    expect(manifest.scenarios.sg.map((e) => e.eventId)).toEqual(expected.map((r) => r.eventID));
    expect(manifest.scenarios.sg.map((e) => e.eventName)).toEqual(expected.map((r) => r.eventName));
    const { start, end } = manifest.scenarioWindows.sg;
    expect(NOW.getTime() - ms(start)).toBe(12 * HOUR);
    for (const e of manifest.scenarios.sg) {
      expect(e.eventTime >= start.replace('.000', '')).toBe(true);
      expect(ms(e.eventTime)).toBeLessThan(ms(end));
    }
    expect(manifest.scenarios.sg.find((e) => e.eventName === 'ModifyNetworkInterfaceAttribute')?.user).toBe('bobodell');
  });

  test('unrelated security-group changes on other groups are there too, one of them outside 12 h', () => {
    const changes = manifest.scenarios.sgChanges;
    const fromRecords = records.filter(
      (r) =>
        /SecurityGroup(Ingress|Egress)$|^(Create|Delete)SecurityGroup$|^ModifyNetworkInterfaceAttribute$/.test(
          r.eventName,
        ) && !r.readOnly,
    );
    expect(changes.map((c) => c.eventId).sort()).toEqual(fromRecords.map((r) => r.eventID).sort());
    const names = changes.map((c) => c.eventName);
    expect(names).toEqual(expect.arrayContaining(['RevokeSecurityGroupIngress', 'CreateSecurityGroup']));
    const unrelated = fromRecords.filter(
      (r) => !/sg-5887f224|sg-e214609e|eni-6c5ca5a8/.test(JSON.stringify(r.requestParameters)),
    );
    expect(unrelated.length).toBe(3);
    expect(unrelated.filter((r) => NOW.getTime() - ms(r.eventTime) > 12 * HOUR)).toHaveLength(1);
  });
});

describe('scenario: console logins', () => {
  const logins = () => byName('ConsoleLogin');
  const known = SAMPLE_KNOWN_NETWORKS.map((c) => ipaddr.parseCIDR(c));
  const isKnown = (ip: string) => {
    const a = ipaddr.parse(ip);
    return known.some(([net, bits]) => net.kind() === a.kind() && a.match(net, bits));
  };
  const ids = (keep: (r: ReadRecord) => boolean) =>
    logins()
      .filter(keep)
      .sort((a, b) => a.eventTime.localeCompare(b.eventTime))
      .map((r) => r.eventID);
  const extra = (r: ReadRecord, key: string) => (r.additionalEventData as Record<string, string>)[key];

  test('have the sign-in record shape', () => {
    expect(logins().length).toBeGreaterThan(0);
    for (const r of logins()) {
      expect(r).toMatchObject({
        eventSource: 'signin.amazonaws.com',
        eventType: 'AwsConsoleSignIn',
        requestParameters: null,
      });
      expect(['Success', 'Failure']).toContain((r.responseElements as { ConsoleLogin: string }).ConsoleLogin);
      expect(extra(r, 'LoginTo')).toMatch(/^https:\/\/console\.aws\.amazon\.com\//);
      expect(['Yes', 'No']).toContain(extra(r, 'MobileVersion'));
      expect(['Yes', 'No']).toContain(extra(r, 'MFAUsed'));
      expect(r.errorCode).toBeUndefined();
      if ((r.responseElements as { ConsoleLogin: string }).ConsoleLogin === 'Failure') {
        expect(r.errorMessage).toBe('Failed authentication');
      } else expect(r.errorMessage).toBeUndefined();
    }
  });

  test('each category has its small exact count, and the manifest agrees with a recount', () => {
    const s = manifest.scenarios;
    const offHours = ids((r) => Number(r.eventTime.slice(11, 13)) < 5);
    const mobile = ids((r) => extra(r, 'MobileVersion') === 'Yes');
    const external = ids((r) => !isKnown(r.sourceIPAddress));
    const noMfa = ids((r) => extra(r, 'MFAUsed') === 'No');
    const failed = ids((r) => (r.responseElements as { ConsoleLogin: string }).ConsoleLogin === 'Failure');
    const root = ids((r) => r.userIdentity.type === 'Root');
    expect({
      all: s.allLogins.length,
      offHours: s.offHoursLogins.length,
      mobile: s.mobileLogins.length,
      external: s.externalLogins.length,
      noMfa: s.noMfaLogins.length,
      failed: s.failedLogins.length,
      root: s.rootLogins.length,
    }).toEqual({ all: 17, offHours: 4, mobile: 2, external: 8, noMfa: 6, failed: 3, root: 1 });
    expect(s.allLogins).toEqual(ids(() => true));
    expect(s.offHoursLogins).toEqual(offHours);
    expect(s.mobileLogins).toEqual(mobile);
    expect(s.externalLogins).toEqual(external);
    expect(s.noMfaLogins).toEqual(noMfa);
    expect(s.failedLogins).toEqual(failed);
    expect(s.rootLogins).toEqual(root);
  });

  test('all lie in the last 24 hours; office logins are in office hours with MFA; external ones use IPv4 and IPv6', () => {
    for (const r of logins()) expect(NOW.getTime() - ms(r.eventTime)).toBeLessThan(DAY);
    const office = logins().filter((r) => isKnown(r.sourceIPAddress) && extra(r, 'MFAUsed') === 'Yes');
    expect(office.length).toBeGreaterThanOrEqual(5);
    const officeHours = office.filter((r) => {
      const h = Number(r.eventTime.slice(11, 13));
      return h >= 8 && h < 18;
    });
    expect(officeHours.length).toBeGreaterThanOrEqual(5);
    const outside = logins().filter((r) => !isKnown(r.sourceIPAddress));
    expect(outside.some((r) => r.sourceIPAddress.includes(':'))).toBe(true);
    expect(outside.some((r) => !r.sourceIPAddress.includes(':'))).toBe(true);
    expect(office.some((r) => r.sourceIPAddress.includes(':'))).toBe(true);
  });

  test('one root console login, without MFA', () => {
    const root = logins().filter((r) => r.userIdentity.type === 'Root');
    expect(root).toHaveLength(1);
    expect(extra(root[0]!, 'MFAUsed')).toBe('No');
    expect(root[0]!.userIdentity.arn).toBe('arn:aws:iam::111122223333:root');
  });
});

describe('scenario: recurring errors', () => {
  test('six error codes with distinct counts, ranked; the manifest equals a recount', () => {
    const counts = new Map<string, { errorCode: string; eventName: string; errorMessage: string; count: number }>();
    for (const r of records.filter((x) => x.errorCode !== undefined)) {
      expect(r.errorMessage).toEqual(expect.any(String));
      const key = `${r.errorCode}|${r.eventName}|${r.errorMessage}`;
      const entry = counts.get(key) ?? {
        errorCode: r.errorCode!,
        eventName: r.eventName,
        errorMessage: r.errorMessage!,
        count: 0,
      };
      entry.count++;
      counts.set(key, entry);
    }
    const ranked = [...counts.values()].sort((a, b) => b.count - a.count);
    expect(manifest.scenarios.errors).toEqual(ranked);
    expect(ranked.map((e) => e.errorCode)).toEqual([
      'Client.UnauthorizedOperation',
      'AccessDenied',
      'ThrottlingException',
      'Client.InvalidInstanceID.NotFound',
      'NoSuchEntityException',
      'InvalidParameterValueException',
    ]);
    const n = ranked.map((e) => e.count);
    expect(new Set(n).size).toBe(n.length);
  });

  test('all errors lie in the errors window (last 7 days, cut to the range)', () => {
    const { start, end } = manifest.scenarioWindows.errors;
    for (const r of records.filter((x) => x.errorCode !== undefined)) {
      expect(ms(r.eventTime)).toBeGreaterThanOrEqual(ms(start));
      expect(ms(r.eventTime)).toBeLessThan(ms(end));
    }
  });
});

describe('scenario: root activity', () => {
  test('direct (with and without MFA) and invoked by AWS Support; the manifest equals a recount', () => {
    const root = records.filter((r) => r.userIdentity.type === 'Root');
    const counts = new Map<string, number>();
    for (const r of root) {
      const key = `${r.eventName}|${r.userIdentity.invokedBy ?? ''}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(Object.fromEntries([...counts.entries()].sort())).toEqual(
      Object.fromEntries(manifest.scenarios.root.map((e) => [`${e.eventName}|${e.invokedBy ?? ''}`, e.count]).sort()),
    );
    expect(root.some((r) => r.userIdentity.invokedBy === 'support.amazonaws.com')).toBe(true);
    const direct = root.filter((r) => !r.userIdentity.invokedBy && r.eventName !== 'ConsoleLogin');
    expect(direct.some((r) => r.userIdentity.sessionContext?.attributes?.mfaAuthenticated === 'true')).toBe(true);
    expect(direct.some((r) => r.userIdentity.sessionContext === undefined)).toBe(true);
    expect(manifest.scenarios.root.length).toBeGreaterThanOrEqual(4);
    const { start } = manifest.scenarioWindows.root;
    for (const r of root) expect(ms(r.eventTime)).toBeGreaterThanOrEqual(ms(start));
  });
});

describe('scenario: users', () => {
  test('many IAM users, top 10 in the manifest equal a recount', () => {
    const counts = new Map<string, number>();
    for (const r of records) {
      if (r.userIdentity.type === 'IAMUser' && r.userIdentity.userName) {
        counts.set(r.userIdentity.userName, (counts.get(r.userIdentity.userName) ?? 0) + 1);
      }
    }
    const ranked = [...counts.entries()]
      .map(([userName, count]) => ({ userName, count }))
      .sort((a, b) => b.count - a.count || a.userName.localeCompare(b.userName));
    expect(manifest.scenarios.users).toEqual(ranked.slice(0, 10));
    expect(manifest.scenarios.distinctUsers).toBe(counts.size);
    expect(counts.size).toBeGreaterThanOrEqual(20);
    // Zipf-like: the busiest user has several times the events of the tenth.
    expect(ranked[0]!.count).toBeGreaterThan(3 * ranked[9]!.count);
  });

  test('assumed roles and AWS services act too', () => {
    expect(records.filter((r) => r.userIdentity.type === 'AssumedRole').length).toBeGreaterThan(100);
    expect(records.filter((r) => r.userIdentity.type === 'AWSService').length).toBeGreaterThan(20);
  });
});

describe('organization trail and several accounts', () => {
  let orgDir: string | undefined;
  afterAll(() => removeTempDir(orgDir));

  test('writes AWSLogs/o-…/<account>/… for every account, scenarios in the first', async () => {
    orgDir = await makeTempDir('org');
    const m = await generateSampleData({
      ...baseOptions(orgDir),
      days: 1,
      eventsPerDay: 200,
      accounts: ['111122223333', '444455556666'],
      regions: ['eu-west-1'],
      organizationId: 'o-a1b2c3d4e5',
    });
    expect(m.organizationId).toBe('o-a1b2c3d4e5');
    const keys = (await listFiles(orgDir)).filter((k) => k !== SAMPLE_MANIFEST_FILE);
    for (const k of keys)
      expect(k).toMatch(/^AWSLogs\/o-a1b2c3d4e5\/(111122223333|444455556666)\/CloudTrail(-Digest)?\/eu-west-1\//);
    const logs = await readLogFiles(orgDir);
    expect(new Set(logs.map((f) => f.key.split('/')[2]))).toEqual(new Set(['111122223333', '444455556666']));
    const recs = logs.flatMap((f) => f.records);
    expect(recs.length).toBe(m.totalEvents);
    // Global-service events go to the first region when us-east-1 is not generated.
    const login = recs.filter((r) => r.eventName === 'ConsoleLogin');
    expect(login).toHaveLength(17);
    for (const r of login) expect(r).toMatchObject({ awsRegion: 'eu-west-1', recipientAccountId: '111122223333' });
    expect(recs.filter((r) => r.recipientAccountId === '444455556666' && r.errorCode)).toHaveLength(0);
    expect(m.scenarios.errors.map((e) => e.count)).toEqual([34, 21, 13, 8, 5, 3]);
  });
});

describe('options', () => {
  test('bad options are reported all at once as a UsageError', async () => {
    const err = await generateSampleData({
      ...baseOptions(dir),
      days: 0,
      regions: ['mars-1'],
      accounts: ['12'],
      organizationId: 'org',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    const message = (err as UsageError).userMessage;
    for (const flag of ['--days', '--regions', '--accounts', '--org']) expect(message).toContain(flag);
  });
});
