/**
 * The Slack bot under test, in a process of its own, wired as src/main.ts wires it (`startSlack`): configuration from
 * environment variables through `loadConfig`, the real Bolt HTTP receiver with signature checks on 127.0.0.1, the
 * SlackPublisher on the app's WebClient (production retry policy unless told otherwise), dynalite in this process
 * behind the real DynamoDBClient (5 attempts, as `openStore`), the runner with its production polling and publish
 * retries, a periodic resume sweep, and DuckDB over a data folder, or the real AthenaEngine pointed at a local fake.
 *
 * Its own process so that what a soak measures is the bot: peak RSS (`process.resourceUsage().maxRSS`), memory
 * growth, and an event loop that no load generator or fake shares. The parent talks to it over IPC (bot.ts).
 *
 * Usage: node --expose-gc --require tsx/cjs soak/lib/bot-child.ts   (options as JSON in SOAK_BOT_OPTIONS)
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { buildTrail, lateDispatcher } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { QueryEngine } from '../../src/core/engine';
import type { ExecutionRecord } from '../../src/core/execution';
import { AthenaEngine, createAthenaClient } from '../../src/engines/athena';
import { consoleLogger, type Logger } from '../../src/logger';
import { startDynalite } from '../../src/store/dynalite';
import { DynamoExecutionStore } from '../../src/store/dynamo';
import { ensureTable } from '../../src/store/table-admin';
import { createSlackApp } from '../../src/surfaces/slack/app';
import { SlackPublisher } from '../../src/surfaces/slack/publisher';
import { quietKnownWarnings } from '../../src/util/quiet-warnings';
import { startThrottlingProxy, type ThrottleStats, type ThrottlingProxy } from './dynamo-throttle';

export interface BotChildOptions {
  /** DuckDB data folder (the embedded default). */
  dataDir: string;
  /** Use the real AthenaEngine against this endpoint instead of DuckDB. */
  athenaEndpoint?: string;
  slackApiUrl: string;
  signingSecret: string;
  botToken: string;
  resultsDir: string;
  /** Extra TRAIL_* variables (limits, known networks, …), exactly as an operator would set them. */
  env: Record<string, string>;
  /** How often unfinished executions are resumed (src/main.ts: 60 s; soaks use less to stay bounded in time). */
  sweepMs: number;
  /** `fast`: Slack retries after 10–50 ms instead of 1–8 s (unit-test speed); default production. */
  slackRetry?: 'production' | 'fast';
  /** RSS sampling period, ms (default 1000). */
  rssSampleMs?: number;
  /** Throttle this share of DynamoDB requests through a proxy in front of dynalite. */
  dynamoThrottle?: { rate: number; seed: number; burst?: number };
}

/** Messages from the parent. */
export type ToChild =
  | { id: number; type: 'snapshot'; channels: string[]; gc?: boolean }
  | { id: number; type: 'throttle'; rate: number }
  | { id: number; type: 'stop' };

export interface MemoryFigures {
  rss: number;
  heapUsed: number;
  external: number;
  /** Peak resident set size of the process so far, bytes. */
  maxRss: number;
}

export interface Snapshot {
  executions: ExecutionRecord[];
  /** RSS sampled every `rssSampleMs` since start: `[Date.now(), bytes]` (the last 3,600). */
  rssSamples: [number, number][];
  unfinished: number;
  inFlight: number;
  memory: MemoryFigures;
  dynamo?: ThrottleStats;
}

/** Messages to the parent. */
export type FromChild =
  | { type: 'ready'; port: number; memory: MemoryFigures }
  | { type: 'failed'; error: string }
  | { id: number; type: 'snapshot'; snapshot: Snapshot }
  | { id: number; type: 'done'; memory: MemoryFigures };

const TABLE = 'trailbot';

function memory(): MemoryFigures {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, maxRss: process.resourceUsage().maxRSS * 1024 };
}

/** Slack's loggers take console-style arguments (as in src/main.ts). */
function consoleStyle(log: Logger) {
  const join = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : String(m))).join(' ');
  return {
    debug: () => {},
    info: (...m: unknown[]) => log.info(join(m)),
    warn: (...m: unknown[]) => log.warn(join(m)),
    error: (...m: unknown[]) => log.error(join(m)),
  };
}

