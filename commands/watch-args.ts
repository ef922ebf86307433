/**
 * `/trail watch <question> every <interval> [only-flagged] [quiet-daily] [route <account>:<channel>…]`: validating
 * what is typed into a WatchRequest. The question is validated by the same parser as a typed one (so anything refused
 * when typed is refused when watched), must be a question without `--sql` and without a window (each run covers the
 * time since the previous one, plus the delivery lag), and must answer with an `eventid` column: a watch posts each
 * event once, and tells old rows from new by that id.
 */
import { UsageError } from '../src/core/errors';
import { MAX_WATCH_MINUTES, MIN_WATCH_MINUTES, type WatchRequest } from '../src/core/watch';
import { takeWindow } from '../src/time/window';
import { shown } from '../src/util/shown';
import { findCommand, parseWith, type TrailRequest } from './parse';
import type { Command, CommandArgs, CommandContext, CommandInfo } from './types';

export const WATCH_EVERY_HELP = `every <interval>: 5m at the shortest, e.g. every 15m, every 30m, every 1h (at most ${MAX_WATCH_MINUTES / 60}h)`;
export const WATCH_OPTIONS_HELP =
  'only-flagged (post only rows with a risk flag), quiet-daily (a daily line when nothing was found), route <account>:<channel> … (rows of that 12-digit account go to that channel)';

type QueryRequest = Extract<TrailRequest, { kind: 'query' }>;

/** Validates the words after `watch` into a WatchRequest, or throws a UsageError saying what to fix. */
export function parseWatchArgs(command: CommandInfo, args: CommandArgs, ctx: CommandContext): WatchRequest {
  const fail = (message: string) => new UsageError(`\`${command.name}\`: ${message}`, command.usage);
  if (args.flags.has('sql')) {
    throw fail('`--sql` shows a question’s SQL instead of running it, so there is nothing to watch. Leave it out.');
  }
  const isScope = (word: string) => /^(account|region):/i.test(word);
  const words = args.words.filter((w) => !isScope(w));
  const scope = args.words.filter(isScope);
  const everyAt = words.map((w) => w.toLowerCase()).lastIndexOf('every');
  if (words.length === 0) throw fail('which question, and how often? e.g. `/trail watch tamper every 15m`.');
  if (everyAt < 0) {
    throw fail(
      `say how often after the question: ${WATCH_EVERY_HELP}. E.g. \`/trail watch ${shown(words.join(' '))} every 15m\`.`,
    );
  }
  if (everyAt === 0) throw fail('which question? Put it before `every`, e.g. `/trail watch tamper every 15m`.');
  const everyMinutes = parseInterval(words[everyAt + 1], fail);
  const options = parseOptions(words.slice(everyAt + 2), fail);

  const inner = [...words.slice(0, everyAt), ...scope];
  let found: ReturnType<typeof takeWindow>;
  try {
    found = takeWindow(inner);
  } catch (err) {
    if (err instanceof UsageError)
      throw fail('leave out the time window: each run covers the time since the previous one.');
    throw err;
  }
  if (found.windowText !== undefined) {
    throw fail(
      `leave out the time window \`${shown(found.windowText)}\`: each run covers the time since the previous one.`,
    );
  }
  const flags = [...args.flags].filter((f) => f !== 'help').map((f) => `--${f}`);
  const catalog = catalogOf(ctx);
  const named = findCommand(inner[0]!.toLowerCase(), catalog);
  if (named?.kind === 'control') {
    throw fail(`only questions can be watched, and \`${named.name}\` is not one. ${watchableList(ctx)}`);
  }
  const request = parseQuestion([...inner, ...flags].join(' '), ctx);
  if (!answersWithEventIds(request)) {
    throw fail(
      `\`${request.command.name}\` answers with counts or summaries, not events with an \`eventid\`, so a watch could not tell new rows from ones it posted before. ${watchableList(ctx)}`,
    );
  }
  const commandText = [request.command.name, ...inner.slice(1), ...flags].join(' ');
  return { command: request.command.name, commandText, everyMinutes, ...options };
}

