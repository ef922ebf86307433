import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { DuckDbEngine } from '../../src/engines/duckdb';
import { testConfig } from '../helpers/config';
import { runCommand } from '../helpers/run-query';

/**
 * The shapes real CloudTrail logs have and trailbot's own generator did not (CloudTrail User Guide; issue 12): files in
 * the folder of their delivery time, MFA in two fields, empty strings for absent fields, egress rules, NDJSON exports,
 * mixed IPv4/IPv6, file names with glob characters. Records follow the CloudTrail record format; where the real
 * stratus-red-team records are present they are laid out across midnight as a trail delivers them.
 */
const LOGS = path.resolve(__dirname, '../../../shared/data/stratus-red-team/docs/detonation-logs');
const ACCOUNT = '111122223333';
const NOW = new Date('2026-11-22T12:00:00Z');
const ctx = { config: testConfig(), now: NOW };

type Event = Record<string, unknown>;

let seq = 0;
function event(over: Event): Event {
  seq += 1;
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLE',
      arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
      accountId: ACCOUNT,
      userName: 'alice',
    },
    eventTime: '2026-11-20T10:00:00Z',
    eventSource: 'ec2.amazonaws.com',
    eventName: 'DescribeInstances',
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.15.0',
    requestParameters: null,
    responseElements: null,
    eventID: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    ...over,
  };
}

/** Writes `{"Records":[…]}` gzip files into the S3 layout, each in the day folder of its delivery time. */
function deliver(root: string, deliveries: { at: string; records: Event[]; name?: string }[]): void {
  for (const d of deliveries) {
    const at = new Date(d.at);
    const day = at.toISOString().slice(0, 10).replaceAll('-', '/');
    const dir = path.join(root, 'AWSLogs', ACCOUNT, 'CloudTrail', 'us-east-1', day);
    fs.mkdirSync(dir, { recursive: true });
    const stamp = `${at.toISOString().slice(0, 16).replace(/[-:]/g, '')}Z`;
    const name =
      d.name ?? `${ACCOUNT}_CloudTrail_us-east-1_${stamp}_${Math.random().toString(36).slice(2, 10)}.json.gz`;
    fs.writeFileSync(path.join(dir, name), zlib.gzipSync(JSON.stringify({ Records: d.records })));
  }
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'trail-shapes-'));
}

async function withEngine<T>(dir: string, use: (e: DuckDbEngine) => Promise<T>): Promise<T> {
  const engine = new DuckDbEngine({ dataDir: dir, logger: () => {} });
  try {
    return await use(engine);
  } finally {
    await engine.close();
  }
}

