import { TZDate } from '@date-fns/tz';
import ipaddr from 'ipaddr.js';
import { at, type CloudTrailEvent, names, objectOf, present, str } from './fields';
import { SG_CHANGES, SG_DESCRIBES } from './security-groups';

export type { CloudTrailEvent } from './fields';
export { present } from './fields';
export { worldOpen } from './security-groups';

/**
 * The reference evaluator: what every query command means, written a second time in plain TypeScript over parsed
 * CloudTrail events, with no SQL and no code shared with the templates or the engines. The property test
 * (commands.property.test.ts) checks that DuckDB running the real templates gives the same answer.
 *
 * Sources for the record format (CloudTrail User Guide):
 * - "CloudTrail record contents": every field below; `errorCode` / `errorMessage` appear only when a request failed,
 *   `readOnly` tells reads from writes, `resources` lists `{ARN, accountId, type}`.
 * - "CloudTrail userIdentity element": `type` (Root, IAMUser, AssumedRole, AWSService, …), `userName`, `arn`,
 *   `invokedBy` (the service that made the call for the principal), `sessionContext.attributes.mfaAuthenticated`
 *   ("true" when the temporary credentials were issued after MFA) and `sessionContext.sessionIssuer`.
 * - "AWS Management Console sign-in events": `eventName` ConsoleLogin, the outcome in `responseElements.ConsoleLogin`
 *   ("Success" / "Failure"), MFA in `additionalEventData.MFAUsed` ("Yes" / "No"), `MobileVersion`; such records
 *   usually carry no `sessionContext`.
 * - "Finding your CloudTrail log files": a file sits under the day folder of its *delivery* time, so which folder
 *   holds an event is no part of any answer here: the evaluator sees all events and filters on `eventTime`.
 */

export interface Scope {
  accounts?: string[];
  regions?: string[];
}

export interface OffHours {
  start: string;
  end: string;
  weekends: boolean;
}

/** One question, already validated: what the command text means. */
export type Question = { window: { start: Date; end: Date }; scope?: Scope } & (
  | { command: 'sg'; ids: string[]; all: boolean }
  | {
      command: 'logins';
      mode: 'all' | 'offhours' | 'mobile' | 'external' | 'nomfa' | 'failed';
      knownNetworks: string[];
      offHours: OffHours;
      timeZone: string;
    }
  | { command: 'errors'; top: number }
  | { command: 'users'; top: number }
  | { command: 'root' }
  | { command: 'who'; resource: string }
  | { command: 'user'; user: string }
  | { command: 'ip'; network: string }
  | { command: 'recent'; mode: 'all' | 'writes' | 'errors' }
);

/** A question without its window and scope: what a command's words say (one variant per command). */
export type QuestionSpec = Question extends infer Q
  ? Q extends Question
    ? Omit<Q, 'window' | 'scope'>
    : never
  : never;

// ---------------------------------------------------------------------------------------------------------------
// Shared definitions

export function eventId(e: CloudTrailEvent): string {
  return String(e.eventID);
}

/** In the window `[start, end)` and, when scoped, in one of the accounts (recipientAccountId) and regions (awsRegion). */
export function inQuestion(e: CloudTrailEvent, q: Question): boolean {
  const t = Date.parse(String(e.eventTime));
  if (!(t >= q.window.start.getTime() && t < q.window.end.getTime())) return false;
  if (q.scope?.accounts?.length && !q.scope.accounts.includes(String(e.recipientAccountId))) return false;
  if (q.scope?.regions?.length && !q.scope.regions.includes(String(e.awsRegion))) return false;
  return true;
}

/**
 * "Used MFA". Console sign-ins record it in `additionalEventData.MFAUsed` ("Yes"); every other call made with
 * temporary credentials records `userIdentity.sessionContext.attributes.mfaAuthenticated` ("true").
 */
export function usedMfa(e: CloudTrailEvent): boolean {
  if (e.eventName === 'ConsoleLogin') return at(objectOf(e.additionalEventData), 'MFAUsed') === 'Yes';
  return String(at(e, 'userIdentity', 'sessionContext', 'attributes', 'mfaAuthenticated')) === 'true';
}

