/**
 * The scheduler tick: finds schedules that are due, claims each due run with a conditional write (so several bot
 * replicas never run it twice, src/store/schedules.ts), and asks the front door (src/dispatch/scheduled.ts) to run the
 * schedule's question over the run's window. The clock is a surface like Slack or the terminal: it knows no catalog,
 * no runner and no store implementation, and results are published by the runner's Publisher like any other.
 *
 * - A run at slot S covers `[previous slot, S)`: the previous run's slot when there was one, else the cadence's
 *   slot before S. Consecutive windows therefore meet exactly, across DST changes too (cadence.ts).
 * - Missed runs (the bot was down over one or more slots) collapse into one catch-up run when it comes back: it claims
 *   the latest due slot and covers everything since the last run, capped to TRAIL_MAX_WINDOW_DAYS.
 * - A run starts `deliveryDelayMs` after its slot (default 15 min) but its window still ends at the slot: CloudTrail
 *   "typically delivers logs within an average of about 5 minutes of an API call. This time is not guaranteed"
 *   (AWS CloudTrail User Guide, "Getting and viewing your CloudTrail log files"). Running on the dot would leave the
 *   last minutes before the slot out of this run, and the next run starts at the slot: they would be in no summary.
 * - The front door checks the access policy again at run time with the schedule's creator and channel: a schedule is
 *   not a way around a policy that was tightened after it was created.
 * - A run that cannot start (policy, a question that no longer validates) is recorded as `skipped` and its creator
 *   told; a run that fails is recorded as failed and its failure posted by the runner. Nothing ends silently.
 * - Recovery (on start and every few ticks): a claimed run without a recorded result is looked up by its request key.
 *   If its execution exists, the runner's own resume finishes it and its outcome is recorded here once published; if
 *   it never came into being (the claimer died between claiming and submitting), it is run after `staleClaimMs`.
 */
import { createHash } from 'node:crypto';
import type { TrailConfig } from '../config';
import type { ExecutionRecord, ExecutionStore } from '../core/execution';
import type { Recipient } from '../core/publisher';
import { DEFAULT_DELIVERY_DELAY_MS, type Schedule, type ScheduleResult, type ScheduleStore } from '../core/schedule';
import type { TimeWindow } from '../core/window';
import type { ScheduledRuns } from '../dispatch/scheduled';
import type { Logger } from '../logger';
import { localMinute, previousSlot, slotAfter, slotAtOrBefore } from '../time/cadence';
import { partitionsFor } from '../time/window';
import { echoCommand } from '../util/echo';
import { Clockwork } from './clockwork';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface SchedulerOptions {
  schedules: ScheduleStore;
  /** The front door (TrailDispatcher): parses the stored question, checks the policy, submits it to the runner. */
  frontDoor: ScheduledRuns;
  /** To read a run's execution during recovery. */
  executions: Pick<ExecutionStore, 'get'>;
  config: TrailConfig;
  now?: () => Date;
  logger?: Logger;
  /** Interval of `start()`'s ticks. Default 60 s (slots are whole minutes). */
  tickMs?: number;
  /** How long after its slot a run starts, for CloudTrail's delivery delay (see above). Default 15 min. */
  deliveryDelayMs?: number;
  /** Recovery runs on `start()` and every this many ticks. Default 10. */
  recoverEveryTicks?: number;
  /** A claim whose execution does not exist after this long is run again. Default 10 min. */
  staleClaimMs?: number;
  /**
   * Runs this process drives at once. A tick stops claiming when this many are under way; the rest stay due for the
   * next tick (or another replica), so a 09:00 burst of schedules does not start dozens of Athena queries at once
   * (the runner's per-user and per-channel limits do not apply to scheduled runs). Default 4.
   */
  maxConcurrentRuns?: number;
  /** Tells a schedule's creator that a run could not start (Publisher#notify fits). */
  notify?: (to: Recipient, text: string) => Promise<void>;
}

/** The runner's idempotency key for one run: a repeated claim or a recovery can never create a second execution. */
export function runRequestKey(scheduleId: string, slotIso: string): string {
  return createHash('sha256').update(`schedule\n${scheduleId}\n${slotIso}`).digest('hex').slice(0, 32);
}

