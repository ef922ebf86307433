import type { ExecutionRecord } from '../../core/execution';

/**
 * Which columns a terminal table shows first, and keeps when not all of them fit: the command's own declaration
 * (`columns` in commands/<name>.ts, carried on the bound query), the order the Slack table uses too. The lists below
 * are the fallback for an execution recorded before commands declared their columns. Columns not named follow in the
 * result's order; the CSV always has every column.
 */
const GENERAL = [
  'eventtime',
  'principal_arn',
  'username',
  'eventname',
  'sourceipaddress',
  'errorcode',
  'eventsource',
  'identity_type',
  'awsregion',
  'recipientaccountid',
];

export const COLUMN_PRIORITY: Record<string, readonly string[]> = {
  logins: [
    'eventtime',
    'username',
    'sourceipaddress',
    'used_mfa',
    'mfa_used',
    'result',
    'mobile',
    'identity_type',
    'errormessage',
  ],
  recent: ['eventtime', 'principal_arn', 'eventname', 'sourceipaddress', 'errorcode', 'eventsource'],
  user: ['eventtime', 'eventname', 'sourceipaddress', 'principal_arn', 'errorcode', 'eventsource', 'errormessage'],
  who: ['eventtime', 'principal_arn', 'eventname', 'sourceipaddress', 'errorcode', 'username', 'eventsource'],
  ip: ['eventtime', 'principal_arn', 'eventname', 'sourceipaddress', 'errorcode', 'username', 'eventsource'],
  sg: ['eventtime', 'username', 'eventname', 'sourceipaddress', 'requestparameters', 'principal_arn', 'errorcode'],
  root: ['eventname', 'total_events', 'without_mfa', 'invoked_by', 'last_seen', 'first_seen'],
  errors: ['total_events', 'errorcode', 'eventname', 'errormessage', 'distinct_principals', 'last_seen'],
  users: ['username', 'total_events', 'error_events', 'top_actions', 'distinct_actions'],
};

/** The priority list for a command's table (the general who/what/when/where order for any other). */
export function columnPriority(command: string): readonly string[] {
  return COLUMN_PRIORITY[command] ?? GENERAL;
}

/** How many of the first priority columns a table always shows (cut shorter if need be) before going vertical. */
export const ESSENTIAL_COLUMNS = 4;

/** The columns an execution's answer shows first: its command's declaration, else the fallback list above. */
export function columnOrder(e: Pick<ExecutionRecord, 'command' | 'query'>): readonly string[] {
  return e.query.columns?.order ?? columnPriority(e.command);
}
