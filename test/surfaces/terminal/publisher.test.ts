import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { ExecutionRecord } from '../../../src/core/execution';
import type { ResultSummary } from '../../../src/core/publisher';
import { PAGE_ROWS, plainText, TerminalPublisher } from '../../../src/surfaces/terminal/publisher';
import { colourWanted, Screen } from '../../../src/surfaces/terminal/screen';
import { csvRecord } from '../../../src/util/csv';
import { csvFileName } from '../../../src/util/csv-name';
import { queryOf } from '../../helpers/commands';

/** Anything a terminal acts on: C0 (line feed aside), DEL, C1, bidi, zero-width and separators. */
const RAW_CONTROL =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/;

/** Field values an attacker can set in CloudTrail (userAgent, userName of a federated session, errorMessage, …). */
const HOSTILE = {
  clear: '\u001b[2J\u001b[H✔ nothing suspicious',
  erase: 'ok\u001b[1A\u001b[2K',
  osc8: '\u001b]8;;https://evil.example/\u0007click\u001b]8;;\u0007',
  osc52: '\u001b]52;c;cm0gLXJmIH4=\u0007',
  newline: 'alice\n  ⚠ nothing to see: approved change',
  c1: '\u009b2J',
  bidi: 'user\u202eexe.txt',
  zeroWidth: 'ro\u200bot',
  del: 'x\u007fy',
};

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d) => {
    text += String(d);
  });
  return { stream, text: () => text };
}

function execution(text: string, overrides: Partial<ExecutionRecord> = {}): ExecutionRecord {
  const r = queryOf(text);
  return {
    id: 'mx0test00001',
    requestKey: 'k',
    commandText: text,
    command: r.command.name,
    request: {},
    query: r.query,
    userId: 'alice',
    channelId: 'terminal',
    surface: 'terminal',
    engine: 'duckdb',
    state: 'SUCCEEDED',
    createdAt: '2026-11-21T11:00:00Z',
    updatedAt: '2026-11-21T11:00:01Z',
    stats: { rows: 2, bytesScanned: 2048, filesRead: 3, elapsedMs: 42 },
    expiresAt: 0,
    ...overrides,
  };
}

function summary(columns: string[], rows: (string | null)[][], extra: Partial<ResultSummary> = {}): ResultSummary {
  return {
    columns,
    topRows: rows.slice(0, PAGE_ROWS),
    totalRows: rows.length,
    flags: [],
    flagsTotal: 0,
    csvPath: '/tmp/none.csv',
    csvBytes: 10,
    ...extra,
  };
}

