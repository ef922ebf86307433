import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closestSetting, loadConfig, normaliseCidr, parseByteSize, type TrailConfig } from '../../src/config';
import { ConfigError } from '../../src/core/errors';

/** The problems loadConfig reports for `env`; fails the test when it does not throw a ConfigError. */
function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

const SLACK_HTTP = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: '8f742231b10e8888abcd99yyyzzz85a5' };
const ATHENA = { TRAIL_ATHENA_DATABASE: 'cloudtrail', AWS_REGION: 'eu-central-1' };

describe('defaults', () => {
  test('an empty environment gives the embedded, terminal, open configuration', () => {
    const expected: TrailConfig = {
      timeZone: 'UTC',
      offHours: { start: '00:00', end: '05:00', weekends: false },
      knownNetworks: [],
      window: { maxDays: 90, defaults: {}, deliveryLagMinutes: 15, projectionStart: '2020/01/01' },
      engine: { kind: 'duckdb', dataDir: './data', strict: false, cacheDir: '.trailbot/cache' },
      trail: { prefix: '', accounts: [], regions: [] },
      store: { kind: 'dynalite', stateDir: './.trailbot', tableName: 'trailbot' },
      chat: { kind: 'terminal' },
      resultsDir: './results',
      limits: { perUser: 3, perChannel: 10, dedupeSeconds: 300, retentionDays: 90 },
      cost: { confirmAboveBytes: 10 * 1024 ** 3 },
      policy: { default: {}, commands: {} },
    };
    expect(loadConfig({})).toStrictEqual(expected);
  });

  test('blank values count as unset', () => {
    expect(loadConfig({ TRAIL_TIME_ZONE: '  ', TRAIL_MAX_WINDOW_DAYS: '' })).toMatchObject({
      timeZone: 'UTC',
      window: { maxDays: 90 },
    });
  });

  test('other environment variables are ignored', () => {
    expect(() => loadConfig({ PATH: '/usr/bin', HOME: '/root', AWS_REGION: 'nowhere' })).not.toThrow();
  });
});

describe('every problem at once', () => {
  test('several bad variables give one line each, in one ConfigError', () => {
    const problems = problemsOf({
      TRAIL_TIME_ZONE: 'Mars/Base',
      TRAIL_OFFHOURS: '25:00-01:00',
      TRAIL_MAX_PER_USER: 'lots',
      TRAIL_KNOWN_NETWORKS: '10.0.0.0/8 banana',
      TRAIL_TIMEZONE: 'Europe/Berlin',
      SLACK_BOT_TOKEN: 'xoxb-ok',
    });
    expect(problems).toEqual([
      'TRAIL_TIME_ZONE: `Mars/Base` is not an IANA time zone (e.g. Europe/Berlin)',
      'TRAIL_OFFHOURS: `25:00-01:00` is not a time range; use HH:MM-HH:MM on a 24-hour clock, e.g. 00:00-05:00 or 22:00-06:00',
      'TRAIL_KNOWN_NETWORKS: `banana` is not a CIDR (e.g. 10.0.0.0/8 or 2001:db8::/32)',
      'SLACK_SIGNING_SECRET: required for Slack over HTTP (Basic Information → App Credentials), or set SLACK_APP_TOKEN (xapp-…) for Socket Mode',
      'TRAIL_MAX_PER_USER: `lots` is not a whole number; use one from 1 to 100',
      'TRAIL_TIMEZONE is not a trailbot setting; did you mean TRAIL_TIME_ZONE?',
    ]);
  });

  test('the error message lists every problem on its own line', () => {
    try {
      loadConfig({ TRAIL_STRICT: 'maybe', TRAIL_RETENTION_DAYS: '0' });
      throw new Error('unreachable');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message.split('\n')).toEqual([
        'Invalid configuration:',
        '  - TRAIL_STRICT: `maybe` is not a yes/no value; use true/false, 1/0 or yes/no',
        '  - TRAIL_RETENTION_DAYS: 0 is out of range; use a whole number from 1 to 3650',
      ]);
    }
  });
});

