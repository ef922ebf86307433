/**
 * `npm run bench -- cache-load` (issue 16, Targets, last line): the two figures the columnar cache must hold while
 * its background conversion runs, each measured against a baseline of the same run.
 *
 * 1. Slack ack p99 with the conversion running, against the no-op Bolt app: the Slack bench's rounds
 *    (bench/slack.ts, bench/slack-server.ts), with trailbot's state folder fresh (its cache starts empty; the warm-up's
 *    answers queue their days, which are converted before the round) and, at the
 *    mark that starts the measured acks, `warm` over every closed day of a 30-day sample (60 day partitions), so one
 *    partition after another is converted while the acks arrive. Rounds rotate three apps: the no-op, trailbot with
 *    the conversion, and trailbot with TRAIL_CACHE=false (the reference: nothing converts). Each round
 *    reports the cached partitions at the mark and when the last ack was in, and what was still queued: the proof
 *    that the conversion ran during the round.
 * 2. The engine bench's RSS probe question `errors 30d` (313 MiB in the figures before this part existed), in a
 *    fresh process, with and without the conversion of the same 30 days running beside it (bench/rss-probe.ts
 *    `convert`), alternated. The conversion runs in the cache's own child process, as in the bot: the probe
 *    reports the bot process's peak and, next to it, the conversion process's.
 */

import { fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TargetLine } from './engine';
import { BENCH_NOW, type BenchOptions, bytesText, count, ensureBenchData, ms, ratio, textTable } from './lib';
import type { ProbeConversion } from './rss-probe';
import {
  exited,
  forkChild,
  type LatencyStats,
  latencyStats,
  nextMessage,
  oneRound,
  roundSamples,
  type SlackRound,
  send,
} from './slack';
import type { FakeSlackReady, FakeSlackTally } from './slack-protocol';

export const CACHE_LOAD_TARGETS = { maxP99Ratio: 2, maxPeakRssBytes: 300 * 1024 ** 2 } as const;

/** The sample whose days are converted during the Slack rounds: 60 day partitions, ~14 s of conversion alone. */
const CONVERT_SAMPLE = { eventsPerDay: 3000, days: 30 };
const RSS_QUESTION = 'errors 30d';

export type CacheLoadVariant = 'noop' | 'trailbot + conversion' | 'trailbot, no cache';

export interface CacheLoadRound {
  variant: CacheLoadVariant;
  round: SlackRound;
}

export interface RssProbeResult {
  conversion: boolean;
  /** MALLOC_ARENA_MAX of the probe process (as the production image sets it, Dockerfile); undefined: glibc's default. */
  mallocArenas?: number;
  baselineBytes: number;
  peakBytes: number;
  ms: number;
  during?: ProbeConversion;
}

export interface CacheLoadReport {
  slack: {
    requests: number;
    concurrency: number;
    data: { events: number; days: number };
    rounds: CacheLoadRound[];
    pooled: Record<CacheLoadVariant, LatencyStats & { non200: number }>;
    /** trailbot + conversion ÷ no-op, and trailbot without the cache ÷ no-op (p99). */
    p99Ratio: number;
    referenceP99Ratio: number;
    fakeSlack: FakeSlackTally;
  };
  rss: { question: string; events: number; probes: RssProbeResult[] };
  tables: string[];
}

const VARIANTS: readonly CacheLoadVariant[] = ['noop', 'trailbot + conversion', 'trailbot, no cache'];

export async function runCacheLoadBench(options: BenchOptions, say: (line: string) => void): Promise<CacheLoadReport> {
  const slack = await slackUnderConversion(options, say);
  const rss = await rssUnderConversion(options, say);
  const report: CacheLoadReport = { slack, rss, tables: [] };
  report.tables = cacheLoadTables(report);
  return report;
}

