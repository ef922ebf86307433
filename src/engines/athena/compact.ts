import { randomUUID } from 'node:crypto';
import { type AthenaClient, GetQueryResultsCommand } from '@aws-sdk/client-athena';
import type { TrailLocation } from '../../config';
import type { QueryStatus } from '../../core/engine';
import { TrailError } from '../../core/errors';
import {
  type CompactionNames,
  latestClosedDay,
  nextDay,
  previousDay,
  renderCompactDayStatement,
  renderWatermarkQuery,
  validateCompactDay,
} from '../../ddl/compact';
import { sqlLiteral } from '../../query/literal';
import { AthenaEngine } from './engine';
import type { DdlWaitOptions } from './setup';

/**
 * The daily compaction job (issue 16): Athena copies each closed day of the raw CloudTrail table into the Iceberg
 * table with one MERGE per day (src/ddl/compact.ts). Two guarantees:
 * - Re-running a day never duplicates it: the MERGE inserts only events not there yet.
 * - Two replicas, or a job retried after a crash, start one query per day: the ClientRequestToken is derived from the
 *   workgroup, database, day and attempt, and "if a token is reused, the same response is returned and another query
 *   is not created" (Athena API Reference, StartQueryExecution, ClientRequestToken). A day whose query FAILED keeps
 *   returning that failed query for the same token; `attempt` (the CLI's --attempt) starts a new one.
 * The compacted days stay one range without a gap (the view in sql/ddl/logs_view.sql reads raw outside that range),
 * so a run extends the range by one day at either end, or re-runs a day inside it; anything else is refused.
 */
export interface CompactTarget {
  client: AthenaClient;
  workgroup: string;
  /** The database holding the raw table, the compacted table and the view. */
  database: string;
  catalog?: string;
  outputLocation?: string;
}

export interface CompactOptions extends DdlWaitOptions {
  names: CompactionNames;
  now: Date;
  /** TRAIL_DELIVERY_LAG in minutes. */
  deliveryLagMinutes: number;
  /** Default 1; raise it to start a new query for a day whose query failed. */
  attempt?: number;
}

export interface CompactedDay {
  day: string;
  engineId: string;
  status: QueryStatus;
}

export interface Watermark {
  first: string;
  last: string;
}

function engineOf(target: CompactTarget): AthenaEngine {
  return new AthenaEngine({
    client: target.client,
    workgroup: target.workgroup,
    database: target.database,
    ...(target.catalog !== undefined ? { catalog: target.catalog } : {}),
    ...(target.outputLocation !== undefined ? { outputLocation: target.outputLocation } : {}),
  });
}

async function waitFor(engine: AthenaEngine, engineId: string, what: string, o: DdlWaitOptions): Promise<QueryStatus> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const pollMs = o.pollMs ?? 2000;
  const timeoutMs = o.timeoutMs ?? 30 * 60_000;
  for (let waited = 0; ; waited += pollMs) {
    const status = await engine.status(engineId);
    if (status.state === 'SUCCEEDED') return status;
    if (status.state === 'FAILED' || status.state === 'CANCELLED') {
      throw new TrailError(
        'ATHENA_COMPACT_FAILED',
        `${what} did not succeed (Athena query ${engineId}): ${status.reason}`,
      );
    }
    if (waited >= timeoutMs) {
      throw new TrailError(
        'ATHENA_COMPACT_TIMEOUT',
        `${what} was still ${status.state} after ${Math.round(timeoutMs / 1000)} s (Athena query ${engineId}); check it in the Athena console.`,
      );
    }
    await sleep(pollMs);
  }
}

