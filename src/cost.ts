import type { QueryState, QueryStats } from './core/engine';

/**
 * What a query costs. Athena bills "$5.00 per TB of data scanned", each query rounded up to the nearest megabyte with
 * a 10 MB minimum (10 MB minimum per query: KensioSoftware/rainlytics#21 [secondary]; the per-MB rounding as stated by
 * athena.guide "Athena Basics: Pricing Model" and the Stanford rcpedia Athena page, both quoting
 * aws.amazon.com/athena/pricing).
 *
 * Rounding rule chosen: decimal units, 1 MB = 10^6 bytes and 1 TB = 10^12 bytes. AWS does not say whether its TB
 * is decimal or binary; decimal gives the higher figure (about 10% above 2^40), so an estimate shown before a query
 * runs is an upper bound, never a surprise.
 */
export const ATHENA_USD_PER_TB = 5;
export const BYTES_PER_MB = 1_000_000;
export const BYTES_PER_TB = 1_000_000_000_000;
/** 10 MB billed at least, per query. */
export const ATHENA_MIN_BILLED_BYTES = 10 * BYTES_PER_MB;

/** Bytes Athena bills for one query that scanned `bytesScanned`: whole megabytes, at least 10 MB. */
export function athenaBilledBytes(bytesScanned: number): number {
  if (!Number.isFinite(bytesScanned) || bytesScanned < 0) throw new RangeError(`not a byte count: ${bytesScanned}`);
  return Math.max(ATHENA_MIN_BILLED_BYTES, Math.ceil(bytesScanned / BYTES_PER_MB) * BYTES_PER_MB);
}

/** USD for one Athena query that scanned `bytesScanned` (also the pre-flight estimate from partition sizes). */
export function athenaCostUsd(bytesScanned: number): number {
  return (athenaBilledBytes(bytesScanned) / BYTES_PER_TB) * ATHENA_USD_PER_TB;
}

/**
 * USD for a finished execution on either engine. DuckDB runs locally: 0. On Athena a FAILED query is not billed
 * ("You are not charged for failed queries", Athena pricing page, quoted secondhand by awsnegotiations.com), a
 * CANCELLED one is billed for what it scanned (Athena User Guide, workgroups-setting-control-limits-cloudwatch.html),
 * and a result-reuse hit scans nothing.
 */
export function queryCostUsd(
  engine: 'athena' | 'duckdb',
  stats: Pick<QueryStats, 'bytesScanned' | 'reusedResult'>,
  state?: QueryState,
): number {
  if (engine === 'duckdb') return 0;
  if (state === 'FAILED' || stats.reusedResult === true) return 0;
  return athenaCostUsd(stats.bytesScanned);
}

const cents = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});
const smallAmounts = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  maximumSignificantDigits: 2,
});

/**
 * `$1,234.57`, or two significant digits below one cent (`$0.00005`): most CloudTrail questions cost a fraction of
 * a cent, and "$0.00" would hide the difference between 10 MB and 1 GB.
 */
export function formatUsd(usd: number): string {
  if (!Number.isFinite(usd)) throw new RangeError(`not an amount: ${usd}`);
  if (usd === 0) return '$0.00';
  if (Math.abs(usd) < 0.01) return smallAmounts.format(usd);
  return cents.format(usd);
}
