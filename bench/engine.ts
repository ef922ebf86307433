/**
 * Part 1, the embedded engine (issue "Embedded engine", Must show). On ~1M generated events over 30 days:
 * - for each template, trailbot's full user-visible cost (DuckDbEngine start → SUCCEEDED → every result page) vs a
 *   hand-written DuckDB query over the same files, alternated, median of paired ratios (target ≤ 1.25);
 * - one query vs the equivalent `zcat | jq` pipeline over the same files (target ≥ 5× faster);
 * - files and bytes a 12 h window reads vs the whole dataset;
 * - peak RSS of this process over the suite, and of a process that runs one 30 d query (bench/rss-probe.ts).
 */
import { fork, spawn } from 'node:child_process';
import path from 'node:path';
import { parseRequest } from '../commands';
import { loadConfig, type TrailConfig } from '../src/config';
import type { QueryEngine, QueryStatus } from '../src/core/engine';
import type { BoundQuery } from '../src/core/query';
import { DuckDbEngine, discoverLogFiles, type LogFile } from '../src/engines/duckdb';
import { DuckDBInstance } from '../src/engines/duckdb/native';
import { columnNeeds } from '../src/engines/duckdb/needs';
import { sqlLiteral } from '../src/query/literal';
import { DEFAULT_POLL } from '../src/runner/context';
import { nextPollDelay, pollPause } from '../src/runner/poll';
import { SG_SCENARIO } from '../src/sample/generate';
import {
  BENCH_NOW,
  type BenchData,
  type BenchOptions,
  bytesText,
  count,
  datasetSize,
  ensureBenchData,
  geomean,
  median,
  ms,
  peakRssBytes,
  ratio,
  sleep,
  textTable,
} from './lib';

/** Targets from the issue. */
export const ENGINE_TARGETS = { maxOverheadRatio: 1.25, minJqSpeedup: 5 } as const;

const lit = (value: string): string => sqlLiteral({ type: 'varchar', value });

/** What the hand-written side needs: the record fields it reads, and the query over `r` (one record per row). */
interface HandQuery {
  /** Minimal STRUCT of one record, CloudTrail's camelCase keys (read_json matches keys case-sensitively). */
  record: string;
  /** The query; `{{src}}` is replaced by the unnested records, `{{window}}` by the exact eventTime filter. */
  sql: string;
}

/** A jq pipeline equivalent to a trailbot question; `$s` / `$e` are the window bounds as CloudTrail writes times. */
interface JqPipeline {
  /** `-n` programs read every input themselves (group-by needs them all at once). */
  slurp: boolean;
  program: string;
  args?: Record<string, string>;
  argsJson?: Record<string, unknown>;
}

export interface EngineCase {
  /** Short name shown in the tables, e.g. `sg 12h`. */
  label: string;
  /** The `/trail` text trailbot parses. */
  text: string;
  hand: HandQuery;
  jq?: JqPipeline;
  /** The 12 h case the pruning table compares with the whole dataset. */
  pruning?: boolean;
}

const SG_CHANGE_NAMES = [
  'AuthorizeSecurityGroupIngress',
  'AuthorizeSecurityGroupEgress',
  'RevokeSecurityGroupIngress',
  'RevokeSecurityGroupEgress',
  'CreateSecurityGroup',
  'DeleteSecurityGroup',
  'ModifySecurityGroupRules',
  'UpdateSecurityGroupRuleDescriptionsIngress',
  'UpdateSecurityGroupRuleDescriptionsEgress',
  'ModifyNetworkInterfaceAttribute',
];
const SG_IDS = [SG_SCENARIO.networkInterfaceId, ...SG_SCENARIO.groupIds].sort();

function sgHand(): HandQuery {
  const ids = SG_IDS.map(
    (id) => `strpos(r.requestParameters, ${lit(id)}) > 0 OR strpos(r.responseElements, ${lit(id)}) > 0`,
  ).join(' OR ');
  return {
    record:
      'STRUCT(eventTime VARCHAR, eventSource VARCHAR, eventName VARCHAR, userIdentity STRUCT(userName VARCHAR, arn VARCHAR), sourceIPAddress VARCHAR, requestParameters VARCHAR, responseElements VARCHAR, awsRegion VARCHAR, recipientAccountId VARCHAR, errorCode VARCHAR, eventID VARCHAR)',
    sql: `SELECT r.eventName, r.userIdentity.userName AS username, r.sourceIPAddress, r.eventTime, r.requestParameters,
       r.userIdentity.arn AS principal_arn, r.awsRegion, r.recipientAccountId, r.errorCode, r.eventID
FROM {{src}}
WHERE {{window}} AND r.eventSource = 'ec2.amazonaws.com'
  AND r.eventName IN (${SG_CHANGE_NAMES.map(lit).join(', ')})
  AND (${ids})
ORDER BY r.eventTime, r.eventID`,
  };
}

