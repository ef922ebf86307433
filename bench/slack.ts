/**
 * Part 2, Slack ack latency (issue "The Slack app", Must show): signed `/trail` commands sent `concurrency` at a time
 * through Bolt's HTTP receiver on 127.0.0.1, the time from request start to the HTTP 200 ack, for trailbot's real app
 * and for a no-op Bolt app measured in the same run (rounds alternate: noop, trailbot, trailbot, noop, …).
 * Target: trailbot's p99 within 2× the no-op's, and far under Slack's 3 s.
 *
 * Three kinds of process so each side is charged only its own work: this one generates the load and measures; the
 * app under test runs in bench/slack-server.ts; the fake Slack Web API that trailbot publishes to runs in
 * bench/fake-slack-server.ts. The queries trailbot starts after each ack keep running (and queue) while later commands
 * arrive, as in production; only the acks are timed, and each round waits for that work to drain before the next.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SG_SCENARIO } from '../src/sample/generate';
import { signSlackRequest, slashCommandBody } from '../test/helpers/slack-signing';
import type { TargetLine } from './engine';
import { BENCH_NOW, type BenchOptions, bytesText, count, ensureBenchData, ms, quantile, ratio, textTable } from './lib';
import {
  type AppServerMessage,
  type AppServerSpec,
  BENCH_SIGNING_SECRET,
  type ConversionInfo,
  type FakeSlackReady,
  type FakeSlackTally,
  type LoopDelay,
  type ParentMessage,
  RESPONSE_ID,
  type SlackAppKind,
} from './slack-protocol';

export const SLACK_TARGETS = { maxP99Ratio: 2, slackAckLimitMs: 3000 } as const;

/** One `/trail` command as Slack would post it. */
interface Command {
  text: string;
  userId: string;
  channelId: string;
  kind: 'query' | 'bad input' | 'help';
}

/**
 * The mix: queries of several templates and windows, bad input and help, from 20 users in 10 channels so dedupe
 * (same question, same channel) does not fold them into a few executions.
 */
const MIX: { text: string; kind: Command['kind'] }[] = [
  { text: `sg ${SG_SCENARIO.openedGroupId} 12h`, kind: 'query' },
  { text: 'logins offhours 24h', kind: 'query' },
  { text: 'errors 7d', kind: 'query' },
  { text: `sg ${SG_SCENARIO.networkInterfaceId} ${SG_SCENARIO.openedGroupId} 24h`, kind: 'query' },
  { text: 'sg sg-zz', kind: 'bad input' },
  { text: 'help', kind: 'help' },
  { text: 'logins external 24h', kind: 'query' },
  { text: 'frobnicate 12h', kind: 'bad input' },
  { text: 'errors top 5 24h', kind: 'query' },
  { text: 'recent 1h', kind: 'query' },
  { text: 'users 7d', kind: 'query' },
  { text: 'logins nomfa 2d', kind: 'query' },
  { text: 'ip 203.0.113.400', kind: 'bad input' },
];

export function commandMix(n: number, round: number): Command[] {
  return Array.from({ length: n }, (_, i) => {
    const m = MIX[i % MIX.length]!;
    return {
      text: m.text,
      kind: m.kind,
      userId: `U0BENCH${String((i + round) % 20).padStart(2, '0')}`,
      channelId: `C0BENCH${String((i * 7 + round) % 10).padStart(2, '0')}`,
    };
  });
}

export interface Ack {
  /** Request start → end of the response. */
  ms: number;
  status: number;
  /** When the request started, ms after the round's first one. */
  at: number;
  /** A new connection: request start → TCP connected (undefined when a kept-alive socket was reused). */
  connectMs?: number;
  /** Request start → response headers. */
  headersMs: number;
  text: string;
}

/**
 * Sends the commands `concurrency` at a time over keep-alive connections and times each from the moment the request
 * is started (signed just before) to the end of the response.
 */
