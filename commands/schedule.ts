import { parseScheduleArgs } from './schedule-args';
import type { Command, ControlCommand, QueryCommand } from './types';

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
 */
export const scheduleCommand = (questions: readonly QueryCommand[]): ControlCommand => ({
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
  parse(args, ctx) {
    return { ...parseScheduleArgs(this, args, ctx) };
  },
});