/** What a run covers, and how it is labelled in the thread and the execution record. */
export function scheduledWindow(
  schedule: Pick<Schedule, 'timeZone'>,
  start: Date,
  end: Date,
  notes: string[] = [],
): TimeWindow {
  const zone = schedule.timeZone;
  const label = `scheduled ${localMinute(start, zone)}..${localMinute(end, zone)} ${zone}${notes.length ? ` (${notes.join(', ')})` : ''}`;
  return { start, end, label, partitions: partitionsFor(start, end) };
}

/** The outcome of a finished execution, as recorded on its schedule; undefined while it is still running. */
export function resultOf(e: ExecutionRecord, slot: string, at: Date): ScheduleResult | undefined {
  let outcome: ScheduleResult['outcome'];
  switch (e.state) {
    case 'SUBMITTED':
    case 'RUNNING':
      return undefined;
    case 'SUCCEEDED':
      outcome = 'succeeded';
      break;
    case 'FAILED':
      outcome = 'failed';
      break;
    case 'CANCELLED':
      outcome = 'cancelled';
      break;
    case 'PUBLISHED':
      // PUBLISHED keeps no trace of the state before it; a cancel leaves `cancelledBy`, a failure an `error`.
      outcome = e.cancelledBy !== undefined ? 'cancelled' : e.error !== undefined ? 'failed' : 'succeeded';
      break;
  }
  const result: ScheduleResult = { slot, outcome, executionId: e.id, at: at.toISOString() };
  if (e.stats?.rows !== undefined) result.rows = e.stats.rows;
  if (e.error !== undefined) result.error = e.error;
  return result;
}

interface PlannedRun {
  schedule: Schedule;
  slot: Date;
  windowStart: Date;
  requestKey: string;
  notes: string[];
}

export class Scheduler extends Clockwork {
  private readonly now: () => Date;
  private ticks = 0;

  constructor(private readonly o: SchedulerOptions) {
    super({ what: 'schedule', tickMs: o.tickMs ?? 60_000 }, o.logger);
    this.now = o.now ?? (() => new Date());
  }

  /**
   * Claims and starts the due runs (up to `maxConcurrentRuns` under way). Returns how many runs this call claimed;
   * the runs go on in the background (`idle()` waits for them).
   */
  async tick(): Promise<number> {
    const dueBy = new Date(this.now().getTime() - (this.o.deliveryDelayMs ?? DEFAULT_DELIVERY_DELAY_MS));
    const due = await this.o.schedules.listDue(dueBy);
    let claimed = 0;
    const capacity = this.o.maxConcurrentRuns ?? 4;
    for (const schedule of due) {
      if (this.inflight.size >= capacity) break;
      try {
        if (await this.claim(schedule, dueBy)) claimed++;
      } catch (err) {
        this.log.error('claiming a scheduled run failed', { scheduleId: schedule.id, error: String(err) });
      }
    }
    this.ticks++;
    if (this.ticks % (this.o.recoverEveryTicks ?? 10) === 0) {
      await this.recover().catch((err) => this.log.error('schedule recovery failed', { error: String(err) }));
    }
    return claimed;
  }

  /**
   * Finishes what a crash interrupted: records results of runs whose execution was published without its result
   * being recorded, and runs claims whose execution never came into being. Returns how many runs it started.
   */
  async recover(): Promise<number> {
    const now = this.now();
    const staleMs = this.o.staleClaimMs ?? 10 * 60_000;
    let started = 0;
    for (const schedule of await this.o.schedules.listAll()) {
      const slot = schedule.lastRunAt;
      if (slot === undefined || schedule.lastResult?.slot === slot) continue;
      const requestKey = runRequestKey(schedule.id, slot);
      if (this.inflight.has(requestKey)) continue;
      try {
        const executionId = await this.o.schedules.executionIdFor(requestKey);
        const execution = executionId ? await this.o.executions.get(executionId) : undefined;
        if (execution && execution.requestKey === requestKey) {
          // It exists: the runner resumes unfinished executions itself; record the outcome once there is one.
          const result = resultOf(execution, slot, now);
          if (result) await this.o.schedules.recordResult(schedule.id, result);
          continue;
        }
        const claimedAt = Date.parse(schedule.lastClaimedAt ?? schedule.updatedAt);
        if (now.getTime() - claimedAt < staleMs) continue; // its claimer may be about to submit it
        if (!(await this.o.schedules.retakeClaim(schedule))) continue;
        this.log.warn('starting a scheduled run whose claimer never started it', { scheduleId: schedule.id, slot });
        const oneBack = previousSlot(schedule.cadence, schedule.timeZone, new Date(slot));
        const windowStart = schedule.lastWindowStart ? new Date(schedule.lastWindowStart) : oneBack;
        const notes = windowStart.getTime() < oneBack.getTime() ? ['catch-up after missed runs'] : [];
        this.launch({ schedule, slot: new Date(slot), windowStart, requestKey, notes });
        started++;
      } catch (err) {
        this.log.error('recovering a scheduled run failed', { scheduleId: schedule.id, slot, error: String(err) });
      }
    }
    return started;
  }

