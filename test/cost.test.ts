import { ATHENA_MIN_BILLED_BYTES, athenaBilledBytes, athenaCostUsd, formatUsd, queryCostUsd } from '../src/cost';

describe('Athena cost: $5 per TB scanned, whole MB, 10 MB minimum', () => {
  test('billed bytes round up to the megabyte with a 10 MB floor', () => {
    expect(athenaBilledBytes(0)).toBe(ATHENA_MIN_BILLED_BYTES);
    expect(athenaBilledBytes(1)).toBe(10_000_000);
    expect(athenaBilledBytes(10_000_000)).toBe(10_000_000);
    expect(athenaBilledBytes(10_000_001)).toBe(11_000_000);
    expect(athenaBilledBytes(48_211_734)).toBe(49_000_000);
  });

  test('USD per query', () => {
    expect(athenaCostUsd(1_000_000_000_000)).toBe(5);
    expect(athenaCostUsd(3_000_000_000_000)).toBe(15);
    expect(athenaCostUsd(0)).toBeCloseTo(0.00005, 12);
    expect(athenaCostUsd(48_211_734)).toBeCloseTo(0.000245, 12);
  });

  test('negative or non-finite byte counts are refused', () => {
    expect(() => athenaCostUsd(-1)).toThrow(RangeError);
    expect(() => athenaCostUsd(Number.NaN)).toThrow(RangeError);
  });

  test('per engine and outcome: DuckDB is free, failed and reused queries are not billed, cancelled ones are', () => {
    const stats = { bytesScanned: 2_000_000_000_000 };
    expect(queryCostUsd('duckdb', stats, 'SUCCEEDED')).toBe(0);
    expect(queryCostUsd('athena', stats, 'SUCCEEDED')).toBe(10);
    expect(queryCostUsd('athena', stats, 'CANCELLED')).toBe(10);
    expect(queryCostUsd('athena', stats, 'FAILED')).toBe(0);
    expect(queryCostUsd('athena', { bytesScanned: 0, reusedResult: true }, 'SUCCEEDED')).toBe(0);
    expect(queryCostUsd('athena', stats)).toBe(10);
  });
});

describe('formatting', () => {
  test.each([
    [0, '$0.00'],
    [0.00005, '$0.00005'],
    [0.000245, '$0.00025'],
    [0.0099, '$0.0099'],
    [0.01, '$0.01'],
    [5, '$5.00'],
    [1234.567, '$1,234.57'],
  ])('formatUsd(%p) = %p', (usd, text) => {
    expect(formatUsd(usd)).toBe(text);
  });

  test('non-finite values are refused rather than printed as NaN', () => {
    expect(() => formatUsd(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
