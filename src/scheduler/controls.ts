/**
 * `schedule`, `schedules` and `unschedule` for the dispatcher (`DispatcherOptions.controls`). The dispatcher has
 * already parsed the command (commands/schedule.ts → ScheduleRequest) and checked the access policy for the control
 * command itself; the policy of the scheduled question is checked here, since only here are the user and channel
 * known: scheduling `root` is allowed exactly where running `root` is.
 */
import type { TrailConfig } from '../config';
import type { AuditEntry } from '../core/execution';
import type { CommandInput } from '../core/input';
import type { ScheduleRequest } from '../core/schedule';
import { WEEKDAYS } from '../core/schedule';
import { checkAccess, checkOwnership } from '../dispatch/policy';
import { ScheduleLimitError, type ScheduleStore } from '../store/schedules';
import { describeCadence, formatSlot, slotAfter } from '../time/cadence';
import { formatDuration } from '../time/format';
import { periodOf, scheduleLine, slackMention } from '../time/schedule-text';
import { echoCommand } from '../util/echo';
import { DEFAULT_DELIVERY_DELAY_MS } from './scheduler';

/** Schedules one channel may have: enough for a team's standing questions, few enough to read in one list. */
export const MAX_SCHEDULES_PER_CHANNEL = 20;

export type ControlHandler = (args: Record<string, unknown>, input: CommandInput) => Promise<string>;

export interface ScheduleControlsOptions {
  schedules: ScheduleStore;
  config: TrailConfig;
  now?: () => Date;
  /** Where `schedule`, `unschedule` and refusals are recorded (ExecutionStore#audit). */
  audit: (entry: AuditEntry) => Promise<void>;
  /** Default 20. */
  maxPerChannel?: number;
  /** The scheduler's delivery delay, so the confirmation says when results arrive. Default 15 min. */
  deliveryDelayMs?: number;
}

export function scheduleControls(
  o: ScheduleControlsOptions,
): Record<'schedule' | 'schedules' | 'unschedule', ControlHandler> {
  const now = o.now ?? (() => new Date());
  const maxPerChannel = o.maxPerChannel ?? MAX_SCHEDULES_PER_CHANNEL;
  const delayMs = o.deliveryDelayMs ?? DEFAULT_DELIVERY_DELAY_MS;
  const audit = (input: CommandInput, action: string, command: string, detail: string) =>
    o.audit({
      at: now().toISOString(),
      userId: input.userId,
      channelId: input.channelId,
      action,
      command,
      detail: detail.slice(0, 500),
    });

  return {
    async schedule(args, input) {
      const request = scheduleRequestOf(args);
      const access = checkAccess(o.config.policy, {
        command: request.command,
        userId: input.userId,
        channelId: input.channelId,
      });
      if (!access.allowed) {
        const when = describeCadence(request.cadence, request.timeZone);
        await audit(input, 'denied', request.command, `schedule ${request.commandText} ${when}`);
        return `You cannot schedule that here: ${access.reason}`;
      }
      const created = now();
      const nextRunAt = slotAfter(request.cadence, request.timeZone, created);
      let schedule: Awaited<ReturnType<ScheduleStore['create']>>;
      try {
        schedule = await o.schedules.create(
          { ...request, channelId: input.channelId, createdBy: input.userId, nextRunAt: nextRunAt.toISOString() },
          { maxPerChannel },
        );
      } catch (err) {
        if (!(err instanceof ScheduleLimitError)) throw err;
        return `This channel already has ${err.limit} schedules, the most it may have. Stop one with \`/trail unschedule <id>\` (\`/trail schedules\` lists them).`;
      }
      const when = describeCadence(schedule.cadence, schedule.timeZone);
      await audit(input, 'schedule', schedule.command, `${schedule.id} ${schedule.commandText} ${when}`);
      const delay =
        delayMs > 0
          ? ` about ${formatDuration(delayMs)} after each run time, once CloudTrail has delivered the last events`
          : '';
      return [
        `Scheduled ${echoCommand(schedule.commandText)} ${when} as \`${schedule.id}\`.`,
        `First run ${formatSlot(nextRunAt, schedule.timeZone)}, covering ${periodOf(schedule.cadence)}; each run covers the time since the previous one, and its result is posted ${
          // The terminal bot keeps schedules in its state folder but runs them only while it runs: say so.
          input.surface === 'terminal'
            ? 'here, while trailbot runs in a terminal on this machine (npm start); a run missed while it is closed is made up once at the next start,'
            : 'in this channel'
        }${delay}.`,
        `Stop it with \`/trail unschedule ${schedule.id}\`.`,
      ].join(' ');
    },

    async schedules(_args, input) {
      const list = await o.schedules.listByChannel(input.channelId);
      if (list.length === 0) {
        return 'No schedules in this channel. Add one with `/trail schedule <question> daily HH:MM`, e.g. `/trail schedule root daily 09:00`.';
      }
      return [
        `${list.length === 1 ? '1 schedule' : `${list.length} schedules`} in this channel (stop one with \`/trail unschedule <id>\`):`,
        ...list.map((s) => scheduleLine(s)),
      ].join('\n');
    },

    async unschedule(args, input) {
      const id = String(args.id);
      const existing = await o.schedules.get(id);
      const missing = `There is no schedule \`${id}\` in this channel (\`/trail schedules\` lists them).`;
      // Another channel's schedule is not acknowledged: its id says nothing to people here.
      if (!existing || existing.channelId !== input.channelId) return missing;
      // Only its creator or an admin may stop someone's standing question (src/dispatch/policy.ts, checkOwnership).
      const owner = checkOwnership(o.config.policy, {
        command: 'unschedule',
        userId: input.userId,
        ownerId: existing.createdBy,
        what: 'schedule',
      });
      if (!owner.allowed) {
        await audit(input, 'denied', existing.command, `unschedule ${existing.id} set up by ${existing.createdBy}`);
        return owner.reason;
      }
      const removed = await o.schedules.delete(id, input.userId);
      if (!removed) return missing;
      const when = describeCadence(removed.cadence, removed.timeZone);
      const by = removed.createdBy !== input.userId ? ` set up by ${removed.createdBy}` : '';
      await audit(input, 'unschedule', removed.command, `${removed.id} ${removed.commandText} ${when}${by}`);
      return `Stopped schedule \`${removed.id}\`: ${echoCommand(removed.commandText)} ${when}, set up by ${slackMention(removed.createdBy)}. A run already under way still posts its result.`;
    },
  };
}

/** The dispatcher hands parse results over as a plain record; check the shape before trusting it. */
function scheduleRequestOf(args: Record<string, unknown>): ScheduleRequest {
  const { command, commandText, cadence, timeZone } = args as Partial<ScheduleRequest>;
  const cadenceOk =
    typeof cadence === 'object' &&
    cadence !== null &&
    typeof cadence.at === 'string' &&
    (cadence.every === 'daily' || (cadence.every === 'weekly' && WEEKDAYS.includes(cadence.day)));
  if (typeof command !== 'string' || typeof commandText !== 'string' || typeof timeZone !== 'string' || !cadenceOk) {
    throw new TypeError('schedule: the parsed request is incomplete (was it parsed by commands/schedule.ts?)');
  }
  return { command, commandText, cadence, timeZone };
}
