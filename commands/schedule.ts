import { ScheduleLimitError, type ScheduleRequest } from '../src/core/schedule';
import { describeCadence, formatSlot, slotAfter } from '../src/time/cadence';
import { formatDuration } from '../src/time/format';
import { periodOf } from '../src/time/schedule-text';
import { echoCommand } from '../src/util/echo';
import { parseScheduleArgs } from './schedule-args';
import type { Command, DeferredControl, QueryCommand } from './types';

/** What `schedule` validated (a mapped copy of ScheduleRequest, so it is a plain record of arguments). */
type Scheduling = Pick<ScheduleRequest, keyof ScheduleRequest>;

/** Schedules one channel may have: enough for a team's standing questions, few enough to read in one list. */
export const MAX_SCHEDULES_PER_CHANNEL = 20;

/**
 * Flags `schedule` accepts: those of the questions it can schedule (handed on to the question, e.g. `sg --all`), plus
 * `--sql`, accepted by the argument splitter only so that parse can say why it makes no sense here.
 */
export function scheduleFlags(catalog: readonly Command[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (const command of catalog) {
    if (command.kind !== 'query') continue;
    for (const [flag, what] of Object.entries(command.flags ?? {})) {
      const said = `\`${command.name}\`: ${what}`;
      flags[flag] = flags[flag] ? `${flags[flag]}; ${said}` : `passed on to the question (${said})`;
    }
  }
  flags.sql = 'not accepted: a schedule runs its question (run the question itself with --sql to see its SQL)';
  return flags;
}

/**
 * `/trail schedule root daily 09:00 Europe/Berlin`: a standing question, answered in this channel without asking.
 * Built from the questions it may schedule (their flags are its flags), so the catalog hands them in.
 *
 * The front door has checked the policy for `schedule` itself; the policy of the scheduled question is checked here
 * (`mayRun`), with the asker and channel: scheduling `root` is allowed exactly where running `root` is.
 */
export const scheduleCommand = (questions: readonly QueryCommand[]): DeferredControl<Scheduling> => ({
  kind: 'control',
  name: 'schedule',
  summary: 'ask a question every day or week in this channel; each run covers the time since the previous one',
  usage: 'schedule <question> daily|weekly [day] HH:MM [time zone]',
  examples: [
    'schedule root daily 09:00',
    'schedule root daily 09:00 Europe/Berlin',
    'schedule logins nomfa weekly monday 08:30',
    'schedule errors top 5 weekly fri 17:00 America/New_York',
  ],
  flags: scheduleFlags(questions),
  requires: ['schedules'],
  parse(args, ctx) {
    return { ...parseScheduleArgs(this, args, ctx) };
  },
  async handle(request, ctx) {
    if (!ctx.schedules) throw new Error('schedule: the schedule store was not handed in');
    const { store, maxPerChannel, deliveryDelayMs } = ctx.schedules;
    const { asker } = ctx;
    const access = ctx.mayRun(request.command);
    if (!access.allowed) {
      const when = describeCadence(request.cadence, request.timeZone);
      await ctx.audit({
        action: 'denied',
        command: request.command,
        detail: `schedule ${request.commandText} ${when}`,
      });
      return `You cannot schedule that here: ${access.reason}`;
    }
    const nextRunAt = slotAfter(request.cadence, request.timeZone, ctx.now);
    let schedule: Awaited<ReturnType<typeof store.create>>;
    try {
      schedule = await store.create(
        { ...request, channelId: asker.channelId, createdBy: asker.userId, nextRunAt: nextRunAt.toISOString() },
        { maxPerChannel },
      );
    } catch (err) {
      if (!(err instanceof ScheduleLimitError)) throw err;
      return `This channel already has ${err.limit} schedules, the most it may have. Stop one with \`/trail unschedule <id>\` (\`/trail schedules\` lists them).`;
    }
    const when = describeCadence(schedule.cadence, schedule.timeZone);
    await ctx.audit({
      action: 'schedule',
      command: schedule.command,
      detail: `${schedule.id} ${schedule.commandText} ${when}`,
    });
    const delay =
      deliveryDelayMs > 0
        ? ` about ${formatDuration(deliveryDelayMs)} after each run time, once CloudTrail has delivered the last events`
        : '';
    return [
      `Scheduled ${echoCommand(schedule.commandText)} ${when} as \`${schedule.id}\`.`,
      `First run ${formatSlot(nextRunAt, schedule.timeZone)}, covering ${periodOf(schedule.cadence)}; each run covers the time since the previous one, and its result is posted ${
        // The terminal bot keeps schedules in its state folder but runs them only while it runs: say so.
        asker.surface === 'terminal'
          ? 'here, while trailbot runs in a terminal on this machine (npm start); a run missed while it is closed is made up once at the next start,'
          : 'in this channel'
      }${delay}.`,
      `Stop it with \`/trail unschedule ${schedule.id}\`.`,
    ].join(' ');
  },
});
