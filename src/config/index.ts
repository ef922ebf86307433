/**
 * Configuration. `loadConfig(env = process.env)` is the only place that reads the environment (STYLE.md). It
 * checks every variable and throws one `ConfigError` listing EVERY problem, each naming the variable and what to set.
 * Empty values count as unset. Unknown `TRAIL_*` variables are problems too, so a typo cannot silently fall back to a
 * default. Secrets (tokens, signing secret) are never echoed in messages.
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `TRAIL_TIME_ZONE` | `UTC` | IANA zone for `today`/`yesterday`, date-only bounds, off-hours and display |
 * | `TRAIL_OFFHOURS` | `00:00-05:00` | off-hours sign-ins, local `HH:MM-HH:MM`, may wrap midnight (`22:00-06:00`) |
 * | `TRAIL_OFFHOURS_WEEKENDS` | `false` | whole Saturdays and Sundays count as off-hours too |
 * | `TRAIL_KNOWN_NETWORKS` | (none) | comma/space separated CIDRs (IPv4, IPv6) that are "ours"; a bare address is /32 or /128 |
 * | `TRAIL_MAX_WINDOW_DAYS` | `90` | longest time window accepted, 1..3650 |
 * | `TRAIL_DELIVERY_LAG` | `15m` | how late a log file may be delivered after its events: a window's last day folders are read up to `end` + this (`0m`..`24h`) |
 * | `TRAIL_PROJECTION_START` | `2020/01/01` | first day of the trail table (Athena partition projection range); windows that start earlier are refused on both engines |
 * | `TRAIL_DEFAULT_WINDOW_<CMD>` | (per command) | default window of one command, e.g. `TRAIL_DEFAULT_WINDOW_SG=6h`; `<CMD>` is lowercased and `_` becomes `-` |
 * | `TRAIL_ATHENA_WORKGROUP` | `primary` | setting this or `TRAIL_ATHENA_DATABASE` selects Athena |
 * | `TRAIL_ATHENA_DATABASE` | (required with Athena) | Glue database holding the CloudTrail table |
 * | `TRAIL_ATHENA_CATALOG` | `AwsDataCatalog` | Athena data catalog |
 * | `TRAIL_ATHENA_OUTPUT` | (workgroup's) | `s3://bucket/prefix/` for results when the workgroup does not enforce one |
 * | `TRAIL_ATHENA_REUSE_MINUTES` | (off) | Athena result reuse max age, 0..10080 (0 = off) |
 * | `AWS_REGION` / `TRAIL_AWS_REGION` | (required with Athena or DynamoDB) | Region; `TRAIL_AWS_REGION` wins when both are set |
 * | `TRAIL_DATA_DIR` | `./data` | embedded DuckDB engine: folder of CloudTrail files (ignored with Athena) |
 * | `TRAIL_STRICT` | `false` | embedded DuckDB engine: fail on a corrupt file instead of skipping it |
 * | `TRAIL_CACHE` | `true` | embedded DuckDB engine: keep closed days as Parquet under `TRAIL_STATE_DIR/cache` (repeat questions read columns, not JSON) |
 * | `TRAIL_BUCKET` | (none) | S3 bucket of the trail (name only, no `s3://`) |
 * | `TRAIL_PREFIX` | `''` | key prefix before `AWSLogs/`, slashes trimmed |
 * | `TRAIL_ACCOUNTS` | (none) | 12-digit account ids, comma/space separated |
 * | `TRAIL_REGIONS` | (none) | Region names, comma/space separated |
 * | `TRAIL_ORG_ID` | (none) | organization id `o-…` for an organization trail |
 * | `TRAIL_TABLE` | (dynalite) | DynamoDB table name; setting it selects DynamoDB |
 * | `TRAIL_DYNAMODB_ENDPOINT` | (AWS) | DynamoDB endpoint URL (e.g. a local DynamoDB), only with `TRAIL_TABLE` |
 * | `TRAIL_STATE_DIR` | `./.trailbot` | embedded store: dynalite data folder (table `trailbot`) |
 * | `SLACK_BOT_TOKEN` | (terminal) | `xoxb-…`; setting it selects Slack |
 * | `SLACK_SIGNING_SECRET` | (required with Slack over HTTP) | from Basic Information → App Credentials |
 * | `SLACK_APP_TOKEN` | (HTTP mode) | `xapp-…`; setting it selects Socket Mode (no signing secret needed) |
 * | `PORT` | `3000` | HTTP port for Slack's requests |
 * | `TRAIL_SLACK_API_URL` | (Slack's) | Slack Web API base URL, e.g. a local fake for the production image's start-up test |
 * | `TRAIL_RESULTS_DIR` | `./results` | CSV results (terminal) and spool files before upload |
 * | `TRAIL_LOG_LEVEL` | `warn` | `info` adds lifecycle lines (resumes, retries) to the JSON log on stderr (read by src/main.ts) |
 * | `TRAIL_MAX_PER_USER` | `3` | unfinished executions per user, 1..100 |
 * | `TRAIL_MAX_PER_CHANNEL` | `10` | unfinished executions per channel, 1..1000 |
 * | `TRAIL_DEDUPE_SECONDS` | `300` | same request in the same channel within this many seconds points to the existing thread, 0..86400 |
 * | `TRAIL_RETENTION_DAYS` | `90` | executions expire (DynamoDB TTL) after this many days, 1..3650 |
 * | `TRAIL_CONFIRM_ABOVE_BYTES` | `10GiB` | ask before running a query estimated above this; bytes or `500MB`, `10GB`, `1TiB` |
 * | `TRAIL_DAILY_BUDGET_BYTES` | (none) | scanned bytes per user per day; same units |
 * | `TRAIL_ACCESS_POLICY` | everyone everywhere; required for Slack with Athena | JSON (below), `@path/to/policy.json`, or `open` |
 *
 * Numbers are whole numbers in the stated range; yes/no values accept true/false, 1/0, yes/no (any case). Sizes:
 * `kB`/`MB`/`GB`/`TB`/`PB` are powers of 1000, `KiB`/`MiB`/`GiB`/`TiB`/`PiB` powers of 1024 (Athena bills decimal TB).
 *
 * Access policy JSON: `{"default":{"channels":["C…"],"users":["U…"]},"commands":{"root":{"channels":["C0COMPLIANCE"]}}}`.
 * Channel ids start with C, G or D; user ids with U or W (copy them from Slack, not `#names`). A command's rule
 * replaces the default; an empty or missing list means anyone (src/dispatch/policy.ts). `"admins":["U…"]` lists who may cancel
 * other people's questions and stop their schedules (everyone else only their own). With Slack and Athena together a
 * policy is required; `open` is the explicit "everyone, everywhere".
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { ConfigError, UsageError } from '../core/errors';
import { parseWindow } from '../time/window';

/** Access rule: which channels / users may run a command. An empty or missing list means "anyone". */
export interface AccessRule {
  channels?: string[];
  users?: string[];
}