describe('delivery lag: events near midnight are read from the next day’s folder', () => {
  test('a one-day question counts the 23:5x events delivered at 00:03 the next day', async () => {
    const dir = tempDir();
    const late = [event({ eventTime: '2026-11-20T23:56:10Z' }), event({ eventTime: '2026-11-20T23:59:59Z' })];
    const early = [event({ eventTime: '2026-11-20T08:00:00Z' })];
    // Delivered just after midnight, with an event of the next day that must stay outside the window.
    deliver(dir, [
      { at: '2026-11-20T08:05:00Z', records: early },
      { at: '2026-11-21T00:03:00Z', records: [...late, event({ eventTime: '2026-11-21T00:00:30Z' })] },
    ]);
    const users = await withEngine(dir, (e) => runCommand(e, 'users 2026-11-20..2026-11-20', ctx));
    expect(users.records).toEqual([expect.objectContaining({ username: 'alice', total_events: '3' })]);
    const zero = { ...ctx, config: testConfig({ window: { ...testConfig().window, deliveryLagMinutes: 0 } }) };
    const withoutLag = await withEngine(dir, (e) => runCommand(e, 'users 2026-11-20..2026-11-20', zero));
    expect(withoutLag.records[0]?.total_events).toBe('1');
  });

  const real = fs.existsSync(LOGS);
  if (!real) console.log(`skipping the real-records midnight test: ${LOGS} does not exist (a clone without shared/)`);
  (real ? test : test.skip)(
    'the real stratus-red-team records, shifted to one day and delivered 5 minutes late, are all counted',
    async () => {
      const records: Event[] = fs
        .readdirSync(LOGS)
        .filter((f) => f.endsWith('.json'))
        .flatMap((f) => JSON.parse(fs.readFileSync(path.join(LOGS, f), 'utf8')) as Event[]);
      // Spread the real records over 2026-11-20 so the last ones fall in its final minutes, then deliver each in
      // 5-minute batches into the folder of its delivery time, as a trail does.
      const start = Date.parse('2026-11-20T00:00:00Z');
      const step = Math.floor((24 * 3600 * 1000) / records.length);
      const shifted: Event[] = records.map((r, i) => ({
        ...r,
        eventTime: new Date(start + i * step).toISOString().replace('.000', ''),
      }));
      const batches = new Map<number, Event[]>();
      for (const r of shifted) {
        const at = Math.ceil((Date.parse(String(r.eventTime)) + 1) / 300_000) * 300_000 + 5 * 60_000;
        batches.set(at, [...(batches.get(at) ?? []), r]);
      }
      const dir = tempDir();
      deliver(
        dir,
        [...batches].map(([at, recs]) => ({ at: new Date(at).toISOString(), records: recs })),
      );
      expect([...batches.keys()].some((at) => new Date(at).toISOString().startsWith('2026-11-21'))).toBe(true);
      const iamUser = shifted.filter(
        (r) => (r.userIdentity as { type?: string } | undefined)?.type === 'IAMUser',
      ).length;
      const users = await withEngine(dir, (e) => runCommand(e, 'users top 100 2026-11-20..2026-11-20', ctx));
      expect(users.records.reduce((n, r) => n + Number(r.total_events), 0)).toBe(iamUser);
    },
  );
});

describe('MFA is read where CloudTrail records it', () => {
  test('root: a console sign-in with MFAUsed=Yes is with MFA; an API call without mfaAuthenticated is not', async () => {
    const dir = tempDir();
    const root = { type: 'Root', principalId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT };
    deliver(dir, [
      {
        at: '2026-11-20T10:05:00Z',
        records: [
          // A root console sign-in: MFA in additionalEventData, no sessionContext (CloudTrail User Guide).
          event({
            userIdentity: root,
            eventName: 'ConsoleLogin',
            eventSource: 'signin.amazonaws.com',
            eventType: 'AwsConsoleSignIn',
            additionalEventData: { LoginTo: 'https://console.aws.amazon.com/', MobileVersion: 'No', MFAUsed: 'Yes' },
            responseElements: { ConsoleLogin: 'Success' },
          }),
          event({
            userIdentity: {
              ...root,
              sessionContext: { attributes: { creationDate: '2026-11-20T09:00:00Z', mfaAuthenticated: 'true' } },
            },
            eventName: 'ListUsers',
          }),
          event({
            userIdentity: { ...root, sessionContext: { attributes: { mfaAuthenticated: 'false' } } },
            eventName: 'CreateAccessKey',
          }),
        ],
      },
    ]);
    const r = await withEngine(dir, (e) => runCommand(e, 'root 2026-11-20..2026-11-20', ctx));
    const byName = Object.fromEntries(r.records.map((x) => [x.eventname, x.without_mfa]));
    expect(byName).toEqual({ ConsoleLogin: '0', ListUsers: '0', CreateAccessKey: '1' });
    expect(r.flags.map((f) => f.message)).toEqual(['root called CreateAccessKey 1 time without MFA']);
    const logins = await withEngine(dir, (e) => runCommand(e, 'logins all 2026-11-20..2026-11-20', ctx));
    expect(logins.records.map((x) => x.used_mfa)).toEqual(['true']);
    expect(logins.flags.filter((f) => f.code.endsWith('no-mfa'))).toEqual([]);
    const nomfa = await withEngine(dir, (e) => runCommand(e, 'logins nomfa 2026-11-20..2026-11-20', ctx));
    expect(nomfa.records).toEqual([]);
  });
});

