import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { COMMANDS } from '../commands';
import { runCli } from '../src/cli';
import { generateSampleData, sampleAccountIds } from '../src/sample/generate';
import { parseCsv } from '../src/util/csv';
import { event } from './engines/duckdb/fixtures';

/** The one-shot `trail` command: a stable contract for scripts (stdout = answer, exit 0/1/2). */
describe('npx trail', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'trail-cli-'));
    await generateSampleData({
      outDir: path.join(dir, 'data'),
      days: 2,
      eventsPerDay: 200,
      accounts: sampleAccountIds(1),
      regions: ['us-east-1'],
      seed: 8,
      now: new Date(),
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function trail(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    return trailWith({}, ...argv);
  }

  async function trailWith(
    extra: Record<string, string>,
    ...argv: string[]
  ): Promise<{ code: number; out: string; err: string }> {
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
    const env = { TRAIL_DATA_DIR: path.join(dir, 'data'), TRAIL_RESULTS_DIR: path.join(dir, 'results'), ...extra };
    const code = await runCli(argv, { out, err, env });
    return { code, out: o, err: e };
  }

  test('a one-shot question goes through the front door: the access policy applies to it as to the prompt', async () => {
    const policy = JSON.stringify({ commands: { root: { channels: ['C0COMPLIANCE'] } } });
    const denied = await trailWith({ TRAIL_ACCESS_POLICY: policy }, 'root', '7d');
    expect(denied.code).toBe(2);
    expect(denied.out).toBe('');
    expect(denied.err).toContain('root may only run in #C0COMPLIANCE');
    const allowed = await trailWith({ TRAIL_ACCESS_POLICY: policy }, 'errors', '7d');
    expect(allowed.code).toBe(0);
  });

  test('--sql prints the SQL and its parameters as Athena literals', async () => {
    const r = await trail('sg', 'sg-5887f224', 'eni-6c5ca5a8', '12h', '--sql');
    expect(r.code).toBe(0);
    expect(r.out).toContain('-- template: sql/security_group_changes.sql');
    expect(r.out).toContain('AND (strpos(requestparameters, ?) > 0 OR strpos(responseelements, ?) > 0');
    expect(r.out).toContain("--   5. 'eni-6c5ca5a8'");
    expect(r.out).toContain("--   7. 'sg-5887f224'");
  });

  test('help lists every subcommand with usage and an example', async () => {
    const r = await trail('help');
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.out).toContain(`/trail ${c.usage}`);
    const one = await trail('help', 'logins');
    expect(one.out).toContain('/trail logins offhours');
  });

  test('bad input: exit 2, the message and the usage on stderr, nothing on stdout', async () => {
    const r = await trail('ip', '1.2.3');
    expect(r).toEqual({
      code: 2,
      out: '',
      err: 'ip: address 1.2.3 is not an IPv4/IPv6 address or CIDR. Accepted: an IPv4 or IPv6 address or CIDR (e.g. 203.0.113.7, 198.51.100.0/24, 2001:db8::/32).\nUsage: trail ip <address or CIDR> [window]\n',
    });
    expect((await trail('--csv')).code).toBe(2);
    expect((await trail('status', 'abcdef123456')).err).toContain('needs the running bot');
  });

  test("trail's options may stand anywhere; the question's own options reach its parser; a value is required", async () => {
    const sql = await trail('recent', `--data=${path.join(dir, 'data')}`, 'writes', '12h', '--sql');
    expect(sql.code).toBe(0);
    expect(sql.out).toContain('-- template: sql/recent_events.sql');
    const unknown = await trail('recent', '--frob');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('recent: unknown option --frob. Accepted: --sql, --no-cache, --help.');
    const missing = await trail('--data', '--bom', 'recent', '--sql');
    expect(missing).toMatchObject({ code: 2, out: '' });
    expect(missing.err).toContain('--data needs a value.');
    expect((await trail('-h')).out).toContain(`npx trail help [command]`);
  });

  test('runs a question: the rendering on stdout, the full result as RFC 4180 CSV with --csv', async () => {
    const csv = path.join(dir, 'sg.csv');
    const r = await trail('sg', 'sg-5887f224', '12h', '--csv', csv);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/✔ sg: 2 rows/);
    expect(r.out).toContain('tcp/143 ingress opened to 0.0.0.0/0 on sg-5887f224 by bobodell');
    const rows = parseCsv(readFileSync(csv, 'utf8'));
    expect(rows[0]!.slice(0, 4)).toEqual(['eventname', 'username', 'sourceipaddress', 'eventtime']);
    expect(rows.slice(1).map((x) => x[0])).toEqual([
      'ModifyNetworkInterfaceAttribute',
      'AuthorizeSecurityGroupIngress',
    ]);
  });

  test('ddl renders the configured table; setup in embedded mode has nothing to create', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => {
      text += String(d);
    });
    const env = {
      TRAIL_BUCKET: 'my-trail-bucket',
      TRAIL_ACCOUNTS: '111122223333',
      TRAIL_REGIONS: 'us-east-1,eu-west-1',
    };
    expect(await runCli(['ddl'], { out, err: new PassThrough(), env })).toBe(0);
    expect(text).toContain('CREATE EXTERNAL TABLE');
    expect(text).toContain("'projection.region.values'='us-east-1,eu-west-1'");
    expect((await trail('setup')).out).toContain('Nothing to set up');
  });

  test('ddl without TRAIL_ACCOUNTS / TRAIL_REGIONS names both settings; TRAIL_PROJECTION_START reaches the DDL', async () => {
    const err = new PassThrough();
    let errText = '';
    err.on('data', (d) => {
      errText += String(d);
    });
    expect(await runCli(['ddl'], { out: new PassThrough(), err, env: { TRAIL_BUCKET: 'my-trail-bucket' } })).toBe(2);
    expect(errText).toContain('set TRAIL_ACCOUNTS to');
    expect(errText).toContain('set TRAIL_REGIONS to');

    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => {
      text += String(d);
    });
    const env = {
      TRAIL_BUCKET: 'my-trail-bucket',
      TRAIL_ACCOUNTS: '111122223333',
      TRAIL_REGIONS: 'us-east-1',
      TRAIL_PROJECTION_START: '2024-07-01',
    };
    expect(await runCli(['ddl'], { out, err: new PassThrough(), env })).toBe(0);
    expect(text).toContain("'projection.timestamp.range'='2024/07/01,NOW'");
  });

  test('the installed bin runs (npx trail help)', () => {
    const r = spawnSync(process.execPath, [path.resolve(__dirname, '../bin/trail.js'), 'help'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('/trail sg [sg-…|eni-…]… [window] [--all]');
  });

  test('help is plain text and lists the window forms once, clock times included (issue 18)', async () => {
    const r = await trail('help');
    expect(r.out).not.toContain('Windows: Time window');
    expect(r.out).toContain('Windows: 30m, 12h, 7d, 2w, today, yesterday, since <ISO>');
    expect(r.out).toContain('since HH:MM or HH:MM..HH:MM');
    expect(r.out).not.toContain('`');
  });

  test('--limit shows more rows than 20; --bom starts the CSV with a byte-order mark; since HH:MM is a window', async () => {
    const csv = path.join(dir, 'recent.csv');
    const r = await trail('recent', '2d', '--limit', '25', '--csv', csv, '--bom');
    expect(r.code).toBe(0);
    // One line per row; who comes first in `recent` (its declared column order), the time after it.
    const shown = r.out.split('\n').filter((l) => /^ {2}.* \d{4}-\d\d-\d\dT\d\d:\d\d/.test(l));
    expect(shown).toHaveLength(25);
    expect(r.out).toMatch(/\(rows 1–25 of [\d,]+; --limit N shows more\)/);
    const bytes = readFileSync(csv);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3, 12).toString()).toBe('eventtime');
    expect((await trail('recent', '--limit', '0')).err).toContain('--limit needs a number of rows from 1 to 10000');
    const since = await trail('recent', 'since', '00:00', '--sql');
    expect(since.code).toBe(0);
  });

  test('the CSV next to the spool is named for what it holds', async () => {
    const r = await trail('recent', '2d');
    expect(r.out).toMatch(/CSV \([^)]+\): .*\/recent-2d-\d{4}-\d\d-\d\dT\d{4}Z-[0-9a-z]+\.csv\n$/);
  });
});

