/**
 * A link from a result row to the event in the AWS console's CloudTrail Event history, built only from the record's
 * own `eventid`, `awsregion` and `recipientaccountid`, and only when each has the shape CloudTrail gives it. Every one
 * of those fields is written by whoever made the call (or forged into a log a hostile party controls), so a value of
 * any other shape produces no link at all rather than an escaped one.
 *
 * What is documented and what is observed:
 * - Documented (CloudTrail User Guide, "Working with CloudTrail Event history"): Event history shows the last 90 days
 *   of management events, per Region, of the account you are signed in to. So a link opens only for an event of that
 *   account, in that Region, younger than 90 days (an organization trail read from a log-archive account holds events
 *   of every member account: the link opens after signing in to the member account named by `recipientaccountid`).
 * - Observed, not documented: the console's address of one event,
 *   `https://<region>.console.aws.amazon.com/cloudtrailv2/home?region=<region>#/events/<eventId>`. AWS does not
 *   publish deep-link formats; this is the address the console itself shows for an event and the one public
 *   CloudTrail alerting tools build. There is no account in it (the console always shows the signed-in account), so
 *   the account is checked and shown beside the link, not put into it.
 * - Only the `aws` partition is linked: China (`cn-…`), GovCloud (`us-gov-…`) and the isolated partitions have other
 *   console domains, which we have not observed for this page.
 */

/** CloudTrail's `eventID`: a UUID (lowercase hex as CloudTrail writes it; uppercase accepted). */
const EVENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** An AWS Region code: `us-east-1`, `ap-southeast-2`, `eu-central-2` (area, direction words, a number). */
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
/** Regions of partitions whose console lives elsewhere (see above): no link. */
const OTHER_PARTITION = /^(?:cn|us-gov|us-iso[a-z]*|eu-iso[a-z]*)-/;
const ACCOUNT = /^\d{12}$/;

/** The column trailbot adds to a result (CSV, table) holding each event's console link, or nothing. */
export const CONSOLE_URL_COLUMN = 'console_url';

/** The columns a console link is built from; a result lacking any of them gets no `console_url` column. */
export const CONSOLE_LINK_SOURCES = ['eventid', 'awsregion', 'recipientaccountid'] as const;

export interface ConsoleEvent {
  eventId: string | null | undefined;
  region: string | null | undefined;
  account: string | null | undefined;
}

/** The event's page in the CloudTrail console, or undefined when any part does not have CloudTrail's shape. */
export function consoleEventUrl(event: ConsoleEvent): string | undefined {
  const { eventId, region, account } = event;
  if (typeof eventId !== 'string' || !EVENT_ID.test(eventId)) return undefined;
  if (typeof region !== 'string' || !REGION.test(region) || OTHER_PARTITION.test(region)) return undefined;
  if (typeof account !== 'string' || !ACCOUNT.test(account)) return undefined;
  return `https://${region}.console.aws.amazon.com/cloudtrailv2/home?region=${region}#/events/${eventId}`;
}

const URL_SHAPE =
  /^https:\/\/([a-z]{2}(?:-[a-z]+)+-\d{1,2})\.console\.aws\.amazon\.com\/cloudtrailv2\/home\?region=([a-z]{2}(?:-[a-z]+)+-\d{1,2})#\/events\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/**
 * True only for a link `consoleEventUrl` could have built. A surface checks a `console_url` cell with it before making
 * it a link: the cell came back from a file, and nothing but this exact shape may ever become a link.
 */
export function isConsoleEventUrl(value: string | null | undefined): value is string {
  if (typeof value !== 'string') return false;
  const m = URL_SHAPE.exec(value);
  return m !== null && m[1] === m[2] && !OTHER_PARTITION.test(m[1]!);
}

/**
 * Adds the `console_url` column to a result as it streams: `columns` is the result's header; when it has all three
 * source columns (and no `console_url` of its own), `extend` appends each row's link (or NULL). Otherwise the result
 * passes unchanged.
 */
export function consoleLinkColumn(columns: readonly string[]): {
  columns: string[];
  extend: (row: (string | null)[]) => (string | null)[];
} {
  const [e, r, a] = CONSOLE_LINK_SOURCES.map((c) => columns.indexOf(c));
  if (e === -1 || r === -1 || a === -1 || columns.includes(CONSOLE_URL_COLUMN)) {
    return { columns: [...columns], extend: (row) => row };
  }
  return {
    columns: [...columns, CONSOLE_URL_COLUMN],
    extend: (row) => [...row, consoleEventUrl({ eventId: row[e!], region: row[r!], account: row[a!] }) ?? null],
  };
}