/** The compacted table's first and last day, or undefined when it holds none. */
export async function readWatermark(
  target: CompactTarget,
  names: CompactionNames,
  wait: DdlWaitOptions = {},
): Promise<Watermark | undefined> {
  const engine = engineOf(target);
  // A fresh token each time: the watermark moves, an old execution's answer would be stale.
  const engineId = await engine.startStatement(renderWatermarkQuery(names), {
    executionId: `compact-watermark:${randomUUID()}`,
  });
  await waitFor(engine, engineId, 'Reading the compacted days', wait);
  const out = await target.client.send(new GetQueryResultsCommand({ QueryExecutionId: engineId, MaxResults: 2 }));
  // Row 0 is the header row Athena returns for a SELECT; row 1 holds (first_day, last_day).
  const [first, last] = (out.ResultSet?.Rows?.[1]?.Data ?? []).map((d) => d.VarCharValue);
  if (first === undefined || last === undefined) return undefined;
  return { first: validateCompactDay(first), last: validateCompactDay(last) };
}

/** Starts (or, for the same day and attempt, finds again) the MERGE of one day and waits for it. */
async function mergeDay(
  target: CompactTarget,
  location: TrailLocation,
  day: string,
  options: CompactOptions,
): Promise<CompactedDay> {
  const attempt = options.attempt ?? 1;
  if (!Number.isSafeInteger(attempt) || attempt < 1) {
    throw new TrailError('COMPACT_BAD_ATTEMPT', `attempt must be a whole number from 1 (got ${attempt}).`);
  }
  const engine = engineOf(target);
  const engineId = await engine.startStatement(renderCompactDayStatement(location, options.names), {
    executionId: `compact:${target.workgroup}:${target.database}:${options.names.compacted}:${day}:${attempt}`,
    executionParameters: [sqlLiteral({ type: 'varchar', value: day })],
  });
  const status = await waitFor(engine, engineId, `Compacting ${day}`, options);
  return { day, engineId, status };
}

/**
 * Compacts one day (`npx trail compact <day>`): a closed day that is inside the compacted range (a re-run, which
 * inserts nothing twice) or next to it at either end (the first day of an empty table, a backfill, the next day).
 */
export async function compactDay(
  target: CompactTarget,
  location: TrailLocation,
  dayText: string,
  options: CompactOptions,
): Promise<CompactedDay> {
  const day = validateCompactDay(dayText);
  const closed = latestClosedDay(options.now, options.deliveryLagMinutes);
  if (day > closed) {
    throw new TrailError(
      'COMPACT_DAY_OPEN',
      `${day} is not closed yet: its files may still arrive until the next day ends plus the delivery lag. The latest closed day is ${closed}.`,
    );
  }
  const mark = await readWatermark(target, options.names, options);
  if (mark !== undefined && (day < previousDay(mark.first) || day > nextDay(mark.last))) {
    throw new TrailError(
      'COMPACT_GAP',
      `${day} would leave a gap: the compacted days are ${mark.first} to ${mark.last}, so the next ones are ${previousDay(mark.first)} (backfill) or ${nextDay(mark.last)}.`,
    );
  }
  return mergeDay(target, location, day, options);
}

/**
 * The daily run (`npx trail compact`): every closed day after the compacted range, in order, up to `maxDays`
 * (default 7) so one run's cost stays bounded after a long pause. An empty table starts at `firstDay` (default the
 * latest closed day: older days stay in raw, read as before). Stops at the first failure: later days wait.
 */
export async function compactClosedDays(
  target: CompactTarget,
  location: TrailLocation,
  options: CompactOptions & { firstDay?: string; maxDays?: number },
): Promise<CompactedDay[]> {
  const closed = latestClosedDay(options.now, options.deliveryLagMinutes);
  const mark = await readWatermark(target, options.names, options);
  let day = mark !== undefined ? nextDay(mark.last) : validateCompactDay(options.firstDay ?? closed);
  const done: CompactedDay[] = [];
  const maxDays = options.maxDays ?? 7;
  while (day <= closed && done.length < maxDays) {
    done.push(await mergeDay(target, location, day, options));
    day = nextDay(day);
  }
  return done;
}
