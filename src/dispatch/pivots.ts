/**
 * Pivots (issue 17 item 2): the next questions one row of an answer offers. Each is the text a person would type
 * (`user arn:aws:iam::…:user/x 2026-11-20T07:00Z..2026-11-20T09:00Z`), built from values of a CloudTrail record, which
 * are attacker-written. So a pivot exists only when its text passes the same parser as typed text: a value the parser
 * refuses (a service name where an address should be, a backtick in an ARN) means no pivot for that row, never an
 * error. A pivot then runs through the dispatcher like typed text (policy, dedupe, limits, audit).
 */
import { parseRequest } from '../../commands';
import type { Command } from '../../commands/types';
import type { TrailConfig } from '../config';
import type { PivotKind } from '../core/input';

export interface Pivot {
  kind: PivotKind;
  /** The question it stands for, exactly as `/trail` would receive it: `${subject} ${window}`. */
  question: string;
  /** The question without its window: `user arn:aws:iam::…:user/x`. */
  subject: string;
  /** The window around the row's event, the same for every pivot of the row: `2026-11-20T07:00Z..2026-11-20T09:00Z`. */
  window: string;
  /** Short label for a button or menu option (plain text, cut by the renderer). */
  label: string;
}

/** One result row, read by column name (null when the answer has no such column or the cell is empty). */
export type RowReader = (column: string) => string | null;

/** Builds the pivots of one row; bound to the configuration, the catalog and a clock. */
export type PivotFinder = (row: RowReader) => Pivot[];

const DEFAULT_PIVOT_MINUTES = 60;

/** The command each pivot asks. */
export const PIVOT_COMMAND: Record<PivotKind, string> = { principal: 'user', source: 'ip', resource: 'who' };

/** Columns that name the resource a row is about, in the order they are trusted. */
const RESOURCE_COLUMNS = ['resource', 'resource_id', 'resourcename', 'resource_arn', 'bucket', 'groupid'];
/**
 * EC2-style ids inside a request (`{"groupId":"sg-5887f224"}`), for answers that have no resource column: the forms
 * EC2 issues (prefix, then 8 or 17 hex digits).
 */
const EMBEDDED_ID = /\b(?:sg|eni|i|vpc|subnet|vol|snap|ami|igw|rtb|acl)-(?:[0-9a-f]{17}|[0-9a-f]{8})\b/;

/** `2026-11-20T07:00Z`: a minute in UTC, a form the window parser takes in `a..b` (src/time/window.ts). */
function minuteText(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16)}Z`;
}

/**
 * The window `±minutes` around an event, on whole minutes, ending no later than the current minute (the window
 * parser refuses none, but a window into the future reads nothing more). Undefined for a time that does not parse.
 */
export function windowAround(eventTime: string, minutes: number, now: Date): string | undefined {
  const at = Date.parse(eventTime);
  if (!Number.isFinite(at)) return undefined;
  const minute = 60_000;
  const start = Math.floor((at - minutes * minute) / minute) * minute;
  let end = Math.ceil((at + minutes * minute) / minute) * minute;
  const nowMinute = Math.ceil(now.getTime() / minute) * minute;
  if (end > nowMinute) end = nowMinute;
  if (end <= start) return undefined;
  return `${minuteText(start)}..${minuteText(end)}`;
}

function resourceOf(row: RowReader): string | undefined {
  for (const column of RESOURCE_COLUMNS) {
    const v = row(column);
    if (v) return v;
  }
  const request = row('requestparameters');
  return request ? EMBEDDED_ID.exec(request)?.[0] : undefined;
}

/**
 * The pivots of a row, each checked by the catalog's parser. What else this principal did (its ARN, else its user
 * name), everything from this source address, who else touched this resource; all over the pivot window around the
 * row's `eventtime`. A row without a time has none.
 */
export function pivotFinder(config: TrailConfig, catalog: readonly Command[], now: () => Date): PivotFinder {
  const minutes = config.window.pivotMinutes ?? DEFAULT_PIVOT_MINUTES;
  return (row) => {
    const eventTime = row('eventtime');
    const at = now();
    const window = eventTime ? windowAround(eventTime, minutes, at) : undefined;
    if (window === undefined) return [];
    const candidates: { kind: PivotKind; command: string; value: string | undefined }[] = [
      {
        kind: 'principal',
        command: PIVOT_COMMAND.principal,
        value: row('principal_arn') ?? row('username') ?? undefined,
      },
      { kind: 'source', command: PIVOT_COMMAND.source, value: row('sourceipaddress') ?? undefined },
      { kind: 'resource', command: PIVOT_COMMAND.resource, value: resourceOf(row) },
    ];
    const pivots: Pivot[] = [];
    for (const c of candidates) {
      // One word only: the parser splits on white space, so a value holding any would become two arguments.
      if (!c.value || /\s/.test(c.value)) continue;
      const subject = `${c.command} ${c.value}`;
      const question = `${subject} ${window}`;
      try {
        const request = parseRequest(question, { config, now: at }, { catalog });
        if (request.kind !== 'query' || request.command.name !== c.command) continue;
      } catch {
        continue; // refused by the parser: no pivot for this value
      }
      pivots.push({ kind: c.kind, question, subject, window, label: LABELS[c.kind](c.value) });
    }
    return pivots;
  };
}

const LABELS: Record<PivotKind, (value: string) => string> = {
  principal: (v) => `What else ${shortPrincipal(v)} did`,
  source: (v) => `Everything from ${v}`,
  resource: (v) => `Who else touched ${v}`,
};

/** `arn:aws:iam::1:user/alice` → `alice`; an assumed role keeps its role and session. */
function shortPrincipal(v: string): string {
  if (!v.startsWith('arn:')) return v;
  const resource = v.split(':').slice(5).join(':');
  return resource.replace(/^(user|role|assumed-role|federated-user)\//, '') || v;
}

/** What a pivot asks, in words for the parent: "what else this principal did". */
export const PIVOT_MEANING: Record<PivotKind, string> = {
  principal: 'what else this principal did',
  source: 'everything from this source address',
  resource: 'who else touched this resource',
};
