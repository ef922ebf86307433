import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closestSetting, loadConfig, parseByteSize } from '../../src/config';
import { ATHENA, problemsOf, SLACK_HTTP } from './problems';

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