export interface AccessPolicy {
  /** Applies to every command without its own rule. */
  default: AccessRule;
  /** Per-command rules, by subcommand name (e.g. `root`: only the compliance channel). */
  commands: Record<string, AccessRule>;
  /** User ids who may cancel anyone's question and stop anyone's schedule (src/dispatch/policy.ts `checkOwnership`). */
  admins?: string[];
}

export type EngineConfig =
  | {
      kind: 'duckdb';
      /** Folder with CloudTrail files (S3 layout or flat exports). Default `./data`. */
      dataDir: string;
      /** Fail a query on a corrupt file instead of skipping it with a warning. */
      strict: boolean;
      /** Columnar cache of closed days (`<TRAIL_STATE_DIR>/cache`); absent when TRAIL_CACHE=false. */
      cacheDir?: string;
    }
  | {
      kind: 'athena';
      region: string;
      workgroup: string;
      database: string;
      catalog: string;
      /** s3://… for results when the workgroup does not enforce its own. */
      outputLocation?: string;
      /** Athena result reuse max age; 0 or undefined = off. */
      reuseMaxAgeMinutes?: number;
    };

/** Where the trail's logs live (Athena DDL, S3 estimates, multi-account / multi-region scope). */
export interface TrailLocation {
  bucket?: string;
  /** Key prefix before `AWSLogs/`, without leading or trailing slash; '' when none. */
  prefix: string;
  accounts: string[];
  regions: string[];
  organizationId?: string;
}

export type StoreConfig =
  | { kind: 'dynalite'; stateDir: string; tableName: string }
  | { kind: 'dynamodb'; tableName: string; region: string; endpoint?: string };

/** In Socket Mode (`appToken` set) without SLACK_SIGNING_SECRET, `signingSecret` is '' (Bolt does not need it then). */
export type ChatConfig =
  | { kind: 'terminal' }
  | { kind: 'slack'; botToken: string; signingSecret: string; appToken?: string; port: number; apiUrl?: string };

export interface TrailConfig {
  /** IANA zone for `today`, `yesterday`, off-hours and display. Default `UTC`. */
  timeZone: string;
  /** Off-hours sign-ins: local time in [start, end), default 00:00–05:00 (the AWS article); weekends optional. */
  offHours: { start: string; end: string; weekends: boolean };
  /** CIDRs (IPv4 and IPv6) considered "ours" for `logins external`. */
  knownNetworks: string[];
  window: {
    /** Longest window accepted, in days. Default 90. */
    maxDays: number;
    /** Per-command default window overrides, e.g. `{ sg: '12h' }`. */
    defaults: Record<string, string>;
    /**
     * How long after its events a log file may arrive, in minutes (default 15). CloudTrail names a file's folder by
     * its *delivery* time, typically ~5 minutes after the calls it holds (CloudTrail FAQ; CloudTrail User Guide,
     * "Finding your CloudTrail log files"), so a window's day folders are read up to the one holding `end` + lag.
     */
    deliveryLagMinutes: number;
    /** First day the table covers (`yyyy/MM/dd`, Athena partition projection's range start). Default 2020/01/01. */
    projectionStart: string;
  };
  engine: EngineConfig;
  trail: TrailLocation;
  store: StoreConfig;
  chat: ChatConfig;
  /** Where CSV results are written (terminal surface, and spool files before upload). Default `./results`. */
  resultsDir: string;
  limits: {
    /** Concurrent unfinished executions per user / per channel. */
    perUser: number;
    perChannel: number;
    /** Same request in the same channel within this many seconds of finishing points to the existing thread. */
    dedupeSeconds: number;
    /** Execution items expire (TTL) after this many days. */
    retentionDays: number;
  };
  cost: {
    /** Ask for confirmation when the pre-flight estimate exceeds this many bytes. */
    confirmAboveBytes: number;
    /** Optional daily scanned-bytes budget per user; undefined = none. */
    dailyBudgetBytesPerUser?: number;
  };
  policy: AccessPolicy;
}

