/**
 * `npm run soak [-- options]`: proof under load, faults and hostile input, on the embedded default and local fakes,
 * everything on 127.0.0.1 and bounded in time. Prints one table per part (figures, targets, met / NOT MET), writes
 * soak/out/latest.json, and with `--readme` pastes the tables into soak/README.md. Exits 1 when a target was not met.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { quietKnownWarnings } from '../src/util/quiet-warnings';
import { runKillRestart } from './crash';
import { runAthenaFaults, runDynamoThrottling, runSlackFaults } from './faults';
import { runHostile } from './hostile';
import { runLarge } from './large';
import { type PartReport, renderPart, unmet } from './lib/report';
import { runLoad } from './load';

export const PARTS = [
  'load',
  'faults.slack',
  'faults.athena',
  'faults.dynamodb',
  'faults.kill',
  'hostile',
  'large',
] as const;
export type PartName = (typeof PARTS)[number];

export interface SoakOptions {
  parts: PartName[];
  seed: number;
  /** Load: seconds, commands, users, channels. */
  durationS: number;
  commands: number;
  users: number;
  channels: number;
  /** Fault loads (Slack, Athena, DynamoDB): commands each over `faultDurationS`. */
  faultCommands: number;
  faultDurationS: number;
  kills: number;
  texts: number;
  viaBot: number;
  rows: number;
  readme: boolean;
  jsonOut: string;
}

export const SOAK_USAGE = `Usage: npm run soak -- [options]

  --parts <list>         comma-separated: load, faults (= faults.slack,faults.athena,faults.dynamodb,faults.kill),
                         hostile, large, or single faults.* parts (default: all)
  --seed <n>             seed of every generator (default 1)
  --duration <s>         load: seconds to spread the commands over (default 60)
  --commands <n>         load: slash commands (default 500)
  --users <n>            load: users (default 20)
  --channels <n>         load: channels (default 5)
  --fault-commands <n>   commands during each fault load (default 150)
  --fault-duration <s>   seconds for each fault load (default 20)
  --kills <n>            times the bot is SIGKILLed and restarted (default 20)
  --texts <n>            hostile command texts (default 10000)
  --via-bot <n>          of those, sent through the Slack bot too (default 300)
  --rows <n>             rows of the large result (default 100000)
  --quick                a short run: 100 commands over 10 s, 40 per fault load, 3 kills, 1000 texts, 10000 rows
  --readme               paste the tables into soak/README.md
  --json <path>          where to write the figures (default soak/out/latest.json)`;

export class SoakUsageError extends Error {}

export function parseSoakArgs(argv: readonly string[]): SoakOptions {
  const o: SoakOptions = {
    parts: [...PARTS],
    seed: 1,
    durationS: 60,
    commands: 500,
    users: 20,
    channels: 5,
    faultCommands: 150,
    faultDurationS: 20,
    kills: 20,
    texts: 10_000,
    viaBot: 300,
    rows: 100_000,
    readme: false,
    jsonOut: path.join(__dirname, 'out', 'latest.json'),
  };
  const numbers: Record<string, keyof SoakOptions> = {
    '--seed': 'seed',
    '--duration': 'durationS',
    '--commands': 'commands',
    '--users': 'users',
    '--channels': 'channels',
    '--fault-commands': 'faultCommands',
    '--fault-duration': 'faultDurationS',
    '--kills': 'kills',
    '--texts': 'texts',
    '--via-bot': 'viaBot',
    '--rows': 'rows',
  };
  if (argv.includes('--quick')) {
    Object.assign(o, {
      durationS: 10,
      commands: 100,
      faultCommands: 40,
      faultDurationS: 6,
      kills: 3,
      texts: 1000,
      viaBot: 60,
      rows: 10_000,
    });
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') continue;
    if (arg === '--readme') {
      o.readme = true;
      continue;
    }
    const value = argv[i + 1];
    if (arg === '--parts') {
      if (value === undefined) throw new SoakUsageError('--parts needs a list');
      const parts = value.split(',').flatMap((p) => {
        const name = p.trim();
        if (name === 'faults') return PARTS.filter((x) => x.startsWith('faults.'));
        if ((PARTS as readonly string[]).includes(name)) return [name as PartName];
        throw new SoakUsageError(`--parts: unknown part "${name}" (known: ${PARTS.join(', ')}, faults)`);
      });
      o.parts = PARTS.filter((p) => parts.includes(p));
      i++;
    } else if (arg === '--json') {
      if (value === undefined) throw new SoakUsageError('--json needs a path');
      o.jsonOut = path.resolve(value);
      i++;
    } else if (arg in numbers) {
      const n = Number(value);
      if (value === undefined || !Number.isInteger(n) || n < 0) throw new SoakUsageError(`${arg} needs a whole number`);
      (o as unknown as Record<string, number>)[numbers[arg]!] = n;
      i++;
    } else {
      throw new SoakUsageError(`unknown option ${arg}`);
    }
  }
  if (o.commands < 1 || o.durationS < 1 || o.users < 1 || o.channels < 1) {
    throw new SoakUsageError('--commands, --duration, --users and --channels must be at least 1');
  }
  return o;
}

