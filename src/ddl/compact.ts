import type { TrailLocation } from '../config';
import { ConfigError, TrailError } from '../core/errors';
import {
  ddlString,
  fillDdlTemplate,
  identifier,
  loadDdlTemplate,
  partitionKeys,
  qualifiedName,
  quoteIdentifier,
} from './render';
import { CLOUDTRAIL_COLUMNS, CLOUDTRAIL_TABLE, hiveType } from './table';

/**
 * Athena compacted days (issue 16): an Iceberg table of Parquet files holding closed days of the raw CloudTrail table,
 * filled by Athena itself one day at a time, and a view under the name the templates query that reads compacted days
 * from it and every other day from the raw table. Everything here is text rendering and validation; running it is
 * src/engines/athena/compact.ts.
 *
 * Names: with compaction on, the raw (JSON, partition-projected) table is renamed `cloudtrail_raw` and the view takes
 * `cloudtrail_logs`, the name every template queries. Renaming the raw table rather than the templates' table keeps
 * every template, the DuckDB view and the binder unchanged; only the DDL and the Glue resources know.
 */
export const RAW_TABLE_WHEN_COMPACTED = 'cloudtrail_raw';
export const COMPACTED_TABLE = 'cloudtrail_compacted';

export interface CompactionNames {
  /** Database the three live in; without it the statements use the query's current database. */
  database?: string;
  raw: string;
  compacted: string;
  view: string;
}

export function compactionNames(database?: string): CompactionNames {
  const names: CompactionNames = { raw: RAW_TABLE_WHEN_COMPACTED, compacted: COMPACTED_TABLE, view: CLOUDTRAIL_TABLE };
  if (database !== undefined) names.database = identifier(database, 'database');
  return names;
}

/**
 * Iceberg TBLPROPERTIES (Athena User Guide, "Create Iceberg tables" and "Set Iceberg table properties"): Parquet
 * files, ZSTD-compressed (Athena's default for Iceberg, written out so the choice is visible).
 */
export const COMPACTED_TABLE_PROPERTIES: Readonly<Record<string, string>> = {
  table_type: 'ICEBERG',
  format: 'parquet',
  write_compression: 'zstd',
};

/**
 * The compacted table's S3 folder: `s3://bucket/prefix/`. It must not be inside the trail's log folders (the raw
 * table would read Parquet files as logs) and must end with a slash, as Athena asks for folders.
 */
export function validateCompactedLocation(uri: string): string {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/((?:[A-Za-z0-9!_.*()-]+\/)*)$/.exec(uri);
  if (!match) {
    throw new ConfigError([
      `compacted table location \`${uri}\` must be an S3 folder such as s3://my-bucket/trailbot/compacted/ (letters, digits and ! - _ . * ( ) in the key, ending with /)`,
    ]);
  }
  if (match[2]!.split('/').includes('AWSLogs')) {
    throw new ConfigError([`compacted table location \`${uri}\` must not be inside the CloudTrail log folders`]);
  }
  return uri;
}

/** Columns in table order, then the raw table's partition keys (as ordinary string columns). */
function allColumns(location: TrailLocation): { name: string; type: string }[] {
  return [
    ...CLOUDTRAIL_COLUMNS.map((c) => ({ name: c.name, type: hiveType(c.type) })),
    ...partitionKeys(location).map((k) => ({ name: k.name, type: k.type })),
  ];
}

/** Trino (DML, views) quotes identifiers with double quotes; names here are validated `[a-z0-9_]` only. */
const dq = (name: string): string => `"${name}"`;
const dmlTable = (names: CompactionNames, table: string): string =>
  names.database === undefined ? dq(table) : `${dq(names.database)}.${dq(table)}`;

/** `CREATE TABLE IF NOT EXISTS … TBLPROPERTIES ('table_type'='ICEBERG', …)` (Athena DDL: backtick-quoted names). */
export function renderCompactedTableDdl(
  location: TrailLocation,
  options: { names: CompactionNames; location: string },
): string {
  const folder = validateCompactedLocation(options.location);
  return fillDdlTemplate(loadDdlTemplate('compacted_table'), {
    tableName: qualifiedName(options.names.database, identifier(options.names.compacted, 'table')),
    columns: allColumns(location)
      .map((c) => `  ${quoteIdentifier(c.name)} ${c.type}`)
      .join(',\n'),
    partitionKeys: quoteIdentifier('timestamp'),
    location: ddlString(folder),
    tableProperties: Object.entries(COMPACTED_TABLE_PROPERTIES)
      .map(([key, value]) => `  '${ddlString(key)}'='${ddlString(value)}'`)
      .join(',\n'),
  });
}

