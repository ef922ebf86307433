import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSampleData, sampleAccountIds } from '../src/sample/generate';
import { openStore } from '../src/store/dynalite';

/**
 * The bot process on the embedded default is killed with SIGKILL while a query runs, then started again: the answer
 * is published exactly once and the history holds one execution.
 */
const ROOT = path.resolve(__dirname, '..');

function env(dir: string): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('TRAIL_') && !k.startsWith('SLACK_')),
  );
  return {
    ...clean,
    TRAIL_DATA_DIR: path.join(dir, 'data'),
    TRAIL_STATE_DIR: path.join(dir, 'state'),
    TRAIL_RESULTS_DIR: path.join(dir, 'results'),
  };
}

function startBot(dir: string): {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  exited: Promise<number | null>;
} {
  // node itself (not the tsx wrapper, which runs node as a child): SIGKILL must hit the process holding the store.
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/main.ts'], { cwd: ROOT, env: env(dir) });
  let out = '';
  child.stdout.on('data', (d) => {
    out += String(d);
  });
  child.stderr.on('data', (d) => {
    out += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, exited };
}

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('crash: SIGKILL mid-query, restart', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'trail-crash-'));
    // Enough events that the question below takes seconds, so the kill lands while it runs.
    await generateSampleData({
      outDir: path.join(dir, 'data'),
      days: 4,
      eventsPerDay: 50_000,
      accounts: sampleAccountIds(1),
      regions: ['us-east-1'],
      seed: 9,
      now: new Date(),
    });
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the answer is published exactly once and history shows one execution', async () => {
    const first = startBot(dir);
    first.child.stdin.write('/trail ip 0.0.0.0/0 4d\n');
    await waitFor(() => /running \(id (\w+)\)/.test(first.out()), 60_000, 'the question to start');
    const id = /running \(id (\w+)\)/.exec(first.out())![1]!;
    await new Promise((r) => setTimeout(r, 150));
    first.child.kill('SIGKILL');
    await first.exited;
    // Killed before it could answer.
    expect(first.out()).not.toContain('✔ ip');

    const second = startBot(dir);
    second.child.stdin.end(); // no new questions: it only resumes what was left, then exits when idle
    const code = await second.exited;
    if (code !== 0 || !second.out().includes('✔')) console.log(second.out());
    expect(code).toBe(0);
    expect(second.out()).toContain('Resuming 1 unfinished question from the last run');
    expect(second.out().match(/✔ ip: /g)).toHaveLength(1);

    const { store, close } = await openStore({
      kind: 'dynalite',
      stateDir: path.join(dir, 'state'),
      tableName: 'trailbot',
    });
    try {
      const history = await store.listByChannel('terminal', 50);
      expect(history.map((e) => [e.id, e.state])).toEqual([[id, 'PUBLISHED']]);
      expect(history[0]!.resultRef).toBeDefined();
      expect(await store.listUnfinished()).toEqual([]);
    } finally {
      await close();
    }

    // A third start finds nothing to resume and answers history from the same store.
    const third = startBot(dir);
    third.child.stdin.end('history\n');
    expect(await third.exited).toBe(0);
    expect(third.out()).not.toContain('Resuming');
    expect(third.out()).toContain(`${id} · `); // plain text in the terminal: no mrkdwn backticks
    expect(third.out()).toContain('PUBLISHED');
  }, 180_000);
});