describe('empty strings count as absent', () => {
  test('errorCode "" is no error for errors, users, root and recent errors; invokedBy "" is direct', async () => {
    const dir = tempDir();
    const root = {
      type: 'Root',
      principalId: ACCOUNT,
      arn: `arn:aws:iam::${ACCOUNT}:root`,
      accountId: ACCOUNT,
      invokedBy: '',
    };
    deliver(dir, [
      {
        at: '2026-11-20T10:05:00Z',
        records: [
          event({ errorCode: '', errorMessage: '' }),
          event({ errorCode: 'AccessDenied', errorMessage: 'User: alice is not authorized' }),
          event({ userIdentity: root, eventName: 'GetAccountSummary', errorCode: '' }),
        ],
      },
    ]);
    await withEngine(dir, async (e) => {
      const errors = await runCommand(e, 'errors 2026-11-20..2026-11-20', ctx);
      expect(errors.records.map((x) => [x.errorcode, x.total_events])).toEqual([['AccessDenied', '1']]);
      const users = await runCommand(e, 'users 2026-11-20..2026-11-20', ctx);
      expect(users.records.map((x) => [x.username, x.total_events, x.error_events])).toEqual([['alice', '2', '1']]);
      const root = await runCommand(e, 'root 2026-11-20..2026-11-20', ctx);
      expect(root.records.map((x) => [x.eventname, x.invoked_by, x.error_events])).toEqual([
        ['GetAccountSummary', null, '0'],
      ]);
      // invokedBy "" is a direct root call: it is flagged like one.
      expect(root.flags.map((f) => f.code)).toEqual(['root-no-mfa']);
      const recent = await runCommand(e, 'recent errors 2026-11-20..2026-11-20', ctx);
      expect(recent.records.map((x) => x.errorcode)).toEqual(['AccessDenied']);
    });
  });

  test('logins failed ignores an empty errorMessage; an empty userName shows the ARN', async () => {
    const dir = tempDir();
    const signIn = (over: Event) =>
      event({
        eventName: 'ConsoleLogin',
        eventSource: 'signin.amazonaws.com',
        eventType: 'AwsConsoleSignIn',
        additionalEventData: { MFAUsed: 'No' },
        responseElements: { ConsoleLogin: 'Success' },
        ...over,
      });
    deliver(dir, [
      {
        at: '2026-11-20T10:05:00Z',
        records: [
          signIn({
            errorMessage: '',
            userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT}:user/bob`, userName: '' },
          }),
          signIn({ errorMessage: 'Failed authentication', responseElements: { ConsoleLogin: 'Failure' } }),
        ],
      },
    ]);
    await withEngine(dir, async (e) => {
      const failed = await runCommand(e, 'logins failed 2026-11-20..2026-11-20', ctx);
      expect(failed.records.map((x) => x.result)).toEqual(['Failure']);
      const all = await runCommand(e, 'logins all 2026-11-20..2026-11-20', ctx);
      expect(all.records.map((x) => x.username)).toEqual([`arn:aws:iam::${ACCOUNT}:user/bob`, 'alice']);
    });
  });
});

describe('security groups: egress to the world is not reported as ingress', () => {
  test('the default egress rule gets the lower-risk flag, an ingress rule the finding', async () => {
    const dir = tempDir();
    const rule = (cidr: string) => ({
      groupId: 'sg-0a1b2c3d',
      ipPermissions: { items: [{ ipProtocol: '-1', ipRanges: { items: [{ cidrIp: cidr }] } }] },
    });
    deliver(dir, [
      {
        at: '2026-11-20T10:05:00Z',
        records: [
          event({ eventName: 'AuthorizeSecurityGroupEgress', readOnly: false, requestParameters: rule('0.0.0.0/0') }),
          event({
            eventName: 'AuthorizeSecurityGroupIngress',
            readOnly: false,
            eventTime: '2026-11-20T10:01:00Z',
            requestParameters: {
              groupId: 'sg-0a1b2c3d',
              ipProtocol: 'tcp',
              fromPort: 22,
              toPort: 22,
              cidrIp: '0.0.0.0/0',
            },
          }),
        ],
      },
    ]);
    const r = await withEngine(dir, (e) => runCommand(e, 'sg sg-0a1b2c3d 2026-11-20..2026-11-20', ctx));
    expect(r.flags.map((f) => f.code)).toEqual(['world-open-egress', 'world-open']);
    expect(r.flags[1]!.message).toBe('tcp/22 ingress opened to 0.0.0.0/0 on sg-0a1b2c3d by alice');
  });
});

describe('file layouts and names', () => {
  test('.ndjson and .jsonl exports (gzipped or not) are read', async () => {
    const dir = tempDir();
    const line = (e: Event) => `${JSON.stringify(e)}\n`;
    fs.writeFileSync(path.join(dir, 'export.ndjson'), line(event({})) + line(event({})));
    fs.writeFileSync(path.join(dir, 'export.jsonl'), line(event({})));
    fs.writeFileSync(path.join(dir, 'export.ndjson.gz'), zlib.gzipSync(line(event({}))));
    const r = await withEngine(dir, (e) => runCommand(e, 'users 2026-11-20..2026-11-20', ctx));
    expect(r.records[0]?.total_events).toBe('4');
    expect(r.stats.filesRead).toBe(3);
  });

  test('a file named with glob characters is read as exactly that file', async () => {
    const dir = tempDir();
    deliver(dir, [
      { at: '2026-11-20T10:05:00Z', records: [event({})], name: '*.json.gz' },
      { at: '2026-11-20T10:10:00Z', records: [event({})], name: 'a[1].json.gz' },
      { at: '2026-11-20T10:15:00Z', records: [event({})], name: 'a1.json.gz' },
      { at: '2026-11-20T10:20:00Z', records: [event({})], name: 'b?.json.gz' },
      { at: '2026-11-20T10:25:00Z', records: [event({})], name: 'bb.json.gz' },
    ]);
    const r = await withEngine(dir, (e) => runCommand(e, 'users 2026-11-20..2026-11-20', ctx));
    expect(r.records[0]?.total_events).toBe('5');
  });
});

describe('IPv4 and IPv6 are compared only within their family', () => {
  test('ip on an IPv6 network, ip on an IPv4 network and logins external with mixed networks', async () => {
    const dir = tempDir();
    const signIn = (ip: string) =>
      event({
        eventName: 'ConsoleLogin',
        eventSource: 'signin.amazonaws.com',
        eventType: 'AwsConsoleSignIn',
        sourceIPAddress: ip,
        additionalEventData: { MFAUsed: 'Yes' },
        responseElements: { ConsoleLogin: 'Success' },
      });
    deliver(dir, [
      {
        at: '2026-11-20T10:05:00Z',
        records: [
          signIn('198.51.100.7'),
          signIn('2001:db8:100::1'),
          signIn('::ffff:198.51.100.9'),
          signIn('203.0.113.5'),
          signIn('2001:db8:999::1'),
          event({ sourceIPAddress: 'ec2.amazonaws.com' }),
        ],
      },
    ]);
    await withEngine(dir, async (e) => {
      const v6 = await runCommand(e, 'ip 2001:db8::/32 2026-11-20..2026-11-20', ctx);
      expect(v6.records.map((x) => x.sourceipaddress).sort()).toEqual(['2001:db8:100::1', '2001:db8:999::1']);
      const v4 = await runCommand(e, 'ip 198.51.100.0/24 2026-11-20..2026-11-20', ctx);
      // The IPv4-mapped address is IPv4, as Trino stores it.
      expect(v4.records.map((x) => x.sourceipaddress).sort()).toEqual(['198.51.100.7', '::ffff:198.51.100.9']);
      const mapped = await runCommand(e, 'ip ::ffff:198.51.100.0/120 2026-11-20..2026-11-20', ctx);
      expect(mapped.records).toHaveLength(2);
      // Known networks 198.51.100.0/24 and 2001:db8:100::/48 (test config): the others are external.
      const external = await runCommand(e, 'logins external 2026-11-20..2026-11-20', ctx);
      expect(external.records.map((x) => x.sourceipaddress).sort()).toEqual(['2001:db8:999::1', '203.0.113.5']);
    });
  });
});
