import * as fs from 'node:fs';
import type { BoundQuery } from '../../core/query';
import type { CachedPartition } from './cache-manifest';
import { type DuckDBConnection, VARCHAR } from './native';
import { OWN_COLUMNS, parquetOf } from './view';

/**
 * Each cached day's calls counted per hour (`<day>.actions.parquet`, written with the day): one row per hour of event
 * time, identity type, account, region, principal and action, with the calls and the failed calls. A template that
 * only counts calls per principal and action (`users`) has a variant over them (sql/rollups/, BoundQuery.rollup):
 * the hours that lie wholly inside its window are summed from these counts, and only the rest is counted row by row.
 *
 * Why: `users 7d` over the bench's 7 cached days (228,000 events in the window) spends about half its time testing
 * every row's event time against the window and the rest grouping them; the same days' counts are ~126,000 rows
 * already grouped, summed in ~13 ms against ~35 ms for the rows (DuckDB, 2 threads, medians of 15).
 *
 * Exact by construction, not by estimate:
 * - an hour counted here is one the window holds from its first to its last instant, so every row in it passes the
 *   window's event-time test, and every row that passes and lies in it is counted (the view keeps only those hours);
 * - the rows of the window's first and last hours, when the window does not start or end on the hour, are counted
 *   row by row from the days that hold such hours (actionHours), and only those rows (ROW_CONDITION);
 * - the other conditions of the window (the day partitions, accounts, regions) are tested on the counts' own columns;
 * - a day some of whose event times cannot be read as a time is not counted here: the template itself would fail on
 *   it, so the question runs as written (actionHours is left out, and the day keeps no counts the engine uses).
 */

/**
 * The variables holding the first and the end of the whole hours the counts answer for. Unlike the file lists and the
 * source addresses, they are not reset when the connection is pooled: two times, read only by the counts' view and
 * ROW_CONDITION, which a question uses only after setting them again (setActionHours).
 */
export const FULL_FROM_VARIABLE = 'trailbot_full_from';
export const FULL_TO_VARIABLE = 'trailbot_full_to';

/** The name of the counts' view (the variants' `FROM`). */
export const ACTIONS_VIEW = 'cloudtrail_actions';

/**
 * `SELECT` writing a day's counts from its flat Parquet file (cache-convert.ts), sorted so a type and hours are a
 * range.
 */
export function actionsSql(dayLiteral: string): string {
  return `SELECT date_trunc('hour', t) AS hour, "useridentity.type" AS identity_type, recipientaccountid, awsregion,
  coalesce(nullif("useridentity.username", ''), "useridentity.arn") AS username, eventname,
  "timestamp", account, region, count(*) AS calls, count(nullif(errorcode, '')) AS errors
FROM (SELECT *, try_cast(eventtime AS TIMESTAMPTZ) AS t FROM read_parquet(${dayLiteral}, ${OWN_COLUMNS}))
WHERE t IS NOT NULL
GROUP BY ALL
ORDER BY identity_type, hour`;
}

/**
 * The first and last hour a day's counts hold (ISO texts), or undefined when a row's event time is not a time (the
 * template's own test would fail on it) or the day has no timed row. Run on the conversion's connection (UTC).
 */
export async function actionHours(
  connection: DuckDBConnection,
  dayLiteral: string,
  actionsLiteral: string,
): Promise<[string, string] | undefined> {
  const [bad] = (
    await connection.runAndReadAll(
      `SELECT count(*) FROM read_parquet(${dayLiteral}, ${OWN_COLUMNS}) WHERE eventtime IS NOT NULL AND try_cast(eventtime AS TIMESTAMPTZ) IS NULL`,
    )
  ).getRows();
  if (Number(bad?.[0] ?? 1) !== 0) return undefined;
  const [range] = (
    await connection.runAndReadAll(
      `SELECT strftime(min(hour), '%Y-%m-%dT%H:%M:%SZ'), strftime(max(hour), '%Y-%m-%dT%H:%M:%SZ') FROM read_parquet(${actionsLiteral})`,
    )
  ).getRows();
  const [first, last] = range ?? [];
  return typeof first === 'string' && typeof last === 'string' ? [first, last] : undefined;
}