const SG_JQ: JqPipeline = {
  slurp: false,
  program: `.Records[]
  | select(.eventTime >= $s and .eventTime < $e and .eventSource == "ec2.amazonaws.com"
           and (.eventName | IN($names[]))
           and ((.requestParameters | tostring) as $q | (.responseElements | tostring) as $p
                | any($ids[]; . as $id | ($q | contains($id)) or ($p | contains($id)))))
  | [.eventName, .userIdentity.userName, .sourceIPAddress, .eventTime, (.requestParameters | tostring),
     .userIdentity.arn, .awsRegion, .recipientAccountId, .errorCode, .eventID]`,
  argsJson: { names: SG_CHANGE_NAMES, ids: SG_IDS },
};

const LOGIN_RECORD =
  'STRUCT(eventTime VARCHAR, eventName VARCHAR, userIdentity STRUCT(type VARCHAR, userName VARCHAR, arn VARCHAR), sourceIPAddress VARCHAR, responseElements VARCHAR, additionalEventData VARCHAR, errorMessage VARCHAR, userAgent VARCHAR, awsRegion VARCHAR, recipientAccountId VARCHAR, eventID VARCHAR)';

function loginsHand(filter: string): HandQuery {
  return {
    record: LOGIN_RECORD,
    sql: `SELECT r.eventTime, r.userIdentity.type AS identity_type, coalesce(r.userIdentity.userName, r.userIdentity.arn) AS username,
       r.sourceIPAddress, json_extract_string(r.responseElements, '$.ConsoleLogin') AS result,
       json_extract_string(r.additionalEventData, '$.MFAUsed') AS mfa_used,
       json_extract_string(r.additionalEventData, '$.MobileVersion') AS mobile, r.errorMessage, r.userAgent,
       r.userIdentity.arn AS principal_arn, r.awsRegion, r.recipientAccountId, r.eventID
FROM {{src}}
WHERE {{window}} AND r.eventName = 'ConsoleLogin' AND ${filter}
ORDER BY r.eventTime, r.eventID`,
  };
}

/** Off-hours 00:00–05:00 UTC, weekdays and weekends alike (trailbot's and the sample's default). */
const OFFHOURS_FILTER = 'hour(CAST(r.eventTime AS TIMESTAMPTZ)) < 5';

/**
 * Outside the known networks, written the way one would without an IP type: prefix tests that hold for the canonical
 * text CloudTrail writes (198.51.100.0/24 → `198.51.100.`; 2001:db8:100::/48 → `2001:db8:100:`). Non-IP sources
 * (`signin.amazonaws.com`) count as external, as in trailbot's template.
 */
function externalFilter(knownNetworks: readonly string[]): string {
  const prefixes = knownNetworks.map((cidr) => {
    const [net, bits] = cidr.split('/');
    if (net!.includes(':')) {
      const groups = net!.replace(/::$/, '').split(':');
      if (Number(bits) !== groups.length * 16) throw new Error(`bench: cannot write ${cidr} as a text prefix`);
      return `starts_with(lower(r.sourceIPAddress), ${lit(`${groups.join(':')}:`)})`;
    }
    const octets = net!.split('.');
    const kept = Number(bits) / 8;
    if (!Number.isInteger(kept)) throw new Error(`bench: cannot write ${cidr} as a text prefix`);
    return `starts_with(r.sourceIPAddress, ${lit(`${octets.slice(0, kept).join('.')}.`)})`;
  });
  return `NOT coalesce(${prefixes.join(' OR ')}, false)`;
}

const LOGINS_OFFHOURS_JQ: JqPipeline = {
  slurp: false,
  program: `.Records[]
  | select(.eventTime >= $s and .eventTime < $e and .eventName == "ConsoleLogin" and (.eventTime[11:13] | tonumber) < 5)
  | [.eventTime, .userIdentity.type, (.userIdentity.userName // .userIdentity.arn), .sourceIPAddress,
     .responseElements.ConsoleLogin, .additionalEventData.MFAUsed, .additionalEventData.MobileVersion,
     .errorMessage, .userAgent, .userIdentity.arn, .awsRegion, .recipientAccountId, .eventID]`,
};

function errorsHand(top: number): HandQuery {
  return {
    record:
      'STRUCT(eventTime VARCHAR, eventName VARCHAR, errorCode VARCHAR, errorMessage VARCHAR, userIdentity STRUCT(arn VARCHAR))',
    sql: `SELECT count(*) AS total_events, r.eventName, r.errorCode, r.errorMessage,
       count(DISTINCT r.userIdentity.arn) AS distinct_principals, min(r.eventTime) AS first_seen, max(r.eventTime) AS last_seen
FROM {{src}}
WHERE {{window}} AND r.errorCode IS NOT NULL
GROUP BY r.eventName, r.errorCode, r.errorMessage
ORDER BY total_events DESC, r.errorCode, r.eventName, r.errorMessage
LIMIT ${top}`,
  };
}

const ERRORS_JQ: JqPipeline = {
  slurp: true,
  program: `[inputs | .Records[] | select(.eventTime >= $s and .eventTime < $e and .errorCode != null)
           | {eventName, errorCode, errorMessage, arn: .userIdentity.arn, eventTime}]
  | group_by([.eventName, .errorCode, .errorMessage])
  | map({total_events: length, eventName: .[0].eventName, errorCode: .[0].errorCode, errorMessage: .[0].errorMessage,
         distinct_principals: (map(.arn | select(. != null)) | unique | length),
         first_seen: (map(.eventTime) | min), last_seen: (map(.eventTime) | max)})
  | sort_by(-.total_events, .errorCode, .eventName, .errorMessage) | .[:10][]`,
};

