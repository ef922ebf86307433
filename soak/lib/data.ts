/**
 * Data for the soak parts, written under a temp folder in CloudTrail's S3 layout: the sample generator's realistic
 * logs, and a set of exactly N console sign-ins whose full `logins all` result is known in advance (large results).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { generateSampleData, type SampleManifest, sampleAccountIds } from '../../src/sample/generate';
import { logFileKey } from '../../src/sample/layout';
import { Random } from '../../src/sample/random';

const gzipAsync = promisify(gzip);

/** The sample generator's logs: the AWS article's scenarios plus background noise, ending now. */
export function sampleDataset(
  dir: string,
  o: { days: number; eventsPerDay: number; seed: number; now?: Date },
): Promise<SampleManifest> {
  return generateSampleData({
    outDir: dir,
    days: o.days,
    eventsPerDay: o.eventsPerDay,
    accounts: sampleAccountIds(1),
    regions: ['us-east-1'],
    seed: o.seed,
    now: o.now ?? new Date(),
  });
}

/** Columns of `/trail logins` (sql/console_logins.sql), in order. */
export const LOGIN_COLUMNS = [
  'eventtime',
  'identity_type',
  'username',
  'sourceipaddress',
  'result',
  'mfa_used',
  'used_mfa',
  'mobile',
  'errormessage',
  'useragent',
  'principal_arn',
  'awsregion',
  'recipientaccountid',
  'eventid',
  'console_url',
] as const;

export interface LoginsDataset {
  /** Every row `logins all` must return for a window holding them all, in the template's order; NULL as ''. */
  expectedRows: string[][];
  files: number;
  bytes: number;
}

/**
 * User agents as CloudTrail records them, plus the characters a CSV must quote (commas, double quotes, a line break)
 * and non-ASCII text: a result that survives these survives anything a browser string holds.
 */
const AGENTS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AWSConsoleMobile/2.31 "mobile", build 7',
  'curl/8.4.0, via "proxy" ; note=\'x\'',
  'agent with a\nline break and ünïcødé ✓',
  'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
];

/**
 * Writes exactly `rows` ConsoleLogin events between `now - 20 h` and `now - 1 h` in `files` gzip files
 * (`{"Records":[…]}`), and returns the rows `logins all 1d` must answer, sorted as the template sorts them
 * (`ORDER BY eventtime ASC, eventid`). Identities mix IAM users (user name), root and assumed roles (no user name,
 * so the `username` column falls back to the ARN).
 */
export async function loginsDataset(
  dir: string,
  o: { rows: number; seed: number; now: Date; perFile?: number },
): Promise<LoginsDataset> {
  const rng = new Random(o.seed, 'logins');
  const account = sampleAccountIds(1)[0]!;
  const region = 'us-east-1';
  const end = o.now.getTime() - 3600_000;
  const start = o.now.getTime() - 20 * 3600_000;
  const perFile = o.perFile ?? 500;
  const times = Array.from({ length: o.rows }, () => Math.floor((start + rng.next() * (end - start)) / 1000) * 1000);
  times.sort((a, b) => a - b);
  const expected: string[][] = [];
  let files = 0;
  let bytes = 0;
  for (let first = 0; first < times.length; first += perFile) {
    const records: Record<string, unknown>[] = [];
    for (let i = first; i < Math.min(times.length, first + perFile); i++) {
      const time = times[i]!;
      const kind = rng.int(10);
      const user = `user.${rng.int(400)}`;
      const identity =
        kind === 0
          ? { type: 'Root', principalId: account, arn: `arn:aws:iam::${account}:root`, accountId: account }
          : kind === 1
            ? {
                type: 'AssumedRole',
                principalId: `AROA${rng.upperAlnum(17)}:${user}@example.com`,
                arn: `arn:aws:sts::${account}:assumed-role/Admin/${user}@example.com`,
                accountId: account,
              }
            : {
                type: 'IAMUser',
                principalId: `AIDA${rng.upperAlnum(17)}`,
                arn: `arn:aws:iam::${account}:user/${user}`,
                accountId: account,
                userName: user,
              };
      const success = rng.chance(0.9);
      const mfa = rng.chance(0.7) ? 'Yes' : 'No';
      const agent = rng.pick(AGENTS);
      const mobile = agent.includes('AWSConsoleMobile') ? 'Yes' : 'No';
      const ip = rng.chance(0.5) ? `198.51.100.${rng.int(256)}` : `203.0.113.${rng.int(256)}`;
      const eventId = rng.uuid();
      const eventTime = new Date(time).toISOString().replace('.000Z', 'Z');
      records.push({
        eventVersion: '1.08',
        userIdentity: identity,
        eventTime,
        eventSource: 'signin.amazonaws.com',
        eventName: 'ConsoleLogin',
        awsRegion: region,
        sourceIPAddress: ip,
        userAgent: agent,
        ...(success ? {} : { errorMessage: 'Failed authentication' }),
        requestParameters: null,
        responseElements: { ConsoleLogin: success ? 'Success' : 'Failure' },
        additionalEventData: {
          LoginTo: 'https://console.aws.amazon.com/console/home',
          MobileVersion: mobile,
          MFAUsed: mfa,
        },
        eventID: eventId,
        readOnly: false,
        eventType: 'AwsConsoleSignIn',
        managementEvent: true,
        recipientAccountId: account,
        eventCategory: 'Management',
      });
      expected.push([
        eventTime,
        identity.type,
        identity.userName ?? identity.arn,
        ip,
        success ? 'Success' : 'Failure',
        mfa,
        // The shared "used MFA" (sql/_used_mfa.sql): a sign-in used MFA when MFAUsed is Yes.
        mfa === 'Yes' ? 'true' : 'false',
        mobile,
        success ? '' : 'Failed authentication',
        agent,
        identity.arn,
        region,
        account,
        eventId,
        // The event's page in CloudTrail Event history (written here apart from src/util/console-link.ts).
        `https://${region}.console.aws.amazon.com/cloudtrailv2/home?region=${region}#/events/${eventId}`,
      ]);
    }
    const last = times[Math.min(times.length, first + perFile) - 1]!;
    // Delivered a few minutes after its last event, in the folder of the delivery day (as CloudTrail does).
    const key = logFileKey(account, region, last + 5 * 60_000, rng.alnum(16));
    const file = path.join(dir, key);
    await mkdir(path.dirname(file), { recursive: true });
    const body = await gzipAsync(JSON.stringify({ Records: records }), { level: 6 });
    await writeFile(file, body);
    files++;
    bytes += body.length;
  }
  expected.sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : a[13]! < b[13]! ? -1 : a[13]! > b[13]! ? 1 : 0));
  return { expectedRows: expected, files, bytes };
}