/**
 * The address of a source, or null for service names ("ec2.amazonaws.com", "AWS Internal") and malformed text. An
 * IPv4-mapped IPv6 address (`::ffff:198.51.100.7`) is the IPv4 address: Trino stores both alike and reads them back
 * as IPv4 (trinodb/trino IpAddressFunctions.contains, PR #18997 "Handle IPv4 mapped addresses in IP contains function").
 */
function addressOf(source: unknown): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (typeof source !== 'string' || !ipaddr.isValid(source)) return null;
  // ipaddr.isValid also takes legacy forms ("10.1", octal); only the standard notations are addresses here.
  if (ipaddr.IPv4.isValidFourPartDecimal(source)) return ipaddr.IPv4.parse(source);
  if (!ipaddr.IPv6.isValid(source)) return null;
  const v6 = ipaddr.IPv6.parse(source);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

/**
 * Same-family containment, as Trino's contains(network, address) answers since PR #18997: an IPv4 address is never
 * inside an IPv6 network (not even `::/0`) nor the other way round (older releases threw instead; issue #18497).
 */
export function inNetwork(source: unknown, cidr: string): boolean {
  const address = addressOf(source);
  if (!address) return false;
  const [network, bits] = cidr.includes('/')
    ? ipaddr.parseCIDR(cidr)
    : [ipaddr.parse(cidr), ipaddr.parse(cidr).kind() === 'ipv4' ? 32 : 128];
  if (address.kind() !== network.kind()) return false;
  return address.match([network, bits] as [typeof address, number]);
}

const byTimeAsc = (a: CloudTrailEvent, b: CloudTrailEvent): number =>
  cmp(String(a.eventTime), String(b.eventTime)) || cmp(eventId(a), eventId(b));
const byTimeDesc = (a: CloudTrailEvent, b: CloudTrailEvent): number =>
  cmp(String(b.eventTime), String(a.eventTime)) || cmp(eventId(a), eventId(b));

