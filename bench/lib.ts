/**
 * Shared pieces of the benchmarks: options, cached sample data, statistics and plain-text tables.
 *
 * Benchmarks report ratios of two things measured side by side in the same run, never absolute times against a
 * threshold: the machine is shared and noisy, so only "A vs B, interleaved" means anything.
 */
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../src/core/errors';
import {
  generateSampleData,
  SAMPLE_MANIFEST_FILE,
  type SampleManifest,
  sampleAccountIds,
} from '../src/sample/generate';

// ---------------------------------------------------------------------------------------------------------------
// Options

export type BenchPart = 'engine' | 'cache' | 'cache-load' | 'slack' | 'charts';
export const BENCH_PARTS: readonly BenchPart[] = ['engine', 'cache', 'cache-load', 'slack', 'charts'];

export interface BenchOptions {
  parts: BenchPart[];
  /** Engine part: background events per day (≈33,000 × 30 days ≈ 1M events, as the issue asks). */
  eventsPerDay: number;
  days: number;
  seed: number;
  /** Folder holding (or to receive) the engine part's data; default a cache folder under os.tmpdir(). */
  dataDir?: string;
  /** Timed repetitions per engine measurement (median reported). */
  repeats: number;
  /** Repetitions of each jq pipeline (slow: a few seconds each). */
  jqRepeats: number;
  /** Skip the jq comparison. */
  noJq: boolean;
  /** Slack part: commands per measured round, sent `concurrency` at a time. */
  slackRequests: number;
  concurrency: number;
  /** Slack part: measured rounds per app (alternating ABBA…). */
  slackRounds: number;
  /** Slack part: size of the small dataset the real app queries in the background. */
  slackEventsPerDay: number;
  slackDays: number;
  /** Slack, diagnostic: give trailbot's DuckDB this many worker threads (default: DuckDB's own choice). */
  duckdbThreads?: number;
  /** Where the machine-readable results go. */
  jsonOut: string;
  /** Also rewrite the figures section of bench/README.md. */
  writeReadme: boolean;
}

export const BENCH_USAGE = `Usage: npm run bench [-- [engine] [cache] [cache-load] [slack] [charts] [options]]

Runs every part unless some are named (cache: the columnar cache, warm and cold, on the engine data; cache-load: Slack ack latency and one answer's peak RSS while the cache's background conversion runs; charts: a 30-day hourly chart against the CSV baselines). Every figure is a ratio measured side by side in the same run.
  --events-per-day N      engine data: background events per day (default 33000)
  --days N                engine data: days of logs (default 30)
  --seed N                sample seed (default 42)
  --data DIR              engine data folder to reuse or fill (default: a cache under ${os.tmpdir()})
  --repeats N             timed runs per engine measurement, median reported (default 5)
  --jq-repeats N          runs of each jq pipeline (default 3)
  --no-jq                 skip the jq comparison
  --requests N            Slack: commands per round (default 200)
  --concurrency N         Slack: commands in flight at once (default 50)
  --rounds N              Slack: measured rounds per app, alternating the order (default 3)
  --slack-events-per-day N, --slack-days N   Slack: the small dataset behind the real app (default 2000 × 7)
  --duckdb-threads N      Slack, diagnostic: trailbot's DuckDB worker threads (default: one per core)
  --json FILE             results as JSON (default bench/out/latest.json)
  --readme                paste the tables into bench/README.md (between the figures markers)
  -h, --help              this help`;

const DEFAULTS: BenchOptions = {
  parts: [...BENCH_PARTS],
  eventsPerDay: 33_000,
  days: 30,
  seed: 42,
  repeats: 5,
  jqRepeats: 3,
  noJq: false,
  slackRequests: 200,
  concurrency: 50,
  slackRounds: 3,
  slackEventsPerDay: 2000,
  slackDays: 7,
  jsonOut: path.resolve(__dirname, 'out', 'latest.json'),
  writeReadme: false,
};