/**
 * The MERGE that copies one day (its only `?` is the day, `yyyy/MM/dd`). Rows match on eventid and every partition
 * value, so an event is one row per account, region and day, however often the day is compacted.
 */
export function renderCompactDayStatement(location: TrailLocation, names: CompactionNames): string {
  const columns = allColumns(location).map((c) => dq(c.name));
  const keys = [...partitionKeys(location).map((k) => k.name), 'eventid'];
  return fillDdlTemplate(loadDdlTemplate('compact_day'), {
    compacted: dmlTable(names, identifier(names.compacted, 'table')),
    raw: dmlTable(names, identifier(names.raw, 'table')),
    columns: columns.join(', '),
    eventKey: keys.map(dq).join(', '),
    match: keys.map((k) => `t.${dq(k)} = s.${dq(k)}`).join(' AND '),
    sourceColumns: columns.map((c) => `s.${c}`).join(', '),
  });
}

/** `CREATE OR REPLACE VIEW cloudtrail_logs AS …` over the compacted and the raw table. */
export function renderLogsViewDdl(location: TrailLocation, names: CompactionNames): string {
  return fillDdlTemplate(loadDdlTemplate('logs_view'), {
    viewName: dmlTable(names, identifier(names.view, 'table')),
    compacted: dmlTable(names, identifier(names.compacted, 'table')),
    raw: dmlTable(names, identifier(names.raw, 'table')),
    columns: allColumns(location)
      .map((c) => dq(c.name))
      .join(', '),
  });
}

/** The compacted table's first and last day (both NULL when it is empty). */
export function renderWatermarkQuery(names: CompactionNames): string {
  return fillDdlTemplate(loadDdlTemplate('watermark'), {
    compacted: dmlTable(names, identifier(names.compacted, 'table')),
  });
}

const DAY = /^(\d{4})\/(\d{2})\/(\d{2})$/;

/**
 * A day as the raw table's `timestamp` partition writes it, `yyyy/MM/dd`, and a real calendar day. It reaches Athena
 * only as an ExecutionParameter, but a wrong shape would silently match no partition, so it is refused here.
 */
export function validateCompactDay(day: string): string {
  const m = DAY.exec(day);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!m || !date || dayOf(date) !== day) {
    throw new TrailError(
      'COMPACT_BAD_DAY',
      `\`${day.slice(0, 40)}\` is not a day: write it yyyy/MM/dd, e.g. 2026/11/28.`,
    );
  }
  return day;
}

/** `yyyy/MM/dd` of a UTC instant (CloudTrail's folders and the `timestamp` partition are UTC days). */
export function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10).replaceAll('-', '/');
}

export function nextDay(day: string): string {
  const [y, m, d] = validateCompactDay(day).split('/').map(Number) as [number, number, number];
  return dayOf(new Date(Date.UTC(y, m - 1, d + 1)));
}

/**
 * The last day whose files can no longer arrive at `now`: a day is closed after the next day has ended plus the
 * delivery lag (TRAIL_DELIVERY_LAG): CloudTrail delivers "within an average of about 5 minutes", "not guaranteed"
 * (CloudTrail User Guide, FAQ / "How CloudTrail works"), so the next day's margin plus the lag is the rule the issue
 * sets for the embedded cache too.
 */
export function latestClosedDay(now: Date, deliveryLagMinutes: number): string {
  const shifted = new Date(now.getTime() - deliveryLagMinutes * 60_000);
  const today = Date.UTC(shifted.getUTCFullYear(), shifted.getUTCMonth(), shifted.getUTCDate());
  // `today` (after the lag) has not ended; yesterday ended at today's midnight, so its next day is still open.
  return dayOf(new Date(today - 2 * 86_400_000));
}

/** Whether `day` is closed at `now` (a day after latestClosedDay is still open). */
export function isClosedDay(day: string, now: Date, deliveryLagMinutes: number): boolean {
  return validateCompactDay(day) <= latestClosedDay(now, deliveryLagMinutes);
}

export function previousDay(day: string): string {
  const [y, m, d] = validateCompactDay(day).split('/').map(Number) as [number, number, number];
  return dayOf(new Date(Date.UTC(y, m - 1, d - 1)));
}