async function slackUnderConversion(
  options: BenchOptions,
  say: (line: string) => void,
): Promise<CacheLoadReport['slack']> {
  const data = await ensureBenchData({ ...CONVERT_SAMPLE, seed: options.seed }, undefined, say);
  const fake = forkChild('fake-slack-server.ts', []);
  const fakeReady = await nextMessage<FakeSlackReady>(fake, 'ready', 60_000);
  const rounds: CacheLoadRound[] = [];
  try {
    for (let r = 0; r < options.slackRounds; r++) {
      // Rotate the order so no variant always runs first (or right after a given other one).
      const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]!);
      for (const variant of order) {
        const app = variant === 'noop' ? 'noop' : 'trailbot';
        const extra =
          app === 'trailbot'
            ? {
                stateDir: mkdtempSync(path.join(os.tmpdir(), 'trailbot-bench-state-')),
                convertOnMark: variant === 'trailbot + conversion',
                // The reference runs without the cache, so nothing converts there at all.
                cache: variant === 'trailbot + conversion',
              }
            : {};
        const round = await oneRound(
          app,
          r,
          options,
          fakeReady,
          data.dir,
          data.manifest.knownNetworks,
          (line) => say(line.replace(/^ {2}trailbot/, `  ${variant}`)),
          extra,
        );
        const c = round.conversion;
        if (c) {
          say(
            `    conversion: ${c.partitionsAtMark} → ${c.partitionsAtAcksEnd} cached partitions during ${ms(round.acksMs ?? Number.NaN)} ms of acks, ${c.pendingAtAcksEnd} still queued`,
          );
        }
        rounds.push({ variant, round });
      }
    }
  } finally {
    send(fake, { type: 'stop' });
  }
  const tally = await nextMessage<FakeSlackTally>(fake, 'tally', 30_000);
  await exited(fake);
  const pool = (variant: CacheLoadVariant) => {
    const of = rounds.filter((x) => x.variant === variant).map((x) => x.round);
    return {
      ...latencyStats(of.flatMap((x) => roundSamples.get(x) ?? [])),
      non200: of.reduce((s, x) => s + x.non200, 0),
    };
  };
  const pooled = {
    noop: pool('noop'),
    'trailbot + conversion': pool('trailbot + conversion'),
    'trailbot, no cache': pool('trailbot, no cache'),
  };
  return {
    requests: options.slackRequests,
    concurrency: options.concurrency,
    data: { events: data.manifest.totalEvents, days: data.manifest.days },
    rounds,
    pooled,
    p99Ratio: pooled['trailbot + conversion'].p99 / pooled.noop.p99,
    referenceP99Ratio: pooled['trailbot, no cache'].p99 / pooled.noop.p99,
    fakeSlack: tally,
  };
}

/** The RSS half (exported so it can be run without the Slack half while investigating). */
export async function rssUnderConversion(
  options: BenchOptions,
  say: (line: string) => void,
): Promise<CacheLoadReport['rss']> {
  const data = await ensureBenchData(
    { eventsPerDay: options.eventsPerDay, days: options.days, seed: options.seed },
    options.dataDir,
    say,
  );
  const probes: RssProbeResult[] = [];
  // Alternated: without, with, with, without the conversion; each under the production image's MALLOC_ARENA_MAX and
  // under glibc's default, interleaved.
  const plan: [boolean, number | undefined][] = [
    [false, undefined],
    [false, PRODUCTION_MALLOC_ARENAS],
    [true, PRODUCTION_MALLOC_ARENAS],
    [true, undefined],
    [true, undefined],
    [true, PRODUCTION_MALLOC_ARENAS],
    [false, PRODUCTION_MALLOC_ARENAS],
    [false, undefined],
  ];
  for (const [conversion, arenas] of plan) {
    const probe = await rssProbe(data.dir, RSS_QUESTION, conversion, arenas);
    probes.push(probe);
    const d = probe.during;
    say(
      `  rss probe ${RSS_QUESTION}${conversion ? ' + conversion' : ''}${arenas ? `, MALLOC_ARENA_MAX=${arenas}` : ''}: ${bytesText(probe.baselineBytes)} → ${bytesText(probe.peakBytes)} (${ms(probe.ms)} ms)${d ? `; ${d.converted} partitions converted meanwhile, ${d.pendingAtEnd} still queued; conversion process peak ${bytesText(d.childPeakBytes)}` : ''}`,
    );
  }
  return { question: RSS_QUESTION, events: data.manifest.totalEvents, probes };
}

/**
 * The production image runs Node with MALLOC_ARENA_MAX=2 (Dockerfile): glibc otherwise gives each thread that
 * allocates its own malloc arena (up to 8 per core), each keeping the memory freed in it. With the file lists out of
 * the view's SQL (src/engines/duckdb/file-lists.ts) the default arenas still cost this question's peak ~20 MiB more.
 */
const PRODUCTION_MALLOC_ARENAS = 2;

