/** Days as people type them; the index is `Date#getDay()` (Sunday = 0). */
export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * When a schedule runs, as wall-clock time in the schedule's IANA zone. `at` is `HH:MM` (24-hour, zero-padded). A
 * local time the clocks skip on a DST day runs at the first instant after the gap; one that happens twice runs at
 * the first (src/time/cadence.ts).
 */
export type Cadence = { every: 'daily'; at: string } | { every: 'weekly'; day: Weekday; at: string };

/** What `/trail schedule …` validated: the question, when, and in which zone. */
export interface ScheduleRequest {
  /** Subcommand of the scheduled question, e.g. `root`. Always a query command. */
  command: string;
  /** The question without a window, as it will be run: `logins nomfa`, `errors top 5 region:eu-west-1`. */
  commandText: string;
  cadence: Cadence;
  /** IANA zone, canonical spelling (`Europe/Berlin`). */
  timeZone: string;
}

/**
 * How long after its slot a scheduled run starts by default: CloudTrail delivers events about 5 minutes after the call,
 * without a guarantee (src/scheduler/scheduler.ts explains). The scheduler waits it; `schedule` says it in its reply.
 */
export const DEFAULT_DELIVERY_DELAY_MS = 15 * 60_000;

/** How the last run of a schedule ended, for `/trail schedules`. */
export interface ScheduleResult {
  /** The slot (ISO, UTC) the run belonged to. */
  slot: string;
  /**
   * `succeeded` / `failed` / `cancelled`: the execution's outcome. `skipped`: no execution was started (the access
   * policy no longer allows it, or the stored question no longer validates); `error` says why.
   */
  outcome: 'succeeded' | 'failed' | 'cancelled' | 'skipped';
  executionId?: string;
  rows?: number;
  error?: string;
  /** When the result was recorded. */
  at: string;
}

/** What every standing question (a schedule or a watch) keeps between runs. */
export interface StandingState {
  id: string;
  channelId: string;
  /** Slack user id of whoever created it; its runs are recorded as theirs and the policy is checked with them. */
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  /**
   * The earliest slot (ISO, UTC) not yet claimed. A tick claims it when this is due, and moves it past the slot it
   * ran; every claimer conditions its write on the value it read, so one claim wins.
   */
  nextRunAt: string;
  /** The slot of the last claimed run; the next run's window starts here, so windows never overlap or leave gaps. */
  lastRunAt?: string;
  /** Start of the last claimed run's window (kept so a run whose start was lost in a crash can be started again). */
  lastWindowStart?: string;
  /** Wall-clock time of the last claim (a claim whose execution never appeared is retried after a while). */
  lastClaimedAt?: string;
  lastResult?: ScheduleResult;
}

export interface Schedule extends ScheduleRequest, StandingState {}

/** One claimed run: the `RUN#<slot>` item. */
export interface ScheduleRun {
  scheduleId: string;
  slot: string;
  windowStart: string;
  windowEnd: string;
  /** The runner's idempotency key for this run (derived from schedule id and slot). */
  requestKey: string;
  claimedAt: string;
  state: 'CLAIMED' | 'DONE';
  result?: ScheduleResult;
  expiresAt: number;
}

export interface NewSchedule extends ScheduleRequest {
  channelId: string;
  createdBy: string;
  /** The first slot after creation. */
  nextRunAt: string;
}

export interface RunClaim {
  /** The slot being run (ISO). */
  slot: string;
  /** The slot after it: the schedule's new `nextRunAt`. */
  nextRunAt: string;
  windowStart: string;
  windowEnd: string;
  requestKey: string;
}

/** A channel has reached its schedule limit. */
export class ScheduleLimitError extends Error {
  readonly code = 'SCHEDULE_LIMIT';
  constructor(
    readonly channelId: string,
    readonly limit: number,
  ) {
    super(`channel ${channelId} already has ${limit} schedules`);
  }
}

/**
 * Standing questions and their claimed runs (src/store/schedules.ts keeps them in the execution table). Every claim is
 * a conditional write, so one replica wins each slot.
 */
export interface ScheduleStore {
  /** Writes a new schedule; with `maxPerChannel`, refuses (ScheduleLimitError) when the channel already has that many. */
  create(input: NewSchedule, options?: { maxPerChannel?: number }): Promise<Schedule>;
  /** An active schedule; undefined when missing or unscheduled. */
  get(id: string): Promise<Schedule | undefined>;
  /** Every active schedule, soonest next run first. */
  listAll(): Promise<Schedule[]>;
  /** A channel's active schedules, soonest next run first. */
  listByChannel(channelId: string): Promise<Schedule[]>;
  /** Active schedules whose next run is at or before `now` (claims decide who runs them). */
  listDue(now: Date): Promise<Schedule[]>;
  /** Claims one slot of a schedule read as `read`; undefined when another claimer won it. */
  claimRun(read: Schedule, claim: RunClaim): Promise<Schedule | undefined>;
  /** Takes over a claim whose execution never appeared (the claimer died); true when this caller won it. */
  retakeClaim(read: Schedule): Promise<boolean>;
  recordResult(scheduleId: string, result: ScheduleResult): Promise<void>;
  /** A schedule's claimed runs, newest first. */
  listRuns(scheduleId: string, limit?: number): Promise<ScheduleRun[]>;
  /** The execution started for a run's request key, if any. */
  executionIdFor(requestKey: string): Promise<string | undefined>;
  /** Unschedules; returns the schedule as it was, or undefined when there was none. */
  delete(id: string, by: string): Promise<Schedule | undefined>;
}
