/**
 * The rows a watch's run may post (src/core/watch.ts): with a risk flag when the watch is `only-flagged`, of the
 * accounts routed to its channel, and not posted before by another run of the same watch. The last is decided by the
 * posted-event-id records (PostedEvents, src/store/watches.ts): an event id is claimed by one execution, once.
 */
import type { RiskFlag } from '../core/publisher';
import { ACCOUNT_COLUMN, EVENT_ID_COLUMN, type PostedEvents, type WatchRunSpec } from '../core/watch';

/** Decides, page by page, which rows of an answer stay (CollectOptions.select): one boolean per row. */
export type PageSelector = (page: {
  columns: string[];
  rows: (string | null)[][];
  flags: Omit<RiskFlag, 'row'>[][];
}) => Promise<boolean[]>;

/** A watched question whose rows carry no event id cannot be deduplicated; the catalog refuses it when typed. */
export class NotWatchableError extends Error {
  constructor(command: string) {
    super(`\`${command}\` answers without an \`${EVENT_ID_COLUMN}\` column, so a watch cannot tell new rows from old.`);
  }
}

/**
 * `execution.state` tells a first collection (RUNNING: it claims what is new, and a collection repeated after a crash
 * keeps what it claimed) from an answer read again once it was complete (to publish after a restart, or to page it):
 * that one keeps only the rows it holds, so an event delivered since is posted by the watch's next run, not hidden
 * in an old thread's next page.
 */
export function watchSelector(
  spec: WatchRunSpec,
  posted: PostedEvents,
  execution: { id: string; command: string; state: string },
): PageSelector {
  const onlyHeld = execution.state !== 'RUNNING';
  return async ({ columns, rows, flags }) => {
    const idAt = columns.indexOf(EVENT_ID_COLUMN);
    if (idAt < 0) throw new NotWatchableError(execution.command);
    const accountAt = columns.indexOf(ACCOUNT_COLUMN);
    const only = spec.accounts?.only;
    const exclude = spec.accounts?.exclude;
    const candidate = rows.map((row, i) => {
      if (spec.onlyFlagged && (flags[i]?.length ?? 0) === 0) return undefined;
      const account = accountAt >= 0 ? (row[accountAt] ?? '') : '';
      if (only && !only.includes(account)) return undefined;
      if (exclude?.includes(account)) return undefined;
      return row[idAt] ?? undefined;
    });
    const ids = candidate.filter((id): id is string => typeof id === 'string' && id !== '');
    const held = ids.length ? await posted.claim(spec.watchId, ids, execution.id, { onlyHeld }) : new Set<string>();
    return candidate.map((id) => id !== undefined && held.has(id));
  };
}
