import { findCommand } from '../../commands';
import type { CommandContext } from '../../commands/types';
import type { Answer } from './evaluator';

/** What DuckDB answered, in the evaluator's shape. */
export function answerOf(kind: Answer['kind'], records: Record<string, string | null>[]): Answer {
  const n = (v: string | null | undefined) => Number(v ?? 0);
  switch (kind) {
    case 'listing':
      return { kind, ids: records.map((r) => String(r.eventid)) };
    case 'errors':
      return {
        kind,
        rows: records.map((r) => ({
          eventname: String(r.eventname),
          errorcode: String(r.errorcode),
          errormessage: r.errormessage ?? null,
          total_events: n(r.total_events),
          distinct_principals: n(r.distinct_principals),
          first_seen: String(r.first_seen),
          last_seen: String(r.last_seen),
        })),
      };
    case 'users':
      return {
        kind,
        rows: records.map((r) => ({
          username: r.username ?? null,
          total_events: n(r.total_events),
          error_events: n(r.error_events),
          distinct_actions: n(r.distinct_actions),
          top_actions: String(r.top_actions),
        })),
      };
    case 'root':
      return {
        kind,
        rows: records.map((r) => ({
          eventname: String(r.eventname),
          invoked_by: r.invoked_by ?? null,
          total_events: n(r.total_events),
          without_mfa: n(r.without_mfa),
          error_events: n(r.error_events),
          distinct_source_ips: n(r.distinct_source_ips),
          first_seen: String(r.first_seen),
          last_seen: String(r.last_seen),
        })),
      };
  }
}

/**
 * World-open flags of `sg` rows by direction. Flag texts are the commands' business; the code tells the direction:
 * a code that names egress is the lower-severity egress notice, any other `world-open…` code the ingress finding.
 */
export function flaggedByDirection(records: Record<string, string | null>[], ctx: CommandContext) {
  const sg = findCommand('sg');
  const out = new Map<string, { ingress: number; egress: number }>();
  if (sg?.kind !== 'query' || !sg.annotate) return out;
  for (const r of records) {
    for (const flag of sg.annotate((c) => r[c] ?? null, ctx)) {
      if (!flag.code.startsWith('world-open')) continue;
      const counts = out.get(String(r.eventid)) ?? { ingress: 0, egress: 0 };
      counts[flag.code.includes('egress') ? 'egress' : 'ingress'] += 1;
      out.set(String(r.eventid), counts);
    }
  }
  return out;
}