describe('time zone and off-hours', () => {
  test.each([
    ['Europe/Berlin', 'Europe/Berlin'],
    ['europe/berlin', 'Europe/Berlin'],
    ['America/New_York', 'America/New_York'],
    ['UTC', 'UTC'],
  ])('TRAIL_TIME_ZONE=%s', (value, expected) => {
    expect(loadConfig({ TRAIL_TIME_ZONE: value }).timeZone).toBe(expected);
  });

  test.each(['Mars/Base', '+01:00', 'Berlin', 'Z'])('TRAIL_TIME_ZONE=%s is refused', (value) => {
    expect(problemsOf({ TRAIL_TIME_ZONE: value })).toEqual([
      `TRAIL_TIME_ZONE: \`${value}\` is not an IANA time zone (e.g. Europe/Berlin)`,
    ]);
  });

  test.each([
    ['00:00-05:00', '00:00', '05:00'],
    ['22:00-06:00', '22:00', '06:00'],
    ['7:30 - 9:00', '07:30', '09:00'],
    ['23:00-00:00', '23:00', '00:00'],
  ])('TRAIL_OFFHOURS=%s', (value, start, end) => {
    expect(loadConfig({ TRAIL_OFFHOURS: value }).offHours).toEqual({ start, end, weekends: false });
  });

  test.each([
    ['24:00-05:00', 'is not a time range'],
    ['00:00', 'is not a time range'],
    ['00:60-05:00', 'is not a time range'],
    ['midnight-5', 'is not a time range'],
    ['05:00-05:00', 'is an empty range'],
  ])('TRAIL_OFFHOURS=%s is refused', (value, message) => {
    const [problem] = problemsOf({ TRAIL_OFFHOURS: value });
    expect(problem).toContain(`TRAIL_OFFHOURS: \`${value}\` ${message}`);
  });

  test.each([
    ['true', true],
    ['YES', true],
    ['1', true],
    ['false', false],
    ['no', false],
    ['0', false],
  ])('TRAIL_OFFHOURS_WEEKENDS=%s', (value, expected) => {
    expect(loadConfig({ TRAIL_OFFHOURS_WEEKENDS: value }).offHours.weekends).toBe(expected);
  });

  test('TRAIL_OFFHOURS_WEEKENDS=sometimes is refused', () => {
    expect(problemsOf({ TRAIL_OFFHOURS_WEEKENDS: 'sometimes' })).toEqual([
      'TRAIL_OFFHOURS_WEEKENDS: `sometimes` is not a yes/no value; use true/false, 1/0 or yes/no',
    ]);
  });
});

describe('known networks', () => {
  test('comma and space separated, IPv4 and IPv6, normalised and deduplicated', () => {
    expect(
      loadConfig({
        TRAIL_KNOWN_NETWORKS:
          '10.0.0.0/8, 192.168.1.0/24 2001:DB8:0:0::/32,, 203.0.113.7 10.0.0.0/8 ::1 ::ffff:10.0.0.0/104',
      }).knownNetworks,
    ).toEqual(['10.0.0.0/8', '192.168.1.0/24', '2001:db8::/32', '203.0.113.7/32', '::1/128']);
  });

  test('every invalid entry is named in one problem', () => {
    expect(problemsOf({ TRAIL_KNOWN_NETWORKS: '10.0.0/8, 10.0.0.0/33 fe80::/200 10.1.2.3/8' })).toEqual([
      'TRAIL_KNOWN_NETWORKS: `10.0.0/8` is not a CIDR (e.g. 10.0.0.0/8 or 2001:db8::/32); ' +
        '`10.0.0.0/33` is not a CIDR (e.g. 10.0.0.0/8 or 2001:db8::/32); ' +
        '`fe80::/200` is not a CIDR (e.g. 10.0.0.0/8 or 2001:db8::/32); ' +
        '`10.1.2.3/8` has host bits set; write the network 10.0.0.0/8 or the host 10.1.2.3/32',
    ]);
  });

  test.each([
    ['010.0.0.0/8', false],
    ['10/8', false],
    ['0x0a.0.0.0/8', false],
    ['2001:db8::1/64', false],
    ['2001:db8::/64', true],
    ['0.0.0.0/0', true],
    ['::/0', true],
  ])('normaliseCidr(%s) accepted=%s', (text, ok) => {
    expect(typeof normaliseCidr(text) === 'string').toBe(ok);
  });
});

