/**
 * The watch tick (issue 19): like the schedule tick (scheduler.ts), it claims each due slot of each watch with a
 * conditional write, so of several replicas exactly one runs it, and asks the front door (src/dispatch/watch-runs.ts)
 * to run the watched question. What differs:
 *
 * - Slots are whole multiples of the watch's interval since the Unix epoch (UTC): every 15 minutes is :00, :15, :30,
 *   :45, on every replica, with no time zone to agree on.
 * - A run starts at its slot, and its window reaches back over the delivery lag: `[previous slot − lag, slot)`.
 *   CloudTrail "typically delivers logs within an average of about 5 minutes of an API call. This time is not
 *   guaranteed" (AWS CloudTrail User Guide, "Getting and viewing your CloudTrail log files"): an event that happened
 *   before the previous slot but was delivered after that run read the trail is still inside this run's window, as
 *   long as it arrived within TRAIL_DELIVERY_LAG. Windows therefore overlap; the posted-event-id records
 *   (src/store/watches.ts) make each event posted by one run only, so the overlap costs a re-read, never a repost.
 * - Missed slots (the bot was down) collapse into one catch-up run from the last run's slot (minus the lag), capped
 *   to TRAIL_MAX_WINDOW_DAYS, as for schedules.
 * - Recovery: a claimed run whose execution never came into being (its claimer died) is run again after
 *   `staleClaimMs`, with the same request keys, so the runner never makes a second execution of it.
 * - `quiet-daily`: at the first run of a UTC day, when the watch posted nothing the day before, its creator is told
 *   so in the channel (one line, only they see it: Publisher#notify), claimed with a conditional write so one replica
 *   says it.
 */
import { createHash } from 'node:crypto';
import type { TrailConfig } from '../config';
import type { ExecutionStore } from '../core/execution';
import type { Recipient } from '../core/publisher';
import type { ScheduleResult } from '../core/schedule';
import type { Watch, WatchStore } from '../core/watch';
import type { TimeWindow } from '../core/window';
import type { WatchRuns } from '../dispatch/watch-runs';
import type { Logger } from '../logger';
import { partitionsFor } from '../time/window';
import { echoCommand } from '../util/echo';
import { Clockwork } from './clockwork';
import { resultOf } from './scheduler';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export interface WatcherOptions {
  watches: WatchStore;
  frontDoor: WatchRuns;
  executions: Pick<ExecutionStore, 'get'>;
  config: TrailConfig;
  now?: () => Date;
  logger?: Logger;
  /** Interval of `start()`'s ticks. Default 30 s (the shortest watch is 5 minutes). */
  tickMs?: number;
  /** Recovery runs on `start()` and every this many ticks. Default 10. */
  recoverEveryTicks?: number;
  /** A claim whose execution does not exist after this long is run again. Default 5 min. */
  staleClaimMs?: number;
  /** Runs this process drives at once (see SchedulerOptions.maxConcurrentRuns). Default 4. */
  maxConcurrentRuns?: number;
  /** Tells a watch's creator something in its channel (Publisher#notify fits). */
  notify?: (to: Recipient, text: string) => Promise<void>;
}

/** The runner's idempotency key of a watch's run in one channel (the watch's own, or a routed one). */
export function watchRequestKey(watchId: string, slotIso: string, channelId: string): string {
  return createHash('sha256').update(`watch\n${watchId}\n${slotIso}\n${channelId}`).digest('hex').slice(0, 32);
}

/** The slot at or before `instant` for an interval of `minutes`. */
export function watchSlot(minutes: number, instant: Date): Date {
  const every = minutes * MINUTE;
  return new Date(Math.floor(instant.getTime() / every) * every);
}

/** The label of a watch's window: its UTC minutes, and why it is wider than one interval when it is. */
function watchWindow(start: Date, end: Date, notes: string[]): TimeWindow {
  const minute = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');
  const label = `watch ${minute(start)}..${minute(end)} UTC${notes.length ? ` (${notes.join(', ')})` : ''}`;
  return { start, end, label, partitions: partitionsFor(start, end) };
}