function rssProbe(dataDir: string, text: string, conversion: boolean, arenas?: number): Promise<RssProbeResult> {
  return new Promise((resolve, reject) => {
    const args = [dataDir, text, BENCH_NOW.toISOString(), ...(conversion ? ['convert'] : [])];
    const child = fork(path.join(__dirname, 'rss-probe.ts'), args, {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, ...(arenas ? { MALLOC_ARENA_MAX: String(arenas) } : {}) },
    });
    let answer: Omit<RssProbeResult, 'conversion'> & { conversion?: ProbeConversion } = {} as never;
    let got = false;
    child.on('message', (m) => {
      answer = m as typeof answer;
      got = true;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0 || !got) {
        reject(new Error(`rss probe for "${text}"${conversion ? ' + conversion' : ''} exited with ${code}`));
        return;
      }
      const { conversion: during, ...rest } = answer;
      resolve({ ...rest, conversion, ...(arenas ? { mallocArenas: arenas } : {}), ...(during ? { during } : {}) });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Tables and targets

const maxPeak = (r: CacheLoadReport['rss'], conversion: boolean, arenas?: number) =>
  Math.max(...r.probes.filter((p) => p.conversion === conversion && p.mallocArenas === arenas).map((p) => p.peakBytes));

/** A round's conversion really overlapped its acks: partitions were converted during them, and more were queued. */
/**
 * The conversion ran through the round: a partition was converted during the acks or was in the conversion process's
 * hands when they ended (at nice 19 on a busy 2-core machine the child may finish none within a ~0.4 s burst: that is
 * the priority working), and more were still queued.
 */
const conversionOverlapped = (x: SlackRound) =>
  x.conversion !== undefined &&
  (x.conversion.partitionsAtAcksEnd > x.conversion.partitionsAtMark || x.conversion.inFlightAtAcksEnd === true) &&
  x.conversion.pendingAtAcksEnd > 0;

export function cacheLoadTables(r: CacheLoadReport): string[] {
  const s = r.slack;
  const main = textTable(
    ['app', 'acks', 'HTTP 200', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'p99 / no-op'],
    VARIANTS.map((v) => {
      const x = s.pooled[v];
      return [
        v,
        count(x.n),
        `${count(x.n - x.non200)}/${count(x.n)}`,
        ms(x.p50),
        ms(x.p90),
        ms(x.p99),
        ms(x.max),
        ratio(x.p99 / s.pooled.noop.p99),
      ];
    }),
  );
  const rounds = textTable(
    [
      'round',
      'app',
      'p50 ms',
      'p99 ms',
      'max ms',
      'acks took',
      'app CPU',
      'app loop max',
      'background runs',
      'cached partitions at mark → last ack',
      'converting at last ack',
      'still queued',
      'conversion done at',
    ],
    s.rounds.map(({ variant, round: x }) => {
      const c = x.conversion;
      return [
        String(x.round + 1),
        variant,
        ms(x.stats.p50),
        ms(x.stats.p99),
        ms(x.stats.max),
        `${ms(x.acksMs ?? Number.NaN)} ms`,
        `${ms(x.loopDelay.cpuMs)} ms`,
        `${ms(x.loopDelay.max)} ms`,
        x.app === 'trailbot' ? String(x.runs) : '–',
        c ? `${c.partitionsAtMark} → ${c.partitionsAtAcksEnd}` : '–',
        c ? (c.inFlightAtAcksEnd ? 'yes' : 'no') : '–',
        c ? String(c.pendingAtAcksEnd) : '–',
        c ? (c.endedMs !== undefined ? `${ms(c.endedMs)} ms` : 'after the acks') : '–',
      ];
    }),
  );
  return [
    `Slack acks with the columnar cache converting (cache-load): ${s.requests} signed /trail commands per round, ${s.concurrency} at a time; questions asked as of the sample's end; "+ conversion": a fresh cache that holds the days the warm-up's answers read, and \`warm\` over every closed day of ${count(s.data.events)} events × ${s.data.days} days started at the first measured ack; "no cache": TRAIL_CACHE=false; ${s.rounds.length / VARIANTS.length} round(s) per app, order rotated (pooled below)\n${main}\np99 trailbot + conversion / no-op: ${ratio(s.p99Ratio)} (target ≤ ${CACHE_LOAD_TARGETS.maxP99Ratio}); trailbot without the cache: ${ratio(s.referenceP99Ratio)}`,
    `Per round (fake Slack saw ${count(s.fakeSlack.calls)} Web API calls, ${s.fakeSlack.invalidBlocks} invalid_blocks)\n${rounds}`,
    rssTable(r.rss),
  ];
}

export function rssTable(r: CacheLoadReport['rss']): string {
  const rss = textTable(
    [
      'fresh process, one query',
      'bot before query',
      'bot peak',
      'conversion process peak',
      'query ms',
      'converted during the query',
      'still queued',
    ],
    r.probes.map((p) => [
      `${r.question}${p.conversion ? ' + background conversion' : ''}${p.mallocArenas ? `, MALLOC_ARENA_MAX=${p.mallocArenas}` : ''}`,
      bytesText(p.baselineBytes),
      bytesText(p.peakBytes),
      p.during ? bytesText(p.during.childPeakBytes) : '–',
      ms(p.ms),
      p.during ? `${p.during.converted} partitions${p.during.finishedFirst ? ' (all)' : ''}` : '–',
      p.during ? String(p.during.pendingAtEnd) : '–',
    ]),
  );
  return `Peak RSS of one answer with the conversion running beside it (${count(r.events)} events; the bot's side runs the TypeScript sources under tsx, as \`npm start\` does: compiled JS, as the image runs, measured ~20 MiB lower before the query and ~35 MiB lower at the peak, bench/README.md; the conversion covers the question's own 30 days, in the cache's child process at nice 19 with a one-thread DuckDB instance; the bot's peak and the child's are two processes, both in memory at once; alternated)\n${rss}`;
}

export function cacheLoadTargets(r: CacheLoadReport): TargetLine[] {
  const s = r.slack;
  const conv = s.rounds.filter((x) => x.variant === 'trailbot + conversion').map((x) => x.round);
  const overlapped = conv.filter(conversionOverlapped).length;
  return [
    {
      target: `cache-load: ack p99 with the background conversion running within ${CACHE_LOAD_TARGETS.maxP99Ratio}× the no-op Bolt app`,
      met: s.p99Ratio <= CACHE_LOAD_TARGETS.maxP99Ratio,
      figure: `p99 ${ms(s.pooled['trailbot + conversion'].p99)} ms vs ${ms(s.pooled.noop.p99)} ms = ${ratio(s.p99Ratio)} (trailbot without the cache, same run: ${ratio(s.referenceP99Ratio)})`,
    },
    {
      target:
        'cache-load: the conversion ran through every measured round (a partition converted during the acks or in the conversion process’s hands at the last ack, more still queued)',
      met: overlapped === conv.length,
      figure: `${overlapped} of ${conv.length} rounds`,
    },
    ...rssTargets(r.rss),
  ];
}

export function rssTargets(r: CacheLoadReport['rss']): TargetLine[] {
  const withConv = maxPeak(r, true, PRODUCTION_MALLOC_ARENAS);
  const childPeak = Math.max(0, ...r.probes.map((p) => p.during?.childPeakBytes ?? 0));
  const without = maxPeak(r, false, PRODUCTION_MALLOC_ARENAS);
  const defaultWith = maxPeak(r, true);
  const defaultWithout = maxPeak(r, false);
  const probesOverlapped = r.probes.filter((p) => p.conversion && p.during && p.during.converted > 0).length;
  const convProbes = r.probes.filter((p) => p.conversion).length / 2;
  return [
    {
      target: `cache-load: ${r.question} peak RSS of the bot process with the conversion running under ${bytesText(CACHE_LOAD_TARGETS.maxPeakRssBytes)}, under MALLOC_ARENA_MAX=${PRODUCTION_MALLOC_ARENAS} as the production image runs it (the bot's side run with tsx: compiled JS, as in the image, measured lower)`,
      met: withConv < CACHE_LOAD_TARGETS.maxPeakRssBytes,
      figure: `bot process ${bytesText(withConv)} with, ${bytesText(without)} without (worst of ${convProbes} each; the conversion finished a partition during ${probesOverlapped} of the ${2 * convProbes} probes with it); the conversion process beside it peaked at ${bytesText(childPeak)}`,
    },
    {
      target: `cache-load: the same under glibc's default arenas (\`npm start\` without MALLOC_ARENA_MAX), for the record`,
      met: undefined,
      figure: `bot process ${bytesText(defaultWith)} with, ${bytesText(defaultWithout)} without`,
    },
  ];
}