function usersHand(top: number): HandQuery {
  return {
    record:
      'STRUCT(eventTime VARCHAR, eventName VARCHAR, errorCode VARCHAR, userIdentity STRUCT(type VARCHAR, userName VARCHAR))',
    sql: `WITH per_action AS (
  SELECT r.userIdentity.userName AS username, r.eventName AS eventname, count(*) AS calls, count(r.errorCode) AS errors
  FROM {{src}}
  WHERE {{window}} AND r.userIdentity.type = 'IAMUser'
  GROUP BY 1, 2
)
SELECT username, sum(calls) AS total_events, sum(errors) AS error_events, count(*) AS distinct_actions,
       array_to_string(list_slice(list(eventname || ' (' || calls || ')' ORDER BY calls DESC, eventname), 1, 5), ', ') AS top_actions
FROM per_action
GROUP BY username
ORDER BY total_events DESC, username
LIMIT ${top}`,
  };
}

function rootHand(): HandQuery {
  return {
    record:
      'STRUCT(eventTime VARCHAR, eventName VARCHAR, errorCode VARCHAR, sourceIPAddress VARCHAR, recipientAccountId VARCHAR, userIdentity STRUCT(type VARCHAR, invokedBy VARCHAR, sessionContext STRUCT(attributes STRUCT(mfaAuthenticated VARCHAR))))',
    sql: `SELECT r.eventName, r.userIdentity.invokedBy AS invoked_by, count(*) AS total_events,
       count_if(coalesce(r.userIdentity.sessionContext.attributes.mfaAuthenticated, 'false') <> 'true') AS without_mfa,
       count(r.errorCode) AS error_events, count(DISTINCT r.sourceIPAddress) AS distinct_source_ips,
       min(r.eventTime) AS first_seen, max(r.eventTime) AS last_seen, any_value(r.recipientAccountId) AS recipientaccountid
FROM {{src}}
WHERE {{window}} AND r.userIdentity.type = 'Root'
GROUP BY 1, 2
ORDER BY total_events DESC, r.eventName, invoked_by`,
  };
}

const ACTIVITY_COLUMNS = `r.eventTime, r.eventName, r.eventSource, r.userIdentity.arn AS principal_arn`;

function whoHand(resource: string): HandQuery {
  return {
    record:
      'STRUCT(eventTime VARCHAR, eventName VARCHAR, eventSource VARCHAR, userIdentity STRUCT(arn VARCHAR, userName VARCHAR), sourceIPAddress VARCHAR, awsRegion VARCHAR, recipientAccountId VARCHAR, errorCode VARCHAR, eventID VARCHAR, requestParameters VARCHAR, responseElements VARCHAR, resources STRUCT(ARN VARCHAR, accountId VARCHAR, type VARCHAR)[])',
    sql: `SELECT ${ACTIVITY_COLUMNS}, r.userIdentity.userName AS username, r.sourceIPAddress, r.awsRegion,
       r.recipientAccountId, r.errorCode, r.eventID
FROM {{src}}
WHERE {{window}}
  AND (strpos(r.requestParameters, ${lit(resource)}) > 0 OR strpos(r.responseElements, ${lit(resource)}) > 0
       OR strpos(CAST(to_json(r.resources) AS VARCHAR), ${lit(resource)}) > 0)
ORDER BY r.eventTime DESC, r.eventID
LIMIT 10000`,
  };
}

function userHand(name: string): HandQuery {
  return {
    record:
      'STRUCT(eventTime VARCHAR, eventName VARCHAR, eventSource VARCHAR, userIdentity STRUCT(type VARCHAR, arn VARCHAR, userName VARCHAR, sessionContext STRUCT(sessionIssuer STRUCT(userName VARCHAR))), sourceIPAddress VARCHAR, userAgent VARCHAR, awsRegion VARCHAR, recipientAccountId VARCHAR, errorCode VARCHAR, errorMessage VARCHAR, eventID VARCHAR)',
    sql: `SELECT r.eventTime, r.eventName, r.eventSource, r.userIdentity.type AS identity_type, r.userIdentity.arn AS principal_arn,
       r.sourceIPAddress, r.userAgent, r.awsRegion, r.recipientAccountId, r.errorCode, r.errorMessage, r.eventID
FROM {{src}}
WHERE {{window}}
  AND (r.userIdentity.userName = ${lit(name)} OR r.userIdentity.sessionContext.sessionIssuer.userName = ${lit(name)})
ORDER BY r.eventTime DESC, r.eventID
LIMIT 10000`,
  };
}