/** Every `TRAIL_*` variable trailbot reads (plus the `TRAIL_DEFAULT_WINDOW_` prefix). Anything else is a typo. */
export const TRAIL_SETTINGS = [
  'TRAIL_TIME_ZONE',
  'TRAIL_OFFHOURS',
  'TRAIL_OFFHOURS_WEEKENDS',
  'TRAIL_KNOWN_NETWORKS',
  'TRAIL_MAX_WINDOW_DAYS',
  'TRAIL_DELIVERY_LAG',
  'TRAIL_PROJECTION_START',
  'TRAIL_ATHENA_WORKGROUP',
  'TRAIL_ATHENA_DATABASE',
  'TRAIL_ATHENA_CATALOG',
  'TRAIL_ATHENA_OUTPUT',
  'TRAIL_ATHENA_REUSE_MINUTES',
  'TRAIL_AWS_REGION',
  'TRAIL_DATA_DIR',
  'TRAIL_STRICT',
  'TRAIL_CACHE',
  'TRAIL_LOG_LEVEL',
  'TRAIL_BUCKET',
  'TRAIL_PREFIX',
  'TRAIL_ACCOUNTS',
  'TRAIL_REGIONS',
  'TRAIL_ORG_ID',
  'TRAIL_TABLE',
  'TRAIL_DYNAMODB_ENDPOINT',
  'TRAIL_STATE_DIR',
  'TRAIL_RESULTS_DIR',
  'TRAIL_SLACK_API_URL',
  'TRAIL_MAX_PER_USER',
  'TRAIL_MAX_PER_CHANNEL',
  'TRAIL_DEDUPE_SECONDS',
  'TRAIL_RETENTION_DAYS',
  'TRAIL_CONFIRM_ABOVE_BYTES',
  'TRAIL_DAILY_BUDGET_BYTES',
  'TRAIL_ACCESS_POLICY',
] as const;

const DEFAULT_WINDOW_PREFIX = 'TRAIL_DEFAULT_WINDOW_';
const GIB = 1024 ** 3;
/** Name of the dynalite table in embedded mode. */
export const EMBEDDED_TABLE_NAME = 'trailbot';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): TrailConfig {
  const r = new EnvReader(env);

  const timeZone = r.get('TRAIL_TIME_ZONE', timeZoneSchema, 'UTC');
  const offHoursRange = r.get('TRAIL_OFFHOURS', offHoursSchema, { start: '00:00', end: '05:00' });
  const weekends = r.get('TRAIL_OFFHOURS_WEEKENDS', yesNo, false);
  const knownNetworks = r.get('TRAIL_KNOWN_NETWORKS', cidrList, []);
  const maxDays = r.get('TRAIL_MAX_WINDOW_DAYS', wholeNumber(1, 3650), 90);
  const defaults = readDefaultWindows(r, timeZone, maxDays);
  const deliveryLagMinutes = r.get('TRAIL_DELIVERY_LAG', minutesDuration(0, 24 * 60), 15);
  const projectionStart = r.get('TRAIL_PROJECTION_START', dayText, '2020/01/01');

  const region = readRegion(r);
  const engine = readEngine(r, region);
  const trail: TrailLocation = {
    bucket: r.optional('TRAIL_BUCKET', bucketName),
    prefix: r.get('TRAIL_PREFIX', keyPrefix, ''),
    accounts: r.get('TRAIL_ACCOUNTS', listOf(/^\d{12}$/, 'a 12-digit AWS account id (e.g. 123456789012)'), []),
    regions: r.get('TRAIL_REGIONS', listOf(REGION, 'an AWS Region name (e.g. us-east-1)'), []),
    organizationId: r.optional('TRAIL_ORG_ID', matching(/^o-[a-z0-9]{10,32}$/, 'an organization id (o-xxxxxxxxxx)')),
  };
  const store = readStore(r, region);
  const chat = readChat(r);

  const config: TrailConfig = {
    timeZone,
    offHours: { ...offHoursRange, weekends },
    knownNetworks,
    window: { maxDays, defaults, deliveryLagMinutes, projectionStart },
    engine,
    trail: dropUndefined(trail),
    store,
    chat,
    resultsDir: r.get('TRAIL_RESULTS_DIR', folder, './results'),
    limits: {
      perUser: r.get('TRAIL_MAX_PER_USER', wholeNumber(1, 100), 3),
      perChannel: r.get('TRAIL_MAX_PER_CHANNEL', wholeNumber(1, 1000), 10),
      dedupeSeconds: r.get('TRAIL_DEDUPE_SECONDS', wholeNumber(0, 86_400), 300),
      retentionDays: r.get('TRAIL_RETENTION_DAYS', wholeNumber(1, 3650), 90),
    },
    cost: dropUndefined({
      confirmAboveBytes: r.get('TRAIL_CONFIRM_ABOVE_BYTES', byteSize(0), 10 * GIB),
      dailyBudgetBytesPerUser: r.optional('TRAIL_DAILY_BUDGET_BYTES', byteSize(1)),
    }),
    policy: readAccessPolicy(r),
  };

  requirePolicy(r, chat, engine);
  reportUnknownSettings(r);
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

/** Parse a size: plain bytes, or a number with kB/MB/GB/TB/PB (×1000) or KiB/MiB/GiB/TiB/PiB (×1024). */
export function parseByteSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]i?b|b)?$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase();
  const power = 'bkmgtp'.indexOf(unit[0]!);
  const base = unit.includes('i') ? 1024 : 1000;
  const bytes = Math.round(Number(m[1]) * base ** power);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

