import type { RiskFlag } from '../../src/core/publisher';
import type { RowView } from '../types';

/**
 * What the three detection commands (`tamper`, `iam`, `exposed`) share: reading the JSON a record carries, naming who
 * did it, reading IAM policy documents, and the flag for a call that was refused. Every helper takes hostile input
 * (values an attacker chose) and never throws: an unparsable request just yields no detail.
 */

export type Flag = Omit<RiskFlag, 'row'>;

export type Json = Record<string, unknown>;

/** JSON text as an object, or `{}` when it is absent, not JSON or not an object. */
export function objectOf(text: unknown): Json {
  if (text && typeof text === 'object' && !Array.isArray(text)) return text as Json;
  if (typeof text !== 'string' || text === '') return {};
  for (const candidate of [text, safeDecode(text)]) {
    try {
      const v: unknown = JSON.parse(candidate);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Json;
    } catch {
      // IAM returns policy documents URL-encoded in responses (IAM API Reference, "GetRolePolicy"); try that next.
    }
  }
  return {};
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A nested field: `at(doc, 'createVolumePermission', 'add')`. */
export function at(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Json)[key];
  }
  return cur;
}

/** One value or a list of them as a list (IAM and S3 write a single element without the array). */
export function list(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** EC2's query-API lists as CloudTrail records them: `{"items": [...]}`. */
export function itemsOf(v: unknown): Json[] {
  const items = at(v, 'items');
  return Array.isArray(items) ? (items.filter((x) => x && typeof x === 'object') as Json[]) : [];
}

/** Longest request value a flag quotes: names AWS allows are far shorter; a longer one is cut and marked. */
const MAX_QUOTED = 200;

/** A string field, or undefined when absent or empty; cut to MAX_QUOTED characters, since a flag quotes it. */
export function text(v: unknown): string | undefined {
  if (typeof v === 'string') {
    if (v === '') return undefined;
    return v.length > MAX_QUOTED ? `${v.slice(0, MAX_QUOTED)}…` : v;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** Who made the call: the user (or the role behind a session), else the ARN. */
export function actorOf(row: RowView): string {
  return row('username') ?? row('principal_arn') ?? 'an unknown principal';
}

/** A record's fields the flag rules read. */
export interface DetectedEvent {
  who: string;
  eventName: string;
  account: string | undefined;
  request: Json;
}

export function eventOf(row: RowView): DetectedEvent {
  return {
    who: actorOf(row),
    eventName: row('eventname') ?? '',
    account: row('recipientaccountid') ?? undefined,
    request: objectOf(row('requestparameters')),
  };
}

/**
 * Errors that mean "not allowed": IAM's and most JSON APIs' `AccessDenied` / `AccessDeniedException`, EC2's
 * `Client.UnauthorizedOperation` (EC2 API Reference, "Error codes"). A refused attempt to stop a trail or share a
 * snapshot is itself worth a look (someone tried); a call that failed for any other reason (a name already taken, a
 * throttle) is not flagged.
 */
const DENIED = /AccessDenied|UnauthorizedOperation|UnauthorizedAccess/i;

/** The flag for a refused call, or none for another failure. `target` names what the call was aimed at. */
export function refusedFlags(e: DetectedEvent, errorCode: string, target: string | undefined): Flag[] {
  if (!DENIED.test(errorCode)) return [];
  const on = target ? ` on ${target}` : '';
  const where = e.account ? ` in account ${e.account}` : '';
  return [
    { code: 'denied-attempt', message: `${e.who} tried ${e.eventName}${on}${where} and was refused (${errorCode})` },
  ];
}

/** The flags of one result row: the command's rules for a call that succeeded, the refused-attempt flag otherwise. */
export function detectionFlags(
  row: RowView,
  rules: (e: DetectedEvent) => Flag[],
  target: (e: DetectedEvent) => string | undefined,
): Flag[] {
  const e = eventOf(row);
  const error = row('errorcode');
  return error ? refusedFlags(e, error, target(e)) : rules(e);
}

// ---------------------------------------------------------------------------------------------------------------
// IAM policy documents (IAM User Guide, "IAM JSON policy elements reference": Statement, Effect, Principal, Action,
// NotAction, Resource, Condition)

const ACCOUNT_ID = /^\d{12}$/;
const ARN_ACCOUNT = /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/;

/** The `Allow` statements of a policy document (a single statement may be written without the array). */
export function allowStatements(doc: Json): Json[] {
  return list(doc.Statement).filter(
    (s): s is Json => !!s && typeof s === 'object' && String((s as Json).Effect).toLowerCase() === 'allow',
  );
}

export interface Principals {
  /** `"*"` or `{"AWS": "*"}`: anyone, in any account (or unauthenticated, for a resource policy). */
  everyone: boolean;
  /** 12-digit accounts named by `AWS` principals: `123456789012`, `arn:aws:iam::123456789012:root|user/…|role/…`. */
  accounts: string[];
}

/**
 * Who a statement lets in. `NotPrincipal` with `Allow` lets in everyone but the listed principals, so it counts as
 * everyone (IAM User Guide, "AWS JSON policy elements: NotPrincipal"). Service and federated principals are AWS
 * services or identity providers, not accounts, and are left out.
 */
export function principalsOf(statement: Json): Principals {
  if (statement.NotPrincipal !== undefined) return { everyone: true, accounts: [] };
  const p = statement.Principal;
  if (p === '*') return { everyone: true, accounts: [] };
  const aws = list(at(p, 'AWS')).map((x) => String(x).trim());
  const accounts = new Set<string>();
  let everyone = false;
  for (const a of aws) {
    if (a === '*') everyone = true;
    else if (ACCOUNT_ID.test(a)) accounts.add(a);
    else {
      const m = ARN_ACCOUNT.exec(a);
      if (m) accounts.add(m[1]!);
    }
  }
  return { everyone, accounts: [...accounts].sort() };
}

/** Who outside `account` a policy document lets in: `all` for everyone, else the outside accounts. */
export function outsidePrincipals(doc: Json, account: string | undefined): { everyone: boolean; accounts: string[] } {
  let everyone = false;
  const accounts = new Set<string>();
  for (const s of allowStatements(doc)) {
    const p = principalsOf(s);
    everyone ||= p.everyone;
    for (const a of p.accounts) if (a !== account) accounts.add(a);
  }
  return { everyone, accounts: [...accounts].sort() };
}

/** `all` (what `everyone` means here) or `account 111122223333, 444455556666`: the outside party a flag names. */
export function outsideText(o: { everyone: boolean; accounts: string[] }, everyone: string): string {
  if (o.everyone) return `all (${everyone})`;
  return `${o.accounts.length === 1 ? 'account' : 'accounts'} ${o.accounts.join(', ')}`;
}

/** The last part of an ARN (`arn:aws:iam::aws:policy/AdministratorAccess` → `AdministratorAccess`). */
export function lastPart(arn: string): string {
  return arn.split(/[/:]/).pop() || arn;
}
