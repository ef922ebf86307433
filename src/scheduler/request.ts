/**
 * `/trail schedule <command and arguments> daily|weekly [day] HH:MM [time zone]`: validating what is typed, and at
 * run time turning a stored schedule plus its window into the BoundQuery the runner runs.
 *
 * The scheduled question is validated by the same parser as an ad-hoc one (`parseRequest`), so anything that would
 * be refused when typed is refused when scheduled. It must be a query (not `status`, not another `schedule`), without
 * `--sql` (there would be nothing to run) and without a window: the schedule supplies the window, the time since its
 * previous run.
 */
import type { CommandArgs, CommandContext, CommandInfo, QueryCommand } from '../../commands/types';
import { UsageError } from '../errors';
import { bindQuery } from '../query/bind';
import { parseRequest } from '../query/request';
import type { BoundQuery } from '../query/types';
import type { TimeWindow } from '../time/types';
import { takeWindow } from '../time/window';
import { shown } from '../util/shown';
import { canonicalTimeZone, parseClock, parseWeekday } from './cadence';
import type { Cadence, ScheduleRequest, Weekday } from './types';

const WHEN_WORDS = ['daily', 'weekly'];
export const SCHEDULE_WHEN_HELP =
  'daily HH:MM [time zone] or weekly <day> HH:MM [time zone] (24-hour clock; day: monday…sunday or mon…sun; zone: IANA, e.g. Europe/Berlin)';

/** Validates the words after `schedule` into a ScheduleRequest, or throws a UsageError saying what to fix. */
export function parseScheduleArgs(command: CommandInfo, args: CommandArgs, ctx: CommandContext): ScheduleRequest {
  const fail = (message: string) => new UsageError(`\`${command.name}\`: ${message}`, command.usage);
  if (args.flags.has('sql')) {
    throw fail(
      '`--sql` shows a question’s SQL instead of running it, so there is nothing to schedule. Leave it out (to see the SQL, run the question itself with `--sql`).',
    );
  }
  const { words } = args;
  if (words.length === 0) {
    throw fail('which question, and when? e.g. `/trail schedule root daily 09:00`.');
  }
  let whenAt = -1;
  for (let i = words.length - 1; i >= 0; i--) {
    if (WHEN_WORDS.includes(words[i]!.toLowerCase())) {
      whenAt = i;
      break;
    }
  }
  if (whenAt < 0) {
    throw fail(
      `say when it should run after the question: ${SCHEDULE_WHEN_HELP}. E.g. \`/trail schedule ${shown(words.join(' '))} daily 09:00\`.`,
    );
  }
  if (whenAt === 0) throw fail('which question? Put it before the time, e.g. `/trail schedule root daily 09:00`.');

  const inner = words.slice(0, whenAt);
  const { cadence, timeZone } = parseWhen(words.slice(whenAt), ctx.config.timeZone, fail);

  // The schedule supplies the window; a typed one would be silently ignored, so it is refused instead.
  const found = takeWindow(inner);
  if (found.windowText !== undefined) {
    throw fail(
      `leave out the time window \`${shown(found.windowText)}\`: each run covers the time since the previous run (the last day for daily, the last week for weekly).`,
    );
  }
  const flags = [...args.flags].filter((f) => f !== 'help').map((f) => `--${f}`);
  const text = [...inner, ...flags].join(' ');
  const request = parseRequest(text, ctx);
  if (request.kind !== 'query') {
    throw fail(`only questions can be scheduled, and \`${request.command.name}\` is not one (try \`/trail help\`).`);
  }
  const commandText = [request.command.name, ...inner.slice(1), ...flags].join(' ');
  return { command: request.command.name, commandText, cadence, timeZone };
}

