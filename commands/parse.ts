import { UsageError } from '../src/core/errors';
import type { ChartSpec } from '../src/core/publisher';
import type { BoundQuery, SeriesQuery } from '../src/core/query';
import type { TimeWindow } from '../src/core/window';
import { partitionColumnNames } from '../src/ddl/render';
import { bindQuery } from '../src/query/bind';
import { parseWindow, takeWindow, WINDOW_FORMS } from '../src/time/window';
import { shown } from './args';
import type { Command, CommandArgs, CommandContext, ControlCommand, QueryCommand } from './types';

/** A validated `/trail` request: either a query to run or a control command for the dispatcher. */
export type TrailRequest =
  | {
      kind: 'query';
      command: QueryCommand;
      /** Canonical text for dedupe and Re-run: `sg eni-6c5ca5a8 sg-5887f224 12h`. */
      normalized: string;
      window: TimeWindow;
      query: BoundQuery;
      /** `--sql`: show the SQL and parameters instead of running it. */
      showSql: boolean;
    }
  | { kind: 'control'; command: ControlCommand; args: Record<string, unknown> };

export function findCommand(name: string, catalog: readonly Command[]): Command | undefined {
  return catalog.find((c) => c.name === name);
}

/** Longest command text accepted; Slack's own limit on slash-command text is a few thousand characters. */
export const MAX_TEXT = 2000;

const GLOBAL_FLAGS: Record<string, string> = {
  sql: 'show the SQL and its parameters instead of running it',
  'no-cache': 'read the raw log files even for days the columnar cache holds (embedded engine)',
  help: 'show this command’s help',
};

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

export function suggest(word: string, catalog: readonly Command[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const c of catalog) {
    const d = distance(word.toLowerCase(), c.name);
    if (d <= Math.max(1, Math.floor(c.name.length / 3)) + 1 && (!best || d < best.d)) best = { name: c.name, d };
  }
  return best?.name;
}

export function usageList(catalog: readonly Command[]): string {
  return catalog.map((c) => `/trail ${c.usage}`).join('\n');
}

/** `help` text: every subcommand, or one in detail. */
export function renderHelp(catalog: readonly Command[], topic?: string, ctx?: CommandContext): string {
  if (topic) {
    const c = findCommand(topic, catalog);
    if (!c) {
      const hint = suggest(topic, catalog);
      throw new UsageError(
        `\`help\`: there is no command \`${shown(topic)}\`.${hint ? ` Did you mean \`${hint}\`?` : ''}`,
        usageList(catalog),
      );
    }
    const lines = [`/trail ${c.usage}`, `  ${c.summary}`];
    if (c.kind === 'query') {
      const def = ctx?.config.window.defaults[c.name] ?? c.defaultWindow;
      lines.push(`  window: ${WINDOW_FORMS} (default ${def})`);
    }
    for (const [flag, what] of Object.entries({
      ...(c.flags ?? {}),
      ...(c.kind === 'query' ? { sql: GLOBAL_FLAGS.sql } : {}),
    })) {
      lines.push(`  --${flag}: ${what}`);
    }
    lines.push('  examples:', ...c.examples.map((e) => `    /trail ${e}`));
    return lines.join('\n');
  }
  return [
    'trailbot answers CloudTrail questions. Usage:',
    ...catalog.flatMap((c) => [
      `  /trail ${c.usage}`,
      `      ${c.summary}${c.examples[0] ? `; e.g. /trail ${c.examples[0]}` : ''}`,
    ]),
    `Windows: ${WINDOW_FORMS}.`,
    'Add --sql to any query to see its SQL and parameters instead of running it; `/trail help <command>` for details.',
  ].join('\n');
}

function splitArgs(command: Command, tokens: string[]): { args: CommandArgs; scope: BoundQuery['scope'] } {
  const words: string[] = [];
  const flags = new Set<string>();
  const accounts: string[] = [];
  const regions: string[] = [];
  for (const token of tokens) {
    if (token.startsWith('--')) {
      const flag = token.slice(2).toLowerCase();
      const allowed = { ...(command.flags ?? {}), ...(command.kind === 'query' ? GLOBAL_FLAGS : { help: '' }) };
      if (!(flag in allowed)) {
        const names = Object.keys(allowed).map((f) => `--${f}`);
        throw new UsageError(
          `\`${command.name}\`: unknown option \`${shown(token)}\`. Accepted: ${names.join(', ')}.`,
          command.usage,
        );
      }
      flags.add(flag);
    } else if (command.kind === 'query' && /^(account|region):/i.test(token)) {
      const [key, value = ''] = token.split(/:(.*)/s);
      if (key!.toLowerCase() === 'account') {
        if (!ACCOUNT.test(value)) {
          throw new UsageError(
            `\`${command.name}\`: \`${shown(token)}\` is not an account. Accepted: account:<12 digits>.`,
            command.usage,
          );
        }
        accounts.push(value);
      } else {
        if (!REGION.test(value)) {
          throw new UsageError(
            `\`${command.name}\`: \`${shown(token)}\` is not a region. Accepted: region:<name> (e.g. region:eu-west-1).`,
            command.usage,
          );
        }
        regions.push(value);
      }
    } else {
      words.push(token);
    }
  }
  const scope =
    accounts.length || regions.length
      ? { accounts: [...new Set(accounts)].sort(), regions: [...new Set(regions)].sort() }
      : undefined;
  return { args: { words, flags }, scope };
}

