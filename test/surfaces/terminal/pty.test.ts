import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSampleData, sampleAccountIds } from '../../../src/sample/generate';
import { TmuxSession, tmuxAvailable } from './tmux';

/**
 * Issue 18, where typing matters: the bot driven in a real pseudo-terminal (tmux), as `npm start` runs it. Line
 * editing, completion and history across runs against the real bot on DuckDB; Ctrl-C and the redraw of the prompt
 * against the same bot with an engine that answers only when the test says so (pty-bot.ts), so nothing depends on how
 * fast this machine is.
 */
const ROOT = path.resolve(__dirname, '../../..');
const HAVE_TMUX = tmuxAvailable();
if (!HAVE_TMUX) {
  console.warn('pty.test.ts: tmux is not installed, the pseudo-terminal tests are skipped (apt-get install tmux)');
}
const describeTmux = HAVE_TMUX ? describe : describe.skip;

describeTmux('the terminal bot in a pseudo-terminal', () => {
  let dir: string;
  const sessions: TmuxSession[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'trail-pty-'));
    await generateSampleData({
      outDir: path.join(dir, 'data'),
      days: 2,
      eventsPerDay: 300,
      accounts: sampleAccountIds(1),
      regions: ['us-east-1'],
      seed: 18,
      now: new Date(),
    });
  }, 120_000);
  afterAll(() => {
    for (const s of sessions) s.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  function env(state: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
      TRAIL_DATA_DIR: path.join(dir, 'data'),
      TRAIL_STATE_DIR: path.join(dir, state),
      TRAIL_RESULTS_DIR: path.join(dir, `${state}-results`),
      TERM: 'xterm-256color',
      NO_COLOR: '1',
      ...extra,
    };
  }

  function start(label: string, program: string, e: Record<string, string>, width = 120): TmuxSession {
    const s = new TmuxSession(label);
    sessions.push(s);
    s.start([process.execPath, '--require', 'tsx/cjs', program], {
      cwd: ROOT,
      env: e,
      stderr: path.join(dir, `${label}.err`),
      width,
    });
    return s;
  }

  const prompt = (s: string) => s.split('\n').some((l) => l.startsWith('trail> '));
  const stderrOf = (label: string) => readFileSync(path.join(dir, `${label}.err`), 'utf8');

  test('line editing, Tab completion, and history kept across runs in the state folder', async () => {
    const first = start('edit', 'src/main.ts', env('edit-state'));
    await first.waitFor(prompt, 'the first prompt');
    first.type('rec');
    first.keys('Tab');
    await first.waitFor(() => first.lastLine() === 'trail> recent', 'the command name completed');
    // Editing in the middle of the line, each step seen on the screen: `recent 2d` becomes `/trail recent 1h`.
    const line = async (expected: string) =>
      first.waitFor(() => first.lastLine() === `trail> ${expected}`, `the line \`${expected}\``);
    first.type('2d');
    await line('recent 2d');
    first.keys('BSpace');
    first.type('h');
    await line('recent 2h');
    first.keys('Left', 'Left', 'DC');
    await line('recent h');
    first.type('1');
    await line('recent 1h');
    first.keys('C-a');
    first.type('/trail ');
    await line('/trail recent 1h');
    first.keys('Enter');
    await first.waitFor((s) => s.includes('✔ recent:'), 'the answer');
    expect(first.screen()).toContain('▶ /trail recent 1h  ·');
    await first.waitFor(() => first.lastLine() === 'trail>', 'the prompt after the answer');
    first.keys('C-d');
    await first.waitFor((s) => s.includes('EXIT=0'), 'a clean exit on Ctrl-D');
    expect(stderrOf('edit')).toBe('');
    expect(readFileSync(path.join(dir, 'edit-state', 'history'), 'utf8')).toBe('/trail recent 1h\n');

    const second = start('edit2', 'src/main.ts', env('edit-state'));
    await second.waitFor(prompt, 'the prompt of the second run');
    second.keys('Up');
    await second.waitFor(() => second.lastLine() === 'trail> /trail recent 1h', 'the last run’s question recalled');
    // Completion of execution ids after `status`.
    second.keys('C-u');
    second.type('status mx');
    second.keys('Tab');
    await second.waitFor(() => /^trail> status mx[0-9a-z]{10}$/.test(second.lastLine()), 'the execution id completed');
    second.keys('C-u', 'C-d');
    await second.waitFor((s) => s.includes('EXIT=0'), 'a clean exit');
    expect(stderrOf('edit2')).toBe('');
  }, 180_000);

  test('Ctrl-C cancels the running question; a second Ctrl-C quits; the progress line is redrawn in place', async () => {
    const s = start('ctrlc', 'test/surfaces/terminal/pty-bot.ts', env('ctrlc-state'));
    await s.waitFor(prompt, 'the prompt');
    s.type('recent 1h');
    s.keys('Enter');
    await s.waitFor((t) => t.includes('▶ /trail recent 1h'), 'the announcement');
    // The progress line says what the engine reads and is rewritten, never repeated.
    await s.waitFor(
      (t) => /… recent running \(id \w+\) · [2-9](\.\d)? s · 154 files \(237 kB\)/.test(t),
      'progress past 2 s',
    );
    expect(
      s
        .screen()
        .split('\n')
        .filter((l) => l.includes('… recent running')),
    ).toHaveLength(1);
    s.keys('C-c');
    await s.waitFor((t) => t.includes('✖ recent cancelled: Cancelled by'), 'the cancellation');
    expect(s.screen()).not.toContain('… recent running');
    await s.waitFor(() => s.lastLine() === 'trail>', 'the prompt back');
    // The bot is still here: the next question is answered.
    s.keys('C-c');
    await s.waitFor((t) => t.includes('(Ctrl-C again or Ctrl-D quits)'), 'the hint at the prompt');
    s.keys('C-c');
    await s.waitFor((t) => t.includes('EXIT=0'), 'quit on the second Ctrl-C');
    expect(stderrOf('ctrlc')).toBe('');
  }, 120_000);

  test('an answer that arrives while the prompt waits is printed above it, and the typed text is kept', async () => {
    const gate = path.join(dir, 'redraw-gate');
    const e = env('redraw-state', { PTY_GATE_FILE: gate });
    const first = start('redraw', 'test/surfaces/terminal/pty-bot.ts', e);
    await first.waitFor(prompt, 'the prompt');
    first.type('logins 1h');
    first.keys('Enter');
    await first.waitFor((t) => t.includes('▶ /trail logins 1h'), 'the announcement');
    first.kill(); // the terminal is closed while the question runs

    const second = start('redraw2', 'test/surfaces/terminal/pty-bot.ts', e);
    await second.waitFor((t) => t.includes('Resuming 1 unfinished question'), 'the resume');
    await second.waitFor(prompt, 'the prompt');
    second.type('rec');
    await second.waitFor(() => second.lastLine() === 'trail> rec', 'the typed text');
    expect(existsSync(gate)).toBe(false);
    writeFileSync(gate, 'go');
    await second.waitFor((t) => t.includes('✔ logins: 2 rows'), 'the resumed answer');
    await second.waitFor(() => second.lastLine() === 'trail> rec', 'the prompt and typed text redrawn below it');
    const lines = second.screen().split('\n');
    expect(lines.findIndex((l) => l.includes('✔ logins'))).toBeLessThan(lines.length - 1);
    second.keys('C-u', 'C-d');
    await second.waitFor((t) => t.includes('EXIT=0'), 'a clean exit');
    expect(stderrOf('redraw2')).toBe('');
  }, 120_000);
});

