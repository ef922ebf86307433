/**
 * Figures of a soak part and how they are printed: one line per figure with its target and whether it was met.
 * Nothing here asserts: `npm run soak` reports, and exits non-zero when a target was not met.
 */

export interface Figure {
  name: string;
  /** As printed, with its unit. */
  value: string;
  /** What it should be, in words (`0`, `< 300 MB`); absent for a figure that is only informative. */
  target?: string;
  met?: boolean;
}

export interface PartReport {
  part: string;
  title: string;
  figures: Figure[];
  /** Every trailbot problem the part saw, in words (also the reason a target was not met). */
  problems: string[];
  /** Raw numbers for soak/out/latest.json. */
  data: Record<string, unknown>;
  elapsedMs: number;
}

/** A figure with a target: met when `ok`. */
export function target(name: string, value: string, targetText: string, ok: boolean): Figure {
  return { name, value, target: targetText, met: ok };
}

export function info(name: string, value: string): Figure {
  return { name, value };
}

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

export interface Distribution {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export function distribution(values: readonly number[]): Distribution {
  return {
    count: values.length,
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    max: values.length ? Math.max(...values) : Number.NaN,
  };
}

export function ms(value: number): string {
  if (Number.isNaN(value)) return '–';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function signedMb(bytes: number): string {
  return `${bytes >= 0 ? '+' : '−'}${mb(Math.abs(bytes))}`;
}

export function count(n: number, of?: number): string {
  const text = n.toLocaleString('en-US');
  return of === undefined ? text : `${text} / ${of.toLocaleString('en-US')}`;
}

/** One part as a plain-text table. */
export function renderPart(report: PartReport): string {
  const nameWidth = Math.max(6, ...report.figures.map((f) => f.name.length));
  const valueWidth = Math.max(5, ...report.figures.map((f) => f.value.length));
  const targetWidth = Math.max(6, ...report.figures.map((f) => (f.target ?? '').length));
  const line = (a: string, b: string, c: string, d: string) =>
    `  ${a.padEnd(nameWidth)}  ${b.padEnd(valueWidth)}  ${c.padEnd(targetWidth)}  ${d}`.trimEnd();
  const rows = [
    `${report.title}  (${ms(report.elapsedMs)})`,
    line('figure', 'value', 'target', ''),
    line('-'.repeat(nameWidth), '-'.repeat(valueWidth), '-'.repeat(targetWidth), '-------'),
    ...report.figures.map((f) =>
      line(f.name, f.value, f.target ?? '', f.met === undefined ? '' : f.met ? 'met' : 'NOT MET'),
    ),
  ];
  if (report.problems.length > 0) {
    rows.push('  problems seen:');
    for (const p of report.problems) rows.push(`    - ${p}`);
  }
  return rows.join('\n');
}

/** Every figure with a target that was not met, across parts. */
export function unmet(reports: readonly PartReport[]): { part: string; figure: Figure }[] {
  return reports.flatMap((r) => r.figures.filter((f) => f.met === false).map((figure) => ({ part: r.part, figure })));
}