describe('npx trail: nothing in a record acts on the terminal (issue 13 item 2)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'trail-cli-hostile-'));
    const when = (minutesAgo: number) =>
      new Date(Date.now() - minutesAgo * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const hostile = [
      '\u001b[2J\u001b[H✔ nothing suspicious',
      'x\u001b]8;;https://evil.example/\u0007link\u001b]8;;\u0007',
      '\u001b]52;c;cm0gLXJmIH4=\u0007',
      'bob\n  ⚠ approved change',
      '\u009b2Jc1',
      'ro\u200bot\u202eexe',
    ];
    const records = hostile.flatMap((v, i) => [
      event({
        eventTime: when(10 + i),
        eventName: 'ConsoleLogin',
        eventSource: 'signin.amazonaws.com',
        eventType: 'AwsConsoleSignIn',
        userIdentity: {
          type: 'IAMUser',
          arn: `arn:aws:iam::111122223333:user/u${i}`,
          accountId: '111122223333',
          userName: v,
        },
        userAgent: v,
        responseElements: { ConsoleLogin: 'Success' },
        additionalEventData: { MFAUsed: 'No' },
        errorMessage: v,
      }),
    ]);
    mkdirSync(path.join(dir, 'data'), { recursive: true });
    writeFileSync(path.join(dir, 'data', 'export.json'), JSON.stringify({ Records: records }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['logins', 'all', '1d'],
    ['recent', '1d'],
    ['logins', 'all', '1d', '--limit', '1'],
  ])('trail %s: stdout and stderr hold no raw control, bidi or zero-width character', async (...argv) => {
    const out = new PassThrough();
    const err = new PassThrough();
    let text = '';
    out.on('data', (d) => {
      text += String(d);
    });
    err.on('data', (d) => {
      text += String(d);
    });
    const env = { TRAIL_DATA_DIR: path.join(dir, 'data'), TRAIL_RESULTS_DIR: path.join(dir, 'results') };
    expect(await runCli(argv, { out, err, env })).toBe(0);
    expect(text).toMatch(/✔ (logins|recent): 6 rows/);
    expect(text).not.toMatch(
      /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/,
    );
    expect(text.split('\n').some((l) => /^\s*⚠ approved change/.test(l))).toBe(false);
  });
});
