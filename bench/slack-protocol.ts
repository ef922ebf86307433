/**
 * Messages between the Slack bench (bench/slack.ts, the load generator) and its child processes: the app under test
 * (bench/slack-server.ts) and the fake Slack Web API (bench/fake-slack-server.ts). Each runs in its own process so
 * the load generator's and the fake's work is not charged to the app whose acks are measured.
 */

export const BENCH_BOT_TOKEN = 'xoxb-bench-token';
export const BENCH_SIGNING_SECRET = 'bench-signing-secret-0123456789abcdef';
/** Placeholder in the fake's response_url where each command's own id goes. */
export const RESPONSE_ID = 'RESPONSE_ID';

export type SlackAppKind = 'trailbot' | 'noop';

/** What the app child is started with (JSON in argv[2]). */
export interface AppServerSpec {
  kind: SlackAppKind;
  /** Fake Slack Web API base. */
  slackApiUrl: string;
  /** trailbot only: CloudTrail folder for the DuckDB engine. */
  dataDir?: string;
  /** trailbot only: known networks of the sample (for `logins external`). */
  knownNetworks?: string[];
  /** trailbot only: spool / CSV folder (removed by the child on stop). */
  resultsDir?: string;
  /** trailbot only, diagnostic: DuckDB worker threads (default: DuckDB's own, one per core). */
  duckdbThreads?: number;
  /**
   * trailbot only (`cache-load` part): the state folder, so the columnar cache starts empty in it; with
   * `convertOnMark`, every closed day of `dataDir` is queued and converted (`cache warm`) from the `mark` on, so the
   * conversion runs while the measured acks arrive.
   */
  stateDir?: string;
  convertOnMark?: boolean;
  /** trailbot only: TRAIL_CACHE (default: the product's default, on). */
  cache?: boolean;
  /**
   * trailbot only: the app's clock starts at this instant and runs on in real time. The samples end at BENCH_NOW; on
   * the real clock, once that is more than a window ago, the questions' windows hold no file and read nothing.
   */
  clockAt?: string;
}

/** What the background conversion did during a round, ms relative to the `mark` (trailbot with convertOnMark). */
export interface ConversionInfo {
  /** Cached day partitions when the round began and when its acks were all in. */
  partitionsAtMark: number;
  partitionsAtAcksEnd: number;
  /** Partitions still queued when the acks were all in (> 0: the conversion outlasted the round). */
  pendingAtAcksEnd: number;
  /** A partition was in the conversion process's hands when the acks were all in (converting, at nice 19). */
  inFlightAtAcksEnd?: boolean;
  startedMs: number;
  /** When `warm` returned; absent if it was still converting when the acks ended. */
  endedMs?: number;
}

/** Event-loop delay of the app process between `mark` and `loop` (perf_hooks.monitorEventLoopDelay), in ms. */
export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
  /** CPU time (user + system, every thread: JS and DuckDB) the app process used between `mark` and `loop`, in ms. */
  cpuMs: number;
}

export type AppServerMessage =
  | { type: 'ready'; port: number }
  | { type: 'loop'; delay: LoopDelay; conversion?: ConversionInfo }
  | { type: 'drained'; runs: number; failedRuns: number; ms: number }
  | { type: 'stopped'; peakRssBytes: number };

export type ParentMessage =
  | { type: 'drain'; timeoutMs: number }
  | { type: 'stop' }
  /** Start (reset) the event-loop delay histogram. */
  | { type: 'mark' }
  /** Report the histogram since the last mark. */
  | { type: 'loop' };

export interface FakeSlackReady {
  type: 'ready';
  /** Web API base for `slackApiUrl`. */
  url: string;
  /** A response_url with RESPONSE_ID where each command's id goes. */
  responseUrl: string;
}

export interface FakeSlackTally {
  type: 'tally';
  calls: number;
  byMethod: Record<string, number>;
  messages: number;
  files: number;
  responses: number;
  invalidBlocks: number;
  warnings: number;
}
