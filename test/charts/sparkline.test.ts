import { sparkline, sparklineWithin } from '../../src/charts';
import type { TimeSeries } from '../../src/core/publisher';

const series = (counts: number[], extra: Partial<TimeSeries> = {}): TimeSeries => ({
  bucket: 'hour',
  rows: 'sign-ins',
  start: '2026-11-30T00:00:00.000Z',
  counts,
  skipped: 0,
  ...extra,
});

describe('the terminal sparkline', () => {
  test('one line: first and last bucket times (the date once when they share it), a block per bucket scaled to the busiest, and the total', () => {
    expect(sparkline(series([0, 1, 4, 7, 2, 0]))).toBe(
      '2026-11-30 00:00 ▁▂▅█▃▁ 05:00 UTC · 14 sign-ins, a block per hour',
    );
  });

  test('the busiest bucket is a full block and any bucket with a row stands above an empty one', () => {
    const line = sparkline(series([0, 1, 1000]));
    expect(line).toContain(' ▁▂█ ');
    expect(sparkline(series([0, 1]))).toContain(' ▁█ ');
  });

  test('a series longer than the width sums neighbours, so the line keeps its width and every row', () => {
    const counts = Array.from({ length: 720 }, (_, i) => (i % 24 === 3 ? 2 : 0));
    const line = sparkline({ ...series(counts), start: '2026-11-01T00:00:00.000Z' }, { width: 60 });
    const blocks = line.split(' ')[2]!;
    expect([...blocks]).toHaveLength(60);
    expect(line).toContain('60 sign-ins, a block per 12 hours');
    expect(line).not.toContain('\n');
    expect(line.startsWith('2026-11-01 00:00 ')).toBe(true);
    expect(line).toContain(' 2026-11-30 23:00 UTC');
  });

  test('says how many rows are marked and how many could not be placed', () => {
    const line = sparkline(series([3, 0, 1], { marked: [2, 0, 0], skipped: 1 }), { markedLabel: 'off-hours' });
    expect(line).toBe(
      '2026-11-30 00:00 █▁▂ 02:00 UTC · 4 sign-ins, a block per hour · 2 off-hours · 1 without a time in the window',
    );
  });

  test('day buckets are labelled by date', () => {
    expect(sparkline({ ...series([1, 2]), bucket: 'day', rows: 'calls' })).toBe(
      '2026-11-30 ▂█ 2026-12-01 UTC · 3 calls, a block per day',
    );
  });
});

describe('the sparkline on a terminal of a given width', () => {
  const day = series(Array.from({ length: 24 }, (_, i) => i % 5));
  test('one block per bucket when the terminal is wide enough', () => {
    const line = sparklineWithin(day, 120);
    expect([...line.split(' ')[2]!]).toHaveLength(24);
    expect([...line].length).toBeLessThanOrEqual(120);
  });
  test('fewer, wider buckets on a narrow terminal, still one line that fits', () => {
    const line = sparklineWithin(day, 80);
    expect([...line].length).toBeLessThanOrEqual(80);
    expect(line).toMatch(/a block per \d+ hours/);
    expect(line).toContain('46 sign-ins');
  });
});
