/**
 * `npm run sample-data -- [options]`: writes a sample CloudTrail bucket layout for the embedded engine.
 * `main(argv, io)` returns the exit code (0 done, 1 failed, 2 bad options) so tests can call it without a process.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TrailError, UsageError } from '../core/errors';
import { generateSampleData, SAMPLE_MANIFEST_FILE, type SampleOptions, validateSampleOptions } from './generate';
import { sampleAccountIds } from './world';

export const SAMPLE_USAGE = `Usage: npm run sample-data -- [options]

Writes realistic CloudTrail logs (S3 layout, gzip) with the scenarios of the AWS article "Analyze Security,
Compliance, and Operational Activity Using AWS CloudTrail and Amazon Athena" planted in them, plus
sample-manifest.json describing what a query should find.

Options:
  --out DIR             folder to write into (default ./data)
  --days N              days of logs, ending at --now (default 30)
  --events-per-day N    background events per day over all accounts and regions (default 2000)
  --accounts N|LIST     how many accounts (ids like 111122223333 are made up), or comma-separated
                        12-digit ids (default 1)
  --regions LIST        comma-separated regions (default us-east-1,eu-west-1)
  --seed N              seed; the same seed and --now give identical files (default 42;
                        write a negative one as --seed=-7)
  --now ISO             end of the range, e.g. 2026-11-20T10:00:00Z (default: the current time)
  --org o-ID            organization trail layout: AWSLogs/o-ID/<account>/CloudTrail/...
  --force               write into a folder that is not empty (an earlier sample there is replaced)
  -h, --help            show this help`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The default for --now. */
  now: () => Date;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
  now: () => new Date(),
};

export interface SampleCliOptions extends SampleOptions {
  force: boolean;
}

/** Parses the command line; reports every problem at once as a UsageError. `null` means help was asked for. */
export function parseSampleArgs(argv: string[], now: Date): SampleCliOptions | null {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (err) {
    // node:util errors come from another realm under test runners, so read the message without `instanceof`.
    const message = (err as { message?: unknown }).message;
    throw new UsageError(typeof message === 'string' ? message : String(err), SAMPLE_USAGE);
  }
  if (values.help) return null;
  const problems: string[] = [];
  const whole = (name: string, text: string | undefined, fallback: number, signed = false): number => {
    if (text === undefined) return fallback;
    if (!(signed ? /^-?\d+$/ : /^\d+$/).test(text)) {
      problems.push(`--${name}: "${text}" is not a whole number`);
      return fallback;
    }
    return Number(text);
  };
  const list = (text: string) =>
    text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');

  let accounts = sampleAccountIds(1);
  if (values.accounts !== undefined) {
    if (/^\d{1,3}$/.test(values.accounts)) {
      const n = Number(values.accounts);
      if (n < 1 || n > 50) problems.push(`--accounts: give 1 to 50 accounts, not ${n}`);
      else accounts = sampleAccountIds(n);
    } else accounts = list(values.accounts);
  }
  let at = now;
  if (values.now !== undefined) {
    at = new Date(values.now);
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(values.now) || Number.isNaN(at.getTime())) {
      problems.push(`--now: "${values.now}" is not an ISO time like 2026-11-20T10:00:00Z`);
      at = now;
    }
  }
  const options: SampleCliOptions = {
    outDir: values.out ?? './data',
    days: whole('days', values.days, 30),
    eventsPerDay: whole('events-per-day', values['events-per-day'], 2000),
    accounts,
    regions: values.regions === undefined ? ['us-east-1', 'eu-west-1'] : list(values.regions),
    seed: whole('seed', values.seed, 42, true),
    now: at,
    force: values.force ?? false,
  };
  if (values.org !== undefined) options.organizationId = values.org;
  if (problems.length > 0) {
    throw new UsageError(`Invalid sample-data options:\n${problems.map((p) => `  - ${p}`).join('\n')}`, SAMPLE_USAGE);
  }
  try {
    validateSampleOptions(options);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(err.message, SAMPLE_USAGE);
    throw err;
  }
  return options;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      out: { type: 'string' },
      days: { type: 'string' },
      'events-per-day': { type: 'string' },
      accounts: { type: 'string' },
      regions: { type: 'string' },
      seed: { type: 'string' },
      now: { type: 'string' },
      org: { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/**
 * Refuses a non-empty folder unless `force`. With `force`, an earlier sample there (recognised by its manifest) is
 * removed first so the manifest matches the files; anything else in the folder is left alone.
 */
export async function prepareOutDir(outDir: string, force: boolean): Promise<void> {
  let entries: string[];
  try {
    const info = await stat(outDir);
    if (!info.isDirectory()) {
      throw new TrailError('SAMPLE_OUT_NOT_DIR', `${outDir} exists and is not a folder: choose another --out.`);
    }
    entries = await readdir(outDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (entries.length === 0) return;
  if (!force) {
    throw new TrailError(
      'SAMPLE_OUT_NOT_EMPTY',
      `Refusing to write into ${outDir}: the folder is not empty. Choose a new or empty folder with --out, ` +
        'or pass --force to write there anyway (an earlier sample in it is replaced).',
    );
  }
  if (entries.includes(SAMPLE_MANIFEST_FILE)) {
    await rm(path.join(outDir, 'AWSLogs'), { recursive: true, force: true });
    await rm(path.join(outDir, SAMPLE_MANIFEST_FILE), { force: true });
  }
}

export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let options: SampleCliOptions | null;
  try {
    options = parseSampleArgs(argv, io.now());
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`${err.userMessage}\n\n${SAMPLE_USAGE}`);
      return 2;
    }
    throw err;
  }
  if (options === null) {
    io.stdout(SAMPLE_USAGE);
    return 0;
  }
  try {
    await prepareOutDir(options.outDir, options.force);
    const began = performance.now();
    const manifest = await generateSampleData(options);
    const seconds = ((performance.now() - began) / 1000).toFixed(1);
    const n = (x: number) => x.toLocaleString('en-US');
    io.stdout(
      `Wrote ${n(manifest.totalEvents)} CloudTrail events in ${n(manifest.files)} log files ` +
        `(+${n(manifest.digestFiles)} digest files) to ${options.outDir} in ${seconds} s.\n` +
        `Range ${manifest.window.start} .. ${manifest.window.end}; ground truth in ` +
        `${path.join(options.outDir, SAMPLE_MANIFEST_FILE)}.\n` +
        `Office networks (set them as trailbot's known networks): ${manifest.knownNetworks.join(', ')}`,
    );
    return 0;
  } catch (err) {
    if (err instanceof TrailError) {
      io.stderr(err.userMessage);
      return 1;
    }
    io.stderr(`sample-data failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