async function runPart(name: PartName, o: SoakOptions): Promise<PartReport> {
  const fault = { commands: o.faultCommands, durationMs: o.faultDurationS * 1000, seed: o.seed };
  switch (name) {
    case 'load':
      return runLoad({
        commands: o.commands,
        durationMs: o.durationS * 1000,
        users: o.users,
        channels: o.channels,
        seed: o.seed,
      });
    case 'faults.slack':
      return runSlackFaults(fault);
    case 'faults.athena':
      return runAthenaFaults(fault);
    case 'faults.dynamodb':
      return runDynamoThrottling(fault);
    case 'faults.kill':
      return runKillRestart({ kills: o.kills, seed: o.seed });
    case 'hostile':
      return runHostile({ texts: o.texts, seed: o.seed, viaBot: o.viaBot });
    case 'large':
      return runLarge({ rows: o.rows, seed: o.seed });
  }
}

/** A part that threw is reported as a failed part, so one broken part does not hide the others' figures. */
function failedPart(name: PartName, err: unknown, elapsedMs: number): PartReport {
  return {
    part: name,
    title: `${name}: the part could not run`,
    figures: [{ name: 'part completed', value: 'no', target: 'yes', met: false }],
    problems: [String((err as Error)?.stack ?? err).slice(0, 2000)],
    data: { error: String(err) },
    elapsedMs,
  };
}

function machine() {
  return {
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}

const README = path.join(__dirname, 'README.md');
const BEGIN = '<!-- soak:figures:begin -->';
const END = '<!-- soak:figures:end -->';

async function pasteIntoReadme(text: string): Promise<void> {
  const readme = await readFile(README, 'utf8');
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`soak/README.md has no ${BEGIN} … ${END} block`);
  await writeFile(README, `${readme.slice(0, start + BEGIN.length)}\n${text}\n${readme.slice(end)}`);
}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${SOAK_USAGE}\n`);
    return 0;
  }
  let o: SoakOptions;
  try {
    o = parseSoakArgs(argv);
  } catch (err) {
    if (err instanceof SoakUsageError) {
      process.stderr.write(`${err.message}\n\n${SOAK_USAGE}\n`);
      return 2;
    }
    throw err;
  }
  const startedAt = new Date().toISOString();
  const m = machine();
  process.stdout.write(
    `trailbot soak: ${o.parts.join(', ')} (seed ${o.seed}) on ${m.cpus} × ${m.cpuModel}, ${Math.round(m.memoryBytes / 2 ** 30)} GiB, Node ${m.node}\n\n`,
  );
  const reports: PartReport[] = [];
  for (const name of o.parts) {
    const began = Date.now();
    let report: PartReport;
    try {
      report = await runPart(name, o);
    } catch (err) {
      report = failedPart(name, err, Date.now() - began);
    }
    reports.push(report);
    process.stdout.write(`${renderPart(report)}\n\n`);
  }
  const missed = unmet(reports);
  const summary =
    missed.length === 0
      ? 'Every target met.'
      : [
          'Targets NOT met:',
          ...missed.map((x) => `  ${x.part}: ${x.figure.name} = ${x.figure.value} (target ${x.figure.target})`),
        ].join('\n');
  process.stdout.write(`${summary}\n`);

  const finishedAt = new Date().toISOString();
  await mkdir(path.dirname(o.jsonOut), { recursive: true });
  const { jsonOut: _json, readme: _readme, ...options } = o;
  await writeFile(o.jsonOut, `${JSON.stringify({ startedAt, finishedAt, machine: m, options, reports }, null, 2)}\n`);
  process.stdout.write(`Figures written to ${path.relative(process.cwd(), o.jsonOut)}\n`);
  if (o.readme) {
    const text = [
      `Run ${startedAt.slice(0, 16).replace('T', ' ')} UTC: \`${['npm run soak', ...(argv.length ? ['--', ...argv] : [])].join(' ')}\` (seed ${o.seed}) on ${m.cpus} × ${m.cpuModel}, Node ${m.node}, load average at start ${m.loadAverage.join(' ')}.`,
      '',
      '```text',
      ...reports.map((r) => `${renderPart(r)}\n`),
      summary,
      '```',
    ].join('\n');
    await pasteIntoReadme(text);
    process.stdout.write('Tables pasted into soak/README.md\n');
  }
  return missed.length === 0 ? 0 : 1;
}

if (require.main === module) {
  quietKnownWarnings();
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`soak failed: ${String((err as Error)?.stack ?? err)}\n`);
      process.exit(1);
    },
  );
}