const NUMERIC: Record<string, { key: keyof BenchOptions; min: number; max: number }> = {
  '--events-per-day': { key: 'eventsPerDay', min: 0, max: 2_000_000 },
  '--days': { key: 'days', min: 1, max: 400 },
  '--seed': { key: 'seed', min: -(2 ** 31), max: 2 ** 31 },
  '--repeats': { key: 'repeats', min: 1, max: 100 },
  '--jq-repeats': { key: 'jqRepeats', min: 1, max: 20 },
  '--requests': { key: 'slackRequests', min: 1, max: 5000 },
  '--concurrency': { key: 'concurrency', min: 1, max: 500 },
  '--rounds': { key: 'slackRounds', min: 1, max: 20 },
  '--slack-events-per-day': { key: 'slackEventsPerDay', min: 0, max: 200_000 },
  '--slack-days': { key: 'slackDays', min: 1, max: 90 },
  '--duckdb-threads': { key: 'duckdbThreads', min: 1, max: 64 },
};

/** Parses `npm run bench -- …`; null means help was asked for. Reports every problem at once. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | null {
  const options: BenchOptions = { ...DEFAULTS, parts: [] };
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const [flag, inline] =
      raw.startsWith('--') && raw.includes('=')
        ? [raw.slice(0, raw.indexOf('=')), raw.slice(raw.indexOf('=') + 1)]
        : [raw, undefined];
    const value = (): string | undefined => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        problems.push(`${flag} needs a value`);
        return undefined;
      }
      i++;
      return next;
    };
    if (flag === '-h' || flag === '--help') return null;
    if (flag === 'engine' || flag === 'cache' || flag === 'cache-load' || flag === 'slack' || flag === 'charts') {
      if (!options.parts.includes(flag)) options.parts.push(flag);
    } else if (flag === '--no-jq') options.noJq = true;
    else if (flag === '--readme') options.writeReadme = true;
    else if (flag === '--data') {
      const v = value();
      if (v !== undefined) options.dataDir = path.resolve(v);
    } else if (flag === '--json') {
      const v = value();
      if (v !== undefined) options.jsonOut = path.resolve(v);
    } else if (flag in NUMERIC) {
      const spec = NUMERIC[flag]!;
      const v = value();
      if (v === undefined) continue;
      if (!/^-?\d+$/.test(v) || Number(v) < spec.min || Number(v) > spec.max) {
        problems.push(`${flag}: "${v}" is not a whole number from ${spec.min} to ${spec.max}`);
      } else (options[spec.key] as number) = Number(v);
    } else problems.push(`unknown argument "${raw}"`);
  }
  if (options.parts.length === 0) options.parts = [...BENCH_PARTS];
  if (problems.length > 0)
    throw new UsageError(`Invalid bench options:\n${problems.map((p) => `  - ${p}`).join('\n')}`, BENCH_USAGE);
  return options;
}

// ---------------------------------------------------------------------------------------------------------------
// Sample data, generated once per seed and size

/**
 * The end of every benchmark dataset. Fixed (not the current time) so the same seed and size give byte-identical
 * files that can be cached between runs; questions are asked "as of" this instant.
 */
export const BENCH_NOW = new Date('2026-11-20T12:00:00.000Z');

export interface SampleSpec {
  eventsPerDay: number;
  days: number;
  seed: number;
  /** Defaults to the two regions trailbot's own first-run sample uses. */
  regions?: string[];
}

export interface BenchData {
  dir: string;
  manifest: SampleManifest;
  /** True when this run wrote the files (false: reused from the cache). */
  generated: boolean;
  generateMs?: number;
}

const REGIONS = ['us-east-1', 'eu-west-1'];

function sameSpec(manifest: SampleManifest, spec: SampleSpec): boolean {
  return (
    manifest.seed === spec.seed &&
    manifest.days === spec.days &&
    manifest.eventsPerDay === spec.eventsPerDay &&
    manifest.now === BENCH_NOW.toISOString() &&
    manifest.regions.join(',') === (spec.regions ?? REGIONS).join(',')
  );
}

async function readManifest(dir: string): Promise<SampleManifest | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, SAMPLE_MANIFEST_FILE), 'utf8')) as SampleManifest;
  } catch {
    return undefined;
  }
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

