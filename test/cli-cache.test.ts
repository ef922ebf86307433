import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../src/cli';
import { generateSampleData, sampleAccountIds } from '../src/sample/generate';

/** `npx trail cache status|warm|clear`, and an answer that says how many day folders came from the cache. */
describe('npx trail cache', () => {
  let dir: string;
  const NOW = new Date('2026-11-22T12:00:00Z');
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'trail-cli-cache-'));
    await generateSampleData({
      outDir: path.join(dir, 'data'),
      days: 3,
      eventsPerDay: 200,
      accounts: sampleAccountIds(1),
      regions: ['us-east-1'],
      seed: 3,
      now: NOW,
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function trail(env: Record<string, string>, ...argv: string[]) {
    const out = new PassThrough();
    let o = '';
    out.on('data', (d) => {
      o += String(d);
    });
    const base = {
      TRAIL_DATA_DIR: path.join(dir, 'data'),
      TRAIL_RESULTS_DIR: path.join(dir, 'results'),
      TRAIL_STATE_DIR: path.join(dir, 'state'),
    };
    const code = await runCli(argv, { out, err: new PassThrough(), env: { ...base, ...env }, now: () => NOW });
    return { code, out: o };
  }

  test('warm converts the closed days of a window, status reports them, answers say so, clear empties it', async () => {
    expect((await trail({}, 'cache', 'status')).out).toContain('Columnar cache: 0 days');
    const warm = await trail({}, 'cache', 'warm', '2026-11-20..2026-11-21');
    expect(warm.code).toBe(0);
    // 20 and 21, plus the 22nd's folder (read for the delivery lag), which is still open today.
    expect(warm.out).toContain('Converted 2 day partitions');
    expect(warm.out).toContain('1 still open');
    expect((await trail({}, 'cache', 'status')).out).toContain('Columnar cache: 2 days in 2 partitions');
    const answer = await trail({}, 'errors', '2026-11-20..2026-11-20');
    expect(answer.code).toBe(0);
    // The 20th, and the 21st's folder read for the delivery lag.
    expect(answer.out).toMatch(/· 0 files · 2 day folders from the cache ·/);
    const raw = await trail({}, 'errors', '2026-11-20..2026-11-20', '--no-cache');
    expect(raw.out).not.toContain('from the cache');
    expect((await trail({}, 'cache', 'clear')).out).toContain('Removed 2 cached day partitions');
    expect((await trail({}, 'cache', 'status')).out).toContain('0 days');
  });

  test('bad use names what is accepted; with the cache off, status says why', async () => {
    const bad = await trail({}, 'cache', 'frob');
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('Usage: npx trail cache status | warm <window> | clear');
    const off = await trail({ TRAIL_CACHE: 'false' }, 'cache', 'status');
    expect(off.out).toContain('TRAIL_CACHE=false');
  });
});
