import type { TrailConfig } from '../src/config';
import type { RiskFlag } from '../src/core/publisher';
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
}

/** Commands the dispatcher answers without a query (help, status, history, schedule, …). */
export interface ControlCommand extends CommandInfo {
  kind: 'control';
  /** Validates the arguments into the request the dispatcher acts on. */
  parse(args: CommandArgs, ctx: CommandContext): Record<string, unknown>;
}

export type Command = QueryCommand | ControlCommand;
