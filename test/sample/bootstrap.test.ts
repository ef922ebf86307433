import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BOOTSTRAP_MARKER, ensureSampleData, SAMPLE_MAX_AGE_MS } from '../../src/sample/bootstrap';
import { generateSampleData, SAMPLE_MANIFEST_FILE, sampleAccountIds } from '../../src/sample/generate';

describe('sample data on first run', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'trail-bootstrap-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const small = { days: 2, eventsPerDay: 100 };
  const manifestNow = (d: string) => JSON.parse(readFileSync(path.join(d, SAMPLE_MANIFEST_FILE), 'utf8')).now as string;

  test('an empty or missing folder gets a sample; a fresh one is kept; a stale one of its own is regenerated', async () => {
    const data = path.join(dir, 'data');
    const lines: string[] = [];
    const t0 = new Date('2026-11-21T12:00:00Z');
    expect((await ensureSampleData(data, t0, (l) => lines.push(l), small)).kind).toBe('generated');
    expect(existsSync(path.join(data, BOOTSTRAP_MARKER))).toBe(true);
    expect(lines[0]).toContain('generating 2 days of sample data');
    expect((await ensureSampleData(data, new Date(t0.getTime() + 3600_000), () => {}, small)).kind).toBe(
      'fresh-sample',
    );
    const later = new Date(t0.getTime() + SAMPLE_MAX_AGE_MS + 1000);
    expect((await ensureSampleData(data, later, () => {}, small)).kind).toBe('generated');
    expect(manifestNow(data)).toBe(later.toISOString());
  }, 60_000);

  test('your own logs, or a dataset made on purpose, are never touched', async () => {
    const own = path.join(dir, 'own');
    mkdirSync(own);
    writeFileSync(path.join(own, 'export.json'), '[]');
    expect((await ensureSampleData(own, new Date(), () => {})).kind).toBe('user-data');
    const made = path.join(dir, 'made');
    await generateSampleData({
      outDir: made,
      days: 1,
      eventsPerDay: 50,
      accounts: sampleAccountIds(1),
      regions: ['us-east-1'],
      seed: 1,
      now: new Date('2020-01-01T00:00:00Z'),
    });
    expect((await ensureSampleData(made, new Date(), () => {})).kind).toBe('user-data');
    expect(manifestNow(made)).toBe('2020-01-01T00:00:00.000Z');
  });
});