interface PlannedRun {
  watch: Watch;
  slot: Date;
  windowStart: Date;
  notes: string[];
}

export class Watcher extends Clockwork {
  private readonly now: () => Date;
  private ticks = 0;

  constructor(private readonly o: WatcherOptions) {
    super({ what: 'watch', tickMs: o.tickMs ?? 30_000 }, o.logger);
    this.now = o.now ?? (() => new Date());
  }

  /** Claims and starts the due runs; returns how many this call claimed (`idle()` waits for them). */
  async tick(): Promise<number> {
    const now = this.now();
    const due = await this.o.watches.listDue(now);
    let claimed = 0;
    for (const watch of due) {
      if (this.inflight.size >= (this.o.maxConcurrentRuns ?? 4)) break;
      try {
        if (await this.claim(watch, now)) claimed++;
      } catch (err) {
        this.log.error('claiming a watch run failed', { watchId: watch.id, error: String(err) });
      }
    }
    this.ticks++;
    if (this.ticks % (this.o.recoverEveryTicks ?? 10) === 0) {
      await this.recover().catch((err) => this.log.error('watch recovery failed', { error: String(err) }));
    }
    return claimed;
  }

  /** Records results a crash left unrecorded, and runs claims whose execution never came into being. */
  async recover(): Promise<number> {
    const now = this.now();
    let started = 0;
    for (const watch of await this.o.watches.listAll()) {
      const slot = watch.lastRunAt;
      if (slot === undefined || watch.lastResult?.slot === slot) continue;
      const key = watchRequestKey(watch.id, slot, watch.channelId);
      if (this.inflight.has(key)) continue;
      try {
        const executionId = await this.o.watches.executionIdFor(key);
        const execution = executionId ? await this.o.executions.get(executionId) : undefined;
        if (execution && execution.requestKey === key) {
          const result = resultOf(execution, slot, now);
          if (result) await this.o.watches.recordResult(watch.id, result);
          continue;
        }
        const claimedAt = Date.parse(watch.lastClaimedAt ?? watch.updatedAt);
        if (now.getTime() - claimedAt < (this.o.staleClaimMs ?? 5 * MINUTE)) continue;
        if (!(await this.o.watches.retakeClaim(watch))) continue;
        this.log.warn('starting a watch run whose claimer never started it', { watchId: watch.id, slot });
        const windowStart = new Date(watch.lastWindowStart ?? slot);
        this.launch({ watch, slot: new Date(slot), windowStart, notes: [] });
        started++;
      } catch (err) {
        this.log.error('recovering a watch run failed', { watchId: watch.id, slot, error: String(err) });
      }
    }
    return started;
  }

  private async claim(listed: Watch, now: Date): Promise<boolean> {
    const every = listed.everyMinutes * MINUTE;
    const slot = watchSlot(listed.everyMinutes, now);
    const firstDue = Date.parse(listed.nextRunAt);
    if (slot.getTime() < firstDue) return false; // a stale index entry: not due after all
    const lag = this.o.config.window.deliveryLagMinutes * MINUTE;
    const notes: string[] = [];
    const previous = listed.lastRunAt ? Date.parse(listed.lastRunAt) : slot.getTime() - every;
    let windowStart = new Date(previous - lag);
    if (slot.getTime() > firstDue) notes.push('catch-up after missed runs');
    const maxDays = this.o.config.window.maxDays;
    if (slot.getTime() - windowStart.getTime() > maxDays * DAY) {
      windowStart = new Date(slot.getTime() - maxDays * DAY);
      notes.push(`capped at ${maxDays} days`);
    }
    const slotIso = slot.toISOString();
    const watch = await this.o.watches.claimRun(listed, {
      slot: slotIso,
      nextRunAt: new Date(slot.getTime() + every).toISOString(),
      windowStart: windowStart.toISOString(),
      windowEnd: slotIso,
      requestKey: watchRequestKey(listed.id, slotIso, listed.channelId),
    });
    if (!watch) return false;
    this.launch({ watch, slot, windowStart, notes });
    return true;
  }

