/**
 * `npm run bench [-- engine|cache|cache-load|slack|charts] [options]`: runs the benchmarks, prints a plain-text table per part and a summary
 * of each target (met / not met, with the figure), writes everything as JSON to bench/out/latest.json, and with
 * `--readme` pastes the tables into bench/README.md. Not part of `npm test`: nothing here asserts a time.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../src/core/errors';
import { quietKnownWarnings } from '../src/util/quiet-warnings';
import { type CacheReport, cacheTargets, runCacheBench } from './cache';
import { type CacheLoadReport, cacheLoadTargets, runCacheLoadBench } from './cache-load';
import { type ChartsReport, chartsTargets, runChartsBench } from './charts';
import { type EngineReport, engineTargets, runEngineBench, type TargetLine } from './engine';
import { BENCH_USAGE, type BenchOptions, parseBenchArgs } from './lib';
import { runSlackBench, type SlackReport, slackTargets } from './slack';

const README = path.join(__dirname, 'README.md');
const BEGIN = '<!-- bench:figures:begin -->';
const END = '<!-- bench:figures:end -->';

export interface BenchRun {
  startedAt: string;
  finishedAt: string;
  machine: {
    node: string;
    platform: string;
    cpus: number;
    cpuModel: string;
    memoryBytes: number;
    loadAverage: number[];
  };
  options: Omit<BenchOptions, 'jsonOut' | 'writeReadme'>;
  engine?: EngineReport;
  cache?: CacheReport;
  cacheLoad?: CacheLoadReport;
  slack?: SlackReport;
  charts?: ChartsReport;
  targets: TargetLine[];
}

function summary(targets: readonly TargetLine[]): string {
  const mark = (t: TargetLine) => (t.met === undefined ? 'info   ' : t.met ? 'met    ' : 'NOT MET');
  return ['Targets', ...targets.map((t) => `  ${mark(t)}  ${t.target}: ${t.figure}`)].join('\n');
}

function machine(): BenchRun['machine'] {
  return {
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}

/** Replaces the block between the figures markers of bench/README.md with this run's tables. */
async function pasteIntoReadme(run: BenchRun, text: string): Promise<void> {
  const readme = await readFile(README, 'utf8');
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`bench/README.md has no ${BEGIN} … ${END} block`);
  const m = run.machine;
  const block = [
    BEGIN,
    `Measured ${run.finishedAt.slice(0, 16).replace('T', ' ')} UTC on ${m.cpus} × ${m.cpuModel}, ${Math.round(m.memoryBytes / 1024 ** 3)} GiB, Node ${m.node} (load average at the end ${m.loadAverage.join(', ')}; the machine is shared).`,
    '',
    '```text',
    text,
    '```',
    END,
  ].join('\n');
  await writeFile(README, readme.slice(0, start) + block + readme.slice(end + END.length));
}

export async function runBench(argv: readonly string[]): Promise<number> {
  let options: BenchOptions | null;
  try {
    options = parseBenchArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.userMessage}\n\n${BENCH_USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (options === null) {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return 0;
  }
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const startedAt = new Date().toISOString();
  const sections: string[] = [];
  const targets: TargetLine[] = [];
  let engine: EngineReport | undefined;
  let cache: CacheReport | undefined;
  let cacheLoad: CacheLoadReport | undefined;
  let slack: SlackReport | undefined;
  let charts: ChartsReport | undefined;
  for (const part of options.parts) {
    say(`== ${part} ==`);
    if (part === 'engine') {
      engine = await runEngineBench(options, say);
      sections.push(...engine.tables);
      targets.push(...engineTargets(engine));
    } else if (part === 'cache') {
      cache = await runCacheBench(options, say);
      sections.push(...cache.tables);
      targets.push(...cacheTargets(cache));
    } else if (part === 'cache-load') {
      cacheLoad = await runCacheLoadBench(options, say);
      sections.push(...cacheLoad.tables);
      targets.push(...cacheLoadTargets(cacheLoad));
    } else if (part === 'charts') {
      charts = await runChartsBench(options, say);
      sections.push(...charts.tables);
      targets.push(...chartsTargets(charts));
    } else {
      slack = await runSlackBench(options, say);
      sections.push(...slack.tables);
      targets.push(...slackTargets(slack));
    }
  }
  const { jsonOut, writeReadme, ...recorded } = options;
  const run: BenchRun = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: machine(),
    options: recorded,
    ...(engine ? { engine } : {}),
    ...(cache ? { cache } : {}),
    ...(cacheLoad ? { cacheLoad } : {}),
    ...(slack ? { slack } : {}),
    ...(charts ? { charts } : {}),
    targets,
  };
  const text = [...sections, summary(targets)].join('\n\n');
  process.stdout.write(`\n${text}\n`);
  await mkdir(path.dirname(jsonOut), { recursive: true });
  await writeFile(jsonOut, `${JSON.stringify(run, null, 2)}\n`);
  say(`\nwrote ${path.relative(process.cwd(), jsonOut) || jsonOut}`);
  if (writeReadme) {
    await pasteIntoReadme(run, text);
    say(`pasted the tables into ${path.relative(process.cwd(), README)}`);
  }
  return 0;
}

if (require.main === module) {
  quietKnownWarnings();
  // exitCode, not exit(): if something was left open the process would hang here, and that is a bug to see.
  runBench(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
