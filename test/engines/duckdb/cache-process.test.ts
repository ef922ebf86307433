import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CommandContext } from '../../../commands/types';
import { DuckDbEngine, discoverLogFiles, type LogFile } from '../../../src/engines/duckdb';
import { ALLOCATOR_DEFAULT, ALLOCATOR_VARIABLE } from '../../../src/engines/duckdb/allocator-env';
import { ColumnarCache, type ColumnarCacheOptions } from '../../../src/engines/duckdb/cache';
import { generateSampleData, sampleAccountIds } from '../../../src/sample/generate';
import { testConfig } from '../../helpers/config';
import { runCommand } from '../../helpers/run-query';

/**
 * The columnar cache converts in a child process (issue 16: "at low priority, one DuckDB thread, never delaying an
 * ack or another answer"): every thread of it at the lowest CPU priority, a death half-way through handled, and no
 * process left behind when the bot stops or is killed.
 */
const NOW = new Date('2026-11-22T12:00:00Z');
const DAYS = ['2026/11/19', '2026/11/20', '2026/11/21'];
/** The first hours of a day of DAYS, as a window (the day and its delivery lag are read). */
const hoursOf = (i: number) => `${DAYS[i]!.replaceAll('/', '-')}T00:00Z..${DAYS[i]!.replaceAll('/', '-')}T12:00Z`;
const ctx: CommandContext = { config: testConfig(), now: NOW };
const FIXTURES = path.join(__dirname, 'convert-fixtures');
const onLinux = process.platform === 'linux';

let dir: string;
let dataDir: string;
let files: LogFile[];
let caches = 0;
const logs: string[] = [];

const cacheWith = (options: Partial<ColumnarCacheOptions> = {}) =>
  new ColumnarCache({
    dir: path.join(dir, `state-${++caches}`),
    dataDir,
    now: () => NOW,
    logger: (m) => logs.push(m),
    ...options,
  });

/** Whether a process id names a live process (a zombie, dead but not yet reaped by its new parent, counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (!onLinux) return true;
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

/** Waits (within the test's timeout) until the process is gone. */
async function gone(pid: number): Promise<void> {
  while (alive(pid)) await new Promise((r) => setTimeout(r, 50));
}

/** A process's environment as it was started (/proc/<pid>/environ, proc(5)). */
function environOf(pid: number): Map<string, string> {
  const entries = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return new Map(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

/** The nice value of every thread of a process (field 19 of /proc/<pid>/task/<tid>/stat, proc(5)). */
function niceOfThreads(pid: number): number[] {
  return fs.readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: field 3 (state) is index 0.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19 - 3]);
  });
}

const leftovers = (cacheDir: string) =>
  fs.readdirSync(path.join(cacheDir, 'parts')).filter((f) => f.endsWith('.tmp') || f.includes('.dying'));

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trail-cache-process-'));
  dataDir = path.join(dir, 'data');
  await generateSampleData({
    outDir: dataDir,
    days: 4,
    eventsPerDay: 300,
    accounts: sampleAccountIds(1),
    regions: ['us-east-1', 'eu-west-1'],
    seed: 61,
    now: NOW,
  });
  files = (await discoverLogFiles(dataDir, { partitions: DAYS })).files;
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  logs.length = 0;
});