  /** Runs this process is driving now. */
  get running(): number {
    return this.inflight.size;
  }

  private async claim(listed: Schedule, dueBy: Date): Promise<boolean> {
    const { cadence, timeZone } = listed;
    const firstDue = new Date(listed.nextRunAt);
    // The latest due slot: after downtime, the runs missed in between collapse into this one.
    const slot = slotAtOrBefore(cadence, timeZone, dueBy);
    if (slot.getTime() < firstDue.getTime()) return false; // listed from a stale index entry: not due after all
    const notes: string[] = [];
    let windowStart = listed.lastRunAt ? new Date(listed.lastRunAt) : previousSlot(cadence, timeZone, firstDue);
    if (slot.getTime() > firstDue.getTime()) notes.push('catch-up after missed runs');
    const maxDays = this.o.config.window.maxDays;
    // The same hour of slack as typed windows (time/window.ts): a week containing a 25-hour DST day is not capped.
    if (slot.getTime() - windowStart.getTime() > maxDays * DAY + HOUR) {
      windowStart = new Date(slot.getTime() - maxDays * DAY);
      notes.push(`capped at ${maxDays} days`);
    }
    const slotIso = slot.toISOString();
    const requestKey = runRequestKey(listed.id, slotIso);
    const schedule = await this.o.schedules.claimRun(listed, {
      slot: slotIso,
      nextRunAt: slotAfter(cadence, timeZone, slot).toISOString(),
      windowStart: windowStart.toISOString(),
      windowEnd: slotIso,
      requestKey,
    });
    if (!schedule) return false;
    this.launch({ schedule, slot, windowStart, requestKey, notes });
    return true;
  }

  private launch(run: PlannedRun): void {
    const done = this.execute(run)
      .catch((err) =>
        // Not recorded: recovery finds the run by its request key and finishes or records it.
        this.log.error('scheduled run failed', { scheduleId: run.schedule.id, error: String(err) }),
      )
      .finally(() => this.inflight.delete(run.requestKey));
    this.inflight.set(run.requestKey, done);
  }

  private async execute({ schedule, slot, windowStart, requestKey, notes }: PlannedRun): Promise<void> {
    const slotIso = slot.toISOString();
    const window = scheduledWindow(schedule, windowStart, slot, notes);
    const outcome = await this.o.frontDoor.runScheduled({ schedule, window, requestKey });
    if (outcome.kind === 'skipped') {
      await this.skip(schedule, slotIso, outcome.reason);
      return;
    }
    if (outcome.kind === 'limited' || outcome.kind === 'over-budget') {
      await this.skip(schedule, slotIso, outcome.message);
      return;
    }
    if (outcome.kind === 'needs-confirmation') {
      // Scheduled runs skip the pre-flight (their creator chose them); this is a runner that asked anyway.
      await this.skip(schedule, slotIso, 'the run needed a confirmation');
      return;
    }
    const result = resultOf(outcome.execution, slotIso, this.now());
    // Still unfinished (its publishing is being retried elsewhere): recovery records it once it is done.
    if (result) await this.o.schedules.recordResult(schedule.id, result);
  }

  private async skip(schedule: Schedule, slot: string, reason: string): Promise<void> {
    this.log.warn('scheduled run skipped', { scheduleId: schedule.id, slot, reason });
    await this.o.schedules.recordResult(schedule.id, {
      slot,
      outcome: 'skipped',
      error: reason,
      at: this.now().toISOString(),
    });
    await this.o
      .notify?.(
        { channelId: schedule.channelId, userId: schedule.createdBy },
        `Your scheduled ${echoCommand(schedule.commandText)} (\`${schedule.id}\`) did not run: ${reason} Fix it, or stop it with \`/trail unschedule ${schedule.id}\`.`,
      )
      .catch((err) => this.log.warn('could not tell the schedule creator', { error: String(err) }));
  }
}
