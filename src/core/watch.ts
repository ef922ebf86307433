/**
 * Watches (issue 19): a standing question asked every few minutes whose answer is posted only when it holds rows no
 * earlier run of the same watch posted. A watch is a kind of standing question (src/core/schedule.ts), claimed slot by
 * slot with the same conditional writes, but its cadence is an interval and its windows overlap by the delivery lag:
 * the posted-event-id records, not the windows, keep an event from being posted twice.
 */
import type { ScheduleResult, StandingState } from './schedule';

/** The shortest interval a watch may have: more often would mostly re-read the same files for the lag overlap. */
export const MIN_WATCH_MINUTES = 5;
/** The longest: a watch is for what just happened; a daily question is a schedule. */
export const MAX_WATCH_MINUTES = 24 * 60;
/** Watches one channel may have. */
export const MAX_WATCHES_PER_CHANNEL = 20;

/** What `/trail watch …` validated. */
export interface WatchRequest {
  /** Subcommand of the watched question (`tamper`); always a query whose rows carry `eventid`. */
  command: string;
  /** The question without a window, as it is run: `logins nomfa`, `tamper account:111122223333`. */
  commandText: string;
  /** Minutes between runs; slots are whole multiples of it since the Unix epoch (UTC). */
  everyMinutes: number;
  /** Post only rows carrying at least one risk flag. */
  onlyFlagged: boolean;
  /** Once a day, say in the channel that the watch ran and found nothing new, when that is so. */
  quietDaily: boolean;
  /** Account id → channel id: rows of these accounts go to that channel instead of the watch's own. */
  routes?: Record<string, string>;
}

/** A watch's own state besides what every standing question keeps (StandingState). */
export interface Watch extends WatchRequest, StandingState {
  /** When a run last posted something (ISO slot). */
  lastFindingAt?: string;
  /** The last UTC day (yyyy-MM-dd) an "all quiet" line was claimed for. */
  lastQuietDay?: string;
  /** Set by the starter pack (`pack baseline`), so the pack can tell its own watches apart. */
  pack?: string;
}

export interface NewWatch extends WatchRequest {
  channelId: string;
  createdBy: string;
  nextRunAt: string;
  pack?: string;
}

/**
 * What a watch run asks the runner to do differently from a question: announce nothing until it knows there is
 * something new, keep only rows this execution may post (claimed in the posted-event-id records), and with
 * `onlyFlagged` only rows with a risk flag. Stored on the execution, so a resumed or re-fetched collection filters
 * the same way.
 */
export interface WatchRunSpec {
  watchId: string;
  onlyFlagged: boolean;
  /**
   * Routing: rows whose account (`recipientaccountid`, else `accountid`) is in `accounts` are kept; with `exclude`,
   * rows whose account is in it are dropped instead (the watch's own channel, which gives the routed ones away).
   */
  accounts?: { only?: string[]; exclude?: string[] };
}

/** The posted-event-id records: which execution of a watch posts each event, decided once by a conditional write. */
export interface PostedEvents {
  /**
   * Claims each event id for `executionId` unless another execution of the watch holds it. Returns the ids this
   * execution holds (newly claimed, or claimed by it before: a resumed collection keeps its rows). With `onlyHeld`,
   * claims nothing new: an answer read again later (a re-fetch to publish or page it) keeps exactly its own rows, and
   * an event delivered since is left to the watch's next run.
   */
  claim(
    watchId: string,
    eventIds: readonly string[],
    executionId: string,
    options?: { onlyHeld?: boolean },
  ): Promise<Set<string>>;
}

/** One claimed watch run (the ScheduleStore's claim, with an interval instead of a cadence). */
export interface WatchClaim {
  slot: string;
  nextRunAt: string;
  windowStart: string;
  windowEnd: string;
  requestKey: string;
}

export class WatchLimitError extends Error {
  readonly code = 'WATCH_LIMIT';
  constructor(
    readonly channelId: string,
    readonly limit: number,
  ) {
    super(`channel ${channelId} already has ${limit} watches`);
  }
}

/** Watches and their claimed runs (src/store/watches.ts). */
export interface WatchStore {
  /**
   * Writes a watch under `id` (the same question, interval and options in the same channel always get the same id),
   * unless an active watch holds it: then returns it with `created: false`.
   */
  create(input: NewWatch, options?: { maxPerChannel?: number }): Promise<{ watch: Watch; created: boolean }>;
  get(id: string): Promise<Watch | undefined>;
  listAll(): Promise<Watch[]>;
  listByChannel(channelId: string): Promise<Watch[]>;
  listDue(now: Date): Promise<Watch[]>;
  claimRun(read: Watch, claim: WatchClaim): Promise<Watch | undefined>;
  retakeClaim(read: Watch): Promise<boolean>;
  recordResult(watchId: string, result: ScheduleResult): Promise<void>;
  /** Claims the "all quiet" line of `day` for this watch; true for exactly one caller. */
  claimQuietDay(read: Watch, day: string): Promise<boolean>;
  executionIdFor(requestKey: string): Promise<string | undefined>;
  delete(id: string, by: string): Promise<Watch | undefined>;
}

/** A submission or an execution that may carry a watch's run spec (kept beside the shared types, not in them). */
export interface WithWatch {
  watch?: WatchRunSpec;
}

/** The watch spec an execution or submission carries, if it is a watch's run. */
export function watchOf(item: object): WatchRunSpec | undefined {
  return (item as WithWatch).watch;
}

/** The column a row's account is read from, for routing (every per-event template selects it). */
export const ACCOUNT_COLUMN = 'recipientaccountid';
/** The column that identifies an event; a question without it cannot be watched. */
export const EVENT_ID_COLUMN = 'eventid';