describe('the conversion process', () => {
  (onLinux ? test : test.skip)(
    'converts in a child process whose every thread runs at the lowest priority',
    async () => {
      const cache = cacheWith();
      try {
        const warming = cache.warm(files);
        const pid = cache.converterProcess.pid;
        expect(pid).toBeDefined();
        expect(pid).not.toBe(process.pid);
        expect(await warming).toMatchObject({ converted: 3 * 2 });
        // After the conversions: DuckDB's threads and libuv's pool have started by now.
        expect(cache.converterProcess.pid).toBe(pid);
        const nice = niceOfThreads(pid!);
        expect(nice.length).toBeGreaterThan(1);
        expect(nice.every((n) => n === 19)).toBe(true);
        // This process was not lowered.
        expect(os.getPriority(0)).toBeLessThan(19);
        expect(cache.converterProcess.peakRssBytes).toBeGreaterThan(0);
        expect(cache.status().partitions).toBe(6);
        // DuckDB's own allocator defaults in the child, not the bot's setting (allocator-env.ts, backgroundEnv).
        const own = process.env[ALLOCATOR_VARIABLE];
        expect(environOf(pid!).get(ALLOCATOR_VARIABLE)).toBe(own === ALLOCATOR_DEFAULT ? '' : own);
      } finally {
        await cache.close();
      }
    },
  );
  if (!onLinux) test('thread priorities', () => console.warn('skipped: /proc/<pid>/task is Linux only'));

  test('close stops the child; an idle child stops by itself; the next partition starts a new one', async () => {
    const cache = cacheWith({ converter: { idleMs: 100 } });
    const engine = new DuckDbEngine({ dataDir, logger: () => {}, cache });
    try {
      await runCommand(engine, `users top 5 ${hoursOf(0)}`, ctx);
      const converting = engine.convertCache();
      const first = cache.converterProcess.pid!;
      expect(await converting).toBe(2);
      await gone(first);
      expect(cache.converterProcess.pid).toBeUndefined();
      await runCommand(engine, `users top 5 ${hoursOf(1)}`, ctx);
      const again = engine.convertCache();
      const second = cache.converterProcess.pid!;
      expect(second).not.toBe(first);
      expect(await again).toBe(2);
      expect(
        (
          await runCommand(
            engine,
            `users top 5 ${DAYS[0]!.replaceAll('/', '-')}..${DAYS[1]!.replaceAll('/', '-')}`,
            ctx,
          )
        ).stats.cachedPartitions,
      ).toBe(4);
    } finally {
      await engine.close();
    }
    const cache2 = cacheWith();
    await cache2.warm(files);
    const pid = cache2.converterProcess.pid!;
    expect(alive(pid)).toBe(true);
    await cache2.close();
    expect(alive(pid)).toBe(false);
    expect(cache2.converterProcess.pid).toBeUndefined();
  });

  test('a child that dies mid-partition: logged, its leftovers removed, the partition tried once more', async () => {
    const [account] = sampleAccountIds(1);
    const victim = `${account}/us-east-1/2026/11/20`;
    const dying = (once: boolean) => {
      const cache = cacheWith({ converter: { workerFile: path.join(FIXTURES, 'dying-worker.ts') } });
      // Read by the fixture worker from the folder above the cache's (a forked child gets the real environment,
      // not the copy a jest test sees as process.env).
      fs.mkdirSync(path.dirname(cache.dir), { recursive: true });
      fs.writeFileSync(path.join(path.dirname(cache.dir), 'die-on.json'), JSON.stringify({ key: victim, once }));
      return cache;
    };
    const cache = dying(true);
    try {
      expect(await cache.warm(files)).toMatchObject({ converted: 6 });
      expect(fs.existsSync(path.join(path.dirname(cache.dir), 'died'))).toBe(true);
      expect(logs.join('\n')).toMatch(
        /was killed by SIGKILL while caching .*us-east-1\/2026\/11\/20 as Parquet; it is tried once more later/,
      );
      expect(leftovers(cache.dir)).toEqual([]);
      expect(cache.status().partitions).toBe(6);
    } finally {
      await cache.close();
    }

    // Dying every time: tried twice, then read raw; the other days are cached, and the answers stay right.
    logs.length = 0;
    const stubborn = dying(false);
    const engine = new DuckDbEngine({ dataDir, logger: () => {}, cache: stubborn });
    const raw = new DuckDbEngine({ dataDir, logger: () => {} });
    try {
      expect(await stubborn.warm(files)).toMatchObject({ converted: 5 });
      expect(logs.filter((m) => m.includes(`caching ${victim}`))).toHaveLength(2);
      expect(logs.join('\n')).toMatch(/while caching .*us-east-1\/2026\/11\/20 as Parquet; its files are read raw/);
      expect(leftovers(stubborn.dir)).toEqual([]);
      expect(stubborn.status()).toMatchObject({ partitions: 5, pending: 0 });
      const q = `errors top 20 ${DAYS[0]!.replaceAll('/', '-')}..${DAYS[2]!.replaceAll('/', '-')}`;
      const cached = await runCommand(engine, q, ctx);
      expect(cached.stats.cachedPartitions).toBe(5);
      expect(cached.rows).toEqual((await runCommand(raw, q, ctx)).rows);
    } finally {
      await engine.close();
      await raw.close();
    }
  });

  test('a bot killed with SIGKILL leaves no conversion process behind', async () => {
    const parent = fork(
      path.join(FIXTURES, 'parent.ts'),
      [path.join(dir, 'killed'), dataDir, NOW.toISOString(), ...DAYS],
      {
        execArgv: ['--import', pathToFileURL(require.resolve('tsx')).href],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    const exited = new Promise((resolve) => parent.once('exit', resolve));
    const { pid, cacheDir } = await new Promise<{ pid: number; cacheDir: string }>((resolve, reject) => {
      parent.once('message', (m) => resolve(m as { pid: number; cacheDir: string }));
      parent.once('exit', (code) => reject(new Error(`the parent exited with ${code} before it said its child's id`)));
    });
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    await exited;
    await gone(pid);
    // What it was writing went with it (it removes its own `.tmp` when the channel closes).
    const parts = path.join(cacheDir, 'parts');
    expect(fs.existsSync(parts) ? fs.readdirSync(parts).filter((f) => f.endsWith('.tmp')) : []).toEqual([]);
  });
});