function checkScope(command: Command, scope: BoundQuery['scope'], ctx: CommandContext): void {
  const { accounts, regions } = ctx.config.trail;
  for (const a of scope?.accounts ?? []) {
    if (accounts.length && !accounts.includes(a)) {
      throw new UsageError(
        `\`${command.name}\`: account ${a} is not one of this trail's accounts (${accounts.join(', ')}).`,
        command.usage,
      );
    }
  }
  for (const r of scope?.regions ?? []) {
    if (regions.length && !regions.includes(r)) {
      throw new UsageError(
        `\`${command.name}\`: region ${r} is not one of this trail's regions (${regions.join(', ')}).`,
        command.usage,
      );
    }
  }
}

/**
 * A window that starts before the table's first day would be answered from part of its days on Athena (partition
 * projection generates no earlier partition) and from all of them by DuckDB: both refuse it instead, the same way.
 */
function checkProjectionStart(command: Command, window: TimeWindow, ctx: CommandContext): void {
  const first = ctx.config.window.projectionStart;
  const firstMs = Date.parse(`${first.replaceAll('/', '-')}T00:00:00Z`);
  if (window.start.getTime() >= firstMs) return;
  throw new UsageError(
    `\`${command.name}\`: the window ${window.label} starts ${window.start.toISOString()}, before the first day of the ` +
      `CloudTrail table (${first}, TRAIL_PROJECTION_START). Ask about ${first} or later, or set TRAIL_PROJECTION_START ` +
      '(and re-create the table with `npx trail setup`) to reach further back.',
    command.usage,
  );
}

/**
 * Parses and validates what the user typed after `/trail`. Returns a request or throws UsageError with a message
 * that says what was wrong and what to type instead; never anything else.
 */
export interface ParseOptions {
  /** The commands to parse against; `commands/index.ts` hands in the whole catalog. */
  catalog: readonly Command[];
  /** Bind to this window instead of a typed or default one (scheduled runs: the period since the previous run). */
  window?: TimeWindow;
}

export function parseWith(rawText: string, ctx: CommandContext, options: ParseOptions): TrailRequest {
  const { catalog } = options;
  if (rawText.length > MAX_TEXT) {
    throw new UsageError(
      `That command is ${rawText.length} characters long; trailbot accepts up to ${MAX_TEXT}.`,
      usageList(catalog),
    );
  }
  // Slack's HTML escaping is undone by the Slack surface (slashCommandText); the parser sees plain text.
  let text = rawText.trim();
  if (/^\/trail(\s|$)/i.test(text)) text = text.slice(6).trim();
  const [head, ...tokens] = text.split(/\s+/u).filter((t) => t !== '');
  const help = findCommand('help', catalog) as ControlCommand | undefined;
  if (head === undefined || head === '--help' || head === '-h') {
    if (!help) throw new UsageError('No command given.', usageList(catalog));
    return { kind: 'control', command: help, args: { topic: undefined } };
  }
  const command = findCommand(head.toLowerCase(), catalog);
  if (!command) {
    const hint = suggest(head, catalog);
    throw new UsageError(
      `\`${shown(head)}\` is not a trailbot command.${hint ? ` Did you mean \`${hint}\`?` : ''}`,
      usageList(catalog),
    );
  }
  const { args, scope } = splitArgs(command, tokens);
  if (args.flags.has('help') && help) return { kind: 'control', command: help, args: { topic: command.name } };
  if (command.kind === 'control') return { kind: 'control', command, args: command.parse(args, { ...ctx, catalog }) };

  const { windowText, rest } = takeWindow(args.words);
  const windowInput = windowText ?? ctx.config.window.defaults[command.name] ?? command.defaultWindow;
  let window: TimeWindow;
  try {
    window =
      options.window ??
      parseWindow(windowInput, {
        now: ctx.now,
        timeZone: ctx.config.timeZone,
        maxDays: ctx.config.window.maxDays,
      });
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`\`${command.name}\`: ${err.userMessage}`, command.usage);
    throw err;
  }
  checkScope(command, scope, ctx);
  checkProjectionStart(command, window, ctx);
  const plan = command.plan({ words: rest, flags: args.flags }, ctx);
  const query = bindQuery(plan.template, plan.values, window, {
    scope,
    partitionColumns: partitionColumnNames(ctx.config.trail),
    deliveryLagMinutes: ctx.config.window.deliveryLagMinutes,
  });
  if (args.flags.has('no-cache')) query.noCache = true;
  if (command.columns) query.columns = command.columns;
  if (command.chart?.template) query.series = bindSeries(command.chart, window, query, ctx);
  const scopeText = [
    ...(scope?.accounts ?? []).map((a) => `account:${a}`),
    ...(scope?.regions ?? []).map((r) => `region:${r}`),
  ];
  const normalized = [command.name, plan.normalized, ...scopeText, window.label].filter((p) => p !== '').join(' ');
  return { kind: 'query', command, normalized, window, query, showSql: args.flags.has('sql') };
}

/**
 * The chart's series template bound like the answer (same window, scope and partitions; only the `by_day` section
 * differs, chosen here from the window, never from typed text): per day when the chart is daily or the window is
 * longer than `hourlyUpToDays`, else per hour.
 */
function bindSeries(chart: ChartSpec, window: TimeWindow, answer: BoundQuery, ctx: CommandContext): SeriesQuery {
  const days = (window.end.getTime() - window.start.getTime()) / 86_400_000;
  const bucket = chart.bucket === 'day' || days > (chart.hourlyUpToDays ?? 7) ? 'day' : 'hour';
  const series = bindQuery(chart.template ?? '', { by_day: bucket === 'day' }, window, {
    scope: answer.scope,
    partitionColumns: partitionColumnNames(ctx.config.trail),
    deliveryLagMinutes: ctx.config.window.deliveryLagMinutes,
  });
  if (answer.noCache) series.noCache = true;
  return { ...series, bucket };
}
