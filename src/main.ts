import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { COMMANDS } from '../commands';
import { buildTrail, lateDispatcher } from './app';
import { loadConfig, type TrailConfig } from './config';
import type { QueryEngine } from './core/engine';
import { ConfigError, type TrailError } from './core/errors';
import { pivotFinder } from './dispatch/pivots';
import { unknownPolicyCommands } from './dispatch/policy';
import { pendingSlackTokens, waitForTokens, withoutPlaceholders } from './first-deploy';
import { healthFile } from './health';
import { consoleLogger, type Logger } from './logger';
import { stableWorkerId } from './runner/worker-id';
import { ensureSampleData } from './sample/bootstrap';
import { SAMPLE_KNOWN_NETWORKS } from './sample/generate';
import { createSlackApp } from './surfaces/slack/app';
import { SlackPublisher } from './surfaces/slack/publisher';
import { TerminalPublisher } from './surfaces/terminal/publisher';
import { runRepl } from './surfaces/terminal/repl';
import { colourWanted, Screen } from './surfaces/terminal/screen';
import { quietKnownWarnings } from './util/quiet-warnings';

/** How often unfinished executions nobody is driving (a publish that kept failing) are picked up again. */
const SWEEP_MS = 60_000;

const USAGE = `trailbot: CloudTrail forensics from /trail commands.

  npm start                 run the bot: Slack when SLACK_BOT_TOKEN is set, otherwise this terminal
                            (DuckDB over ./data; sample data is generated on first run)
  npx trail <command> …     answer one question and exit (npx trail help lists the commands)

Configuration is read from the environment; see README.md ("Configuration") for every TRAIL_* variable.`;

/** Slack's loggers take console-style arguments; trailbot's take a message and fields. */
function consoleStyle(log: Logger) {
  const join = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' ');
  return {
    debug: () => {},
    info: (...m: unknown[]) => log.info(join(m)),
    warn: (...m: unknown[]) => log.warn(join(m)),
    error: (...m: unknown[]) => log.error(join(m)),
  };
}

/**
 * The bot in this terminal: the REPL on stdin/stdout until Ctrl-D, `exit` or a second Ctrl-C, then a clean shutdown
 * (the scheduler, the runner, the engine and the store, in that order). `engine` replaces the configured one (the
 * pseudo-terminal tests use an engine they can hold open).
 */
export async function startTerminal(config: TrailConfig, log: Logger, o: { engine?: QueryEngine } = {}): Promise<void> {
  const stdout = process.stdout;
  const interactive = process.stdin.isTTY === true && stdout.isTTY === true;
  const screen = new Screen({ out: stdout, colour: colourWanted(stdout), live: interactive });
  const say = (line: string) => screen.line(line);
  if (config.engine.kind === 'duckdb') {
    const sample = await ensureSampleData(config.engine.dataDir, new Date(), say);
    if (sample.kind !== 'user-data' && config.knownNetworks.length === 0) {
      // The sample's office networks make `logins external` meaningful out of the box.
      config = { ...config, knownNetworks: [...SAMPLE_KNOWN_NETWORKS] };
    }
  }
  const publisher = new TerminalPublisher({
    out: screen,
    timeZone: config.timeZone,
    // Read at each answer: the window may have been resized since the start.
    width: () => stdout.columns || 160,
  });
  // A terminal user repeating a question wants it answered again, not pointed at the last one: dedupe only while running.
  const stateDir = config.store.kind === 'dynalite' ? config.store.stateDir : undefined;
  const workerId = stateDir ? await stableWorkerId(stateDir) : undefined;
  const parts = await buildTrail({
    config: { ...config, limits: { ...config.limits, dedupeSeconds: 0 } },
    logger: log,
    publisher,
    engine: o.engine,
    // A terminal user sees progress after a second, not the ten seconds Slack's parent-message updates use.
    runner: { workerId, progressEveryMs: interactive ? 1000 : 3000 },
  });
  const resumed = await parts.runner.resume();
  parts.scheduler?.start();
  parts.watcher?.start();
  const engineText =
    config.engine.kind === 'duckdb'
      ? `DuckDB over ${config.engine.dataDir}`
      : `Athena workgroup ${config.engine.workgroup}`;
  say(
    `trailbot (${engineText}; times in ${config.timeZone}). Type help, or try: sg sg-5887f224 12h` +
      (interactive ? '\nTab completes, ↑ recalls, Ctrl-C cancels a running question, Ctrl-D ends.' : ''),
  );
  if (resumed) say(`Resuming ${resumed} unfinished question${resumed === 1 ? '' : 's'} from the last run…`);
  const sweep = setInterval(() => void parts.runner.resume().catch(() => {}), SWEEP_MS);
  sweep.unref();
  await runRepl({
    dispatcher: parts.dispatcher,
    input: process.stdin,
    out: stdout,
    screen,
    publisher,
    userId: os.userInfo().username,
    interactive,
    historyFile: path.join(stateDir ?? path.resolve('.trailbot'), 'history'),
    commands: COMMANDS.map((c) => c.name),
    recentIds: async () => (await parts.store.listByChannel('terminal', 20)).map((e) => e.id),
    catchSigint: true,
  });
  clearInterval(sweep);
  await parts.close();
}

