import type { TrailConfig } from '../src/config';
import type { AliasStore } from '../src/core/alias';
import type { QueryEngine } from '../src/core/engine';
import type { AuditEntry, ExecutionStore } from '../src/core/execution';
import type { CommandInput } from '../src/core/input';
import type { ChartSpec, RiskFlag } from '../src/core/publisher';
import type { ColumnLayout } from '../src/core/query';
import type { QueryRunner } from '../src/core/runner';
import type { ScheduleStore } from '../src/core/schedule';
import type { WatchStore } from '../src/core/watch';
import type { TemplateValues } from '../src/query/bind';

/** What every command sees besides its arguments. */
export interface CommandContext {
  config: TrailConfig;
  now: Date;
  /** The whole catalog, handed in by the parser (a command that parses another question, like `schedule`, needs it). */
  catalog?: readonly Command[];
}

/** A command's arguments after the window, options and flags were taken out. */
export interface CommandArgs {
  /** Positional words, in order, as typed (Slack-decoded). */
  words: string[];
  /** `--all`, `--writes`, … without the dashes. */
  flags: Set<string>;
}

/** What a query command asks the binder for. */
export interface QueryPlan {
  template: string;
  values: TemplateValues;
  /** Normalised arguments, for dedupe keys and "Re-run": e.g. `sg-5887f224 eni-6c5ca5a8`. */
  normalized: string;
}

/** A result row with cells looked up by column name. */
export type RowView = (column: string) => string | null;

export interface CommandInfo {
  name: string;
  /** One line for `help`. */
  summary: string;
  /** Usage line without the `/trail ` prefix, e.g. `sg [sg-…|eni-…]… [window] [--all]`. */
  usage: string;
  examples: string[];
  /** Flags this command accepts (without dashes). */
  flags?: Record<string, string>;
}

export interface QueryCommand extends CommandInfo {
  kind: 'query';
  /** Window used when none is typed, e.g. `12h`. Overridable per command in config. */
  defaultWindow: string;
  /** Validates the arguments; throws UsageError naming the argument. */
  plan(args: CommandArgs, ctx: CommandContext): QueryPlan;
  /** Risk flags for one result row (without the row index, which the caller adds). */
  annotate?(row: RowView, ctx: CommandContext): Omit<RiskFlag, 'row'>[];
  /**
   * The template's `LIMIT` (a test holds the two equal). When an answer reaches it, it says so (a `row-cap` flag) and
   * `narrow` says how to ask a narrower question.
   */
  rowCap?: { rows: number; narrow: string };
  /** A timeline of the answer (issue 17): Slack gets a chart image next to the CSV, the terminal a sparkline. */
  chart?: ChartSpec;
  /**
   * The columns an investigator reads first (who, what, when, where), in the order the Slack table and the terminal
   * show them, and which hold numbers (right-aligned). Carried on the bound query (`BoundQuery.columns`).
   */
  columns?: ColumnLayout;
}

/** What the front door decided (src/dispatch/policy.ts): allowed, or why not in words for the asker. */
export type Decision = { allowed: true } | { allowed: false; reason: string };

/** What the embedded engine's columnar cache holds (the QueryEngine port's `cache.status()`), for `cache status`. */
export type CacheFigures = ReturnType<NonNullable<QueryEngine['cache']>['status']>;

/**
 * What a control command's handler is handed by the front door: the ports it may use and the policy decisions bound to
 * the asker. The catalog imports no store, runner, engine or policy: everything arrives here (ARCHITECTURE.md).
 */
export interface ControlContext extends CommandContext {
  /** Who asked, where, on which surface (Slack's response_url included). */
  asker: CommandInput;
  executions: ExecutionStore;
  runner: QueryRunner;
  /** Standing questions, when this setup keeps them (the one-shot CLI does not). */
  schedules?: {
    store: ScheduleStore;
    /** Schedules one channel may have. */
    maxPerChannel: number;
    /** How long after its slot a run starts (the scheduler's delivery delay), for the confirmation. */
    deliveryDelayMs: number;
  };
  /** Watches (issue 19), when this setup keeps them: `watch`, `watches`, `unwatch`. */
  watches?: {
    store: WatchStore;
    /** Watches one channel may have. */
    maxPerChannel: number;
    /** May the asker run `command` in another channel (a watch's routed channel)? */
    mayRunIn(command: string, channelId: string): Decision;
  };
  /** Saved questions (issue 17 item 6), when this setup keeps them: `alias`, `aliases`, `unalias`. */
  aliases?: {
    store: AliasStore;
    /** May the asker create, replace or remove an alias (an admin of the access policy)? */
    mayChange(): Decision;
    /** Tells the front door an alias changed, so its copy (what `/trail <alias>` reads) is reloaded now. */
    changed(): Promise<void>;
  };
  /** The engine's columnar cache, when this setup has an engine (`cache status`). */
  cache?: { engine: 'athena' | 'duckdb'; status(): CacheFigures | undefined };
  /** May the asker run `command` here (the access policy)? `schedule` asks it for the question it schedules. */
  mayRun(command: string): Decision;
  /** May the asker stop what `ownerId` started (its owner, or an admin)? `command` is `cancel` or `unschedule`. */
  mayStop(item: { command: string; ownerId: string; what: 'question' | 'schedule' | 'watch' }): Decision;
  /** Records an audit entry as the asker, in the asker's channel. */
  audit(entry: Pick<AuditEntry, 'action' | 'command' | 'detail'>): Promise<void>;
}

/** The ports a control command needs besides the execution store and the runner; without them it is not offered. */
export type ControlPort = 'schedules' | 'cache' | 'watches' | 'aliases';

interface ControlBase<A extends Record<string, unknown>> extends CommandInfo {
  kind: 'control';
  /** Validates the arguments into the request its handler acts on. */
  parse(args: CommandArgs, ctx: CommandContext): A;
  /** Ports its handler cannot work without; where the setup lacks one, the front door says so at once. */
  requires?: readonly ControlPort[];
}

/** Answers at once, without any I/O (`help`): the answer is the acknowledgement itself. */
export interface ImmediateControl<A extends Record<string, unknown> = Record<string, unknown>> extends ControlBase<A> {
  reply(args: A, ctx: CommandContext): string;
}

/** Answers after the acknowledgement, through the ports in its context (status, cancel, schedule, …). */
export interface DeferredControl<A extends Record<string, unknown> = Record<string, unknown>> extends ControlBase<A> {
  handle(args: A, ctx: ControlContext): Promise<string>;
}

/**
 * Commands answered without a query. Each carries its own handler, so adding one is its file, its line in
 * `commands/index.ts` and its test: the front door has no list of them.
 */
export type ControlCommand<A extends Record<string, unknown> = Record<string, unknown>> =
  | ImmediateControl<A>
  | DeferredControl<A>;

export type Command = QueryCommand | ControlCommand;
