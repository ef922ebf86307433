/**
 * The catalog: every `/trail` subcommand, in the order `help` lists them.
 *
 * To add a question: write `commands/<name>.ts` exporting a QueryCommand (grammar, `plan`, optional `annotate`, and
 * `columns`: the order its answer is read in, who, what, when, where first), its template `sql/<template>.sql` (with
 * `eventid`, `awsregion` and `recipientaccountid` for console links, when it lists events) and its test, then add it
 * to QUESTIONS below (one line). To add a control command:
 * export a DeferredControl (or an ImmediateControl, for an answer without I/O) whose handler uses only its
 * ControlContext, and add it to COMMANDS. Nothing else changes: the front door (src/dispatch) finds it here.
 */
import type { TimeWindow } from '../src/core/window';
import { aliasCommand } from './alias';
import { AliasList } from './aliases';
import { CacheStatus } from './cache';
import { CancelExecution } from './cancel';
import { ConfirmQuestion } from './confirm';
import { ErrorSummary } from './errors';
import { ExposedResources } from './exposed';
import { Help } from './help';
import { ExecutionHistory } from './history';
import { IamPersistence } from './iam';
import { SourceIpActivity } from './ip';
import { ConsoleLogins } from './logins';
import { findCommand as findIn, renderHelp as helpFor, type ParseOptions, parseWith, type TrailRequest } from './parse';
import { RecentEvents } from './recent';
import { RootActivity } from './root';
import { scheduleCommand } from './schedule';
import { bindScheduledQuestion as bindScheduled } from './schedule-args';
import { ScheduleList } from './schedules';
import { SecurityGroupChanges } from './sg';
import { ExecutionStatus } from './status';
import { TamperEvents } from './tamper';
import type { Command, CommandContext, QueryCommand } from './types';
import { Unalias } from './unalias';
import { Unschedule } from './unschedule';
import { Unwatch } from './unwatch';
import { PrincipalActivity } from './user';
import { TopUsers } from './users';
import { watchCommand } from './watch';
import { WatchList } from './watches';
import { ResourceActivity } from './who';

const QUESTIONS: readonly QueryCommand[] = [
  SecurityGroupChanges,
  ConsoleLogins,
  ErrorSummary,
  TopUsers,
  RootActivity,
  ResourceActivity,
  PrincipalActivity,
  SourceIpActivity,
  RecentEvents,
  TamperEvents,
  IamPersistence,
  ExposedResources,
];

/** Every `/trail` subcommand, in the order `help` lists them. */
export const COMMANDS: readonly Command[] = [
  ...QUESTIONS,
  ExecutionStatus,
  CancelExecution,
  ConfirmQuestion,
  ExecutionHistory,
  scheduleCommand(QUESTIONS),
  ScheduleList,
  Unschedule,
  watchCommand(QUESTIONS),
  WatchList,
  Unwatch,
  aliasCommand(QUESTIONS),
  AliasList,
  Unalias,
  CacheStatus,
  Help,
];

export function findCommand(name: string, catalog: readonly Command[] = COMMANDS): Command | undefined {
  return findIn(name, catalog);
}

/** What was typed after `/trail`, parsed against the whole catalog (commands/parse.ts). */
export function parseRequest(text: string, ctx: CommandContext, options: Partial<ParseOptions> = {}): TrailRequest {
  return parseWith(text, ctx, { catalog: COMMANDS, ...options });
}

/** A stored schedule's question bound to its run's window, against the whole catalog (commands/schedule-args.ts). */
export function bindScheduledQuestion(commandText: string, window: TimeWindow, ctx: CommandContext) {
  return bindScheduled(commandText, window, { ...ctx, catalog: COMMANDS });
}

/** `help` over the whole catalog: every command, or one in detail. */
export function renderHelp(topic?: string, ctx?: CommandContext): string {
  return helpFor(COMMANDS, topic, ctx);
}

export type { TrailRequest } from './parse';
export { ScheduledQuestionInvalid } from './schedule-args';
export type { Command, CommandContext, ControlCommand, QueryCommand } from './types';