// --- reading ------------------------------------------------------------------------------------------------------

/** Collects problems instead of stopping at the first, so one start-up shows everything to fix. */
class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** The trimmed value, or undefined when unset or blank. */
  raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  isSet(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  get<T>(name: string, schema: z.ZodType<T, string>, fallback: T): T {
    return this.optional(name, schema) ?? fallback;
  }

  optional<T>(name: string, schema: z.ZodType<T, string>): T | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) this.problem(name, issue.message);
    return undefined;
  }

  /** Every variable name present, sorted (for prefix settings and the unknown-variable check). */
  names(): string[] {
    return Object.keys(this.env).sort();
  }

  problem(name: string, message: string): void {
    this.problems.push(`${name}: ${message}`);
  }
}

/** Any instant works for checking a relative window; this one is never local midnight (no zone is 12:34:56.789 off). */
const VALIDATION_NOW = new Date(Date.UTC(2000, 0, 1, 12, 34, 56, 789));

function readDefaultWindows(r: EnvReader, timeZone: string, maxDays: number): Record<string, string> {
  const defaults: Record<string, string> = {};
  for (const name of r.names()) {
    if (!name.startsWith(DEFAULT_WINDOW_PREFIX)) continue;
    const suffix = name.slice(DEFAULT_WINDOW_PREFIX.length);
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(suffix)) {
      r.problem(name, `name a command after ${DEFAULT_WINDOW_PREFIX}, e.g. ${DEFAULT_WINDOW_PREFIX}SG=6h`);
      continue;
    }
    const value = r.raw(name);
    if (value === undefined) continue;
    // Only windows relative to the moment of asking make sense as a default; a fixed date would age.
    if (!/^\d+[mhdw]$/i.test(value) && !/^(today|yesterday)$/i.test(value)) {
      r.problem(
        name,
        `\`${clip(value)}\` is not a relative window; use a duration like 6h, 7d, 2w, or today/yesterday`,
      );
      continue;
    }
    try {
      const w = parseWindow(value, { now: VALIDATION_NOW, timeZone, maxDays });
      defaults[suffix.toLowerCase().replace(/_/g, '-')] = w.label;
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      r.problem(name, err.userMessage);
    }
  }
  return defaults;
}

/**
 * The Region, read once for both Athena and DynamoDB so a missing one is one problem, not two. TRAIL_AWS_REGION wins
 * over AWS_REGION (which the SDK, Lambda and ECS also set) so trailbot can target another Region than its host.
 */
function readRegion(r: EnvReader): string {
  const neededFor: string[] = [];
  if (athenaSelected(r)) neededFor.push('Athena (TRAIL_ATHENA_WORKGROUP/TRAIL_ATHENA_DATABASE)');
  if (r.isSet('TRAIL_TABLE')) neededFor.push('DynamoDB (TRAIL_TABLE)');
  if (neededFor.length === 0) {
    r.optional('TRAIL_AWS_REGION', regionName); // unused, but a malformed value is still a mistake worth reporting
    return '';
  }
  const name = r.isSet('TRAIL_AWS_REGION') ? 'TRAIL_AWS_REGION' : 'AWS_REGION';
  if (!r.isSet(name)) {
    r.problem(
      'AWS_REGION',
      `required for ${neededFor.join(' and ')}; set AWS_REGION or TRAIL_AWS_REGION (e.g. us-east-1)`,
    );
    return '';
  }
  return r.optional(name, regionName) ?? '';
}

function athenaSelected(r: EnvReader): boolean {
  return r.isSet('TRAIL_ATHENA_WORKGROUP') || r.isSet('TRAIL_ATHENA_DATABASE');
}