describeTmux('colour on a terminal', () => {
  let dir: string;
  let session: TmuxSession | undefined;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'trail-pty-colour-'));
    writeFileSync(path.join(dir, 'gate'), 'open'); // the engine answers at once
    // Any file makes the folder "your own logs", so no sample is generated (the gated engine reads nothing).
    mkdirSync(path.join(dir, 'data'));
    writeFileSync(path.join(dir, 'data', 'export.json'), '{"Records":[]}');
  });
  afterAll(() => {
    session?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  test.each([
    ['NO_COLOR unset', {}, true],
    ['NO_COLOR=1', { NO_COLOR: '1' }, false],
  ])(
    '%s',
    async (_label, extra, coloured) => {
      session?.kill();
      session = new TmuxSession('colour');
      const state = mkdtempSync(path.join(dir, 'state-'));
      session.start([process.execPath, '--require', 'tsx/cjs', 'test/surfaces/terminal/pty-bot.ts'], {
        cwd: ROOT,
        env: {
          TRAIL_DATA_DIR: path.join(dir, 'data'),
          TRAIL_STATE_DIR: state,
          TRAIL_RESULTS_DIR: path.join(state, 'results'),
          TERM: 'xterm-256color',
          PTY_GATE_FILE: path.join(dir, 'gate'),
          ...extra,
        },
      });
      const s = session;
      await s.waitFor((t) => t.split('\n').some((l) => l.startsWith('trail> ')), 'the prompt');
      s.type('recent 1h');
      s.keys('Enter');
      await s.waitFor((t) => t.includes('✔ recent: 2 rows'), 'the answer');
      // tmux re-encodes what it shows (`ESC[32m ESC[49m ✔`): green is SGR 32, with any other attributes after it.
      expect(/\u001b\[32m(?:\u001b\[[0-9;]*m)*✔ recent/.test(s.screen({ escapes: true }))).toBe(coloured);
    },
    120_000,
  );
});

describe('npm start with piped input', () => {
  test('`printf "help\\n" | npm start` prints the help and ends with no error output', async () => {
    const { spawnSync } = await import('node:child_process');
    const work = mkdtempSync(path.join(os.tmpdir(), 'trail-piped-'));
    try {
      await generateSampleData({
        outDir: path.join(work, 'data'),
        days: 1,
        eventsPerDay: 50,
        accounts: sampleAccountIds(1),
        regions: ['us-east-1'],
        seed: 3,
        now: new Date(),
      });
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TRAIL_|SLACK_)/.test(k)));
      const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', 'src/main.ts'], {
        cwd: ROOT,
        input: 'help\n',
        encoding: 'utf8',
        env: {
          ...clean,
          TRAIL_DATA_DIR: path.join(work, 'data'),
          TRAIL_STATE_DIR: path.join(work, 'state'),
          TRAIL_RESULTS_DIR: path.join(work, 'results'),
        },
        timeout: 120_000,
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('/trail help [command]');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 150_000);
});