  private launch(run: PlannedRun): void {
    const key = watchRequestKey(run.watch.id, run.slot.toISOString(), run.watch.channelId);
    const done = this.execute(run)
      .catch((err) => this.log.error('watch run failed', { watchId: run.watch.id, error: String(err) }))
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, done);
  }

  private async execute({ watch, slot, windowStart, notes }: PlannedRun): Promise<void> {
    const slotIso = slot.toISOString();
    const outcome = await this.o.frontDoor.runWatch({
      watch,
      window: watchWindow(windowStart, slot, notes),
      requestKeyFor: (channelId) => watchRequestKey(watch.id, slotIso, channelId),
    });
    const problems = [...outcome.notes];
    let result: ScheduleResult | undefined;
    let rows = 0;
    for (const { channelId, outcome: o } of outcome.channels) {
      if (o.kind === 'started' || o.kind === 'duplicate') {
        const r = resultOf(o.execution, slotIso, this.now());
        rows += r?.rows ?? 0;
        if (channelId === watch.channelId) result = r;
        if (r?.outcome === 'failed') problems.push(`the run failed: ${r.error ?? 'see its thread'}`);
      } else {
        const reason = o.kind === 'skipped' ? o.reason : 'message' in o ? o.message : 'the run needed a confirmation';
        problems.push(reason);
        if (channelId === watch.channelId)
          result = { slot: slotIso, outcome: 'skipped', error: reason, at: this.now().toISOString() };
      }
    }
    // Routed findings count as the watch's findings (`lastFindingAt`, the quiet line).
    if (result) await this.o.watches.recordResult(watch.id, { ...result, rows: Math.max(result.rows ?? 0, rows) });
    const skipped = outcome.channels.filter((c) => c.outcome.kind !== 'started' && c.outcome.kind !== 'duplicate');
    if (skipped.length > 0 || outcome.notes.length > 0) await this.tell(watch, problems);
    if (watch.quietDaily) await this.quietLine(watch, slot);
  }

  /**
   * At the first run of a UTC day (or the first after a downtime over midnight): when the watch posted nothing the day
   * before, say so once. A finding in the day's last slot is recorded with the slot at midnight, hence `> yesterday`.
   */
  private async quietLine(read: Watch, slot: Date): Promise<void> {
    const dayStart = Math.floor(slot.getTime() / DAY) * DAY;
    const day = new Date(dayStart).toISOString().slice(0, 10);
    if (read.lastQuietDay !== undefined && read.lastQuietDay >= day) return;
    const watch = await this.o.watches.get(read.id);
    if (!watch) return;
    const yesterday = dayStart - DAY;
    if (Date.parse(watch.createdAt) >= dayStart) return; // made today: there is no quiet day to report yet
    if (watch.lastFindingAt !== undefined && Date.parse(watch.lastFindingAt) > yesterday) return;
    if (!(await this.o.watches.claimQuietDay(watch, day))) return;
    const since = Math.max(yesterday, Date.parse(watch.createdAt));
    const from = new Date(since).toISOString().slice(0, 16).replace('T', ' ');
    await this.o
      .notify?.(
        { channelId: watch.channelId, userId: watch.createdBy },
        `All quiet: watch \`${watch.id}\` (${echoCommand(watch.commandText)} every ${watch.everyMinutes} min) ran and found nothing new from ${from} to ${new Date(dayStart).toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
      )
      .catch((err) => this.log.warn('could not post the quiet line', { error: String(err) }));
  }

  private async tell(watch: Watch, problems: string[]): Promise<void> {
    this.log.warn('watch run not (fully) run', { watchId: watch.id, problems });
    await this.o
      .notify?.(
        { channelId: watch.channelId, userId: watch.createdBy },
        `Your watch ${echoCommand(watch.commandText)} (\`${watch.id}\`): ${problems.join('; ')} Fix it, or stop it with \`/trail unwatch ${watch.id}\`.`,
      )
      .catch((err) => this.log.warn('could not tell the watch creator', { error: String(err) }));
  }
}