/** Text order as SQL's ORDER BY on a varchar, with NULLs last (Trino's and DuckDB's default for ascending order). */
export function cmp(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

// ---------------------------------------------------------------------------------------------------------------
// Answers

/** Rows of a listing command, in the command's order, by event id. */
export interface Listing {
  kind: 'listing';
  ids: string[];
}

export interface ErrorRow {
  eventname: string;
  errorcode: string;
  errormessage: string | null;
  total_events: number;
  distinct_principals: number;
  first_seen: string;
  last_seen: string;
}

export interface UserRow {
  username: string | null;
  total_events: number;
  error_events: number;
  distinct_actions: number;
  top_actions: string;
}

export interface RootRow {
  eventname: string;
  invoked_by: string | null;
  total_events: number;
  without_mfa: number;
  error_events: number;
  distinct_source_ips: number;
  first_seen: string;
  last_seen: string;
}

export type Answer =
  | Listing
  | { kind: 'errors'; rows: ErrorRow[] }
  | { kind: 'users'; rows: UserRow[] }
  | { kind: 'root'; rows: RootRow[] };

/** Row caps of the listing templates (the answer says so when one is hit). */
export const CAPS = { recent: 200, who: 10_000, user: 10_000, ip: 10_000 } as const;

function minuteOfDay(time: string, timeZone: string): { minute: number; weekend: boolean } {
  const local = new TZDate(Date.parse(time), timeZone);
  const day = local.getDay();
  return { minute: local.getHours() * 60 + local.getMinutes(), weekend: day === 0 || day === 6 };
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

function isLogin(e: CloudTrailEvent, q: Extract<Question, { command: 'logins' }>): boolean {
  if (e.eventName !== 'ConsoleLogin') return false;
  const outcome = at(objectOf(e.responseElements), 'ConsoleLogin');
  switch (q.mode) {
    case 'all':
      return true;
    case 'mobile':
      return at(objectOf(e.additionalEventData), 'MobileVersion') === 'Yes';
    case 'nomfa':
      return outcome === 'Success' && !usedMfa(e);
    case 'failed':
      return outcome === 'Failure' || present(e.errorMessage);
    case 'external':
      // An unparsable source is not inside any known network, so it counts as external.
      return !q.knownNetworks.some((n) => inNetwork(e.sourceIPAddress, n));
    case 'offhours': {
      const { minute, weekend } = minuteOfDay(String(e.eventTime), q.timeZone);
      if (q.offHours.weekends && weekend) return true;
      const from = minutesOf(q.offHours.start);
      const to = minutesOf(q.offHours.end);
      return from <= to ? minute >= from && minute < to : minute >= from || minute < to;
    }
  }
}

/** The resource part of an ARN (`…:security-group/sg-123` → `sg-123`), searched for too when an ARN is asked. */
function resourceName(arn: string): string | null {
  if (!arn.startsWith('arn:')) return null;
  const resource = arn.split(':').slice(5).join(':');
  const last = resource.split(/[/:]/).pop() ?? '';
  return last.length >= 3 && last !== arn ? last : null;
}

function namesResource(e: CloudTrailEvent, resource: string): boolean {
  if (names(e.requestParameters, resource) || names(e.responseElements, resource) || names(e.resources, resource)) {
    return true;
  }
  const short = resourceName(resource);
  return short !== null && (names(e.requestParameters, short) || names(e.responseElements, short));
}

function isPrincipal(e: CloudTrailEvent, who: string): boolean {
  const fields = who.startsWith('arn:')
    ? [at(e, 'userIdentity', 'arn'), at(e, 'userIdentity', 'sessionContext', 'sessionIssuer', 'arn')]
    : [at(e, 'userIdentity', 'userName'), at(e, 'userIdentity', 'sessionContext', 'sessionIssuer', 'userName')];
  return fields.some((f) => present(f) && f === who);
}

function listing(events: CloudTrailEvent[], keep: (e: CloudTrailEvent) => boolean, newestFirst: boolean, cap?: number) {
  const ids = events
    .filter(keep)
    .sort(newestFirst ? byTimeDesc : byTimeAsc)
    .map(eventId);
  return { kind: 'listing' as const, ids: cap === undefined ? ids : ids.slice(0, cap) };
}

function groupBy<K extends string>(
  events: CloudTrailEvent[],
  key: (e: CloudTrailEvent) => K,
): Map<K, CloudTrailEvent[]> {
  const groups = new Map<K, CloudTrailEvent[]>();
  for (const e of events) {
    const k = key(e);
    const g = groups.get(k);
    if (g) g.push(e);
    else groups.set(k, [e]);
  }
  return groups;
}

const distinct = (values: (string | null)[]): number => new Set(values.filter((v) => v !== null)).size;
const times = (g: CloudTrailEvent[]) => g.map((e) => String(e.eventTime)).sort();

function errors(events: CloudTrailEvent[], top: number): ErrorRow[] {
  const failed = events.filter((e) => present(e.errorCode));
  const groups = groupBy(failed, (e) => JSON.stringify([e.eventName, str(e, 'errorCode'), str(e, 'errorMessage')]));
  const rows = [...groups.values()].map((g): ErrorRow => {
    const first = g[0]!;
    const t = times(g);
    return {
      eventname: String(first.eventName),
      errorcode: str(first, 'errorCode')!,
      errormessage: str(first, 'errorMessage'),
      total_events: g.length,
      distinct_principals: distinct(g.map((e) => str(e, 'userIdentity', 'arn'))),
      first_seen: t[0]!,
      last_seen: t[t.length - 1]!,
    };
  });
  // Tie-break of sql/error_summary.sql: count DESC, errorcode, eventname, errormessage.
  rows.sort(
    (a, b) =>
      b.total_events - a.total_events ||
      cmp(a.errorcode, b.errorcode) ||
      cmp(a.eventname, b.eventname) ||
      cmp(a.errormessage, b.errormessage),
  );
  return rows.slice(0, top);
}

function users(events: CloudTrailEvent[], top: number): UserRow[] {
  const iamUsers = events.filter((e) => at(e, 'userIdentity', 'type') === 'IAMUser');
  const groups = groupBy(iamUsers, (e) => JSON.stringify(str(e, 'userIdentity', 'userName')));
  const rows = [...groups.values()].map((g): UserRow => {
    const actions = [...groupBy(g, (e) => String(e.eventName))].map(([name, calls]) => ({ name, calls: calls.length }));
    // Tie-break of sql/top_users.sql inside a user: calls DESC, eventname.
    actions.sort((a, b) => b.calls - a.calls || cmp(a.name, b.name));
    return {
      username: str(g[0]!, 'userIdentity', 'userName'),
      total_events: g.length,
      error_events: g.filter((e) => present(e.errorCode)).length,
      distinct_actions: actions.length,
      top_actions: actions
        .slice(0, 5)
        .map((a) => `${a.name} (${a.calls})`)
        .join(', '),
    };
  });
  // Tie-break across users: total DESC, username.
  rows.sort((a, b) => b.total_events - a.total_events || cmp(a.username, b.username));
  return rows.slice(0, top);
}

function root(events: CloudTrailEvent[]): RootRow[] {
  const rootEvents = events.filter((e) => at(e, 'userIdentity', 'type') === 'Root');
  const groups = groupBy(rootEvents, (e) => JSON.stringify([e.eventName, str(e, 'userIdentity', 'invokedBy')]));
  const rows = [...groups.values()].map((g): RootRow => {
    const t = times(g);
    return {
      eventname: String(g[0]!.eventName),
      invoked_by: str(g[0]!, 'userIdentity', 'invokedBy'),
      total_events: g.length,
      without_mfa: g.filter((e) => !usedMfa(e)).length,
      error_events: g.filter((e) => present(e.errorCode)).length,
      distinct_source_ips: distinct(g.map((e) => str(e, 'sourceIPAddress'))),
      first_seen: t[0]!,
      last_seen: t[t.length - 1]!,
    };
  });
  // Tie-break of sql/root_activity.sql: total DESC, eventname, invoked_by.
  rows.sort(
    (a, b) => b.total_events - a.total_events || cmp(a.eventname, b.eventname) || cmp(a.invoked_by, b.invoked_by),
  );
  return rows;
}

/**
 * The chart series of `errors` and `root` (issue 17, item 4: sql/error_series.sql, sql/root_series.sql): the events
 * the answer's groups count (failed calls; calls by the root identity), per UTC hour or day of the window, each bucket
 * named as the template names it (the first 13 or 10 characters of eventTime) and listed in order, empty ones left out.
 */
export function seriesOf(all: CloudTrailEvent[], q: Question, bucket: 'hour' | 'day'): [string, number][] {
  const counted =
    q.command === 'errors'
      ? (e: CloudTrailEvent) => present(e.errorCode)
      : q.command === 'root'
        ? (e: CloudTrailEvent) => at(e, 'userIdentity', 'type') === 'Root'
        : undefined;
  if (!counted) throw new Error(`${q.command} has no series template`);
  const per = new Map<string, number>();
  for (const e of all) {
    if (!inQuestion(e, q) || !counted(e)) continue;
    const key = new Date(Date.parse(String(e.eventTime))).toISOString().slice(0, bucket === 'day' ? 10 : 13);
    per.set(key, (per.get(key) ?? 0) + 1);
  }
  return [...per].sort(([a], [b]) => cmp(a, b));
}

/** The answer to one question over every event of a dataset, whichever file or folder holds it. */
export function evaluate(all: CloudTrailEvent[], q: Question): Answer {
  const events = all.filter((e) => inQuestion(e, q));
  switch (q.command) {
    case 'sg': {
      const eventNames = new Set([...SG_CHANGES, ...(q.all ? SG_DESCRIBES : [])]);
      const keep = (e: CloudTrailEvent) =>
        e.eventSource === 'ec2.amazonaws.com' &&
        eventNames.has(String(e.eventName)) &&
        (q.ids.length === 0 || q.ids.some((id) => names(e.requestParameters, id) || names(e.responseElements, id)));
      return listing(events, keep, false);
    }
    case 'logins':
      return listing(events, (e) => isLogin(e, q), false);
    case 'errors':
      return { kind: 'errors', rows: errors(events, q.top) };
    case 'users':
      return { kind: 'users', rows: users(events, q.top) };
    case 'root':
      return { kind: 'root', rows: root(events) };
    case 'who':
      return listing(events, (e) => namesResource(e, q.resource), true, CAPS.who);
    case 'user':
      return listing(events, (e) => isPrincipal(e, q.user), true, CAPS.user);
    case 'ip':
      return listing(events, (e) => inNetwork(e.sourceIPAddress, q.network), true, CAPS.ip);
    case 'recent': {
      const keep = (e: CloudTrailEvent) =>
        q.mode === 'all' ? true : q.mode === 'writes' ? String(e.readOnly) === 'false' : present(e.errorCode);
      return listing(events, keep, true, CAPS.recent);
    }
  }
}