function readEngine(r: EnvReader, region: string): EngineConfig {
  if (!athenaSelected(r)) {
    for (const name of ['TRAIL_ATHENA_CATALOG', 'TRAIL_ATHENA_OUTPUT', 'TRAIL_ATHENA_REUSE_MINUTES']) {
      if (r.isSet(name)) {
        r.problem(
          name,
          'only applies to Athena, which is not selected; set TRAIL_ATHENA_DATABASE to use Athena, or remove this',
        );
      }
    }
    const cache = r.get('TRAIL_CACHE', yesNo, true);
    // The cache lives in the state folder (never in the user's logs folder), whichever store is used.
    const stateDir = r.get('TRAIL_STATE_DIR', folder, './.trailbot');
    return {
      kind: 'duckdb',
      dataDir: r.get('TRAIL_DATA_DIR', folder, './data'),
      strict: r.get('TRAIL_STRICT', yesNo, false),
      ...(cache ? { cacheDir: path.join(stateDir, 'cache') } : {}),
    };
  }
  const database = r.optional('TRAIL_ATHENA_DATABASE', athenaName);
  if (!r.isSet('TRAIL_ATHENA_DATABASE')) {
    r.problem(
      'TRAIL_ATHENA_DATABASE',
      'required with Athena: the Glue database that holds the CloudTrail table (e.g. cloudtrail)',
    );
  }
  return dropUndefined({
    kind: 'athena' as const,
    region,
    workgroup: r.get('TRAIL_ATHENA_WORKGROUP', workgroupName, 'primary'),
    database: database ?? '',
    catalog: r.get('TRAIL_ATHENA_CATALOG', athenaName, 'AwsDataCatalog'),
    outputLocation: r.optional('TRAIL_ATHENA_OUTPUT', s3Uri),
    reuseMaxAgeMinutes: r.optional('TRAIL_ATHENA_REUSE_MINUTES', wholeNumber(0, 10_080)),
  });
}

function readStore(r: EnvReader, region: string): StoreConfig {
  if (!r.isSet('TRAIL_TABLE')) {
    if (r.isSet('TRAIL_DYNAMODB_ENDPOINT')) {
      r.problem('TRAIL_DYNAMODB_ENDPOINT', 'only applies with TRAIL_TABLE (DynamoDB); set TRAIL_TABLE or remove this');
    }
    return {
      kind: 'dynalite',
      stateDir: r.get('TRAIL_STATE_DIR', folder, './.trailbot'),
      tableName: EMBEDDED_TABLE_NAME,
    };
  }
  return dropUndefined({
    kind: 'dynamodb' as const,
    tableName: r.get('TRAIL_TABLE', dynamoTableName, ''),
    region,
    endpoint: r.optional('TRAIL_DYNAMODB_ENDPOINT', httpUrl),
  });
}

function readChat(r: EnvReader): ChatConfig {
  if (!r.isSet('SLACK_BOT_TOKEN')) {
    for (const name of ['SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET']) {
      if (r.isSet(name)) {
        r.problem(
          'SLACK_BOT_TOKEN',
          `required when ${name} is set: the xoxb- token from OAuth & Permissions (without both, trailbot runs in the terminal)`,
        );
        break;
      }
    }
    return { kind: 'terminal' };
  }
  const botToken = r.get(
    'SLACK_BOT_TOKEN',
    slackToken('xoxb-', 'the Bot User OAuth Token from OAuth & Permissions'),
    '',
  );
  const appToken = r.optional('SLACK_APP_TOKEN', slackToken('xapp-', 'an app-level token with connections:write'));
  const signingSecret = r.optional('SLACK_SIGNING_SECRET', signingSecretSchema);
  if (!r.isSet('SLACK_SIGNING_SECRET') && !r.isSet('SLACK_APP_TOKEN')) {
    r.problem(
      'SLACK_SIGNING_SECRET',
      'required for Slack over HTTP (Basic Information → App Credentials), or set SLACK_APP_TOKEN (xapp-…) for Socket Mode',
    );
  }
  return dropUndefined({
    kind: 'slack' as const,
    botToken,
    signingSecret: signingSecret ?? '',
    appToken,
    port: r.get('PORT', wholeNumber(1, 65_535), 3000),
    apiUrl: r.optional('TRAIL_SLACK_API_URL', httpUrl),
  });
}

function reportUnknownSettings(r: EnvReader): void {
  const known = new Set<string>(TRAIL_SETTINGS);
  for (const name of r.names()) {
    if (!name.startsWith('TRAIL_') || known.has(name) || name.startsWith(DEFAULT_WINDOW_PREFIX)) continue;
    const guess = closestSetting(name);
    r.problems.push(
      guess
        ? `${name} is not a trailbot setting; did you mean ${guess}?`
        : `${name} is not a trailbot setting; remove it (the settings are listed at the top of src/config.ts)`,
    );
  }
}