describe('windows', () => {
  test.each([
    ['1', 1],
    ['90', 90],
    ['3650', 3650],
  ])('TRAIL_MAX_WINDOW_DAYS=%s', (value, expected) => {
    expect(loadConfig({ TRAIL_MAX_WINDOW_DAYS: value }).window.maxDays).toBe(expected);
  });

  test.each([
    ['0', '0 is out of range; use a whole number from 1 to 3650'],
    ['3651', '3651 is out of range; use a whole number from 1 to 3650'],
    ['7.5', '`7.5` is not a whole number; use one from 1 to 3650'],
    ['-1', '`-1` is not a whole number; use one from 1 to 3650'],
    ['1e3', '`1e3` is not a whole number; use one from 1 to 3650'],
  ])('TRAIL_MAX_WINDOW_DAYS=%s is refused', (value, message) => {
    expect(problemsOf({ TRAIL_MAX_WINDOW_DAYS: value })).toEqual([`TRAIL_MAX_WINDOW_DAYS: ${message}`]);
  });

  test('TRAIL_DEFAULT_WINDOW_<CMD> fills window.defaults, normalised', () => {
    expect(
      loadConfig({
        TRAIL_DEFAULT_WINDOW_SG: '6h',
        TRAIL_DEFAULT_WINDOW_ROOT: '07D',
        TRAIL_DEFAULT_WINDOW_LOGINS_EXTERNAL: 'yesterday',
      }).window.defaults,
    ).toEqual({ sg: '6h', root: '7d', 'logins-external': 'yesterday' });
  });

  test('default windows are checked against the maximum and must be relative', () => {
    expect(
      problemsOf({
        TRAIL_MAX_WINDOW_DAYS: '7',
        TRAIL_DEFAULT_WINDOW_SG: '8d',
        TRAIL_DEFAULT_WINDOW_ROOT: 'since 2026-01-01',
        TRAIL_DEFAULT_WINDOW_IAM: '0h',
        TRAIL_DEFAULT_WINDOW_: '1h',
      }),
    ).toEqual([
      'TRAIL_DEFAULT_WINDOW_: name a command after TRAIL_DEFAULT_WINDOW_, e.g. TRAIL_DEFAULT_WINDOW_SG=6h',
      'TRAIL_DEFAULT_WINDOW_IAM: `0h` is an empty window; use a positive duration like `12h`.',
      'TRAIL_DEFAULT_WINDOW_ROOT: `since 2026-01-01` is not a relative window; use a duration like 6h, 7d, 2w, or today/yesterday',
      'TRAIL_DEFAULT_WINDOW_SG: `8d` is longer than the 7-day maximum; narrow the window or set TRAIL_MAX_WINDOW_DAYS',
    ]);
  });
});

