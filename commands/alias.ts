/**
 * `/trail alias prod-sg = sg sg-0abc… account:111122223333`: a saved question (issue 17 item 6). `/trail prod-sg 12h`
 * then asks it (the dispatcher puts the alias's question in place of its name: src/dispatch/aliases.ts), under the
 * access policy of the question's own command, and `/trail schedule prod-sg daily 09:00` schedules it.
 *
 * The question is validated now by the same parser as typed text, so an alias can never stand for something that
 * would be refused when typed. It is stored without a window (the window is typed when it is asked, and a schedule
 * supplies its own) and without `--sql`.
 */
import { ALIAS_NAME, ALIAS_NAME_RULE, type Alias, AliasChangedError } from '../src/core/alias';
import { UsageError } from '../src/core/errors';
import { takeWindow } from '../src/time/window';
import { echoCommand } from '../src/util/echo';
import { shown } from './args';
import { findCommand, parseWith } from './parse';
import type { Command, CommandArgs, CommandContext, CommandInfo, DeferredControl, QueryCommand } from './types';

/** What `alias` validated. */
export type AliasRequest = Pick<Alias, 'name' | 'text' | 'command'>;

const EXAMPLE = '`/trail alias prod-sg = sg sg-5887f224 account:111122223333`';

/** Flags `alias` accepts: those of the questions (kept in the saved question), plus `--sql`, only to refuse it. */
function aliasFlags(questions: readonly QueryCommand[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (const q of questions) {
    for (const [flag, what] of Object.entries(q.flags ?? {})) {
      const said = `\`${q.name}\`: ${what}`;
      flags[flag] = flags[flag] ? `${flags[flag]}; ${said}` : `saved with the question (${said})`;
    }
  }
  flags.sql = 'not accepted: add it when you ask, e.g. `/trail prod-sg --sql`';
  return flags;
}

/** Validates `<name> = <question>` into the alias to store, or throws a UsageError saying what to fix. */
export function parseAliasArgs(command: CommandInfo, args: CommandArgs, ctx: CommandContext): AliasRequest {
  const fail = (message: string) => new UsageError(`\`${command.name}\`: ${message}`, command.usage);
  if (!ctx.catalog) throw new Error('alias: the command catalog was not handed in');
  const catalog: readonly Command[] = ctx.catalog;
  if (args.flags.has('sql')) {
    throw fail('`--sql` cannot be saved in an alias (it shows SQL instead of asking); add it when you ask instead.');
  }
  // `prod-sg = sg …` or `prod-sg=sg …`: the first `=` separates the name from the question.
  const joined = args.words.join(' ');
  const eq = joined.indexOf('=');
  if (args.words.length === 0) throw fail(`which name, for which question? e.g. ${EXAMPLE}.`);
  if (eq < 0) throw fail(`put \`=\` between the name and the question, e.g. ${EXAMPLE}.`);
  const name = joined.slice(0, eq).trim();
  const words = joined
    .slice(eq + 1)
    .split(/\s+/u)
    .filter((w) => w !== '');
  if (name === '') throw fail(`name the alias before \`=\`, e.g. ${EXAMPLE}.`);
  if (!ALIAS_NAME.test(name)) throw fail(`\`${shown(name)}\` is not a valid alias name. Accepted: ${ALIAS_NAME_RULE}.`);
  if (findCommand(name, catalog)) {
    throw fail(`\`${name}\` is a trailbot command; an alias must not hide one. Choose another name.`);
  }
  if (words.length === 0) throw fail(`say which question \`${name}\` stands for after \`=\`, e.g. ${EXAMPLE}.`);
  const named = findCommand(words[0]!.toLowerCase(), catalog);
  if (named?.kind === 'control') {
    throw fail(`an alias stands for a question, and \`${named.name}\` is not one (\`/trail help\` lists them).`);
  }
  let found: ReturnType<typeof takeWindow>;
  try {
    found = takeWindow(words);
  } catch (err) {
    if (err instanceof UsageError) throw fail(`leave out the time window: ${err.userMessage}`);
    throw err;
  }
  if (found.windowText !== undefined) {
    throw fail(
      `leave out the time window \`${shown(found.windowText)}\`: type it when you ask, e.g. \`/trail ${name} ${shown(found.windowText)}\` (a schedule supplies its own).`,
    );
  }
  const flags = [...args.flags].filter((f) => f !== 'help').map((f) => `--${f}`);
  // Parsed as if typed, with a one-minute window: the command's default window could exceed a small
  // TRAIL_MAX_WINDOW_DAYS, and the window is chosen when the alias is asked anyway.
  let request: ReturnType<typeof parseWith>;
  try {
    request = parseWith([...words, ...flags, '1m'].join(' '), ctx, { catalog });
  } catch (err) {
    if (err instanceof UsageError) throw fail(`that question is not valid: ${err.userMessage}`);
    throw err;
  }
  if (request.kind !== 'query') throw fail('an alias stands for a question (`/trail help` lists them).');
  return { name, text: [request.command.name, ...words.slice(1), ...flags].join(' '), command: request.command.name };
}

/** `alias`, built from the questions it may name (their flags are its flags), so the catalog hands them in. */
export const aliasCommand = (questions: readonly QueryCommand[]): DeferredControl<AliasRequest> => ({
  kind: 'control',
  name: 'alias',
  summary: 'save a question under a name (admins); ask it with `/trail <name> [window]`',
  usage: 'alias <name> = <question>',
  examples: ['alias prod-sg = sg sg-5887f224 account:111122223333', 'alias nomfa = logins nomfa'],
  flags: aliasFlags(questions),
  requires: ['aliases'],
  parse(args, ctx) {
    return { ...parseAliasArgs(this, args, ctx) };
  },
  async handle(request, ctx) {
    if (!ctx.aliases) throw new Error('alias: the alias store was not handed in');
    const { store, mayChange, changed } = ctx.aliases;
    const detail = `${request.name} = ${request.text}`;
    const access = mayChange();
    if (!access.allowed) {
      await ctx.audit({ action: 'denied', command: 'alias', detail: `alias ${detail}` });
      return `You cannot save an alias: ${access.reason}`;
    }
    const before = await store.get(request.name);
    try {
      await store.put({ ...request, setBy: ctx.asker.userId }, before);
    } catch (err) {
      if (!(err instanceof AliasChangedError)) throw err;
      return `Someone changed \`${request.name}\` at the same moment; look at \`/trail aliases\` and try again.`;
    }
    await ctx.audit({
      action: 'alias',
      command: request.command,
      detail: before ? `${detail} (replacing ${before.text}, set by ${before.setBy})` : detail,
    });
    await changed();
    const saved = before
      ? `Replaced \`${request.name}\`: it was ${echoCommand(before.text)}, it is now ${echoCommand(request.text)}.`
      : `Saved \`${request.name}\` as ${echoCommand(request.text)}.`;
    return `${saved} Ask it with \`/trail ${request.name}\`, with a window if you like (\`/trail ${request.name} 12h\`); schedule it with \`/trail schedule ${request.name} daily 09:00\`.`;
  },
});
