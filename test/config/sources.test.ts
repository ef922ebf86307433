import { loadConfig } from '../../src/config';
import { ATHENA, problemsOf, SLACK_HTTP } from './problems';

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