async function sendAll(
  port: number,
  commands: readonly Command[],
  concurrency: number,
  responseUrl: string,
  tag: string,
): Promise<Ack[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const acks: Ack[] = new Array(commands.length);
  let next = 0;
  const roundBegan = performance.now();
  const one = (index: number): Promise<Ack> =>
    new Promise((resolve, reject) => {
      const c = commands[index]!;
      const body = slashCommandBody({
        text: c.text,
        userId: c.userId,
        channelId: c.channelId,
        responseUrl: responseUrl.replace(RESPONSE_ID, `${tag}-${index}`),
        triggerId: `${tag}.${index}`,
      });
      const signed = signSlackRequest(BENCH_SIGNING_SECRET, body);
      const began = performance.now();
      let connectMs: number | undefined;
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/slack/events',
          method: 'POST',
          agent,
          headers: { ...signed.headers, 'content-length': Buffer.byteLength(signed.body) },
          timeout: 30_000,
        },
        (res) => {
          const headersMs = performance.now() - began;
          res.resume();
          res.on('end', () =>
            resolve({
              ms: performance.now() - began,
              status: res.statusCode ?? 0,
              at: began - roundBegan,
              ...(connectMs !== undefined ? { connectMs } : {}),
              headersMs,
              text: c.text,
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('socket', (socket) => {
        if (socket.connecting) socket.once('connect', () => (connectMs = performance.now() - began));
      });
      req.on('timeout', () => req.destroy(new Error('ack timed out after 30 s')));
      req.on('error', reject);
      req.end(signed.body);
    });
  const worker = async () => {
    while (next < commands.length) {
      const index = next++;
      acks[index] = await one(index);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, commands.length) }, worker));
  } finally {
    agent.destroy();
  }
  return acks;
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes

export function forkChild(script: string, args: string[]): ChildProcess {
  return fork(path.join(__dirname, script), args, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

export function nextMessage<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(
          `no "${type}" from ${path.basename(String(child.spawnargs.at(-2) ?? 'child'))} within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    const onMessage = (m: { type?: string }) => {
      if (m.type !== type) return;
      cleanup();
      resolve(m as T);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`child exited with ${code} before "${type}"`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

export const send = (child: ChildProcess, m: ParentMessage) => child.send(m);

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

// ---------------------------------------------------------------------------------------------------------------
// The suite

export interface LatencyStats {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface SlackRound {
  app: SlackAppKind;
  round: number;
  stats: LatencyStats;
  non200: number;
  drainMs: number;
  runs: number;
  failedRuns: number;
  peakRssBytes: number;
  /** The app process's event-loop delay while this round's acks were sent. */
  loopDelay: LoopDelay;
  /** The load generator's worst event-loop delay during the round. */
  clientLoopMaxMs: number;
  /** The five slowest acks, with when they started and how long their connection took (diagnosis of the tail). */
  slowest: Ack[];
  /** Acks that opened a new connection, and the slowest such connect. */
  newConnections: number;
  maxConnectMs: number;
  /** From the mark to the last ack. */
  acksMs?: number;
  /** cache-load: what the background conversion did during the round. */
  conversion?: ConversionInfo;
}

export interface SlackReport {
  requests: number;
  concurrency: number;
  rounds: SlackRound[];
  trailbot: LatencyStats & { non200: number };
  noop: LatencyStats & { non200: number };
  p99Ratio: number;
  data: { dir: string; events: number; days: number; eventsPerDay: number };
  fakeSlack: FakeSlackTally;
  tables: string[];
}

export function latencyStats(values: readonly number[]): LatencyStats {
  return {
    n: values.length,
    p50: quantile(values, 0.5),
    p90: quantile(values, 0.9),
    p99: quantile(values, 0.99),
    max: Math.max(...values),
  };
}

export async function runSlackBench(options: BenchOptions, say: (line: string) => void): Promise<SlackReport> {
  const data = await ensureBenchData(
    { eventsPerDay: options.slackEventsPerDay, days: options.slackDays, seed: options.seed },
    undefined,
    say,
  );
  const fake = forkChild('fake-slack-server.ts', []);
  const fakeReady = await nextMessage<FakeSlackReady>(fake, 'ready', 60_000);
  const rounds: SlackRound[] = [];
  try {
    for (let r = 0; r < options.slackRounds; r++) {
      const order: SlackAppKind[] = r % 2 === 0 ? ['noop', 'trailbot'] : ['trailbot', 'noop'];
      for (const app of order) {
        rounds.push(await oneRound(app, r, options, fakeReady, data.dir, data.manifest.knownNetworks, say));
      }
    }
  } finally {
    send(fake, { type: 'stop' });
  }
  const tally = await nextMessage<FakeSlackTally>(fake, 'tally', 30_000);
  await exited(fake);

  const pool = (app: SlackAppKind) => rounds.filter((x) => x.app === app);
  const acksOf = new Map<SlackAppKind, number[]>();
  for (const round of rounds) acksOf.set(round.app, [...(acksOf.get(round.app) ?? []), ...roundSamples.get(round)!]);
  const trailbot = {
    ...latencyStats(acksOf.get('trailbot')!),
    non200: pool('trailbot').reduce((s, x) => s + x.non200, 0),
  };
  const noop = { ...latencyStats(acksOf.get('noop')!), non200: pool('noop').reduce((s, x) => s + x.non200, 0) };
  const report: SlackReport = {
    requests: options.slackRequests,
    concurrency: options.concurrency,
    rounds,
    trailbot,
    noop,
    p99Ratio: trailbot.p99 / noop.p99,
    data: {
      dir: data.dir,
      events: data.manifest.totalEvents,
      days: data.manifest.days,
      eventsPerDay: data.manifest.eventsPerDay,
    },
    fakeSlack: tally,
    tables: [],
  };
  report.tables = slackTables(report);
  return report;
}

/** The raw samples of each round, kept out of the JSON (which has the statistics). */
export const roundSamples = new WeakMap<SlackRound, number[]>();

export async function oneRound(
  app: SlackAppKind,
  round: number,
  options: BenchOptions,
  fake: FakeSlackReady,
  dataDir: string,
  knownNetworks: string[],
  say: (line: string) => void,
  /** Extra settings for trailbot's process (cache-load: a fresh state folder and the conversion at the mark). */
  trailbotExtra: Partial<AppServerSpec> = {},
): Promise<SlackRound> {
  const spec: AppServerSpec = {
    kind: app,
    slackApiUrl: fake.url,
    ...(app === 'trailbot'
      ? {
          dataDir,
          knownNetworks,
          resultsDir: mkdtempSync(path.join(os.tmpdir(), 'trailbot-bench-results-')),
          // The sample ends at BENCH_NOW: ask as of then, so the questions' windows hold its files.
          clockAt: BENCH_NOW.toISOString(),
          // A state folder of its own (removed on stop), not ./.trailbot in the working tree: the columnar cache (on
          // by default) starts empty every round instead of carrying what earlier runs converted.
          stateDir: mkdtempSync(path.join(os.tmpdir(), 'trailbot-bench-state-')),
          ...(options.duckdbThreads !== undefined ? { duckdbThreads: options.duckdbThreads } : {}),
          ...trailbotExtra,
        }
      : {}),
  };
  const child = forkChild('slack-server.ts', [JSON.stringify(spec)]);
  try {
    const { port } = await nextMessage<Extract<AppServerMessage, { type: 'ready' }>>(child, 'ready', 120_000);
    const tag = `${app}-r${round}`;
    // Warm-up (not measured): JIT, connection setup, DuckDB's first instance; then let its background work finish.
    await sendAll(
      port,
      commandMix(Math.min(26, options.slackRequests), round + 100),
      options.concurrency,
      fake.responseUrl,
      `${tag}-warm`,
    );
    send(child, { type: 'drain', timeoutMs: 300_000 });
    const warm = await nextMessage<Extract<AppServerMessage, { type: 'drained' }>>(child, 'drained', 310_000);

    send(child, { type: 'mark' });
    // The load generator's own loop too: a stall here would look like a slow ack.
    const clientLoop = monitorEventLoopDelay({ resolution: 5 });
    clientLoop.enable();
    const acksBegan = performance.now();
    const acks = await sendAll(
      port,
      commandMix(options.slackRequests, round),
      options.concurrency,
      fake.responseUrl,
      tag,
    );
    const acksMs = performance.now() - acksBegan;
    const stats = latencyStats(acks.map((a) => a.ms));
    clientLoop.disable();
    send(child, { type: 'loop' });
    const { delay, conversion } = await nextMessage<Extract<AppServerMessage, { type: 'loop' }>>(child, 'loop', 30_000);
    send(child, { type: 'drain', timeoutMs: 300_000 });
    const drained = await nextMessage<Extract<AppServerMessage, { type: 'drained' }>>(child, 'drained', 310_000);
    send(child, { type: 'stop' });
    const stopped = await nextMessage<Extract<AppServerMessage, { type: 'stopped' }>>(child, 'stopped', 60_000);
    await exited(child);
    const result: SlackRound = {
      app,
      round,
      stats,
      non200: acks.filter((a) => a.status !== 200).length,
      drainMs: drained.ms,
      runs: drained.runs - warm.runs,
      failedRuns: drained.failedRuns - warm.failedRuns,
      peakRssBytes: stopped.peakRssBytes,
      loopDelay: delay,
      clientLoopMaxMs: clientLoop.max / 1e6,
      slowest: [...acks].sort((a, b) => b.ms - a.ms).slice(0, 5),
      newConnections: acks.filter((a) => a.connectMs !== undefined).length,
      maxConnectMs: Math.max(0, ...acks.map((a) => a.connectMs ?? 0)),
      acksMs,
      ...(conversion ? { conversion } : {}),
    };
    roundSamples.set(
      result,
      acks.map((a) => a.ms),
    );
    say(
      `  ${app.padEnd(8)} round ${round + 1}: p50 ${ms(stats.p50)} ms, p99 ${ms(stats.p99)} ms, max ${ms(stats.max)} ms, ${acks.length - result.non200}/${acks.length} HTTP 200${app === 'trailbot' ? `; background runs drained in ${ms(drained.ms)} ms` : ''}`,
    );
    return result;
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Tables

export function slackTables(r: SlackReport): string[] {
  const row = (name: string, s: LatencyStats & { non200: number }) => [
    name,
    count(s.n),
    `${count(s.n - s.non200)}/${count(s.n)}`,
    ms(s.p50),
    ms(s.p90),
    ms(s.p99),
    ms(s.max),
  ];
  const perApp = r.rounds.length / 2;
  const main = textTable(
    ['app', 'acks', 'HTTP 200', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
    [row('trailbot (real app)', r.trailbot), row('no-op Bolt app', r.noop)],
  );
  const rounds = textTable(
    [
      'round',
      'app',
      'p50 ms',
      'p99 ms',
      'max ms',
      'HTTP 200',
      'app loop delay max',
      'app CPU',
      'client loop max',
      'new conns / slowest connect',
      'background runs',
      'drain ms',
      'peak RSS',
    ],
    r.rounds.map((x) => [
      String(x.round + 1),
      x.app,
      ms(x.stats.p50),
      ms(x.stats.p99),
      ms(x.stats.max),
      `${x.stats.n - x.non200}/${x.stats.n}`,
      `${ms(x.loopDelay.max)} ms`,
      `${ms(x.loopDelay.cpuMs)} ms`,
      `${ms(x.clientLoopMaxMs)} ms`,
      `${x.newConnections} / ${ms(x.maxConnectMs)} ms`,
      x.app === 'trailbot' ? `${x.runs}${x.failedRuns ? ` (${x.failedRuns} failed)` : ''}` : '–',
      x.app === 'trailbot' ? ms(x.drainMs) : '–',
      bytesText(x.peakRssBytes),
    ]),
  );
  const f = r.fakeSlack;
  return [
    `Slack ack latency: ${r.requests} signed /trail commands per round, ${r.concurrency} at a time, HTTP receiver on 127.0.0.1, ${perApp} round(s) per app, alternated (pooled below)\n${main}\np99 trailbot / no-op: ${ratio(r.p99Ratio)} (target ≤ ${SLACK_TARGETS.maxP99Ratio}); Slack's limit is ${SLACK_TARGETS.slackAckLimitMs} ms`,
    `Per round (background queries over ${count(r.data.events)} events, ${r.data.days} days; fake Slack saw ${count(f.calls)} Web API calls, ${count(f.messages)} messages, ${count(f.files)} CSV files, ${f.invalidBlocks} invalid_blocks)\n${rounds}`,
  ];
}

export function slackTargets(r: SlackReport): TargetLine[] {
  const total = r.trailbot.n + r.noop.n;
  const ok = total - r.trailbot.non200 - r.noop.non200;
  return [
    {
      target: `slack: ack p99 within ${SLACK_TARGETS.maxP99Ratio}× the no-op Bolt app`,
      met: r.p99Ratio <= SLACK_TARGETS.maxP99Ratio,
      figure: `p99 ${ms(r.trailbot.p99)} ms vs ${ms(r.noop.p99)} ms = ${ratio(r.p99Ratio)}`,
    },
    {
      target: `slack: ack p99 far under Slack's ${SLACK_TARGETS.slackAckLimitMs} ms`,
      met: r.trailbot.p99 < SLACK_TARGETS.slackAckLimitMs / 10,
      figure: `p99 ${ms(r.trailbot.p99)} ms, max ${ms(r.trailbot.max)} ms (met = under a tenth of the limit)`,
    },
    {
      target: 'slack: every command acknowledged with HTTP 200',
      met: ok === total,
      figure: `${count(ok)}/${count(total)}`,
    },
  ];
}
