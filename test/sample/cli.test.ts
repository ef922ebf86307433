import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type CliIo, main, SAMPLE_USAGE } from '../../src/sample/cli';
import type { SampleManifest } from '../../src/sample/manifest';
import { listFiles, makeTempDir, removeTempDir } from './helpers';

function capture(now = new Date('2026-11-20T10:00:00Z')) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), now: () => now };
  return { io, out, err };
}

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir('cli');
});
afterEach(() => removeTempDir(dir));

const readManifest = async (folder: string): Promise<SampleManifest> =>
  JSON.parse(await readFile(path.join(folder, 'sample-manifest.json'), 'utf8'));

describe('sample-data CLI', () => {
  test('--help prints the usage and exits 0 without writing', async () => {
    const { io, out, err } = capture();
    expect(await main(['--help', '--out', dir], io)).toBe(0);
    expect(out.join('\n')).toBe(SAMPLE_USAGE);
    for (const flag of [
      '--out',
      '--days',
      '--events-per-day',
      '--accounts',
      '--regions',
      '--seed',
      '--now',
      '--org',
      '--force',
    ]) {
      expect(SAMPLE_USAGE).toContain(flag);
    }
    expect(err).toEqual([]);
    expect(await listFiles(dir)).toEqual([]);
  });

  test.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['extra'], /positional/i],
    [['--days', 'abc'], /--days: "abc" is not a whole number/],
    [['--days', '0'], /--days: 0 is not a whole number of days from 1 to 400/],
    [['--events-per-day=-5'], /--events-per-day: "-5" is not a whole number/],
    [['--accounts', '0'], /--accounts: give 1 to 50 accounts/],
    [['--accounts', '1234,111122223333'], /--accounts: "1234" is not a 12-digit AWS account id/],
    [['--regions', 'us-east-1,Moon'], /--regions: "Moon" is not a region name/],
    [['--now', 'yesterday'], /--now: "yesterday" is not an ISO time/],
    [['--org', 'my-org'], /--org: "my-org" is not an organization id/],
    [['--seed', '1.5'], /--seed: "1.5" is not a whole number/],
    [['--days'], /argument missing|ambiguous/i],
    [['--seed', '-7'], /--seed=-XYZ/],
  ])('bad options %j: usage on stderr, exit 2, nothing written', async (args, message) => {
    const { io, out, err } = capture();
    expect(await main([...args, '--out', dir], io)).toBe(2);
    expect(out).toEqual([]);
    expect(err.join('\n')).toMatch(message);
    expect(err.join('\n')).toContain(SAMPLE_USAGE);
    expect(await listFiles(dir)).toEqual([]);
  });

  test('several bad options are reported together', async () => {
    const { io, err } = capture();
    expect(await main(['--out', dir, '--days', 'x', '--regions', 'nowhere', '--org', 'o-'], io)).toBe(2);
    const text = err.join('\n');
    expect(text).toContain('--days');
    expect(text).toContain('--regions');
  });

  test('writes a sample with the given options and default now from the clock', async () => {
    const { io, out, err } = capture(new Date('2026-11-20T10:00:00Z'));
    const args = ['--out', dir, '--days', '1', '--events-per-day', '100', '--accounts', '2', '--regions', 'eu-west-1'];
    expect(await main(args, io)).toBe(0);
    expect(err).toEqual([]);
    const manifest = await readManifest(dir);
    expect(manifest).toMatchObject({
      now: '2026-11-20T10:00:00.000Z',
      days: 1,
      eventsPerDay: 100,
      seed: 42,
      accounts: ['111122223333', '444455556666'],
      regions: ['eu-west-1'],
    });
    expect(out.join('\n')).toContain(`Wrote ${manifest.totalEvents.toLocaleString('en-US')} CloudTrail events`);
    expect(out.join('\n')).toContain('198.51.100.0/24');
  });

  test('--now, --seed and --org are passed through', async () => {
    const { io } = capture();
    const args = [
      '--out',
      dir,
      '--days',
      '1',
      '--events-per-day',
      '50',
      '--now',
      '2025-03-01T00:30:00Z',
      '--seed=-7',
      '--org',
      'o-abcdefghij',
    ];
    expect(await main(args, io)).toBe(0);
    const manifest = await readManifest(dir);
    expect(manifest).toMatchObject({ now: '2025-03-01T00:30:00.000Z', seed: -7, organizationId: 'o-abcdefghij' });
    const keys = (await listFiles(dir)).filter((k) => k.startsWith('AWSLogs/'));
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(k.startsWith('AWSLogs/o-abcdefghij/111122223333/')).toBe(true);
  });

  test('refuses a non-empty folder with a clear message, exit 1, and leaves it alone', async () => {
    await writeFile(path.join(dir, 'notes.txt'), 'mine');
    const { io, err } = capture();
    expect(await main(['--out', dir, '--days', '1', '--events-per-day', '10'], io)).toBe(1);
    expect(err.join('\n')).toMatch(/Refusing to write into .*not empty.*--force/s);
    expect(await listFiles(dir)).toEqual(['notes.txt']);
  });

  test('--force replaces an earlier sample (and keeps unrelated files)', async () => {
    const small = ['--out', dir, '--days', '1', '--events-per-day', '20'];
    expect(await main([...small, '--seed', '1'], capture().io)).toBe(0);
    const first = await listFiles(dir);
    await writeFile(path.join(dir, 'notes.txt'), 'mine');
    expect(await main([...small, '--seed', '2'], capture().io)).toBe(1);
    expect(await main([...small, '--seed', '2', '--force'], capture().io)).toBe(0);
    const second = await listFiles(dir);
    expect(second).toContain('notes.txt');
    // Nothing from the first sample survives: the manifest describes exactly the files there.
    const firstLogs = first.filter((k) => k.includes('/CloudTrail/'));
    expect(firstLogs.length).toBeGreaterThan(0);
    expect(second.filter((k) => firstLogs.includes(k))).toEqual([]);
    const manifest = await readManifest(dir);
    expect(manifest.seed).toBe(2);
    expect(second.filter((k) => k.includes('/CloudTrail/')).length).toBe(manifest.files);
  });
});
