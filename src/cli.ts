import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import os from 'node:os';
import { pipeline } from 'node:stream/promises';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseRequest, renderHelp } from '../commands';
import { buildTrail } from './app';
import { cacheCommand } from './cli-cache';
import { loadConfig, type TrailConfig } from './config';
import { ConfigError, TrailError, UsageError, userMessageOf } from './core/errors';
import { renderCloudTrailDdl } from './ddl/render';
import { createAthenaClient } from './engines/athena';
import { COMPACT_USAGE, compactCommand, compactionDdlText, setupCompactionCommand } from './engines/athena/compact-cli';
import { setupCloudTrailTable } from './engines/athena/setup';
import { consoleLogger } from './logger';
import { formatQueryText } from './query/show';
import { spoolPaths } from './runner/collect';
import { ensureSampleData } from './sample/bootstrap';
import { SAMPLE_KNOWN_NETWORKS } from './sample/generate';
import { openMemoryStore } from './store/dynalite';
import { enableTimeToLive, ensureTable } from './store/table-admin';
import { plainText, TerminalPublisher } from './surfaces/terminal/publisher';
import { LIMIT_MAX } from './surfaces/terminal/repl';
import { colourWanted, Screen } from './surfaces/terminal/screen';
import { ExactCsv } from './util/csv';
import { UTF8_BOM } from './util/csv-name';
import { quietKnownWarnings } from './util/quiet-warnings';

export const CLI_USAGE = `Usage: npx trail <command> [arguments] [window] [--data DIR] [--csv FILE] [--csv-raw FILE] [--bom]
                  [--limit N] [--sql]
       npx trail help [command]    every command, or one in detail
       npx trail ddl               the Athena CREATE TABLE for the configured trail (TRAIL_BUCKET, TRAIL_ACCOUNTS, …)
       npx trail cache status | warm <window> | clear
                                   the embedded engine's columnar cache of closed days: what it holds, fill it for a
                                   window now, or empty it
       npx trail setup             create what the configuration needs and lacks: the Athena database and CloudTrail
                                   table; the DynamoDB table with TTL (needs admin credentials; the CDK stack does both)
       ${COMPACT_USAGE}

Answers one question on the configured engine (DuckDB over ./data by default) and exits:
0 answered, 1 the query failed, 2 bad input (the usage is printed).
  --data DIR   CloudTrail logs to read (S3 layout or exported JSON/NDJSON); default TRAIL_DATA_DIR or ./data
  --csv FILE   also write the full result to FILE (RFC 4180, header row first; a cell a spreadsheet would run as a
               formula, or that starts with ', gets one leading ')
  --csv-raw FILE  also write the exact values to FILE, without those marks (evidence; not for a spreadsheet)
  --bom        start the CSV files with a UTF-8 byte-order mark, so Excel shows non-ASCII text right
  --limit N    show N rows instead of 20 (the CSV files always hold every row)
  --sql        print the SQL and its parameters instead of running it`;

export interface CliIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  now?: () => Date;
}

interface CliArgs {
  words: string[];
  dataDir?: string;
  csvFile?: string;
  csvRawFile?: string;
  bom?: boolean;
  limit?: number;
}