/** `15m`, `30min`, `1h`, `2h`: minutes between runs, within the accepted range. */
function parseInterval(word: string | undefined, fail: (m: string) => UsageError): number {
  if (word === undefined) throw fail(`\`every\` needs an interval: ${WATCH_EVERY_HELP}.`);
  const m = /^(\d{1,4})\s*(m|min|mins|minutes?|h|hours?)$/i.exec(word);
  if (!m) throw fail(`\`${shown(word)}\` is not an interval. Accepted: ${WATCH_EVERY_HELP}.`);
  const minutes = Number(m[1]) * (m[2]!.toLowerCase().startsWith('h') ? 60 : 1);
  if (minutes < MIN_WATCH_MINUTES) {
    throw fail(
      `every ${shown(word)} is too often: the shortest interval is ${MIN_WATCH_MINUTES}m (CloudTrail delivers events about 5 minutes after they happen). Accepted: ${WATCH_EVERY_HELP}.`,
    );
  }
  if (minutes > MAX_WATCH_MINUTES) {
    throw fail(
      `every ${shown(word)} is longer than a day: for a daily question use \`/trail schedule\`. Accepted: ${WATCH_EVERY_HELP}.`,
    );
  }
  return minutes;
}

const ACCOUNT = /^\d{12}$/;
/** A channel id as typed (`C0PROD`) or as Slack escapes a channel reference (`<#C0PROD|prod>`, `<#C0PROD>`). */
const CHANNEL = /^(?:<#)?([CG][A-Z0-9]{2,20})(?:\|[^>]*)?>?$/;

function parseOptions(
  words: string[],
  fail: (m: string) => UsageError,
): Pick<WatchRequest, 'onlyFlagged' | 'quietDaily' | 'routes'> {
  let onlyFlagged = false;
  let quietDaily = false;
  let routes: Record<string, string> | undefined;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const lower = word.toLowerCase();
    if (lower === 'only-flagged') onlyFlagged = true;
    else if (lower === 'quiet-daily') quietDaily = true;
    else if (lower === 'route') {
      routes ??= {};
      let taken = 0;
      while (i + 1 < words.length && words[i + 1]!.includes(':')) {
        const pair = words[++i]!;
        const at = pair.indexOf(':');
        const account = pair.slice(0, at);
        const channel = CHANNEL.exec(pair.slice(at + 1))?.[1];
        if (!ACCOUNT.test(account) || !channel) {
          throw fail(
            `\`${shown(pair)}\` is not a route. Accepted: <12-digit account>:<channel>, e.g. route 111122223333:C0PROD.`,
          );
        }
        if (routes[account] && routes[account] !== channel) throw fail(`account ${account} is routed twice.`);
        routes[account] = channel;
        taken++;
      }
      if (taken === 0)
        throw fail('`route` needs <account>:<channel> pairs, e.g. `route 111122223333:C0PROD 444455556666:C0DEV`.');
    } else {
      throw fail(`unexpected \`${shown(word)}\` after the interval. Accepted: ${WATCH_OPTIONS_HELP}.`);
    }
  }
  return { onlyFlagged, quietDaily, ...(routes ? { routes } : {}) };
}

/**
 * Whether a question's rows are events with an id. The bound SQL is the catalog's template (never user text), and
 * every per-event template selects `eventid` while the aggregating ones (root, errors, users) never mention it; the
 * runner checks the real columns again at run time (src/runner/watch-filter.ts).
 */
function answersWithEventIds(request: QueryRequest): boolean {
  return /\beventid\b/i.test(request.query.sql);
}

/** "Questions that can be watched: …", from the catalog as configured now. */
export function watchableList(ctx: CommandContext): string {
  const names = catalogOf(ctx)
    .filter((c) => c.kind === 'query')
    .filter((c) => {
      try {
        return answersWithEventIds(parseQuestion(c.name, ctx));
      } catch {
        // Needs arguments (`who <arn>`): watchable if its template is per event; try it with none is not possible.
        return false;
      }
    })
    .map((c) => `\`${c.name}\``);
  return `Questions that can be watched: ${names.join(', ')} (and others that list events, given their arguments).`;
}

function catalogOf(ctx: CommandContext): readonly Command[] {
  if (!ctx.catalog) throw new Error('watch: the command catalog was not handed in');
  return ctx.catalog;
}

/** The question parsed as if typed, with a one-minute window so its default window does not matter. */
function parseQuestion(text: string, ctx: CommandContext): QueryRequest {
  const request = parseWith(`${text} 1m`, ctx, { catalog: catalogOf(ctx) });
  if (request.kind !== 'query')
    throw new UsageError(`\`${request.command.name}\` is not a question that can be watched.`);
  return request;
}
