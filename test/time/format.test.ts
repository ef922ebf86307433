import { formatBytes, formatDuration, formatInstant, formatWindow } from '../../src/time/format';
import { parseWindow, windowToJson } from '../../src/time/window';

const NOW = new Date('2026-11-21T10:00:00Z');

function win(start: string, end: string) {
  return { start: new Date(start), end: new Date(end), label: 'x', partitions: [] };
}

describe('formatWindow', () => {
  test('two days in this year, in the team time zone', () => {
    expect(formatWindow(win('2026-11-20T19:00:00Z', '2026-11-21T07:00:00Z'), 'Europe/Berlin', NOW)).toBe(
      'Nov 20 20:00 – Nov 21 08:00 (Europe/Berlin)',
    );
  });

  test('the same local day is not repeated', () => {
    expect(formatWindow(win('2026-11-20T08:00:00Z', '2026-11-20T20:00:00Z'), 'UTC', NOW)).toBe(
      'Nov 20 08:00 – 20:00 (UTC)',
    );
  });

  test('same UTC day but different local days shows both dates', () => {
    expect(formatWindow(win('2026-11-20T01:00:00Z', '2026-11-20T06:00:00Z'), 'America/New_York', NOW)).toBe(
      'Nov 19 20:00 – Nov 20 01:00 (America/New_York)',
    );
  });

  test('the year appears when not the current year', () => {
    expect(formatWindow(win('2025-03-01T00:00:00Z', '2025-03-02T00:00:00Z'), 'UTC', NOW)).toBe(
      'Mar 1, 2025 00:00 – Mar 2, 2025 00:00 (UTC)',
    );
  });

  test('the year appears on both ends when they differ in year', () => {
    const newYear = new Date('2027-01-01T12:00:00Z');
    expect(formatWindow(win('2026-12-31T22:00:00Z', '2027-01-01T06:00:00Z'), 'UTC', newYear)).toBe(
      'Dec 31, 2026 22:00 – Jan 1, 2027 06:00 (UTC)',
    );
  });

  test('the current year is the team zone’s: 23:30 UTC on Dec 31 is already next year in Berlin', () => {
    const now = new Date('2026-12-31T23:30:00Z');
    expect(formatWindow(win('2027-01-01T00:00:00Z', '2027-01-01T00:10:00Z'), 'Europe/Berlin', now)).toBe(
      'Jan 1 01:00 – 01:10 (Europe/Berlin)',
    );
  });

  test('accepts the stored JSON form', () => {
    const w = parseWindow('yesterday', { now: NOW, timeZone: 'Europe/Berlin', maxDays: 90 });
    expect(formatWindow(windowToJson(w), 'Europe/Berlin', NOW)).toBe('Nov 20 00:00 – Nov 21 00:00 (Europe/Berlin)');
  });
});

describe('formatInstant', () => {
  test.each([
    ['2026-11-20T19:00:05Z', 'Europe/Berlin', '2026-11-20 20:00:05 +01:00'],
    ['2026-07-20T19:00:05Z', 'Europe/Berlin', '2026-07-20 21:00:05 +02:00'],
    ['2026-11-20T19:00:05Z', 'UTC', '2026-11-20 19:00:05 UTC'],
    ['2026-11-20T19:00:05Z', 'America/New_York', '2026-11-20 14:00:05 -05:00'],
    ['2026-11-20T19:00:05Z', 'Asia/Kolkata', '2026-11-21 00:30:05 +05:30'],
  ])('%s in %s', (iso, zone, expected) => {
    expect(formatInstant(new Date(iso), zone)).toBe(expected);
  });
});

describe('formatDuration', () => {
  test.each([
    [0, '0 ms'],
    [850, '850 ms'],
    [999.4, '999 ms'],
    [999.6, '1 s'],
    [1000, '1 s'],
    [12_345, '12.3 s'],
    [59_960, '1 min'],
    [125_000, '2 min 5 s'],
    [119_999, '2 min'],
    [3_600_000, '1 h'],
    [3_840_000, '1 h 4 min'],
    [2 * 86_400_000 + 3 * 3_600_000, '2 d 3 h'],
    [-5, '0 ms'],
    [Number.NaN, '0 ms'],
  ])('%d ms → %s', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });
});

describe('formatBytes (1000-based)', () => {
  test.each([
    [0, '0 B'],
    [-1, '0 B'],
    [999, '999 B'],
    [1000, '1 kB'],
    [1_500_000, '1.5 MB'],
    [12_340_000, '12.3 MB'],
    [123_400_000, '123 MB'],
    [999_960, '1 MB'],
    [10 * 1024 ** 3, '10.7 GB'],
    [1e12, '1 TB'],
    [2.5e15, '2.5 PB'],
  ])('%d → %s', (n, expected) => {
    expect(formatBytes(n)).toBe(expected);
  });
});
