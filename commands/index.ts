import { CacheStatus } from './cache';
import { CancelExecution } from './cancel';
import { ConfirmQuestion } from './confirm';
import { ErrorSummary } from './errors';
import { Help } from './help';
import { ExecutionHistory } from './history';
import { SourceIpActivity } from './ip';
import { ConsoleLogins } from './logins';
import { RecentEvents } from './recent';
import { RootActivity } from './root';
import { ScheduleQuestion } from './schedule';
import { ScheduleList } from './schedules';
import { SecurityGroupChanges } from './sg';
import { ExecutionStatus } from './status';
import type { Command } from './types';
import { Unschedule } from './unschedule';
import { PrincipalActivity } from './user';
import { TopUsers } from './users';
import { ResourceActivity } from './who';

/** Every `/trail` subcommand, in the order `help` lists them. */
export const COMMANDS: readonly Command[] = [
  SecurityGroupChanges,
  ConsoleLogins,
  ErrorSummary,
  TopUsers,
  RootActivity,
  ResourceActivity,
  PrincipalActivity,
  SourceIpActivity,
  RecentEvents,
  ExecutionStatus,
  CancelExecution,
  ConfirmQuestion,
  ExecutionHistory,
  ScheduleQuestion,
  ScheduleList,
  Unschedule,
  CacheStatus,
  Help,
];

export function findCommand(name: string, catalog: readonly Command[] = COMMANDS): Command | undefined {
  return catalog.find((c) => c.name === name);
}

export type { Command, CommandContext, ControlCommand, QueryCommand } from './types';