/**
 * The known setting a typo most likely meant: same letters ignoring `_`, or within edit distance 3. A misspelt
 * per-command prefix (`TRAIL_DEFAULT_WINDOWS_SG`) suggests the same command under the right prefix.
 */
export function closestSetting(name: string): string | undefined {
  const bare = (s: string) => s.replace(/_/g, '');
  const same = TRAIL_SETTINGS.find((c) => bare(c) === bare(name));
  if (same) return same;
  let best: { name: string; distance: number } | undefined;
  const consider = (candidate: string, distance: number) => {
    if (distance <= 3 && (!best || distance < best.distance)) best = { name: candidate, distance };
  };
  for (const c of TRAIL_SETTINGS) consider(c, editDistance(name, c));
  for (let cut = DEFAULT_WINDOW_PREFIX.length - 3; cut <= DEFAULT_WINDOW_PREFIX.length + 3; cut++) {
    const command = name.slice(cut);
    if (name[cut - 1] !== '_' || command === '') continue; // cut only after an underscore: the command stays whole
    consider(`${DEFAULT_WINDOW_PREFIX}${command}`, editDistance(name.slice(0, cut), DEFAULT_WINDOW_PREFIX));
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

// --- access policy ------------------------------------------------------------------------------------------------

const channelId = z.string().regex(/^[CGD][A-Z0-9]{2,}$/, {
  error: (iss) =>
    `\`${clip(String(iss.input))}\` is not a Slack channel id (C…, G… or D…; copy it from the channel's details, not its #name)`,
});
const userId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, {
  error: (iss) =>
    `\`${clip(String(iss.input))}\` is not a Slack user id (U… or W…; copy it from the person's profile, not their @name)`,
});
const accessRule = z.strictObject(
  {
    channels: z.array(channelId, { error: 'must be a list of channel ids' }).optional(),
    users: z.array(userId, { error: 'must be a list of user ids' }).optional(),
  },
  {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown field ${iss.keys.map((k) => `\`${k}\``).join(', ')}; a rule has only "channels" and "users"`
        : 'must be an object like {"channels":["C…"],"users":["U…"]}',
  },
);
const accessPolicySchema = z.strictObject(
  {
    default: accessRule.optional(),
    admins: z.array(userId, { error: 'must be a list of user ids' }).optional(),
    commands: z
      .record(
        z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, {
          error: (iss) => `\`${clip(String(iss.input))}\` is not a command name (letters, digits, - and _)`,
        }),
        accessRule,
        { error: 'must be an object of command name → rule' },
      )
      .optional(),
  },
  {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown field ${iss.keys.map((k) => `\`${k}\``).join(', ')}; the policy has only "default", "commands" and "admins"`
        : 'must be a JSON object like {"default":{…},"commands":{…}}',
  },
);

function readAccessPolicy(r: EnvReader): AccessPolicy {
  const name = 'TRAIL_ACCESS_POLICY';
  const value = r.raw(name);
  // Unset is open too; loadConfig refuses that for Slack with Athena (requirePolicy), where `open` must be said.
  if (value === undefined || value === OPEN_POLICY_WORD) return { default: {}, commands: {} };
  let text = value;
  if (value.startsWith('@')) {
    const file = value.slice(1).trim();
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      r.problem(name, `cannot read policy file \`${clip(file)}\` (${code}); give a readable path after @`);
      return { default: {}, commands: {} };
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    r.problem(
      name,
      `not valid JSON (${(err as Error).message}); give JSON like {"commands":{"root":{"channels":["C…"]}}} or @path/to/policy.json`,
    );
    return { default: {}, commands: {} };
  }
  const parsed = accessPolicySchema.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const inner = issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined;
      const where = issue.path.length > 0 ? `${pathText(issue.path)}: ` : '';
      r.problem(name, `${where}${inner ?? issue.message}`);
    }
    return { default: {}, commands: {} };
  }
  const commands: Record<string, AccessRule> = {};
  for (const [command, rule] of Object.entries(parsed.data.commands ?? {})) commands[command.toLowerCase()] = rule;
  const policy: AccessPolicy = { default: parsed.data.default ?? {}, commands };
  if (parsed.data.admins !== undefined) policy.admins = parsed.data.admins;
  return policy;
}

/** TRAIL_ACCESS_POLICY's value for "everyone, everywhere, on purpose". */
export const OPEN_POLICY_WORD = 'open';

/**
 * A shared production bot (Slack with Athena) answers anyone in any channel or DM about every account the role can
 * read unless a policy says otherwise, so there it must be chosen, not defaulted: a policy, or `open` on purpose. The
 * terminal and the embedded engine stay open by default (one local user, local files).
 */
function requirePolicy(r: EnvReader, chat: ChatConfig, engine: EngineConfig): void {
  if (chat.kind !== 'slack' || engine.kind !== 'athena' || r.isSet('TRAIL_ACCESS_POLICY')) return;
  r.problem(
    'TRAIL_ACCESS_POLICY',
    `required for Slack with Athena: say who may ask what where, e.g. {"default":{"channels":["C0SECOPS"]},"admins":["U0LEAD"]} or @policy.json, or set it to \`${OPEN_POLICY_WORD}\` to let everyone in every channel ask about every account`,
  );
}