/** The options of the one-shot command itself; every other word, options included, belongs to the question. */
const CLI_OPTIONS = {
  data: { type: 'string' },
  csv: { type: 'string' },
  'csv-raw': { type: 'string' },
  bom: { type: 'boolean' },
  limit: { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

const isCliOption = (name: string): name is keyof typeof CLI_OPTIONS => Object.hasOwn(CLI_OPTIONS, name);

function parseCliArgs(argv: string[]): CliArgs {
  // Not strict: an option this command does not know (`--sql`, `--all`, `--no-cache`, `--help`, `-h`) is the
  // question's, and goes on as it was written, in its place, to the command's parser, which names what it accepts.
  const { tokens } = parseArgs({
    args: argv,
    options: CLI_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const words: string[] = [];
  const out: CliArgs = { words };
  let handedOn = -1;
  for (const token of tokens) {
    if (token.kind === 'positional') {
      words.push(token.value);
      continue;
    }
    // `-abc` is one token per letter, all with the same index: the word is handed on once.
    const foreign = token.kind === 'option-terminator' || !isCliOption(token.name);
    if (foreign || (token.name === 'bom' && token.value !== undefined)) {
      if (token.index !== handedOn) words.push(argv[token.index]!);
      handedOn = token.index;
      continue;
    }
    const { value } = token;
    if (token.name === 'bom') out.bom = true;
    else if (token.name === 'limit') {
      const n = value !== undefined && /^\d+$/.test(value) ? Number(value) : Number.NaN;
      if (!(n >= 1 && n <= LIMIT_MAX)) {
        throw new UsageError(`--limit needs a number of rows from 1 to ${LIMIT_MAX}, e.g. --limit 50.`);
      }
      out.limit = n;
    } else {
      // parseArgs takes the next word as the value even when it is another option (`--csv --bom`): refuse that.
      if (value === undefined || (!token.inlineValue && value.startsWith('--'))) {
        throw new UsageError(`${token.rawName} needs a value.`);
      }
      if (token.name === 'data') out.dataDir = value;
      else if (token.name === 'csv') out.csvFile = value;
      else out.csvRawFile = value;
    }
  }
  return out;
}

/** The one-shot `trail` command: the same parser, runner and rendering as the bot, with a throwaway store. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  // Everything goes through a Screen: control characters from records or typed input are escaped (issue 13 item 2),
  // colour only on a terminal. Messages are plain text, not Slack mrkdwn.
  const screen = new Screen({ out: io.out, colour: colourWanted(io.out, io.env) });
  const errScreen = new Screen({ out: io.err, colour: colourWanted(io.err, io.env) });
  const print = (s: string) => screen.line(plainText(s));
  const fail = (s: string, code: number) => {
    errScreen.line(plainText(s));
    return code;
  };
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (err) {
    return fail(`${userMessageOf(err)}\n\n${CLI_USAGE}`, 2);
  }
  const env = { ...io.env, ...(args.dataDir ? { TRAIL_DATA_DIR: args.dataDir } : {}) };
  let config: TrailConfig;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.userMessage, 2);
    throw err;
  }
  // One-shot answers print here, never to Slack.
  config = { ...config, chat: { kind: 'terminal' } };
  const [first] = args.words;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    try {
      print(args.words[1] ? renderHelp(args.words[1], { config, now: new Date() }) : `${renderHelp()}\n\n${CLI_USAGE}`);
      return 0;
    } catch (err) {
      return fail(userMessageOf(err), 2);
    }
  }
  if (first === 'ddl') {
    try {
      if (args.words[1] === 'compacted') {
        screen.line(compactionDdlText(config, args.words.slice(2)));
        return 0;
      }
      // DDL as it is (Hive DDL may quote names in backticks): escaped, not turned into plain text.
      screen.line(
        renderCloudTrailDdl(config.trail, {
          database: config.engine.kind === 'athena' ? config.engine.database : undefined,
          projectionStart: config.window.projectionStart,
        }),
      );
      return 0;
    } catch (err) {
      return fail(userMessageOf(err), 2);
    }
  }
  if (first === 'setup' && args.words[1] === 'compacted') {
    return setupCompactionCommand(config, args.words.slice(2), print).then(
      () => 0,
      (err) => fail(`setup failed: ${userMessageOf(err)}`, 1),
    );
  }
  if (first === 'setup') return setup(config, print, fail);
  if (first === 'compact') {
    return compactCommand(config, args.words.slice(1), (io.now ?? (() => new Date()))(), print, fail);
  }
  if (first === 'cache') return cacheCommand(config, args.words.slice(1), (io.now ?? (() => new Date()))(), print);
  const now = io.now ?? (() => new Date());
  const text = args.words.join(' ');
  let request: ReturnType<typeof parseRequest>;
  try {
    request = parseRequest(text, { config, now: now() });
  } catch (err) {
    if (err instanceof UsageError) {
      return fail(
        `${err.userMessage}\nUsage: ${err.usage?.includes('\n') ? `\n${err.usage}` : `trail ${err.usage ?? ''}`}`,
        2,
      );
    }
    throw err;
  }
  if (request.kind === 'control') {
    if (request.command.name === 'help') {
      print(renderHelp(request.args.topic as string | undefined, { config, now: now() }));
      return 0;
    }
    return fail(
      `\`${request.command.name}\` needs the running bot (npm start): the one-shot command keeps no history.`,
      2,
    );
  }
  if (request.showSql) {
    screen.line(formatQueryText(request.query)); // SQL as it is (no mrkdwn to undo), escaped
    return 0;
  }
  if (config.engine.kind === 'duckdb') {
    const sample = await ensureSampleData(config.engine.dataDir, now(), (line) => io.err.write(`${line}\n`));
    if (sample.kind !== 'user-data' && config.knownNetworks.length === 0)
      config = { ...config, knownNetworks: [...SAMPLE_KNOWN_NETWORKS] };
  }
  // A private in-memory store: the one-shot run is still recorded, started and published by the runner.
  const memory = await openMemoryStore('trailbot-cli');
  const { store } = memory;
  const width = (io.out as { columns?: number }).columns;
  const publisher = new TerminalPublisher({
    out: screen,
    progressOut: errScreen,
    timeZone: config.timeZone,
    width,
    moreHint: '--limit N shows more',
  });
  if (args.limit !== undefined) publisher.nextAnswer(text, { limit: args.limit });
  const parts = await buildTrail({
    config,
    logger: consoleLogger(io.err, 'warn'),
    publisher,
    now,
    // Without the table's client the one-shot run has no schedules: it keeps no state past its answer.
    store: { store, close: memory.close },
    runner: { progressEveryMs: 2000 },
  });
  try {
    // The one-shot question goes through the front door like any other (src/dispatch): the access policy, the audit
    // of a denial and the runner's limits apply to it as they do to the terminal prompt and to Slack.
    const prepared = parts.dispatcher.prepare({
      text,
      userId: os.userInfo().username,
      channelId: 'cli',
      surface: 'terminal',
    });
    if (prepared.kind === 'reply') {
      print(prepared.text);
      return 0;
    }
    await prepared.run();
    if (prepared.ackText) return fail(prepared.ackText, 2);
    // The store is this run's own: the question just asked is the only execution in it.
    const [e] = await store.listByChannel('cli', 1);
    if (!e || e.error || e.stats?.rows === undefined) return 1;
    if (args.csvFile) {
      await writeCsv(spoolPaths(config.resultsDir, e.id).csv, args.csvFile, { bom: args.bom });
      errScreen.line(`wrote ${args.csvFile}${args.bom ? ' (with BOM)' : ''}`);
    }
    if (args.csvRawFile) {
      // The spool is spreadsheet-safe; its marks are reversible, so the exact file is derived from it.
      const spool = spoolPaths(config.resultsDir, e.id).csv;
      await writeCsv(spool, args.csvRawFile, { bom: args.bom, exact: true });
      errScreen.line(`wrote ${args.csvRawFile} (exact values${args.bom ? ', with BOM' : ''})`);
    }
    return 0;
  } catch (err) {
    return fail(err instanceof TrailError ? err.userMessage : String(err), 1);
  } finally {
    await parts.close();
  }
}

/** Copies a spooled result to `file`: as it is, or its exact values; with a UTF-8 byte-order mark first if asked. */
async function writeCsv(spool: string, file: string, o: { bom?: boolean; exact?: boolean }): Promise<void> {
  if (!o.bom && !o.exact) {
    await copyFile(spool, file);
    return;
  }
  const out = createWriteStream(file);
  if (o.bom) out.write(UTF8_BOM);
  if (o.exact) await pipeline(createReadStream(spool), new ExactCsv(), out);
  else await pipeline(createReadStream(spool), out);
}

/** `trail setup`: creates the Athena database and table and the DynamoDB table, only when asked. */
async function setup(
  config: TrailConfig,
  print: (s: string) => void,
  fail: (s: string, code: number) => number,
): Promise<number> {
  let did = false;
  try {
    if (config.engine.kind === 'athena') {
      const client = createAthenaClient({ region: config.engine.region });
      try {
        const steps = await setupCloudTrailTable(
          {
            client,
            workgroup: config.engine.workgroup,
            catalog: config.engine.catalog,
            outputLocation: config.engine.outputLocation,
          },
          config.trail,
          { database: config.engine.database, projectionStart: config.window.projectionStart },
        );
        for (const step of steps) print(`Athena: ${step.statement.split('\n')[0]} … ${step.status.state}`);
      } finally {
        client.destroy();
      }
      did = true;
    }
    if (config.store.kind === 'dynamodb') {
      const client = new DynamoDBClient({
        region: config.store.region,
        ...(config.store.endpoint ? { endpoint: config.store.endpoint } : {}),
      });
      try {
        const { created } = await ensureTable(client, config.store.tableName);
        const ttl = await enableTimeToLive(client, config.store.tableName);
        print(`DynamoDB: table ${config.store.tableName} ${created ? 'created' : 'already exists'}; TTL ${ttl}`);
      } finally {
        client.destroy();
      }
      did = true;
    }
  } catch (err) {
    return fail(`setup failed: ${userMessageOf(err)}`, 1);
  }
  if (!did)
    print('Nothing to set up: the embedded mode (DuckDB over local files, dynalite) creates its state on first start.');
  return 0;
}

if (require.main === module) {
  quietKnownWarnings();
  runCli(process.argv.slice(2), { out: process.stdout, err: process.stderr, env: process.env }).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
}
