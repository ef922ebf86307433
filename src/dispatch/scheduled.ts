/**
 * The clock's way through the front door. The scheduler claims a due run and hands it here; the front door does what it
 * does for typed text (parse with the catalog, access policy, runner) and says how it went, so the scheduler can
 * record it. The scheduler therefore knows no catalog and no runner (architecture.json: Scheduler → Dispatch only).
 */
import { bindScheduledQuestion, ScheduledQuestionInvalid } from '../../commands/schedule-args';
import type { Command } from '../../commands/types';
import type { TrailConfig } from '../config';
import type { QueryRunner, SubmitOutcome } from '../core/runner';
import type { Schedule } from '../core/schedule';
import type { TimeWindow } from '../core/window';
import { checkAccess } from './policy';

/** One claimed run of a schedule, as the scheduler asks for it. */
export interface ScheduledRun {
  schedule: Pick<Schedule, 'id' | 'commandText' | 'command' | 'createdBy' | 'channelId'>;
  /** What the run covers (the time since the previous run), labelled for the thread. */
  window: TimeWindow;
  /** The runner's idempotency key for this run: a repeated claim or a recovery never makes a second execution. */
  requestKey: string;
}

/** What became of the run: the runner's outcome, or `skipped` with the reason for its creator. */
export type ScheduledOutcome = SubmitOutcome | { kind: 'skipped'; reason: string };

/** The front door as the clock sees it (TrailDispatcher implements it). */
export interface ScheduledRuns {
  runScheduled(run: ScheduledRun): Promise<ScheduledOutcome>;
}

/**
 * Runs one scheduled question. The access policy is checked again with the schedule's creator and channel (a schedule
 * is no way around a policy tightened after it was made), then the stored text is parsed again with today's catalog
 * and configuration, bound to the run's window, and submitted as the creator's.
 */
export async function runScheduled(
  o: { config: TrailConfig; runner: Pick<QueryRunner, 'submit'>; now: Date; catalog: readonly Command[] },
  { schedule, window, requestKey }: ScheduledRun,
): Promise<ScheduledOutcome> {
  const access = checkAccess(o.config.policy, {
    command: schedule.command,
    userId: schedule.createdBy,
    channelId: schedule.channelId,
  });
  if (!access.allowed) {
    return { kind: 'skipped', reason: `The access policy no longer allows this run: ${access.reason}` };
  }
  let bound: ReturnType<typeof bindScheduledQuestion>;
  try {
    bound = bindScheduledQuestion(schedule.commandText, window, { config: o.config, now: o.now, catalog: o.catalog });
  } catch (err) {
    if (!(err instanceof ScheduledQuestionInvalid)) throw err;
    return { kind: 'skipped', reason: `The scheduled question is no longer valid: ${err.userMessage}` };
  }
  return o.runner.submit({
    command: bound.command.name,
    commandText: schedule.commandText,
    normalized: bound.normalized,
    query: bound.query,
    userId: schedule.createdBy,
    channelId: schedule.channelId,
    surface: 'schedule',
    scheduleId: schedule.id,
    requestKey,
  });
}
