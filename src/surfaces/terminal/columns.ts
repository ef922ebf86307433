/**
 * Which columns a terminal table keeps when not all of them fit: who, what, when and where first, then what the
 * command is about. A responder reading `recent` at 120 columns needs the principal and the source address more than
 * the service's host name; `logins` at 80 columns needs the address and whether MFA was used. Columns a command does
 * not name here follow in the result's order; the CSV always has every column.
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