describe('engine', () => {
  test('DuckDB by default, with its settings', () => {
    expect(loadConfig({ TRAIL_DATA_DIR: '/srv/logs', TRAIL_STRICT: 'yes' }).engine).toEqual({
      kind: 'duckdb',
      dataDir: '/srv/logs',
      strict: true,
      cacheDir: '.trailbot/cache',
    });
  });

  test('TRAIL_CACHE=false turns the columnar cache off; it lives under TRAIL_STATE_DIR', () => {
    expect(loadConfig({ TRAIL_CACHE: 'false' }).engine).toEqual({ kind: 'duckdb', dataDir: './data', strict: false });
    expect(loadConfig({ TRAIL_STATE_DIR: '/var/lib/trailbot' }).engine).toMatchObject({
      cacheDir: '/var/lib/trailbot/cache',
    });
    expect(() => loadConfig({ TRAIL_CACHE: 'maybe' })).toThrow(/TRAIL_CACHE: `maybe` is not a yes\/no value/);
  });

  test('TRAIL_DELIVERY_LAG and TRAIL_PROJECTION_START', () => {
    expect(loadConfig({ TRAIL_DELIVERY_LAG: '1h', TRAIL_PROJECTION_START: '2024-07-01' }).window).toMatchObject({
      deliveryLagMinutes: 60,
      projectionStart: '2024/07/01',
    });
    expect(loadConfig({ TRAIL_DELIVERY_LAG: '0m' }).window.deliveryLagMinutes).toBe(0);
    expect(() => loadConfig({ TRAIL_DELIVERY_LAG: '2d' })).toThrow(/TRAIL_DELIVERY_LAG: `2d` is not a duration/);
    expect(() => loadConfig({ TRAIL_DELIVERY_LAG: '25h' })).toThrow(/TRAIL_DELIVERY_LAG: 25h is out of range/);
    expect(() => loadConfig({ TRAIL_PROJECTION_START: '2024/02/30' })).toThrow(
      /TRAIL_PROJECTION_START: `2024\/02\/30` is not a day/,
    );
  });

  test('TRAIL_ATHENA_DATABASE selects Athena with defaults for the rest', () => {
    expect(loadConfig(ATHENA).engine).toStrictEqual({
      kind: 'athena',
      region: 'eu-central-1',
      workgroup: 'primary',
      database: 'cloudtrail',
      catalog: 'AwsDataCatalog',
    });
  });

  test('every Athena setting', () => {
    expect(
      loadConfig({
        ...ATHENA,
        TRAIL_ATHENA_WORKGROUP: 'trailbot',
        TRAIL_ATHENA_CATALOG: 'other_catalog',
        TRAIL_ATHENA_OUTPUT: 's3://my-results/athena/',
        TRAIL_ATHENA_REUSE_MINUTES: '60',
        TRAIL_AWS_REGION: 'us-east-1',
      }).engine,
    ).toStrictEqual({
      kind: 'athena',
      region: 'us-east-1',
      workgroup: 'trailbot',
      database: 'cloudtrail',
      catalog: 'other_catalog',
      outputLocation: 's3://my-results/athena/',
      reuseMaxAgeMinutes: 60,
    });
  });

  test('TRAIL_ATHENA_WORKGROUP alone selects Athena and then asks for the database and Region', () => {
    expect(problemsOf({ TRAIL_ATHENA_WORKGROUP: 'trailbot' })).toEqual([
      'AWS_REGION: required for Athena (TRAIL_ATHENA_WORKGROUP/TRAIL_ATHENA_DATABASE); set AWS_REGION or TRAIL_AWS_REGION (e.g. us-east-1)',
      'TRAIL_ATHENA_DATABASE: required with Athena: the Glue database that holds the CloudTrail table (e.g. cloudtrail)',
    ]);
  });

  test('invalid Athena values', () => {
    expect(
      problemsOf({
        TRAIL_ATHENA_DATABASE: 'cloud trail',
        TRAIL_ATHENA_WORKGROUP: 'work/group',
        TRAIL_AWS_REGION: 'Frankfurt',
        TRAIL_ATHENA_OUTPUT: 'my-results/athena',
        TRAIL_ATHENA_REUSE_MINUTES: '10081',
        TRAIL_ATHENA_CATALOG: 'a b',
      }),
    ).toEqual([
      'TRAIL_AWS_REGION: `Frankfurt` is not an AWS Region name (e.g. us-east-1)',
      'TRAIL_ATHENA_DATABASE: `cloud trail` is not a Glue database / catalog name (letters, digits, _ -)',
      'TRAIL_ATHENA_WORKGROUP: `work/group` is not an Athena workgroup name (letters, digits, . _ -)',
      'TRAIL_ATHENA_CATALOG: `a b` is not a Glue database / catalog name (letters, digits, _ -)',
      'TRAIL_ATHENA_OUTPUT: `my-results/athena` is not an S3 location; use s3://bucket/prefix/',
      'TRAIL_ATHENA_REUSE_MINUTES: 10081 is out of range; use a whole number from 0 to 10080',
    ]);
  });

  test('TRAIL_ATHENA_REUSE_MINUTES=0 is accepted (off)', () => {
    expect(loadConfig({ ...ATHENA, TRAIL_ATHENA_REUSE_MINUTES: '0' }).engine).toMatchObject({ reuseMaxAgeMinutes: 0 });
  });

  test('Athena-only settings without Athena are reported, not silently ignored', () => {
    expect(problemsOf({ TRAIL_ATHENA_OUTPUT: 's3://x-results/', TRAIL_ATHENA_CATALOG: 'AwsDataCatalog' })).toEqual([
      'TRAIL_ATHENA_CATALOG: only applies to Athena, which is not selected; set TRAIL_ATHENA_DATABASE to use Athena, or remove this',
      'TRAIL_ATHENA_OUTPUT: only applies to Athena, which is not selected; set TRAIL_ATHENA_DATABASE to use Athena, or remove this',
    ]);
  });

  test('TRAIL_AWS_REGION is checked even when unused', () => {
    expect(problemsOf({ TRAIL_AWS_REGION: 'moon-1' })).toEqual([
      'TRAIL_AWS_REGION: `moon-1` is not an AWS Region name (e.g. us-east-1)',
    ]);
  });
});

