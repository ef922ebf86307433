/**
 * Child process of the Slack bench: one Slack app behind Bolt's HTTPReceiver on 127.0.0.1, either
 * - `trailbot`: the real app as src/main.ts wires it (createSlackApp, the real dispatcher and runner from buildTrail,
 *   SlackPublisher on the app's WebClient pointed at the fake Slack, DuckDB over a small sample, the scheduler) with
 *   the store on an in-memory dynalite in this process, as `npx trail` runs it; or
 * - `noop`: a plain Bolt App with the same HTTPReceiver settings whose `/trail` listener only calls `ack()`.
 *
 * Protocol (bench/slack-protocol.ts): `ready {port}` once listening; `drain` → `drained` when every background run
 * started by a command has finished (trailbot) ; `stop` → closes everything → `stopped {peakRssBytes}` → exit.
 */
import { rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { App, HTTPReceiver } from '@slack/bolt';
import { buildTrail, lateDispatcher, type TrailParts } from '../src/app';
import { loadConfig } from '../src/config';
import type { Dispatcher } from '../src/core/input';
import { DuckDbEngine, discoverLogFiles, type LogFile } from '../src/engines/duckdb';
import { DuckDBInstance } from '../src/engines/duckdb/native';
import type { Logger } from '../src/logger';
import { startDynalite } from '../src/store/dynalite';
import { DynamoExecutionStore } from '../src/store/dynamo';
import { ensureTable } from '../src/store/table-admin';
import { createSlackApp, SLACK_EVENTS_PATH } from '../src/surfaces/slack/app';
import type { TrailLogger } from '../src/surfaces/slack/logger';
import { SlackPublisher } from '../src/surfaces/slack/publisher';
import { quietKnownWarnings } from '../src/util/quiet-warnings';
import { sleep } from './lib';
import {
  type AppServerMessage,
  type AppServerSpec,
  BENCH_BOT_TOKEN,
  BENCH_SIGNING_SECRET,
  type ConversionInfo,
  type ParentMessage,
} from './slack-protocol';

const TABLE = 'trailbot-bench';

/** Warnings and errors go to stderr, the first few in full; a flood (e.g. a failing publish) is counted, not printed. */
function benchLoggers(): { log: Logger; slack: TrailLogger; dropped: () => number } {
  let printed = 0;
  let dropped = 0;
  const write = (level: string, text: string) => {
    if (printed < 5) {
      printed++;
      process.stderr.write(`  [${level}] ${text.slice(0, 300)}\n`);
    } else dropped++;
  };
  const join = (m: unknown[]) =>
    m.map((x) => (typeof x === 'string' ? x : x instanceof Error ? x.message : JSON.stringify(x))).join(' ');
  return {
    log: {
      info() {},
      warn: (message, fields) => write('warn', `${message} ${fields ? JSON.stringify(fields) : ''}`),
      error: (message, fields) => write('error', `${message} ${fields ? JSON.stringify(fields) : ''}`),
    },
    slack: {
      debug() {},
      info() {},
      warn: (...m: unknown[]) => write('warn', join(m)),
      error: (...m: unknown[]) => write('error', join(m)),
    },
    dropped: () => dropped,
  };
}

interface Running {
  port: number;
  /** Background runs started and not yet finished. */
  pending: () => number;
  runs: () => { runs: number; failedRuns: number };
  /** trailbot with convertOnMark: starts the conversion of every closed day (at the mark) and reports on it. */
  conversion?: { settle(): Promise<void>; start(): void; info(): ConversionInfo };
  close(): Promise<void>;
}

async function startTrailbot(spec: AppServerSpec): Promise<Running> {
  if (!spec.dataDir || !spec.resultsDir) throw new Error('trailbot needs dataDir and resultsDir');
  const loggers = benchLoggers();
  const loaded = loadConfig({
    TRAIL_DATA_DIR: spec.dataDir,
    TRAIL_RESULTS_DIR: spec.resultsDir,
    SLACK_BOT_TOKEN: BENCH_BOT_TOKEN,
    SLACK_SIGNING_SECRET: BENCH_SIGNING_SECRET,
    // The bench sends 200 commands from a few users and channels at once: raise the concurrency limits to their
    // maxima so the runs are accepted (the limit check happens after the ack anyway).
    TRAIL_MAX_PER_USER: '100',
    TRAIL_MAX_PER_CHANNEL: '1000',
    // cache-load: a fresh state folder, so the columnar cache (on by default) starts empty.
    ...(spec.stateDir ? { TRAIL_STATE_DIR: spec.stateDir } : {}),
    ...(spec.cache !== undefined ? { TRAIL_CACHE: spec.cache ? 'true' : 'false' } : {}),
  });
  const offset = spec.clockAt ? Date.parse(spec.clockAt) - Date.now() : 0;
  const config = { ...loaded, knownNetworks: spec.knownNetworks ?? [] };
  if (config.chat.kind !== 'slack') throw new Error('expected a Slack configuration');

  // The real dispatcher behind a transparent counter: the bench must know when the work started after each ack is
  // done, and `run()` is exactly that work (the listener never awaits it). It counts from `prepare`, because the app
  // may start `run()` a little after the ack (src/surfaces/slack/follow-ups.ts), and it always starts it.
  const late = lateDispatcher();
  let pending = 0;
  let runs = 0;
  let failedRuns = 0;
  const counting: Dispatcher = {
    prepare(input) {
      const prepared = late.prepare(input);
      if (prepared.kind !== 'run') return prepared;
      pending++;
      return {
        ...prepared,
        run: async () => {
          try {
            await prepared.run();
          } catch (err) {
            failedRuns++;
            throw err;
          } finally {
            pending--;
            runs++;
          }
        },
      };
    },
    action: (input) => late.action(input),
  };

  const slack = createSlackApp({
    config: { ...config.chat, port: 0, host: '127.0.0.1' },
    dispatcher: counting,
    clientOptions: { slackApiUrl: spec.slackApiUrl },
    logger: loggers.slack,
  });
  const publisher = new SlackPublisher({ client: slack.client, timeZone: config.timeZone, logger: loggers.slack });
  const dynalite = await startDynalite({});
  const client = new DynamoDBClient({
    endpoint: dynalite.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ensureTable(client, TABLE);
  const store = new DynamoExecutionStore({ client, tableName: TABLE, retentionDays: config.limits.retentionDays });
  // Diagnostic only (--duckdb-threads): the same engine on an instance with fewer worker threads.
  const engine =
    spec.duckdbThreads === undefined
      ? undefined
      : new DuckDbEngine({
          dataDir: spec.dataDir,
          logger: (message) => loggers.log.warn(message),
          instance: await DuckDBInstance.create(':memory:', { threads: String(spec.duckdbThreads) }),
        });
  const parts: TrailParts = await buildTrail({
    config,
    ...(spec.clockAt ? { now: () => new Date(Date.now() + offset) } : {}),
    ...(engine ? { engine } : {}),
    logger: loggers.log,
    publisher,
    // As src/main.ts wires it: each step of a drive lets the acks waiting on the event loop go first.
    runner: { pace: () => slack.followUps.quiet() },
    store: {
      store,
      client,
      tableName: TABLE,
      close: async () => {
        client.destroy();
        await dynalite.close();
      },
    },
  });
  late.target = parts.dispatcher;
  const conversion = spec.convertOnMark ? await conversionOf(parts, spec.dataDir) : undefined;
  await slack.start();
  parts.scheduler?.start();
  return {
    port: slack.port()!,
    pending: () => pending + parts.runner.inFlight,
    runs: () => ({ runs, failedRuns }),
    ...(conversion ? { conversion } : {}),
    async close() {
      await slack.stop();
      await parts.close();
      await rm(spec.resultsDir!, { recursive: true, force: true });
      if (spec.stateDir) await rm(spec.stateDir, { recursive: true, force: true });
      if (loggers.dropped() > 0) process.stderr.write(`  (${loggers.dropped()} more log lines not shown)\n`);
    },
  };
}

/**
 * The product's own cache (createEngine's, in the fresh state folder) and every log file of the data folder,
 * discovered now: discovery stats every file synchronously, and that must not be charged to the measured acks. At the
 * mark, `warm` queues every closed day and converts them one by one (as `trail cache warm` does, without yielding to
 * questions: the harder case for the acks than the conversion the runner starts after an answer, which pauses between
 * partitions while a question runs).
 */
async function conversionOf(parts: TrailParts, dataDir: string): Promise<Running['conversion']> {
  const engine = parts.engine;
  if (!(engine instanceof DuckDbEngine) || !engine.cache)
    throw new Error('cache-load: the engine has no columnar cache');
  const cache = engine.cache;
  const { readFile } = await import('node:fs/promises');
  const manifest = JSON.parse(await readFile(`${dataDir}/sample-manifest.json`, 'utf8')) as {
    now: string;
    days: number;
  };
  // Every day of the sample (and one either side): yyyy/MM/dd partitions back from its end.
  const end = Date.parse(manifest.now);
  const partitions = Array.from({ length: manifest.days + 2 }, (_, i) =>
    new Date(end - (i - 1) * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '/'),
  );
  const { files } = await discoverLogFiles(dataDir, { partitions });
  const s3: LogFile[] = files.filter((f) => f.layout === 's3');
  let markedAt = 0;
  let partitionsAtMark = 0;
  let endedMs: number | undefined;
  let settled = false;
  return {
    /**
     * Once, at the warm-up's drain: the warm-up's answers queued their days for conversion (the runner starts it
     * when idle, pausing while questions run). Finish that first, so the measured round starts from a quiet cache
     * and `warm` at the mark starts a conversion of its own instead of joining one that pauses for questions.
     */
    async settle() {
      if (settled) return;
      settled = true;
      await engine.convertCache();
    },
    start() {
      markedAt = performance.now();
      partitionsAtMark = cache.status().partitions;
      void cache.warm(s3).then(
        () => (endedMs = performance.now() - markedAt),
        (err) => process.stderr.write(`  cache-load: warm failed: ${String(err)}\n`),
      );
    },
    info() {
      const status = cache.status();
      return {
        partitionsAtMark,
        partitionsAtAcksEnd: status.partitions,
        pendingAtAcksEnd: status.pending,
        inFlightAtAcksEnd: cache.converterProcess.busy,
        startedMs: 0,
        ...(endedMs !== undefined ? { endedMs } : {}),
      };
    },
  };
}

/** The baseline: Bolt itself, same receiver settings as createSlackApp, a listener that only acknowledges. */
async function startNoop(spec: AppServerSpec): Promise<Running> {
  const receiver = new HTTPReceiver({
    signingSecret: BENCH_SIGNING_SECRET,
    endpoints: SLACK_EVENTS_PATH,
    processBeforeResponse: false,
    signatureVerification: true,
  });
  const app = new App({
    token: BENCH_BOT_TOKEN,
    receiver,
    clientOptions: { slackApiUrl: spec.slackApiUrl },
    deferInitialization: true,
  });
  app.command('/trail', async ({ ack }) => {
    await ack();
  });
  await app.init();
  const server = await receiver.start({ port: 0, host: '127.0.0.1' });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return {
    port: address.port,
    pending: () => 0,
    runs: () => ({ runs: 0, failedRuns: 0 }),
    async close() {
      await app.stop();
    },
  };
}

/**
 * Diagnostic: with TRAIL_BENCH_CPU_PROFILE_DIR set, a V8 CPU profile of this process from start to stop, written as
 * <dir>/<pid>.cpuprofile with <dir>/<pid>.marks.json: the mark and the end of the acks of each round, in the
 * profile's own clock (microseconds of the monotonic clock, as process.hrtime), to cut the acks' window out of it.
 * Started once at start-up because starting the profiler blocks the loop for a while.
 */
function markProfiler(): { mark(what: string): void; stop(): Promise<void> } | undefined {
  const dir = process.env.TRAIL_BENCH_CPU_PROFILE_DIR;
  if (!dir) return undefined;
  const session = new Session();
  session.connect();
  const marks: { what: string; us: number; at: number }[] = [];
  // Garbage collections too (start and duration in ms of performance.now), to tell a GC pause from other work.
  const gcs: { at: number; ms: number; kind: number }[] = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      gcs.push({ at: e.startTime, ms: e.duration, kind: (e as { detail?: { kind?: number } }).detail?.kind ?? 0 });
  }).observe({ entryTypes: ['gc'] });
  const started = session
    .post('Profiler.enable')
    .then(() => session.post('Profiler.setSamplingInterval', { interval: 250 }))
    .then(() => session.post('Profiler.start'));
  return {
    mark(what) {
      marks.push({ what, us: Number(process.hrtime.bigint() / 1000n), at: performance.now() });
    },
    async stop() {
      await started;
      const { profile } = await session.post('Profiler.stop');
      await writeFile(`${dir}/${process.pid}.cpuprofile`, JSON.stringify(profile));
      await writeFile(`${dir}/${process.pid}.marks.json`, JSON.stringify({ marks, gcs }));
    },
  };
}

async function serve(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as AppServerSpec;
  const running = spec.kind === 'trailbot' ? await startTrailbot(spec) : await startNoop(spec);
  const send = (m: AppServerMessage) => process.send?.(m);
  // How long callbacks waited for the event loop while the acks were being sent: an ack can only be written when the
  // loop is free, so a blocked loop (synchronous work after earlier acks) is what a slow ack is made of.
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let cpuAtMark = process.cpuUsage();
  const profiler = spec.kind === 'trailbot' ? markProfiler() : undefined;
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'mark') {
      loop.reset();
      cpuAtMark = process.cpuUsage();
      profiler?.mark('mark');
      running.conversion?.start();
    } else if (m.type === 'loop') {
      profiler?.mark('acks done');
      const toMs = (ns: number) => ns / 1e6;
      send({
        type: 'loop',
        delay: {
          p50: toMs(loop.percentile(50)),
          p99: toMs(loop.percentile(99)),
          max: toMs(loop.max),
          cpuMs: ((used) => (used.user + used.system) / 1000)(process.cpuUsage(cpuAtMark)),
        },
        ...(running.conversion ? { conversion: running.conversion.info() } : {}),
      });
    } else if (m.type === 'drain') {
      void (async () => {
        const began = performance.now();
        // A run is counted from its prepare (before its ack), so once the acks are in, zero pending means done.
        while (running.pending() > 0 && performance.now() - began < m.timeoutMs) await sleep(25);
        await running.conversion?.settle();
        send({ type: 'drained', ...running.runs(), ms: performance.now() - began });
      })();
    } else if (m.type === 'stop') {
      loop.disable();
      void running
        .close()
        .then(() => profiler?.stop())
        .then(() => {
          process.send?.(
            { type: 'stopped', peakRssBytes: process.resourceUsage().maxRSS * 1024 } satisfies AppServerMessage,
            () => process.exit(0),
          );
        });
    }
  });
  send({ type: 'ready', port: running.port });
}

quietKnownWarnings();
process.on('disconnect', () => process.exit(0));
serve().catch((err) => {
  process.stderr.write(
    `Slack bench server failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
