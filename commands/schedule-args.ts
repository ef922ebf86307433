/**
 * `/trail schedule <command and arguments> daily|weekly [day] HH:MM [time zone]`: validating what is typed, and at
 * run time turning a stored schedule plus its window into the BoundQuery the runner runs.
 *
 * The scheduled question is validated by the same parser as an ad-hoc one (`parseRequest`), so anything that would
 * be refused when typed is refused when scheduled. It must be a query (not `status`, not another `schedule`), without
 * `--sql` (there would be nothing to run) and without a window: the schedule supplies the window, the time since its
 * previous run.
 */

import { UsageError } from '../src/core/errors';
import type { BoundQuery } from '../src/core/query';
import type { Cadence, ScheduleRequest, Weekday } from '../src/core/schedule';
import type { TimeWindow } from '../src/core/window';
import { canonicalTimeZone, parseClock, parseWeekday } from '../src/time/cadence';
import { takeWindow } from '../src/time/window';
import { shown } from '../src/util/shown';
import { findCommand, parseWith, type TrailRequest } from './parse';
import type { Command, CommandArgs, CommandContext, CommandInfo, QueryCommand } from './types';

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
  // `account:`/`region:` narrow the question wherever they are typed (after the time reads naturally too).
  const isScope = (word: string) => /^(account|region):/i.test(word);
  const words = args.words.filter((w) => !isScope(w));
  const scope = args.words.filter(isScope);
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

  const inner = [...words.slice(0, whenAt), ...scope];
  const { cadence, timeZone } = parseWhen(words.slice(whenAt), ctx.config.timeZone, fail);
  const { maxDays } = ctx.config.window;
  if (cadence.every === 'weekly' && maxDays < 7) {
    throw fail(
      `a weekly run covers 7 days, more than this bot's ${maxDays}-day maximum window (TRAIL_MAX_WINDOW_DAYS); schedule it daily instead.`,
    );
  }

  // The schedule supplies the window; a typed one would be silently ignored, so it is refused instead.
  const coverage = 'each run covers the time since the previous run (the last day for daily, the last week for weekly)';
  let found: ReturnType<typeof takeWindow>;
  try {
    found = takeWindow(inner);
  } catch (err) {
    if (err instanceof UsageError) throw fail(`leave out the time windows: ${coverage}.`);
    throw err;
  }
  if (found.windowText !== undefined) {
    throw fail(`leave out the time window \`${shown(found.windowText)}\`: ${coverage}.`);
  }
  const flags = [...args.flags].filter((f) => f !== 'help').map((f) => `--${f}`);
  const text = [...inner, ...flags].join(' ');
  const catalog = catalogOf(ctx);
  const named = findCommand(inner[0]!.toLowerCase(), catalog);
  if (named?.kind === 'control') {
    throw fail(`only questions can be scheduled, and \`${named.name}\` is not one (try \`/trail help\`).`);
  }
  const request = parseQuestion(text, ctx);
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

/** The catalog the parser handed in (commands/parse.ts sets it before a control command parses its words). */
function catalogOf(ctx: CommandContext): readonly Command[] {
  if (!ctx.catalog) throw new Error('schedule: the command catalog was not handed in');
  return ctx.catalog;
}

type QueryRequest = Extract<TrailRequest, { kind: 'query' }>;

/**
 * The question parsed as if typed, with a one-minute window appended: parseRequest would otherwise bind the
 * command's default window (`root` looks 30 days back), which may exceed a small TRAIL_MAX_WINDOW_DAYS and is
 * replaced by the schedule's window anyway. The caller has made sure no window was typed and the command is a query.
 */
function parseQuestion(text: string, ctx: CommandContext): QueryRequest {
  const request = parseWith(`${text} 1m`, ctx, { catalog: catalogOf(ctx) });
  if (request.kind !== 'query')
    throw new UsageError(`\`${request.command.name}\` is not a question that can be scheduled.`);
  return request;
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
  let request: QueryRequest;
  try {
    const named = findCommand(commandText.trim().split(/\s+/u)[0]!.toLowerCase(), catalogOf(ctx));
    if (named?.kind === 'control') throw new UsageError(`\`${named.name}\` is not a question that can be scheduled.`);
    request = parseQuestion(commandText, ctx);
  } catch (err) {
    if (err instanceof UsageError) throw new ScheduledQuestionInvalid(err.userMessage, err.usage);
    throw err;
  }
  // The same parse again, bound to the schedule's window: one way from text to SQL for typed and scheduled runs.
  const bound = parseWith(commandText, ctx, { catalog: catalogOf(ctx), window });
  if (bound.kind !== 'query') throw new ScheduledQuestionInvalid(`\`${commandText}\` is not a question.`);
  const { query, normalized } = bound;
  return { command: request.command, query, normalized };
}