describe('trail location', () => {
  test('every setting, lists split and deduplicated', () => {
    expect(
      loadConfig({
        TRAIL_BUCKET: 'org-trail-logs',
        TRAIL_PREFIX: '/central/logs/',
        TRAIL_ACCOUNTS: '111111111111, 222222222222 111111111111',
        TRAIL_REGIONS: 'us-east-1,eu-central-1 us-gov-west-1',
        TRAIL_ORG_ID: 'o-a1b2c3d4e5',
      }).trail,
    ).toStrictEqual({
      bucket: 'org-trail-logs',
      prefix: 'central/logs',
      accounts: ['111111111111', '222222222222'],
      regions: ['us-east-1', 'eu-central-1', 'us-gov-west-1'],
      organizationId: 'o-a1b2c3d4e5',
    });
  });

  test('invalid values', () => {
    expect(
      problemsOf({
        TRAIL_BUCKET: 's3://org-trail-logs',
        TRAIL_PREFIX: 'central/AWSLogs/',
        TRAIL_ACCOUNTS: '1234, 111111111111, abcdefghijkl',
        TRAIL_REGIONS: 'us-east-1 Ireland',
        TRAIL_ORG_ID: 'org-123',
      }),
    ).toEqual([
      'TRAIL_BUCKET: give the bucket name only, without s3:// (e.g. my-trail-logs)',
      'TRAIL_PREFIX: `central/AWSLogs/` includes AWSLogs; the prefix is only what comes before AWSLogs/',
      'TRAIL_ACCOUNTS: `1234` is not a 12-digit AWS account id (e.g. 123456789012); `abcdefghijkl` is not a 12-digit AWS account id (e.g. 123456789012)',
      'TRAIL_REGIONS: `Ireland` is not an AWS Region name (e.g. us-east-1)',
      'TRAIL_ORG_ID: `org-123` is not an organization id (o-xxxxxxxxxx)',
    ]);
  });

  test.each(['My_Bucket', 'ab', 'a..b', '-abc'])('TRAIL_BUCKET=%s is refused', (value) => {
    expect(problemsOf({ TRAIL_BUCKET: value })).toEqual([
      `TRAIL_BUCKET: \`${value}\` is not an S3 bucket name (3-63 lowercase letters, digits, . and -)`,
    ]);
  });
});