function parseWhen(
  when: string[],
  defaultZone: string,
  fail: (message: string) => UsageError,
): { cadence: Cadence; timeZone: string } {
  const every = when[0]!.toLowerCase() as 'daily' | 'weekly';
  let i = 1;
  let day: Weekday | undefined;
  if (every === 'weekly') {
    const dayWord = when[i];
    if (dayWord === undefined || parseClock(dayWord) !== undefined) {
      throw fail('`weekly` needs a day before the time, e.g. `weekly monday 08:30`.');
    }
    const parsed = parseWeekday(dayWord);
    if (!parsed) {
      throw fail(
        `\`${shown(dayWord)}\` is not a day of the week. Accepted: monday, tuesday, …, sunday, or mon, tue, …, sun.`,
      );
    }
    day = parsed;
    i++;
  }
  const clockWord = when[i];
  if (clockWord === undefined)
    throw fail(`\`${every}\` needs a time, e.g. \`${every === 'daily' ? 'daily' : 'weekly monday'} 09:00\`.`);
  const at = parseClock(clockWord);
  if (!at) {
    throw fail(
      `\`${shown(clockWord)}\` is not a time of day. Accepted: HH:MM on a 24-hour clock, 00:00 to 23:59 (e.g. 09:00).`,
    );
  }
  i++;
  let timeZone = defaultZone;
  const zoneWord = when[i];
  if (zoneWord !== undefined) {
    const zone = canonicalTimeZone(zoneWord);
    if (!zone) {
      throw fail(
        `\`${shown(zoneWord)}\` is not an IANA time zone. Accepted: a zone name like Europe/Berlin, America/New_York or UTC (without one: ${defaultZone}).`,
      );
    }
    timeZone = zone;
    i++;
  }
  const extra = when[i];
  if (extra !== undefined) {
    throw fail(
      `unexpected \`${shown(extra)}\` after the time${zoneWord !== undefined ? ' zone' : ''}. Accepted: ${SCHEDULE_WHEN_HELP}.`,
    );
  }
  return { cadence: every === 'daily' ? { every, at } : { every, day: day as Weekday, at }, timeZone };
}

/** Thrown when a stored schedule's question no longer validates (the catalog or the configuration changed). */
export class ScheduledQuestionInvalid extends UsageError {}

/**
 * The BoundQuery of one scheduled run: the stored question parsed again (so today's validation and configuration
 * apply), then bound to the schedule's window instead of a typed one. Returns the normalised text for the execution.
 */
export function bindScheduledQuestion(
  commandText: string,
  window: TimeWindow,
  ctx: CommandContext,
): { command: QueryCommand; query: BoundQuery; normalized: string } {
  let request: ReturnType<typeof parseRequest>;
  try {
    request = parseRequest(commandText, ctx);
  } catch (err) {
    if (err instanceof UsageError) throw new ScheduledQuestionInvalid(err.userMessage, err.usage);
    throw err;
  }
  if (request.kind !== 'query') {
    throw new ScheduledQuestionInvalid(`\`${request.command.name}\` is not a question that can be scheduled.`);
  }
  // parseRequest took account:/region: out (its BoundQuery carries them as scope) and flags; the rest are the words
  // the command's plan() reads. The default window it bound is replaced by the schedule's.
  const [, ...tokens] = commandText.trim().split(/\s+/u);
  const words = tokens.filter((t) => !t.startsWith('--') && !/^(account|region):/i.test(t));
  const flags = new Set(tokens.filter((t) => t.startsWith('--')).map((t) => t.slice(2).toLowerCase()));
  const plan = request.command.plan({ words, flags }, ctx);
  const scope = request.query.scope;
  const query = bindQuery(plan.template, plan.values, window, scope);
  const scopeText = [
    ...(scope?.accounts ?? []).map((a) => `account:${a}`),
    ...(scope?.regions ?? []).map((r) => `region:${r}`),
  ];
  const normalized = [request.command.name, plan.normalized, ...scopeText, window.label]
    .filter((p) => p !== '')
    .join(' ');
  return { command: request.command, query, normalized };
}