async function startSlack(config: TrailConfig, log: Logger): Promise<void> {
  if (config.chat.kind !== 'slack') throw new Error('not a Slack configuration');
  const dispatcher = lateDispatcher();
  const slack = createSlackApp({
    config: config.chat,
    dispatcher,
    logger: consoleStyle(log),
    ...(config.chat.apiUrl ? { clientOptions: { slackApiUrl: config.chat.apiUrl } } : {}),
  });
  const publisher = new SlackPublisher({
    client: slack.client,
    timeZone: config.timeZone,
    logger: consoleStyle(log),
    // Each shown row's next questions (issue 17 item 2), checked by the catalog the dispatcher answers with.
    pivots: pivotFinder(config, COMMANDS, () => new Date()),
  });
  const workerId = config.store.kind === 'dynalite' ? await stableWorkerId(config.store.stateDir) : undefined;
  // In Slack the spooled CSV is a staging copy for the upload: deleted once published, the folder kept bounded.
  const parts = await buildTrail({
    config,
    logger: log,
    publisher,
    // Each step of a drive lets the acks waiting on this event loop go first (follow-ups.ts says why).
    runner: { workerId, spool: { deleteAfterPublish: true }, pace: () => slack.followUps.quiet() },
  });
  dispatcher.target = parts.dispatcher;
  await slack.start();
  const resumed = await parts.runner.resume();
  parts.scheduler?.start();
  parts.watcher?.start();
  const mode = config.chat.appToken ? 'socket' : 'http';
  log.info('trailbot is listening', { mode, resumed });
  const heartbeat = healthFile(config.resultsDir);
  await beat(heartbeat, log);
  // One line whatever the log level, for whoever watches the task start (ECS console, `docker logs`).
  readyLine({ mode, resumed, engine: config.engine.kind, store: config.store.kind });
  const sweep = setInterval(() => {
    void parts.runner.resume().catch(() => {});
    void beat(heartbeat, log);
  }, HEARTBEAT_MS);
  sweep.unref();
  let stopping = false;
  const stop = async (signal: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    clearInterval(sweep);
    // Hand over rather than wait: ECS sends SIGKILL after the task's stop timeout. Stop taking questions first,
    // then let every execution go (leases released) so the task that replaces this one claims them at once.
    await slack.stop().catch((err) => log.warn('slack stop failed', { error: String(err) }));
    await parts.scheduler?.stop();
    await parts.watcher?.stop();
    const handedOver = await parts.runner.handOver();
    await parts.close().catch((err) => log.warn('close failed', { error: String(err) }));
    await rm(heartbeat, { force: true }).catch(() => {});
    process.stderr.write(
      `${JSON.stringify({ at: new Date().toISOString(), level: 'info', message: 'trailbot stopped', signal, handedOver })}\n`,
    );
    process.exit(exitCode);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  stopOnUnhandledRejection(process, log, (reason) => stop(reason, 1));
}

/**
 * A promise nobody awaited that rejects (the Socket Mode client gives up reconnecting when `apps.connections.open`
 * keeps failing, and rejects a promise Bolt does not catch) would otherwise end the process without the hand-over.
 * Instead: say why in the log, hand the questions over as on SIGTERM, and exit non-zero so the service starts a
 * fresh process (ECS replaces a task whose essential container exits).
 */
export function stopOnUnhandledRejection(
  proc: Pick<NodeJS.EventEmitter, 'on'>,
  log: Logger,
  stop: (reason: string) => Promise<void>,
): void {
  let stopping = false;
  // `on`, not `once`: a second rejection while the hand-over runs must be logged, not end the process half-way.
  proc.on('unhandledRejection', (reason: unknown) => {
    log.error('unhandled rejection: handing over and exiting so a fresh process takes over', {
      error: String(reason),
      stack: (reason as Error | undefined)?.stack,
    });
    if (stopping) return;
    stopping = true;
    void stop('unhandledRejection');
  });
}

/** How often the sweep runs and the health file is touched; the container health check allows three misses. */
const HEARTBEAT_MS = 30_000;

async function beat(file: string, log: Logger): Promise<void> {
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, new Date().toISOString());
  } catch (err) {
    log.warn('could not write the health file', { file, error: String(err) });
  }
}

function readyLine(fields: Record<string, unknown>): void {
  process.stderr.write(
    `${JSON.stringify({ at: new Date().toISOString(), level: 'info', message: 'trailbot ready', ...fields })}\n`,
  );
}

export async function main(argv = process.argv.slice(2), env = process.env): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const log = consoleLogger(process.stderr, env.TRAIL_LOG_LEVEL === 'info' ? 'info' : 'warn');
  const pending = pendingSlackTokens(env);
  if (pending.length > 0) {
    await waitForTokens(pending, env);
    return 0;
  }
  let config: TrailConfig;
  try {
    config = loadConfig(withoutPlaceholders(env));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.userMessage}\n`);
      return 2;
    }
    throw err;
  }
  const unknown = unknownPolicyCommands(
    config.policy,
    COMMANDS.map((c) => c.name),
  );
  if (unknown.length) {
    process.stderr.write(`TRAIL_ACCESS_POLICY names commands trailbot does not have: ${unknown.join(', ')}\n`);
    return 2;
  }
  try {
    if (config.chat.kind === 'slack') await startSlack(config, log);
    else await startTerminal(config, log);
  } catch (err) {
    const trail = err as TrailError;
    process.stderr.write(`trailbot could not start: ${trail.userMessage ?? String(err)}\n`);
    return 1;
  }
  return 0;
}

if (require.main === module) {
  quietKnownWarnings();
  main().then(
    (code) => {
      if (code !== 0) process.exit(code);
    },
    (err) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
}