const HOUR_MS = 3_600_000;

/** How a question with a variant over the counts reads its cached days. */
export interface ActionsPlan {
  /** The question's variant over the counts (BoundQuery.rollup). */
  rollup: NonNullable<BoundQuery['rollup']>;
  /** The whole hours the counts answer for: [from, to). */
  from: Date;
  to: Date;
  /** Whether a cached day must still be read row by row (it may hold a row of the window's first or last hour). */
  rowLevel(day: CachedPartition): boolean;
}

/**
 * The plan, when the question has a variant (BoundQuery.rollup), its window holds a whole hour, and every cached day
 * it reads has usable counts; else undefined and the question runs as written.
 */
export function planActions(query: BoundQuery, days: readonly CachedPartition[]): ActionsPlan | undefined {
  if (!query.rollup || days.length === 0) return undefined;
  if (!days.every((d) => d.actions && d.actionHours && fs.existsSync(d.actions))) return undefined;
  const start = Date.parse(query.window.start);
  const end = Date.parse(query.window.end);
  const from = Math.ceil(start / HOUR_MS) * HOUR_MS;
  const to = Math.floor(end / HOUR_MS) * HOUR_MS;
  if (!(from < to)) return undefined;
  // The hours only partly inside the window.
  const partial = [...(start < from ? [from - HOUR_MS] : []), ...(end > to ? [to] : [])];
  return {
    rollup: query.rollup,
    from: new Date(from),
    to: new Date(to),
    rowLevel: (day) => {
      const [first, last] = day.actionHours!.map(Date.parse) as [number, number];
      return partial.some((hour) => first <= hour && hour <= last);
    },
  };
}

/** Sets the plan's hours on the question's connection (read by the counts' view and the row-level condition). */
export async function setActionHours(connection: DuckDBConnection, plan: ActionsPlan): Promise<void> {
  for (const [name, at] of [
    [FULL_FROM_VARIABLE, plan.from],
    [FULL_TO_VARIABLE, plan.to],
  ] as const) {
    await connection.run(`SET VARIABLE ${name} = CAST($1 AS TIMESTAMPTZ)`, [at.toISOString()], [VARCHAR]);
  }
}

const inWholeHours = (time: string) =>
  `${time} >= getvariable('${FULL_FROM_VARIABLE}') AND ${time} < getvariable('${FULL_TO_VARIABLE}')`;

/**
 * The condition on a cached day's flat rows that keeps those the counts do not answer for (cachedArmSql's `more`).
 * A row whose time is NULL is dropped: the window's own test drops it too.
 *
 * It compares the event time itself, not its hour: both ends are whole hours (UTC, as the counts are), so a time is
 * at or after the first exactly when its hour is, and before the end exactly when its hour is. date_trunc on a
 * TIMESTAMPTZ goes through the ICU calendar; on the 4 day files a window cut inside an hour reads row by row
 * (54,999 rows) this condition took 19.6 ms with it and 8.3 ms without (plain DuckDB, 2 threads, medians of 15;
 * the same 18,712 rows kept).
 */
export const ROW_CONDITION = `NOT (${inWholeHours('CAST("eventtime" AS TIMESTAMPTZ)')})`;

/**
 * The counts' view over `days` (at least one): the whole hours of the plan, `eventtime` the hour (a time, not a
 * text).
 */
export function actionsViewSql(days: readonly CachedPartition[]): string {
  return `CREATE OR REPLACE TEMP VIEW ${ACTIONS_VIEW} AS
SELECT hour AS eventtime, identity_type, recipientaccountid, awsregion, username, eventname, "timestamp", account, region, calls, errors
FROM ${parquetOf(days.map((d) => d.actions!))}
WHERE ${inWholeHours('hour')}`;
}