function pathText(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

// --- value schemas: string in, typed value out, messages say what to set -----------------------------------------

/** Custom check as a zod transform, so every schema reports through the same `issues` list. */
function check<T>(parse: (value: string) => T | { problem: string }): z.ZodType<T, string> {
  return z.string().transform((value, ctx) => {
    const result = parse(value);
    if (isProblem(result)) {
      ctx.addIssue({ code: 'custom', message: result.problem });
      return z.NEVER;
    }
    return result;
  });
}

function isProblem(x: unknown): x is { problem: string } {
  return (
    typeof x === 'object' && x !== null && 'problem' in x && typeof (x as { problem: unknown }).problem === 'string'
  );
}

const timeZoneSchema = check((value) => {
  try {
    // Intl validates against the runtime's IANA database and returns the canonical spelling (`europe/berlin` →
    // `Europe/Berlin`); the letter check keeps out bare offsets, which are not zone names.
    if (!/^[A-Za-z]/.test(value)) throw new RangeError(value);
    return new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return { problem: `\`${clip(value)}\` is not an IANA time zone (e.g. Europe/Berlin)` };
  }
});

const offHoursSchema = check<{ start: string; end: string }>((value) => {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (!m) {
    return {
      problem: `\`${clip(value)}\` is not a time range; use HH:MM-HH:MM on a 24-hour clock, e.g. 00:00-05:00 or 22:00-06:00`,
    };
  }
  const start = `${m[1]!.padStart(2, '0')}:${m[2]}`;
  const end = `${m[3]!.padStart(2, '0')}:${m[4]}`;
  if (start === end) return { problem: `\`${value}\` is an empty range; the start and end must differ` };
  return { start, end };
});

const yesNo = z.stringbool({
  truthy: ['true', '1', 'yes'],
  falsy: ['false', '0', 'no'],
  case: 'insensitive',
  error: (iss) => `\`${clip(String(iss.input))}\` is not a yes/no value; use true/false, 1/0 or yes/no`,
});

function wholeNumber(min: number, max: number): z.ZodType<number, string> {
  return check((value) => {
    if (!/^\d+$/.test(value))
      return { problem: `\`${clip(value)}\` is not a whole number; use one from ${min} to ${max}` };
    const n = Number(value);
    if (n < min || n > max) return { problem: `${value} is out of range; use a whole number from ${min} to ${max}` };
    return n;
  });
}

/** Minutes, written `15m`, `1h`, `90` (bare minutes) or `0m`; within [min, max] minutes. */
function minutesDuration(min: number, max: number): z.ZodType<number, string> {
  return check((value) => {
    const m = /^(\d+)\s*(m|min|h)?$/i.exec(value);
    if (!m) return { problem: `\`${clip(value)}\` is not a duration; use minutes or hours, e.g. 15m, 30m or 1h` };
    const minutes = Number(m[1]) * (m[2]?.toLowerCase() === 'h' ? 60 : 1);
    if (minutes < min || minutes > max) {
      return { problem: `${value} is out of range; use from ${min} minutes to ${max / 60} hours` };
    }
    return minutes;
  });
}

/** A calendar day `yyyy/MM/dd` (or `yyyy-MM-dd`), returned as `yyyy/MM/dd`: the partition spelling. */
const dayText = check((value) => {
  const m = /^(\d{4})[/-](\d{2})[/-](\d{2})$/.exec(value);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!m || !date || date.getUTCMonth() !== Number(m[2]) - 1 || date.getUTCDate() !== Number(m[3])) {
    return { problem: `\`${clip(value)}\` is not a day; use yyyy/MM/dd, e.g. 2020/01/01` };
  }
  return `${m[1]}/${m[2]}/${m[3]}`;
});

function byteSize(min: number): z.ZodType<number, string> {
  return check((value) => {
    const bytes = parseByteSize(value);
    if (bytes === undefined) {
      return { problem: `\`${clip(value)}\` is not a size; use bytes or a size like 500MB, 10GB or 1TiB` };
    }
    if (bytes < min) return { problem: `\`${value}\` is too small; use at least ${min} byte` };
    return bytes;
  });
}

const cidrList = check((value) => {
  const networks: string[] = [];
  const bad: string[] = [];
  for (const item of splitList(value)) {
    const normal = normaliseCidr(item);
    if (typeof normal === 'string') {
      if (!networks.includes(normal)) networks.push(normal);
    } else {
      bad.push(normal.problem);
    }
  }
  if (bad.length > 0) return { problem: bad.join('; ') };
  return networks;
});

/**
 * `10.0.0.0/8` → itself; `2001:DB8::/32` → `2001:db8::/32` (RFC 5952 text); a bare address → /32 or /128;
 * `::ffff:10.0.0.0/104` → `10.0.0.0/8`. Host bits set (`10.1.2.3/8`) are refused: it is unclear whether the network or
 * the single host was meant, and guessing wrong widens or narrows "our" networks silently.
 */