describe('store', () => {
  test('dynalite by default, TRAIL_STATE_DIR moves it', () => {
    expect(loadConfig({ TRAIL_STATE_DIR: '/var/lib/trailbot' }).store).toEqual({
      kind: 'dynalite',
      stateDir: '/var/lib/trailbot',
      tableName: 'trailbot',
    });
  });

  test('TRAIL_TABLE selects DynamoDB', () => {
    expect(loadConfig({ TRAIL_TABLE: 'trailbot-prod', AWS_REGION: 'eu-west-1' }).store).toStrictEqual({
      kind: 'dynamodb',
      tableName: 'trailbot-prod',
      region: 'eu-west-1',
    });
    expect(
      loadConfig({ TRAIL_TABLE: 'tb-dev', AWS_REGION: 'eu-west-1', TRAIL_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' })
        .store,
    ).toStrictEqual({ kind: 'dynamodb', tableName: 'tb-dev', region: 'eu-west-1', endpoint: 'http://127.0.0.1:8000' });
  });

  test('DynamoDB problems; a missing Region shared with Athena is reported once', () => {
    expect(
      problemsOf({ TRAIL_TABLE: 'x', TRAIL_DYNAMODB_ENDPOINT: 'localhost:8000', TRAIL_ATHENA_DATABASE: 'ct' }),
    ).toEqual([
      'AWS_REGION: required for Athena (TRAIL_ATHENA_WORKGROUP/TRAIL_ATHENA_DATABASE) and DynamoDB (TRAIL_TABLE); set AWS_REGION or TRAIL_AWS_REGION (e.g. us-east-1)',
      'TRAIL_TABLE: `x` is not a DynamoDB table name (3-255 of letters, digits, _ . -)',
      'TRAIL_DYNAMODB_ENDPOINT: `localhost:8000` is not an http(s) URL (e.g. http://127.0.0.1:8000)',
    ]);
  });

  test('an endpoint without a table is reported', () => {
    expect(problemsOf({ TRAIL_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' })).toEqual([
      'TRAIL_DYNAMODB_ENDPOINT: only applies with TRAIL_TABLE (DynamoDB); set TRAIL_TABLE or remove this',
    ]);
  });
});

describe('chat', () => {
  test('Slack over HTTP', () => {
    expect(loadConfig(SLACK_HTTP).chat).toStrictEqual({
      kind: 'slack',
      botToken: 'xoxb-1-2-abc',
      signingSecret: '8f742231b10e8888abcd99yyyzzz85a5',
      port: 3000,
    });
    expect(loadConfig({ ...SLACK_HTTP, PORT: '8080' }).chat).toMatchObject({ port: 8080 });
  });

  test('Socket Mode needs no signing secret', () => {
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1-A-2' }).chat).toStrictEqual({
      kind: 'slack',
      botToken: 'xoxb-1',
      signingSecret: '',
      appToken: 'xapp-1-A-2',
      port: 3000,
    });
  });

  test('token prefixes are checked and the secrets never echoed', () => {
    const problems = problemsOf({
      SLACK_BOT_TOKEN: 'xoxp-user-secret-123',
      SLACK_APP_TOKEN: 'xoxb-bot-secret-456',
      SLACK_SIGNING_SECRET: 'xoxb-pasted-here-789',
      PORT: '70000',
    });
    expect(problems).toEqual([
      'SLACK_BOT_TOKEN: must start with xoxb- (this one starts with xoxp-): use the Bot User OAuth Token from OAuth & Permissions',
      'SLACK_APP_TOKEN: must start with xapp- (this one starts with xoxb-): use an app-level token with connections:write',
      'SLACK_SIGNING_SECRET: this is a token, not the signing secret; copy "Signing Secret" from Basic Information',
      'PORT: 70000 is out of range; use a whole number from 1 to 65535',
    ]);
    for (const secret of ['user-secret', 'bot-secret', 'pasted-here']) {
      expect(problems.join('\n')).not.toContain(secret);
    }
  });

  test('Slack settings without a bot token are reported', () => {
    expect(problemsOf({ SLACK_APP_TOKEN: 'xapp-1' })).toEqual([
      'SLACK_BOT_TOKEN: required when SLACK_APP_TOKEN is set: the xoxb- token from OAuth & Permissions (without both, trailbot runs in the terminal)',
    ]);
    expect(problemsOf({ SLACK_SIGNING_SECRET: 'abc' })[0]).toContain('required when SLACK_SIGNING_SECRET is set');
  });

  test('PORT without Slack is ignored (it belongs to the host)', () => {
    expect(loadConfig({ PORT: 'not-a-port' }).chat).toEqual({ kind: 'terminal' });
  });
});

describe('limits and cost', () => {
  test('every limit', () => {
    const config = loadConfig({
      TRAIL_RESULTS_DIR: '/tmp/out',
      TRAIL_MAX_PER_USER: '5',
      TRAIL_MAX_PER_CHANNEL: '20',
      TRAIL_DEDUPE_SECONDS: '0',
      TRAIL_RETENTION_DAYS: '30',
      TRAIL_CONFIRM_ABOVE_BYTES: '500MB',
      TRAIL_DAILY_BUDGET_BYTES: '1TiB',
    });
    expect(config.resultsDir).toBe('/tmp/out');
    expect(config.limits).toEqual({ perUser: 5, perChannel: 20, dedupeSeconds: 0, retentionDays: 30 });
    expect(config.cost).toEqual({ confirmAboveBytes: 500_000_000, dailyBudgetBytesPerUser: 1024 ** 4 });
  });

  test.each([
    ['TRAIL_MAX_PER_USER', '0', '0 is out of range; use a whole number from 1 to 100'],
    ['TRAIL_MAX_PER_USER', '101', '101 is out of range; use a whole number from 1 to 100'],
    ['TRAIL_MAX_PER_CHANNEL', '1001', '1001 is out of range; use a whole number from 1 to 1000'],
    ['TRAIL_DEDUPE_SECONDS', '86401', '86401 is out of range; use a whole number from 0 to 86400'],
    ['TRAIL_RETENTION_DAYS', 'forever', '`forever` is not a whole number; use one from 1 to 3650'],
    ['TRAIL_CONFIRM_ABOVE_BYTES', '10 gigs', '`10 gigs` is not a size; use bytes or a size like 500MB, 10GB or 1TiB'],
    ['TRAIL_CONFIRM_ABOVE_BYTES', '-5GB', '`-5GB` is not a size; use bytes or a size like 500MB, 10GB or 1TiB'],
    ['TRAIL_DAILY_BUDGET_BYTES', '0', '`0` is too small; use at least 1 byte'],
  ])('%s=%s is refused', (name, value, message) => {
    expect(problemsOf({ [name]: value })).toEqual([`${name}: ${message}`]);
  });

  test.each([
    ['0', 0],
    ['1048576', 1_048_576],
    ['10GB', 10_000_000_000],
    ['10 gb', 10_000_000_000],
    ['10GiB', 10 * 1024 ** 3],
    ['500MB', 500_000_000],
    ['1.5kB', 1500],
    ['1TiB', 1024 ** 4],
    ['2PB', 2e15],
    ['12B', 12],
    ['10G', undefined],
    ['GB', undefined],
    ['1e9', undefined],
    ['99999999PiB', undefined],
  ])('parseByteSize(%j) = %j', (text, expected) => {
    expect(parseByteSize(text)).toBe(expected);
  });
});

describe('access policy', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'trailbot-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const policyJson = {
    default: { channels: ['C0SECOPS', 'G0PRIVATE'], users: [] },
    commands: { Root: { channels: ['C0COMPLIANCE'] }, sg: { users: ['U0ALICE', 'W0BOB'] } },
  };

  test('inline JSON; command names lowercased', () => {
    expect(loadConfig({ TRAIL_ACCESS_POLICY: JSON.stringify(policyJson) }).policy).toEqual({
      default: { channels: ['C0SECOPS', 'G0PRIVATE'], users: [] },
      commands: { root: { channels: ['C0COMPLIANCE'] }, sg: { users: ['U0ALICE', 'W0BOB'] } },
    });
  });

  test('missing parts default to open', () => {
    expect(loadConfig({ TRAIL_ACCESS_POLICY: '{}' }).policy).toEqual({ default: {}, commands: {} });
    expect(loadConfig({ TRAIL_ACCESS_POLICY: '{"commands":{"root":{"users":["U1X"]}}}' }).policy).toEqual({
      default: {},
      commands: { root: { users: ['U1X'] } },
    });
  });

  test('@file reads the policy from a file', () => {
    const file = join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify(policyJson));
    expect(loadConfig({ TRAIL_ACCESS_POLICY: `@${file}` }).policy.commands.root).toEqual({
      channels: ['C0COMPLIANCE'],
    });
  });

  test('an unreadable file is reported', () => {
    const missing = join(dir, 'nope.json');
    expect(problemsOf({ TRAIL_ACCESS_POLICY: `@${missing}` })).toEqual([
      `TRAIL_ACCESS_POLICY: cannot read policy file \`${missing.length > 40 ? `${missing.slice(0, 40)}…` : missing}\` (ENOENT); give a readable path after @`,
    ]);
  });

  test('invalid JSON is reported', () => {
    const [problem] = problemsOf({ TRAIL_ACCESS_POLICY: '{default:' });
    expect(problem).toMatch(/^TRAIL_ACCESS_POLICY: not valid JSON \(.+\); give JSON like/);
  });

  test('every invalid part is named with its path', () => {
    expect(
      problemsOf({
        TRAIL_ACCESS_POLICY: JSON.stringify({
          default: { channels: ['#general', 'C0OK'], user: ['U1'] },
          commands: { root: { users: ['alice', 'U0OK', 'C0NOTAUSER'] }, 'bad name!': {}, sg: { channels: 'C0X' } },
          extra: true,
        }),
      }),
    ).toEqual([
      "TRAIL_ACCESS_POLICY: default.channels[0]: `#general` is not a Slack channel id (C…, G… or D…; copy it from the channel's details, not its #name)",
      'TRAIL_ACCESS_POLICY: default: unknown field `user`; a rule has only "channels" and "users"',
      "TRAIL_ACCESS_POLICY: commands.root.users[0]: `alice` is not a Slack user id (U… or W…; copy it from the person's profile, not their @name)",
      "TRAIL_ACCESS_POLICY: commands.root.users[2]: `C0NOTAUSER` is not a Slack user id (U… or W…; copy it from the person's profile, not their @name)",
      'TRAIL_ACCESS_POLICY: commands.bad name!: `bad name!` is not a command name (letters, digits, - and _)',
      'TRAIL_ACCESS_POLICY: commands.sg.channels: must be a list of channel ids',
      'TRAIL_ACCESS_POLICY: unknown field `extra`; the policy has only "default", "commands" and "admins"',
    ]);
  });

  test('admins: user ids who may stop anyone’s question or schedule', () => {
    expect(loadConfig({ TRAIL_ACCESS_POLICY: '{"admins":["U0LEAD","W0OPS"]}' }).policy).toEqual({
      default: {},
      commands: {},
      admins: ['U0LEAD', 'W0OPS'],
    });
    expect(problemsOf({ TRAIL_ACCESS_POLICY: '{"admins":["@lead"]}' })).toEqual([
      "TRAIL_ACCESS_POLICY: admins[0]: `@lead` is not a Slack user id (U… or W…; copy it from the person's profile, not their @name)",
    ]);
  });

  test('Slack with Athena refuses to start without a policy, naming the setting and the explicit opt-out', () => {
    const problems = problemsOf({ ...SLACK_HTTP, ...ATHENA });
    expect(problems).toEqual([expect.stringMatching(/^TRAIL_ACCESS_POLICY: required for Slack with Athena: /)]);
    expect(problems[0]).toContain('set it to `open`');
    // `open` says "everyone, everywhere" on purpose; any policy will do too.
    expect(loadConfig({ ...SLACK_HTTP, ...ATHENA, TRAIL_ACCESS_POLICY: 'open' }).policy).toEqual({
      default: {},
      commands: {},
    });
    expect(
      loadConfig({ ...SLACK_HTTP, ...ATHENA, TRAIL_ACCESS_POLICY: '{"default":{"channels":["C0SECOPS"]}}' }).policy,
    ).toEqual({ default: { channels: ['C0SECOPS'] }, commands: {} });
  });

  test('the terminal, and Slack over local logs, stay open by default', () => {
    expect(loadConfig({ ...ATHENA }).policy).toEqual({ default: {}, commands: {} });
    expect(loadConfig({ ...SLACK_HTTP }).policy).toEqual({ default: {}, commands: {} });
    expect(loadConfig({ TRAIL_ACCESS_POLICY: 'open' }).policy).toEqual({ default: {}, commands: {} });
  });

  test('a JSON value that is not an object is reported', () => {
    expect(problemsOf({ TRAIL_ACCESS_POLICY: '["C0X"]' })).toEqual([
      'TRAIL_ACCESS_POLICY: must be a JSON object like {"default":{…},"commands":{…}}',
    ]);
  });
});