describe('terminal publisher: nothing from a record acts on the terminal (issue 13 item 2)', () => {
  const values = Object.values(HOSTILE);
  const columns = ['eventtime', 'username', 'useragent', 'errormessage'];
  const rows = values.map((v, i) => [`2026-11-21T10:0${i}:00Z`, v, v, v]);

  test('table cells, flags, the command text and a failure reason are escaped', async () => {
    const out = capture();
    const p = new TerminalPublisher({ out: out.stream, timeZone: 'UTC', width: 200 });
    const e = execution('recent 1h');
    await p.announce({ ...e, commandText: `recent 1h ${HOSTILE.clear}` });
    await p.postResult(
      e,
      summary(columns, rows, {
        flags: values.map((v, row) => ({ row, code: 'login-no-mfa', message: `${v} signed in without MFA` })),
        flagsTotal: values.length,
      }),
    );
    await p.postFailure({ ...e, state: 'FAILED', error: `Query failed near ${HOSTILE.osc52}${HOSTILE.newline}` });
    await p.notify({ channelId: 'terminal', userId: 'alice' }, `Cancelled ${HOSTILE.osc8}`);
    const text = out.text();
    expect(text).not.toMatch(RAW_CONTROL);
    // The escapes are visible, so a responder sees that the value held them.
    expect(text).toContain('\\u001b[2J');
    expect(text).toContain('user\\u202eexe.txt');
    // A newline in a user name does not start a line of its own: every line that mentions it starts with ⚠ alice.
    const forged = text.split('\n').filter((l) => l.includes('nothing to see'));
    expect(forged.length).toBeGreaterThan(0);
    for (const l of forged) expect(l).toMatch(/alice\\n/);
    expect(text.split('\n').some((l) => l.trimStart().startsWith('⚠ nothing to see'))).toBe(false);
  });

  test('the vertical record view escapes too', async () => {
    const out = capture();
    const p = new TerminalPublisher({ out: out.stream, timeZone: 'UTC', width: 40 });
    await p.postResult(execution('recent 1h'), summary(columns, rows));
    expect(out.text()).toContain('── 1 ──');
    expect(out.text()).not.toMatch(RAW_CONTROL);
  });

  test('colour codes are trailbot’s own only: with colour on, data still has no ESC', async () => {
    const out = capture();
    const screen = new Screen({ out: out.stream, colour: true });
    const p = new TerminalPublisher({ out: screen, timeZone: 'UTC', width: 200 });
    await p.postResult(execution('recent 1h'), summary(columns, rows));
    const withoutOurs = out.text().replace(/\u001b\[(?:0|1|2|31|32|33)m/g, '');
    expect(out.text()).toContain('\u001b[32m✔');
    expect(withoutOurs).not.toMatch(RAW_CONTROL);
  });
});

describe('terminal publisher: plain text, colour and progress', () => {
  test('mrkdwn is plain text: no backticks, mentions as names', () => {
    expect(plainText('Cancelled by <@root>.')).toBe('Cancelled by root.');
    expect(plainText('see `/trail status mx36abc`')).toBe('see /trail status mx36abc');
    expect(plainText('in <#C0SECOPS|secops>')).toBe('in #secops');
    expect(plainText('`a &lt;@U1&gt; &amp;amp; b`')).toBe('a <@U1> &amp; b');
  });

  test('a cancelled question reads as plain text', async () => {
    const out = capture();
    const p = new TerminalPublisher({ out: out.stream, timeZone: 'UTC' });
    await p.postFailure({ ...execution('recent 1h'), state: 'CANCELLED', error: 'Cancelled by <@root>.' });
    expect(out.text()).toBe('✖ recent cancelled: Cancelled by root.\n');
  });

  test('a scheduled run says who scheduled it and how to stop it, under its answer and under its failure', async () => {
    const out = capture();
    const p = new TerminalPublisher({ out: out.stream, timeZone: 'UTC' });
    const e = execution('recent 1h', { scheduleId: 'k3x9a1b2q7zc', userId: 'alice' });
    await p.postResult(e, summary(['eventtime'], []));
    await p.postFailure({ ...e, state: 'FAILED', error: 'boom' });
    const note = '  Scheduled by alice; stop it with /trail unschedule k3x9a1b2q7zc';
    expect(out.text().split('\n')).toEqual([
      '✔ recent: 2 rows · 2 kB read · 3 files · 42 ms',
      note,
      '  Nothing found in this window.',
      '✖ recent failed: boom',
      note,
      '',
    ]);
  });

  test('colour only on a TTY with NO_COLOR unset or empty', () => {
    const pipe = new PassThrough();
    const tty = Object.assign(new PassThrough(), { isTTY: true });
    expect(colourWanted(pipe, {})).toBe(false);
    expect(colourWanted(tty, {})).toBe(true);
    expect(colourWanted(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colourWanted(tty, { NO_COLOR: '' })).toBe(true);
    expect(colourWanted(tty, { TERM: 'dumb' })).toBe(false);
  });

  test('progress: a plain line when not live, redrawn in place on a TTY; files and bytes when the engine tells', async () => {
    const plain = capture();
    const e = execution('recent 1h');
    const p1 = new TerminalPublisher({ out: plain.stream, timeZone: 'UTC' });
    await p1.progress(e, 4200, { filesRead: 154, bytesScanned: 237_000, elapsedMs: 4200 });
    await p1.progress(e, 5200);
    expect(plain.text().split('\n')).toEqual([
      '… recent running (id mx0test00001) · 4.2 s · 154 files (237 kB)',
      '… recent running (id mx0test00001) · 5.2 s',
      '',
    ]);
    const live = capture();
    const p2 = new TerminalPublisher({ out: new Screen({ out: live.stream, live: true }), timeZone: 'UTC' });
    await p2.progress(e, 4200);
    await p2.progress(e, 5200);
    await p2.postResult(e, summary(['eventname'], [['A']]));
    // Each update erases the line it replaces; the answer erases the last one; no progress line is left behind.
    expect(live.text()).toMatch(
      /^\r\u001b\[2K… recent .*4\.2 s\r\u001b\[2K… recent .*5\.2 s\r\u001b\[2K\r\u001b\[2K✔ recent/,
    );
  });
});

describe('terminal publisher: --limit and more', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'trail-pages-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function spooled(n: number): ResultSummary {
    const columns = ['eventtime', 'eventname', 'note'];
    const rows = Array.from({ length: n }, (_, i) => [
      `2026-11-21T10:00:${String(i % 60).padStart(2, '0')}Z`,
      `E${i + 1}`,
      i === 30 ? '=1+1,"x"\r\nnext' : `n${i + 1}`,
    ]);
    const csvPath = path.join(dir, `r${n}.csv`);
    writeFileSync(csvPath, [csvRecord(columns), ...rows.map((r) => csvRecord(r))].join(''));
    return summary(columns, rows, { csvPath });
  }
  const shownEvents = (text: string) => [...text.matchAll(/\bE(\d+)\b/g)].map((m) => Number(m[1]));

  test('20 rows by default; more pages on through the CSV, exact values, then says it is done', async () => {
    const out = capture();
    const p = new TerminalPublisher({ out: out.stream, timeZone: 'UTC', width: 200 });
    await p.postResult(execution('recent 1h'), spooled(45));
    expect(shownEvents(out.text())).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(out.text()).toContain('(rows 1–20 of 45; more shows the next)');
    const before = out.text().length;
    expect(await p.more()).toBe(true);
    const page2 = out.text().slice(before);
    expect(shownEvents(page2)).toEqual(Array.from({ length: 20 }, (_, i) => i + 21));
    // Row 31's note came back exact (the spreadsheet mark removed) and on one line.
    expect(page2).toContain('=1+1,"x"\\r\\nnext');
    expect(await p.more(50)).toBe(true);
    expect(out.text()).toContain('(rows 41–45 of 45)');
    expect(await p.more()).toBe(false);
    expect(out.text()).toContain('All 45 rows of mx0test00001 are shown');
  });

  test('--limit N shows N rows of that question, read from the CSV beyond the first 20', async () => {
    const out = capture();
    const p = new TerminalPublisher({ out: out.stream, timeZone: 'UTC', width: 200 });
    p.nextAnswer('recent 1h', { limit: 33 });
    await p.postResult(execution('recent 1h'), spooled(45));
    expect(shownEvents(out.text())).toEqual(Array.from({ length: 33 }, (_, i) => i + 1));
    const small = capture();
    const p2 = new TerminalPublisher({ out: small.stream, timeZone: 'UTC', width: 200 });
    p2.nextAnswer('recent 1h', { limit: 3 });
    await p2.postResult(execution('recent 1h'), spooled(45));
    expect(shownEvents(small.text())).toEqual([1, 2, 3]);
  });

  test('the CSV people open is named for what it holds; --bom puts a byte-order mark before it', async () => {
    const e = execution('sg 12h');
    const r = spooled(3);
    const out = capture();
    const p = new TerminalPublisher({ out: out.stream, timeZone: 'UTC' });
    const named = await p.uploadCsv(e, r);
    expect(path.basename(named)).toBe(csvFileName(e));
    expect(path.basename(named)).toMatch(/^sg-12h-2026-11-21T1200Z-mx0test00001\.csv$/);
    expect(readFileSync(named, 'utf8')).toBe(readFileSync(r.csvPath, 'utf8'));
    expect(out.text()).toContain(`: ${named}`);
    p.nextAnswer('sg 12h', { bom: true });
    await p.postResult(e, r);
    const withBom = readFileSync(await p.uploadCsv(e, r));
    expect([...withBom.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(withBom.subarray(3).toString()).toBe(readFileSync(r.csvPath, 'utf8'));
  });
});

describe('csvFileName', () => {
  test('typed windows become safe names', () => {
    const name = (label: string) =>
      csvFileName({ id: 'mx1', command: 'logins', query: { window: { label, end: '2026-11-30T16:30:00.000Z' } } });
    expect(name('since 2026-11-30T14:00')).toBe('logins-since-2026-11-30T1400-2026-11-30T1630Z-mx1.csv');
    expect(name('2026-11-01..2026-11-03')).toBe('logins-2026-11-01..2026-11-03-2026-11-30T1630Z-mx1.csv');
    expect(name('../../etc/passwd')).toBe('logins-etc-passwd-2026-11-30T1630Z-mx1.csv');
  });
});