/** A single address: CloudTrail writes canonical text, so equality is what a hand-written query would use. */
function ipHand(address: string): HandQuery {
  return {
    record:
      'STRUCT(eventTime VARCHAR, eventName VARCHAR, eventSource VARCHAR, userIdentity STRUCT(arn VARCHAR, userName VARCHAR), sourceIPAddress VARCHAR, userAgent VARCHAR, awsRegion VARCHAR, recipientAccountId VARCHAR, errorCode VARCHAR, eventID VARCHAR)',
    sql: `SELECT ${ACTIVITY_COLUMNS}, r.userIdentity.userName AS username, r.sourceIPAddress, r.userAgent, r.awsRegion,
       r.recipientAccountId, r.errorCode, r.eventID
FROM {{src}}
WHERE {{window}} AND r.sourceIPAddress = ${lit(address)}
ORDER BY r.eventTime DESC, r.eventID
LIMIT 10000`,
  };
}

function recentHand(): HandQuery {
  return {
    record:
      'STRUCT(eventTime VARCHAR, eventName VARCHAR, eventSource VARCHAR, userIdentity STRUCT(type VARCHAR, arn VARCHAR), sourceIPAddress VARCHAR, awsRegion VARCHAR, recipientAccountId VARCHAR, errorCode VARCHAR, eventID VARCHAR)',
    sql: `SELECT r.eventTime, r.eventName, r.eventSource, r.userIdentity.type AS identity_type, r.userIdentity.arn AS principal_arn,
       r.sourceIPAddress, r.awsRegion, r.recipientAccountId, r.errorCode, r.eventID
FROM {{src}}
WHERE {{window}}
ORDER BY r.eventTime DESC, r.eventID
LIMIT 200`,
  };
}

/**
 * The questions, one per template at the window that makes sense for it, plus 30 d variants that read the whole
 * dataset and 7 d variants the jq pipelines are compared with. Arguments come from the sample's ground truth so
 * every question finds something.
 */