/** The cache folder for a spec: `<tmp>/trailbot-bench/seed42-33000x30-20261120T120000Z`. */
export function cacheDirFor(spec: SampleSpec): string {
  const stamp = BENCH_NOW.toISOString().replace(/[-:]|\.\d{3}/g, '');
  const regions = (spec.regions ?? REGIONS).length === REGIONS.length ? '' : `-r${(spec.regions ?? REGIONS).length}`;
  return path.join(
    os.tmpdir(),
    'trailbot-bench',
    `seed${spec.seed}-${spec.eventsPerDay}x${spec.days}${regions}-${stamp}`,
  );
}

/**
 * Returns the dataset for `spec`, generating it only when the folder does not already hold it. The sample is written
 * into a sibling temp folder and renamed into place when complete, so an interrupted run never leaves a half dataset
 * that a later run would take for the real thing.
 */
export async function ensureBenchData(
  spec: SampleSpec,
  dir = cacheDirFor(spec),
  say: (line: string) => void = () => {},
): Promise<BenchData> {
  const existing = await readManifest(dir);
  if (existing) {
    if (!sameSpec(existing, spec)) {
      throw new UsageError(
        `${dir} holds a sample of another seed or size (seed ${existing.seed}, ${existing.eventsPerDay}/day × ${existing.days} days, now ${existing.now}). Remove it or choose another --data folder.`,
      );
    }
    return { dir, manifest: existing, generated: false };
  }
  if (!(await isEmptyOrMissing(dir))) {
    throw new UsageError(`${dir} is not empty and holds no bench sample: give an empty or missing folder to --data.`);
  }
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(path.dirname(dir), { recursive: true });
  say(
    `generating ${(spec.eventsPerDay * spec.days).toLocaleString('en-US')} events (${spec.eventsPerDay}/day × ${spec.days} days, seed ${spec.seed}) into ${dir} …`,
  );
  const began = performance.now();
  try {
    await generateSampleData({
      outDir: partial,
      days: spec.days,
      eventsPerDay: spec.eventsPerDay,
      accounts: sampleAccountIds(1),
      regions: spec.regions ?? REGIONS,
      seed: spec.seed,
      now: BENCH_NOW,
    });
    await rm(dir, { recursive: true, force: true });
    await rename(partial, dir);
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw err;
  }
  const generateMs = performance.now() - began;
  const manifest = (await readManifest(dir))!;
  say(
    `  wrote ${manifest.totalEvents.toLocaleString('en-US')} events in ${manifest.files.toLocaleString('en-US')} files (${(generateMs / 1000).toFixed(1)} s)`,
  );
  return { dir, manifest, generated: true, generateMs };
}

/** Total size and count of the log files (digests excluded) under a sample folder. */
export async function datasetSize(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('CloudTrail-')) await walk(p);
      } else if (
        entry.isFile() &&
        /\.json(\.gz)?$/.test(entry.name) &&
        !entry.name.includes('CloudTrail-Digest') &&
        entry.name !== SAMPLE_MANIFEST_FILE
      ) {
        files++;
        bytes += (await stat(p)).size;
      }
    }
  };
  await walk(path.join(dir, 'AWSLogs'));
  return { files, bytes };
}

// ---------------------------------------------------------------------------------------------------------------
// Statistics

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile (q in [0, 1]); NaN for an empty list. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Geometric mean: the right average of ratios. */
export function geomean(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v) && v > 0);
  if (finite.length === 0) return Number.NaN;
  return Math.exp(finite.reduce((s, v) => s + Math.log(v), 0) / finite.length);
}

// ---------------------------------------------------------------------------------------------------------------
// Formatting

export const ms = (v: number): string => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '–');
export const ratio = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '–');
export const count = (v: number): string => v.toLocaleString('en-US');

export function bytesText(v: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let x = v;
  let u = 0;
  while (x >= 1024 && u < units.length - 1) {
    x /= 1024;
    u++;
  }
  return `${u === 0 ? x.toFixed(0) : x.toFixed(1)} ${units[u]}`;
}

/** A plain-text table: header, a rule, rows; numbers (cells that start with a digit or sign) right-aligned. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.,]+|^–$/.test(r[i] ?? '')));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export const sleep = (msToWait: number) => new Promise<void>((resolve) => setTimeout(resolve, msToWait));

/** Peak resident set size of this process so far, in bytes (resourceUsage reports KiB). */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}
