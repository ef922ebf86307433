/**
 * The shape of a loaded configuration. Other parts import these types (through `src/config/index.ts`); how each field
 * is read from the environment is declared beside its setting in this folder.
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
    /** A pivot's reach either side of the event it starts from, in minutes (TRAIL_PIVOT_WINDOW). Default 60. */
    pivotMinutes?: number;
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
  /** TRAIL_WATCH_ROUTES: account id → channel id for watches' findings (src/dispatch/watch-runs.ts). */
  watchRoutes?: Record<string, string>;
}