export function engineCases(data: BenchData, knownNetworks: readonly string[]): EngineCase[] {
  const { manifest } = data;
  const dayAgo = new Date(Date.parse(manifest.now) - 24 * 3600_000).toISOString();
  const recentLogins = manifest.scenarios.logins.filter((l) => l.eventTime >= dayAgo);
  const ip = (recentLogins.at(-1) ?? manifest.scenarios.logins.at(-1))?.sourceIp ?? '198.51.100.7';
  const sgText = SG_IDS.join(' ');
  return [
    { label: 'sg 12h', text: `sg ${sgText} 12h`, hand: sgHand(), pruning: true },
    { label: 'sg 7d', text: `sg ${sgText} 7d`, hand: sgHand(), jq: SG_JQ },
    { label: 'sg 30d', text: `sg ${sgText} 30d`, hand: sgHand() },
    { label: 'logins offhours 24h', text: 'logins offhours 24h', hand: loginsHand(OFFHOURS_FILTER) },
    {
      label: 'logins offhours 7d',
      text: 'logins offhours 7d',
      hand: loginsHand(OFFHOURS_FILTER),
      jq: LOGINS_OFFHOURS_JQ,
    },
    { label: 'logins external 24h', text: 'logins external 24h', hand: loginsHand(externalFilter(knownNetworks)) },
    { label: 'errors 7d', text: 'errors 7d', hand: errorsHand(10), jq: ERRORS_JQ },
    { label: 'errors 30d', text: 'errors 30d', hand: errorsHand(10) },
    { label: 'users 7d', text: 'users 7d', hand: usersHand(10) },
    { label: 'users 30d', text: 'users 30d', hand: usersHand(10) },
    { label: 'root 30d', text: 'root 30d', hand: rootHand() },
    {
      label: `who ${SG_SCENARIO.openedGroupId} 24h`,
      text: `who ${SG_SCENARIO.openedGroupId} 24h`,
      hand: whoHand(SG_SCENARIO.openedGroupId),
    },
    { label: `user ${SG_SCENARIO.user} 24h`, text: `user ${SG_SCENARIO.user} 24h`, hand: userHand(SG_SCENARIO.user) },
    { label: `ip ${ip} 24h`, text: `ip ${ip} 24h`, hand: ipHand(ip) },
    { label: 'recent 1h', text: 'recent 1h', hand: recentHand() },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Running one side

export interface Timed {
  ms: number;
  rows: number;
}

export interface TrailbotRun extends Timed {
  filesRead: number;
  bytesScanned: number;
  cachedPartitions?: number;
}

/**
 * Waits for the query as the bot's runner does (src/runner/lifecycle.ts): its poll schedule (250 ms, then 1.6× longer),
 * each pause ended early when the engine says the query has ended (`ended`), so the end is seen when it happens.
 * An earlier version polled every 1 ms for the first 50 ms: each `status` ran on the main thread while DuckDB planned,
 * and the JS functions a plan calls (the CIDR shims, folded while planning) wait for the main thread, so
 * `logins external 7d` warm measured ~85 ms where the bot's own wait sees ~43 ms (bench/README.md).
 */
export async function awaitQuery(engine: QueryEngine, id: string): Promise<QueryStatus> {
  let delay: number = DEFAULT_POLL.initialMs;
  let status = await engine.status(id);
  while (status.state === 'QUEUED' || status.state === 'RUNNING') {
    await pollPause({ engine, sleep }, id, delay);
    delay = nextPollDelay(DEFAULT_POLL, delay);
    status = await engine.status(id);
  }
  return status;
}

/** trailbot's user-visible cost: start → SUCCEEDED → every result page. */
export async function runTrailbot(engine: QueryEngine, query: BoundQuery, label: string): Promise<TrailbotRun> {
  const began = performance.now();
  const id = await engine.start(query, { executionId: `bench-${label}` });
  const status = await awaitQuery(engine, id);
  if (status.state !== 'SUCCEEDED') throw new Error(`trailbot ${label}: ${status.state} ${status.reason ?? ''}`);
  let rows = 0;
  for await (const page of engine.results(id)) rows += page.rows.length;
  const elapsed = performance.now() - began;
  // As the runner does once the answer is collected: the result is dropped and the connection goes back to the
  // engine's pool (src/runner/collect.ts). Not timed: the answer is already out. Without it every question would
  // open a new connection and install the Trino shims again (~15–20 ms), which the bot never does.
  await engine.release?.(id);
  return {
    ms: elapsed,
    rows,
    filesRead: status.stats.filesRead ?? 0,
    bytesScanned: status.stats.bytesScanned,
    ...(status.stats.cachedPartitions ? { cachedPartitions: status.stats.cachedPartitions } : {}),
  };
}

/** How many of the table's columns the engine reads for a query (its own analysis, src/engines/duckdb/view.ts). */
function columnsRead(query: BoundQuery): number | 'all' {
  const needs = columnNeeds(query.sql);
  return needs === 'all' ? 'all' : needs.size;
}

/** The exact window as a hand-written filter on eventTime. */
function windowFilter(query: BoundQuery): string {
  const ts = (iso: string) => `TIMESTAMPTZ ${lit(iso)}`;
  return `CAST(r.eventTime AS TIMESTAMPTZ) >= ${ts(query.window.start)} AND CAST(r.eventTime AS TIMESTAMPTZ) < ${ts(query.window.end)}`;
}

export function handSql(hand: HandQuery, files: readonly LogFile[], query: BoundQuery): string {
  const list = `[${files.map((f) => lit(f.path)).join(', ')}]`;
  const src = `(SELECT unnest(Records) AS r FROM read_json(${list}, format = 'newline_delimited', records = 'true', columns = {Records: ${lit(`${hand.record}[]`)}}))`;
  return hand.sql.replace('{{src}}', src).replace('{{window}}', windowFilter(query));
}

/**
 * The same hand-written query over the columnar cache's Parquet files (src/engines/duckdb/cache-columns.ts): each
 * `r.field.path` becomes the flat column of that path (lower-case, as the table names it), so DuckDB reads plain
 * columns and pushes what it can into the scan. What a DuckDB user who knew the cache's layout would type: the least
 * a question over those files costs, against which trailbot's warm answer shows its own overhead.
 */
export function handCacheSql(hand: HandQuery, parquet: readonly string[], query: BoundQuery): string {
  const flat = (sql: string) =>
    sql.replace(/(?<![\w'.])r\.(\w+(?:\.\w+)*)/g, (_, path: string) => `"${path.toLowerCase()}"`);
  return flat(hand.sql)
    .replace('{{src}}', `read_parquet([${parquet.map(lit).join(', ')}])`)
    .replace('{{window}}', flat(windowFilter(query)));
}

/** The hand-written query on a fresh connection of a fresh in-memory instance; only the query and the fetch are timed. */
export async function runHand(sql: string): Promise<Timed> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`SET TimeZone = 'UTC'`);
    const began = performance.now();
    const reader = await connection.runAndReadAll(sql);
    const rows = reader.getRows().length;
    return { ms: performance.now() - began, rows };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const isoSeconds = (iso: string) => `${iso.slice(0, 19)}Z`;

/** `zcat files | jq -c …`, timed from spawn to jq's exit; rows = output lines. */
function runJq(pipeline: JqPipeline, files: readonly LogFile[], query: BoundQuery): Promise<Timed> {
  const args = ['-c'];
  if (pipeline.slurp) args.push('-n');
  args.push('--arg', 's', isoSeconds(query.window.start), '--arg', 'e', isoSeconds(query.window.end));
  for (const [k, v] of Object.entries(pipeline.args ?? {})) args.push('--arg', k, v);
  for (const [k, v] of Object.entries(pipeline.argsJson ?? {})) args.push('--argjson', k, JSON.stringify(v));
  args.push(pipeline.program);
  return new Promise((resolve, reject) => {
    const began = performance.now();
    const zcat = spawn('zcat', ['--', ...files.map((f) => f.path)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const jq = spawn('jq', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    zcat.stdout.pipe(jq.stdin);
    let lines = 0;
    let stderr = '';
    jq.stdout.on('data', (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 10) lines++;
    });
    jq.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    zcat.on('error', reject);
    jq.on('error', reject);
    jq.on('close', (code) => {
      if (code !== 0) reject(new Error(`jq exited with ${code}: ${stderr.slice(0, 500)}`));
      else resolve({ ms: performance.now() - began, rows: lines });
    });
  });
}

async function jqAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const p = spawn('jq', ['--version'], { stdio: 'ignore' });
    p.on('error', () => resolve(false));
    p.on('close', (code) => resolve(code === 0));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The suite

export interface EngineCaseResult {
  label: string;
  text: string;
  template: string;
  partitions: number;
  /** Top-level columns the engine's view reads for this template (`all` = every one of the table's). */
  columnsRead: number | 'all';
  filesRead: number;
  bytesScanned: number;
  trailbotRows: number;
  handRows: number;
  rowsMatch: boolean;
  trailbotMs: number[];
  handMs: number[];
  trailbotMedianMs: number;
  handMedianMs: number;
  /** Median of the per-repetition ratios trailbot / hand-written (each pair run back to back). */
  ratio: number;
  repeats: number;
}

export interface JqResult {
  label: string;
  files: number;
  jqMs: number[];
  jqMedianMs: number;
  jqRows: number;
  trailbotMedianMs: number;
  trailbotRows: number;
  rowsMatch: boolean;
  /** jq / trailbot. */
  speedup: number;
}

export interface EngineReport {
  data: {
    dir: string;
    events: number;
    files: number;
    bytes: number;
    days: number;
    eventsPerDay: number;
    seed: number;
    now: string;
    generatedMs?: number;
  };
  repeats: number;
  cases: EngineCaseResult[];
  overall: { geomeanRatio: number; medianRatio: number; maxRatio: number; worst: string };
  jq: { available: boolean; skipped?: string; results: JqResult[] };
  pruning: { label: string; files: number; bytes: number; totalFiles: number; totalBytes: number };
  rss: { suitePeakBytes: number; query30d: { text: string; baselineBytes: number; peakBytes: number; ms: number }[] };
  tables: string[];
}

/** The configuration trailbot would run with over this sample (as `npx trail --data DIR` sets it up). */
export function benchConfig(data: BenchData): TrailConfig {
  const config = loadConfig({ TRAIL_DATA_DIR: data.dir });
  return { ...config, knownNetworks: [...data.manifest.knownNetworks] };
}

export async function runEngineBench(options: BenchOptions, say: (line: string) => void): Promise<EngineReport> {
  const spec = { eventsPerDay: options.eventsPerDay, days: options.days, seed: options.seed };
  const data = await ensureBenchData(spec, options.dataDir, say);
  if (!data.generated) say(`using cached data in ${data.dir} (${count(data.manifest.totalEvents)} events)`);
  const total = await datasetSize(data.dir);
  const config = benchConfig(data);
  const now = BENCH_NOW;
  const cases = engineCases(data, config.knownNetworks);
  const engine = new DuckDbEngine({ dataDir: data.dir, logger: (m) => say(`  engine: ${m}`) });
  const results: EngineCaseResult[] = [];
  const filesByLabel = new Map<string, LogFile[]>();
  const queries = new Map<string, BoundQuery>();
  try {
    for (const c of cases) {
      const request = parseRequest(c.text, { config, now });
      if (request.kind !== 'query') throw new Error(`bench: ${c.text} is not a query`);
      const query = request.query;
      queries.set(c.label, query);
      // The hand-written side reads the CloudTrail files of the same partitions, found the way the engine finds them.
      // Only S3-layout files: a hand-written query would never name the sample's own sample-manifest.json.
      const { files: found } = await discoverLogFiles(data.dir, { partitions: query.partitions });
      const files = found.filter((f) => f.layout === 's3');
      filesByLabel.set(c.label, files);
      const sql = handSql(c.hand, files, query);
      // One untimed run each: JIT, OS page cache, DuckDB's lazily created instance.
      await runTrailbot(engine, query, c.label);
      await runHand(sql);
      const t: TrailbotRun[] = [];
      const h: Timed[] = [];
      const pairRatios: number[] = [];
      // The 30 d questions take seconds each; three alternated pairs keep the suite within a few minutes.
      const repeats = query.partitions.length > 8 ? Math.min(3, options.repeats) : options.repeats;
      for (let i = 0; i < repeats; i++) {
        let tr: TrailbotRun;
        let hr: Timed;
        // Alternate which side goes first, so drift on a shared machine hits both alike.
        if (i % 2 === 0) {
          tr = await runTrailbot(engine, query, c.label);
          hr = await runHand(sql);
        } else {
          hr = await runHand(sql);
          tr = await runTrailbot(engine, query, c.label);
        }
        t.push(tr);
        h.push(hr);
        pairRatios.push(tr.ms / hr.ms);
      }
      const result: EngineCaseResult = {
        label: c.label,
        text: c.text,
        template: query.template,
        partitions: query.partitions.length,
        columnsRead: columnsRead(query),
        filesRead: t[0]!.filesRead,
        bytesScanned: t[0]!.bytesScanned,
        trailbotRows: t[0]!.rows,
        handRows: h[0]!.rows,
        rowsMatch: t[0]!.rows === h[0]!.rows,
        trailbotMs: t.map((x) => x.ms),
        handMs: h.map((x) => x.ms),
        trailbotMedianMs: median(t.map((x) => x.ms)),
        handMedianMs: median(h.map((x) => x.ms)),
        ratio: median(pairRatios),
        repeats,
      };
      results.push(result);
      say(
        `  ${c.label.padEnd(28)} trailbot ${ms(result.trailbotMedianMs).padStart(6)} ms  hand ${ms(result.handMedianMs).padStart(6)} ms  ratio ${ratio(result.ratio)}  rows ${result.trailbotRows}${result.rowsMatch ? '' : ` ≠ ${result.handRows}`}`,
      );
    }
  } finally {
    await engine.close();
  }

  // jq: after the engine cases, so its minutes of single-core work do not disturb them.
  const jqResults: JqResult[] = [];
  const haveJq = !options.noJq && (await jqAvailable());
  let jqSkipped: string | undefined;
  if (options.noJq) jqSkipped = 'skipped (--no-jq)';
  else if (!haveJq)
    jqSkipped =
      'jq not found: install it (Debian/Ubuntu: sudo apt-get install jq; macOS: brew install jq) and run again';
  if (haveJq) {
    for (const c of cases.filter((x) => x.jq)) {
      const files = filesByLabel.get(c.label)!;
      const query = queries.get(c.label)!;
      const trail = results.find((r) => r.label === c.label)!;
      const runs: Timed[] = [];
      for (let i = 0; i < options.jqRepeats; i++) runs.push(await runJq(c.jq!, files, query));
      const jqMedianMs = median(runs.map((r) => r.ms));
      const r: JqResult = {
        label: c.label,
        files: files.length,
        jqMs: runs.map((x) => x.ms),
        jqMedianMs,
        jqRows: runs[0]!.rows,
        trailbotMedianMs: trail.trailbotMedianMs,
        trailbotRows: trail.trailbotRows,
        rowsMatch: runs[0]!.rows === trail.trailbotRows,
        speedup: jqMedianMs / trail.trailbotMedianMs,
      };
      jqResults.push(r);
      say(
        `  jq ${c.label.padEnd(25)} ${ms(jqMedianMs).padStart(7)} ms vs trailbot ${ms(trail.trailbotMedianMs)} ms: ${ratio(r.speedup)}`,
      );
    }
  }

  const pruningCase = results.find((r) => cases.find((c) => c.label === r.label)?.pruning)!;
  const suitePeakBytes = peakRssBytes();
  const query30d: EngineReport['rss']['query30d'] = [];
  for (const text of [`who ${SG_SCENARIO.openedGroupId} 30d`, 'errors 30d']) {
    const probe = await rssProbe(data.dir, text);
    query30d.push({ text, ...probe });
    say(`  rss probe ${text}: ${bytesText(probe.baselineBytes)} → ${bytesText(probe.peakBytes)} (${ms(probe.ms)} ms)`);
  }

  const ratios = results.map((r) => r.ratio);
  const worst = results.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  const report: EngineReport = {
    data: {
      dir: data.dir,
      events: data.manifest.totalEvents,
      files: total.files,
      bytes: total.bytes,
      days: data.manifest.days,
      eventsPerDay: data.manifest.eventsPerDay,
      seed: data.manifest.seed,
      now: data.manifest.now,
      ...(data.generateMs !== undefined ? { generatedMs: data.generateMs } : {}),
    },
    repeats: options.repeats,
    cases: results,
    overall: { geomeanRatio: geomean(ratios), medianRatio: median(ratios), maxRatio: worst.ratio, worst: worst.label },
    jq: { available: haveJq, ...(jqSkipped ? { skipped: jqSkipped } : {}), results: jqResults },
    pruning: {
      label: pruningCase.label,
      files: pruningCase.filesRead,
      bytes: pruningCase.bytesScanned,
      totalFiles: total.files,
      totalBytes: total.bytes,
    },
    rss: { suitePeakBytes, query30d },
    tables: [],
  };
  report.tables = engineTables(report);
  return report;
}

/** Runs one question in a fresh process and reports its RSS before and after (bench/rss-probe.ts). */
function rssProbe(dataDir: string, text: string): Promise<{ baselineBytes: number; peakBytes: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'rss-probe.ts'), [dataDir, text, BENCH_NOW.toISOString()], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let answer: { baselineBytes: number; peakBytes: number; ms: number } | undefined;
    child.on('message', (m) => {
      answer = m as typeof answer;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0 && answer) resolve(answer);
      else reject(new Error(`rss probe for "${text}" exited with ${code}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Tables

export function engineTables(r: EngineReport): string[] {
  const header = `Engine: trailbot vs hand-written DuckDB over the same files (${count(r.data.events)} events, ${count(r.data.files)} files, ${bytesText(r.data.bytes)}, ${r.data.days} days; ratio = median of n alternated pairs)`;
  const main = textTable(
    ['question', 'template', 'columns', 'files', 'read', 'rows', 'n', 'trailbot ms', 'hand ms', 'ratio', 'check'],
    r.cases.map((c) => [
      c.label,
      c.template,
      c.columnsRead === 'all' ? 'ALL' : String(c.columnsRead),
      count(c.filesRead),
      bytesText(c.bytesScanned),
      count(c.trailbotRows),
      String(c.repeats),
      ms(c.trailbotMedianMs),
      ms(c.handMedianMs),
      ratio(c.ratio),
      c.rowsMatch ? 'ok' : `ROWS DIFFER (hand ${c.handRows})`,
    ]),
  );
  const overall = `overall trailbot/hand-written: geometric mean ${ratio(r.overall.geomeanRatio)}, median ${ratio(r.overall.medianRatio)}, worst ${ratio(r.overall.maxRatio)} (${r.overall.worst}); target ≤ ${ENGINE_TARGETS.maxOverheadRatio}`;
  const tables = [`${header}\n${main}\n${overall}`];

  if (r.jq.results.length > 0) {
    tables.push(
      `One query vs the equivalent zcat | jq pipeline over the same files (jq median of ${r.jq.results[0]!.jqMs.length})\n${textTable(
        ['question', 'files', 'jq ms', 'trailbot ms', 'jq/trailbot', 'rows', 'check'],
        r.jq.results.map((j) => [
          j.label,
          count(j.files),
          ms(j.jqMedianMs),
          ms(j.trailbotMedianMs),
          ratio(j.speedup),
          count(j.trailbotRows),
          j.rowsMatch ? 'ok' : `ROWS DIFFER (jq ${j.jqRows})`,
        ]),
      )}`,
    );
  } else tables.push(`jq comparison: ${r.jq.skipped ?? 'not run'}`);

  const p = r.pruning;
  tables.push(
    `Partition pruning: what one question reads\n${textTable(
      ['window', 'files', 'bytes', 'share of files', 'share of bytes'],
      [
        [
          p.label,
          count(p.files),
          bytesText(p.bytes),
          `${((100 * p.files) / p.totalFiles).toFixed(1)} %`,
          `${((100 * p.bytes) / p.totalBytes).toFixed(1)} %`,
        ],
        ['whole dataset', count(p.totalFiles), bytesText(p.totalBytes), '100.0 %', '100.0 %'],
        ...r.cases
          .filter((c) => c.label.endsWith('30d') && c.label.startsWith('sg'))
          .map((c) => [
            c.label,
            count(c.filesRead),
            bytesText(c.bytesScanned),
            `${((100 * c.filesRead) / p.totalFiles).toFixed(1)} %`,
            `${((100 * c.bytesScanned) / p.totalBytes).toFixed(1)} %`,
          ]),
      ],
    )}`,
  );
  tables.push(
    `Peak RSS\n${textTable(
      ['process', 'before query', 'peak', 'query ms'],
      [
        ['this bench process, whole engine suite (trailbot + hand-written)', '–', bytesText(r.rss.suitePeakBytes), '–'],
        ...r.rss.query30d.map((q) => [
          `fresh process, one query: ${q.text}`,
          bytesText(q.baselineBytes),
          bytesText(q.peakBytes),
          ms(q.ms),
        ]),
      ],
    )}`,
  );
  return tables;
}

export interface TargetLine {
  target: string;
  met: boolean | undefined;
  figure: string;
}

export function engineTargets(r: EngineReport): TargetLine[] {
  const lines: TargetLine[] = [
    {
      target: `engine: trailbot / hand-written DuckDB ≤ ${ENGINE_TARGETS.maxOverheadRatio} per template`,
      met: r.cases.every((c) => c.ratio <= ENGINE_TARGETS.maxOverheadRatio),
      figure: `geomean ${ratio(r.overall.geomeanRatio)}, worst ${ratio(r.overall.maxRatio)} (${r.overall.worst}); ${r.cases.filter((c) => c.ratio > ENGINE_TARGETS.maxOverheadRatio).length} of ${r.cases.length} above`,
    },
    {
      target: 'engine: same rows as the hand-written queries',
      met: r.cases.every((c) => c.rowsMatch),
      figure: `${r.cases.filter((c) => c.rowsMatch).length} of ${r.cases.length} match`,
    },
  ];
  if (r.jq.results.length > 0) {
    const worst = r.jq.results.reduce((a, b) => (b.speedup < a.speedup ? b : a));
    lines.push({
      target: `engine: one query ≥ ${ENGINE_TARGETS.minJqSpeedup}× faster than jq`,
      met:
        r.jq.results.every((j) => j.speedup >= ENGINE_TARGETS.minJqSpeedup) && r.jq.results.every((j) => j.rowsMatch),
      figure: `${r.jq.results.map((j) => `${j.label} ${ratio(j.speedup)}`).join(', ')}; lowest ${ratio(worst.speedup)}${r.jq.results.every((j) => j.rowsMatch) ? '' : ' (row counts differ!)'}`,
    });
  } else
    lines.push({
      target: `engine: one query ≥ ${ENGINE_TARGETS.minJqSpeedup}× faster than jq`,
      met: undefined,
      figure: r.jq.skipped ?? 'not run',
    });
  const p = r.pruning;
  lines.push({
    target: 'engine: files and bytes a 12 h window reads vs the whole dataset (no target: for the record)',
    met: undefined,
    figure: `${count(p.files)} of ${count(p.totalFiles)} files, ${bytesText(p.bytes)} of ${bytesText(p.totalBytes)}`,
  });
  return lines;
}