async function main(): Promise<void> {
  const o = JSON.parse(process.env.SOAK_BOT_OPTIONS ?? '') as BotChildOptions;
  const send = (m: FromChild) => process.send?.(m);
  const log = consoleLogger(process.stderr, 'warn');

  const env: Record<string, string> = {
    SLACK_BOT_TOKEN: o.botToken,
    SLACK_SIGNING_SECRET: o.signingSecret,
    TRAIL_DATA_DIR: o.dataDir,
    TRAIL_RESULTS_DIR: o.resultsDir,
    ...(o.athenaEndpoint
      ? {
          TRAIL_ATHENA_DATABASE: 'trailbot',
          TRAIL_ATHENA_WORKGROUP: 'trailbot',
          AWS_REGION: 'us-east-1',
          // Slack with Athena needs a policy (src/config); the soak's users may all ask everything.
          TRAIL_ACCESS_POLICY: 'open',
        }
      : {}),
    ...o.env,
  };
  const loaded = loadConfig(env);
  if (loaded.chat.kind !== 'slack') throw new Error('the soak bot needs a Slack configuration');
  const config = { ...loaded, chat: { ...loaded.chat, port: 0 } };

  // dynalite in this process, as the embedded store runs; optionally behind the throttling proxy.
  const dynalite = await startDynalite({});
  let proxy: ThrottlingProxy | undefined;
  if (o.dynamoThrottle) {
    proxy = await startThrottlingProxy({ target: dynalite.endpoint, ...o.dynamoThrottle, rate: 0 });
  }
  const credentials = { accessKeyId: 'soak', secretAccessKey: 'soak' };
  const requestHandler = { connectionTimeout: 5_000, requestTimeout: 30_000 };
  const client = new DynamoDBClient({
    endpoint: proxy?.endpoint ?? dynalite.endpoint,
    region: 'local',
    credentials,
    maxAttempts: 5,
    requestHandler,
  });
  // The soak's own view of the store: straight to dynalite, never throttled, so counting is not a fault target.
  const auditClient = new DynamoDBClient({ endpoint: dynalite.endpoint, region: 'local', credentials });
  await ensureTable(auditClient, TABLE, { pollMs: 10 });
  const store = new DynamoExecutionStore({ client, tableName: TABLE, retentionDays: config.limits.retentionDays });
  const auditStore = new DynamoExecutionStore({ client: auditClient, tableName: TABLE });

  let engine: QueryEngine | undefined;
  if (o.athenaEndpoint && config.engine.kind === 'athena') {
    engine = new AthenaEngine({
      client: createAthenaClient({
        region: 'us-east-1',
        endpoint: o.athenaEndpoint,
        credentials: { accessKeyId: 'AKIDSOAK', secretAccessKey: 'soak' },
      }),
      workgroup: config.engine.workgroup,
      database: config.engine.database,
    });
  }

  const dispatcher = lateDispatcher();
  const slack = createSlackApp({
    config: { ...config.chat, host: '127.0.0.1' },
    dispatcher,
    clientOptions: {
      slackApiUrl: o.slackApiUrl,
      ...(o.slackRetry === 'fast' ? { retryConfig: { retries: 4, factor: 1, minTimeout: 10, maxTimeout: 50 } } : {}),
    },
    logger: consoleStyle(log),
  });
  const publisher = new SlackPublisher({ client: slack.client, timeZone: config.timeZone, logger: consoleStyle(log) });
  const parts = await buildTrail({
    config,
    logger: log,
    publisher,
    engine,
    store: {
      store,
      client,
      tableName: TABLE,
      close: async () => {
        client.destroy();
        auditClient.destroy();
        await proxy?.close();
        await dynalite.close();
      },
    },
  });
  dispatcher.target = parts.dispatcher;
  await slack.start();
  await parts.runner.resume();
  parts.scheduler?.start();
  const sweep = setInterval(() => void parts.runner.resume().catch(() => {}), o.sweepMs);
  sweep.unref();

  const rssSamples: [number, number][] = [];
  const sampler = setInterval(() => {
    rssSamples.push([Date.now(), process.memoryUsage().rss]);
    if (rssSamples.length > 3600) rssSamples.shift();
  }, o.rssSampleMs ?? 1000);
  sampler.unref();

  process.on('message', (raw: ToChild) => {
    void (async () => {
      if (raw.type === 'snapshot') {
        if (raw.gc) (globalThis as { gc?: () => void }).gc?.();
        const lists = await Promise.all(raw.channels.map((c) => auditStore.listByChannel(c, 100_000)));
        const snapshot: Snapshot = {
          executions: lists.flat(),
          rssSamples: [...rssSamples],
          unfinished: (await auditStore.listUnfinished()).length,
          inFlight: parts.runner.inFlight,
          memory: memory(),
          dynamo: proxy?.stats(),
        };
        send({ id: raw.id, type: 'snapshot', snapshot });
      } else if (raw.type === 'throttle') {
        proxy?.setRate(raw.rate);
        send({ id: raw.id, type: 'done', memory: memory() });
      } else if (raw.type === 'stop') {
        clearInterval(sweep);
        await slack.stop();
        await parts.close();
        send({ id: raw.id, type: 'done', memory: memory() });
        process.disconnect?.();
      }
    })().catch((err: unknown) => {
      log.error('soak child: message failed', { error: String(err), stack: (err as Error).stack });
    });
  });
  // The parent went away: do not linger.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port: slack.port() ?? 0, memory: memory() });
}

quietKnownWarnings();
main().catch((err: unknown) => {
  process.send?.({ type: 'failed', error: `${String(err)}\n${(err as Error).stack ?? ''}` } satisfies FromChild);
  process.exit(1);
});