describe('unknown TRAIL_* variables', () => {
  test.each([
    ['TRAIL_TIMEZONE', 'TRAIL_TIME_ZONE'],
    ['TRAIL_OFF_HOURS', 'TRAIL_OFFHOURS'],
    ['TRAIL_ATHENA_WORKGRUOP', 'TRAIL_ATHENA_WORKGROUP'],
    ['TRAIL_MAX_WINDOW_DAY', 'TRAIL_MAX_WINDOW_DAYS'],
    ['TRAIL_DEFAULT_WINDOWS_SG', 'TRAIL_DEFAULT_WINDOW_SG'],
    ['TRAIL_DEFAULTWINDOW_LOGINS', 'TRAIL_DEFAULT_WINDOW_LOGINS'],
    ['TRAIL_DEFAUT_WINDOW_ROOT', 'TRAIL_DEFAULT_WINDOW_ROOT'],
  ])('%s → did you mean %s?', (typo, meant) => {
    expect(problemsOf({ [typo]: 'x' })).toEqual([`${typo} is not a trailbot setting; did you mean ${meant}?`]);
    expect(closestSetting(typo)).toBe(meant);
  });

  test('without a close match, says to remove it', () => {
    expect(problemsOf({ TRAIL_SOMETHING_ELSE_ENTIRELY: '1' })).toEqual([
      "TRAIL_SOMETHING_ELSE_ENTIRELY is not a trailbot setting; remove it (the README's Configuration section lists every setting)",
    ]);
  });

  test('empty unknown variables are still reported; known ones are not', () => {
    expect(problemsOf({ TRAIL_TIMEZONE: '', TRAIL_TIME_ZONE: 'UTC' })).toHaveLength(1);
  });
});