export function normaliseCidr(text: string): string | { problem: string } {
  const withPrefix = text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`;
  const notCidr = { problem: `\`${clip(text)}\` is not a CIDR (e.g. 10.0.0.0/8 or 2001:db8::/32)` };
  const [addressText] = withPrefix.split('/');
  // ipaddr.js also accepts legacy IPv4 spellings (`010.0.0.1` is octal, `10/8` is 0.0.0.10); only dotted decimal.
  if (!addressText!.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(addressText!)) return notCidr;
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(withPrefix);
  } catch {
    return notCidr;
  }
  let [address, bits] = parsed;
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() && bits >= 96) {
    address = address.toIPv4Address();
    bits -= 96;
  }
  const cidr = `${address.toString()}/${bits}`;
  const network =
    address instanceof ipaddr.IPv4
      ? ipaddr.IPv4.networkAddressFromCIDR(cidr).toString()
      : ipaddr.IPv6.networkAddressFromCIDR(cidr).toString();
  if (network !== address.toString()) {
    const host = address instanceof ipaddr.IPv4 ? 32 : 128;
    return {
      problem: `\`${clip(text)}\` has host bits set; write the network ${network}/${bits} or the host ${address.toString()}/${host}`,
    };
  }
  return cidr;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const regionName = matching(REGION, 'an AWS Region name (e.g. us-east-1)');
const workgroupName = matching(/^[A-Za-z0-9._-]{1,128}$/, 'an Athena workgroup name (letters, digits, . _ -)');
const athenaName = matching(/^[A-Za-z0-9_@-]{1,255}$/, 'a Glue database / catalog name (letters, digits, _ -)');
const dynamoTableName = matching(/^[A-Za-z0-9_.-]{3,255}$/, 'a DynamoDB table name (3-255 of letters, digits, _ . -)');
/** A folder path, used as given (relative paths resolve against the working directory when used). */
const folder = z.string();

function matching(pattern: RegExp, what: string): z.ZodType<string, string> {
  return check((value) => (pattern.test(value) ? value : { problem: `\`${clip(value)}\` is not ${what}` }));
}

function listOf(pattern: RegExp, what: string): z.ZodType<string[], string> {
  return check((value) => {
    const items = [...new Set(splitList(value))];
    const bad = items.filter((item) => !pattern.test(item));
    if (bad.length > 0) return { problem: bad.map((item) => `\`${clip(item)}\` is not ${what}`).join('; ') };
    return items;
  });
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const bucketName = check((value) => {
  if (/^s3:\/\//i.test(value)) return { problem: `give the bucket name only, without s3:// (e.g. my-trail-logs)` };
  if (!BUCKET.test(value) || value.includes('..')) {
    return { problem: `\`${clip(value)}\` is not an S3 bucket name (3-63 lowercase letters, digits, . and -)` };
  }
  return value;
});

const keyPrefix = check((value) => {
  const prefix = value.replace(/^\/+|\/+$/g, '');
  if (/(^|\/)AWSLogs(\/|$)/.test(prefix)) {
    return { problem: `\`${clip(value)}\` includes AWSLogs; the prefix is only what comes before AWSLogs/` };
  }
  if (/\s/.test(prefix)) return { problem: `\`${clip(value)}\` contains spaces; give the S3 key prefix exactly` };
  return prefix;
});

const s3Uri = check((value) => {
  const m = /^s3:\/\/([^/]+)(\/.*)?$/.exec(value);
  if (!m || !BUCKET.test(m[1]!)) {
    return { problem: `\`${clip(value)}\` is not an S3 location; use s3://bucket/prefix/` };
  }
  return value;
});

const httpUrl = check((value) => {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // fall through to the problem
  }
  return { problem: `\`${clip(value)}\` is not an http(s) URL (e.g. http://127.0.0.1:8000)` };
});

/** Checks the prefix only; the value itself never appears in a message, since it is a secret. */
function slackToken(prefix: string, what: string): z.ZodType<string, string> {
  return check((value) => {
    if (value.startsWith(prefix) && !/\s/.test(value)) return value;
    const actual = /^(xox[a-z]-|xapp-)/.exec(value)?.[1];
    const hint = actual ? ` (this one starts with ${actual})` : '';
    return { problem: `must start with ${prefix}${hint}: use ${what}` };
  });
}

const signingSecretSchema = check((value) => {
  if (/^(xox[a-z]-|xapp-)/.test(value)) {
    return { problem: 'this is a token, not the signing secret; copy "Signing Secret" from Basic Information' };
  }
  if (/\s/.test(value)) return { problem: 'contains spaces; copy "Signing Secret" from Basic Information exactly' };
  return value;
});

function splitList(value: string): string[] {
  return value.split(/[\s,]+/).filter((item) => item !== '');
}

/** Echo at most 40 characters of a value in a message, without control characters. */
function clip(value: string): string {
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}

/** Leave out keys whose value is undefined, so a printed or stored config shows only what is set. */
function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
