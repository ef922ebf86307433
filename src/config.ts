/**
 * Configuration. `loadConfig(env = process.env)` is the only place that reads the environment (STYLE.md).
 * THE IMPLEMENTATION IS BEING WRITTEN: the types below are the contract the rest of the code uses.
 */

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
}

export type EngineConfig =
  | {
      kind: 'duckdb';
      /** Folder with CloudTrail files (S3 layout or flat exports). Default `./data`. */
      dataDir: string;
      /** Fail a query on a corrupt file instead of skipping it with a warning. */
      strict: boolean;
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

export type ChatConfig =
  | { kind: 'terminal' }
  | { kind: 'slack'; botToken: string; signingSecret: string; appToken?: string; port: number };

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

export function loadConfig(_env: NodeJS.ProcessEnv = process.env): TrailConfig {
  throw new Error('loadConfig: not implemented yet');
}
