import { loadConfig, normaliseCidr, type TrailConfig } from '../../src/config';
import { ConfigError } from '../../src/core/errors';
import { problemsOf } from './problems';

describe('defaults', () => {
  test('an empty environment gives the embedded, terminal, open configuration', () => {
    const expected: TrailConfig = {
      timeZone: 'UTC',
      offHours: { start: '00:00', end: '05:00', weekends: false },
      knownNetworks: [],
      window: { maxDays: 90, defaults: {}, deliveryLagMinutes: 15, projectionStart: '2020/01/01', pivotMinutes: 60 },
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
