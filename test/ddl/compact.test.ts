import type { TrailLocation } from '../../src/config';
import { ConfigError, TrailError } from '../../src/core/errors';
import {
  COMPACTED_TABLE_PROPERTIES,
  compactionNames,
  isClosedDay,
  latestClosedDay,
  nextDay,
  previousDay,
  renderCompactDayStatement,
  renderCompactedTableDdl,
  renderLogsViewDdl,
  validateCompactDay,
  validateCompactedLocation,
} from '../../src/ddl/compact';
import { cloudTrailTableSpec, renderCloudTrailDdl } from '../../src/ddl/render';

const multi: TrailLocation = {
  bucket: 'acme-cloudtrail',
  prefix: '',
  accounts: ['111122223333', '444455556666'],
  regions: ['us-east-1', 'eu-west-1'],
};
const names = compactionNames('trailbot');
const FOLDER = 's3://acme-trailbot-compacted/compacted/';

/** `name type` pairs of a CREATE TABLE column list (backtick-quoted names, one per line). */
function columnsOf(ddl: string): string[] {
  return [...ddl.matchAll(/^ {2}`(\w+)` (.+?),?$/gm)].map((m) => `${m[1]} ${m[2]}`);
}

describe('the compacted Iceberg table', () => {
  test('has the raw table’s columns and types, then its partition keys as columns, partitioned by day', () => {
    const raw = cloudTrailTableSpec(multi, { table: names.raw });
    const ddl = renderCompactedTableDdl(multi, { names, location: FOLDER });
    expect(columnsOf(ddl)).toEqual([
      ...raw.columns.map((c) => `${c.name} ${c.type}`),
      ...raw.partitionKeys.map((k) => `${k.name} ${k.type}`),
    ]);
    expect(ddl).toMatch(/^CREATE TABLE IF NOT EXISTS `trailbot`\.`cloudtrail_compacted` \(/);
    expect(ddl).toContain('PARTITIONED BY (`timestamp`)');
    expect(ddl).toContain(`LOCATION '${FOLDER}'`);
    for (const [key, value] of Object.entries(COMPACTED_TABLE_PROPERTIES)) expect(ddl).toContain(`'${key}'='${value}'`);
    expect(COMPACTED_TABLE_PROPERTIES.table_type).toBe('ICEBERG');
    // Not EXTERNAL: Athena creates Iceberg tables with a plain CREATE TABLE.
    expect(ddl).not.toContain('EXTERNAL');
  });

  test('the raw table under its compaction name is the same DDL as before, renamed', () => {
    const before = renderCloudTrailDdl(multi, { database: 'trailbot' });
    const renamed = renderCloudTrailDdl(multi, { database: 'trailbot', table: names.raw });
    expect(renamed).toBe(before.replace('`cloudtrail_logs`', '`cloudtrail_raw`'));
  });

  test.each([
    ['s3://acme-trailbot-compacted', 'must be an S3 folder'],
    ['s3://acme-trailbot-compacted/x', 'must be an S3 folder'],
    ["s3://acme-trailbot-compacted/x'y/", 'must be an S3 folder'],
    ['https://acme-trailbot-compacted/x/', 'must be an S3 folder'],
    ['s3://acme-cloudtrail/AWSLogs/compacted/', 'must not be inside the CloudTrail log folders'],
  ])('refuses the location %s', (uri, problem) => {
    expect(() => validateCompactedLocation(uri)).toThrow(ConfigError);
    expect(() => validateCompactedLocation(uri)).toThrow(problem);
    expect(() => renderCompactedTableDdl(multi, { names, location: uri })).toThrow(ConfigError);
  });

  test('accepts a bucket root and a nested folder', () => {
    expect(validateCompactedLocation('s3://acme-trailbot-compacted/')).toBe('s3://acme-trailbot-compacted/');
    expect(validateCompactedLocation('s3://acme.compacted/a/b_c/')).toBe('s3://acme.compacted/a/b_c/');
  });
});

describe('the MERGE and the view', () => {
  test('the MERGE matches on eventid and every partition key of the raw table, and inserts only', () => {
    const sql = renderCompactDayStatement(multi, names);
    expect(sql).toContain(
      'ON t."account" = s."account" AND t."region" = s."region" AND t."timestamp" = s."timestamp" AND t."eventid" = s."eventid"',
    );
    expect(sql).toContain('FROM "trailbot"."cloudtrail_raw"\n    WHERE "timestamp" = ?');
    expect(sql).toContain('PARTITION BY "account", "region", "timestamp", "eventid"');
    expect(sql).not.toMatch(/\bUPDATE\b|\bDELETE\b/);
  });

  test('the view unions the two tables with the same column list and reads raw only outside the compacted days', () => {
    const sql = renderLogsViewDdl(multi, names);
    expect(sql).toMatch(/^CREATE OR REPLACE VIEW "trailbot"\."cloudtrail_logs" AS/);
    const lists = [...sql.matchAll(/SELECT ("eventversion".*?) FROM/g)].map((m) => m[1]);
    expect(lists).toHaveLength(3);
    expect(new Set(lists).size).toBe(1);
    expect(sql.match(/UNION ALL/g)).toHaveLength(2);
    expect(sql).toContain(
      `"timestamp" < coalesce((SELECT min("timestamp") FROM "trailbot"."cloudtrail_compacted"), '9999/12/31')`,
    );
    expect(sql).toContain(`"timestamp" > (SELECT max("timestamp") FROM "trailbot"."cloudtrail_compacted")`);
  });
});

describe('days', () => {
  test.each(['2026/11/28', '2024/02/29', '2026/01/01'])('accepts %s', (day) => {
    expect(validateCompactDay(day)).toBe(day);
  });

  test.each([
    '2026-11-28',
    '2026/11/28 ',
    '2026/2/3',
    '2026/02/30',
    '2025/02/29',
    '2026/13/01',
    "2026/11/28' OR '1'='1",
    '',
  ])('refuses %j with the accepted shape', (day) => {
    expect(() => validateCompactDay(day)).toThrow(TrailError);
    expect(() => validateCompactDay(day)).toThrow(/write it yyyy\/MM\/dd, e\.g\. 2026\/11\/28/);
  });

  test('next and previous day cross months and years', () => {
    expect(nextDay('2026/12/31')).toBe('2027/01/01');
    expect(nextDay('2024/02/28')).toBe('2024/02/29');
    expect(previousDay('2026/03/01')).toBe('2026/02/28');
  });

  test('a day closes after the next day has ended plus the delivery lag', () => {
    // 2026/11/28 ends at 11/29 00:00; its next day ends at 11/30 00:00; with a 30 min lag it closes at 00:30.
    expect(isClosedDay('2026/11/28', new Date('2026-11-30T00:29:59Z'), 30)).toBe(false);
    expect(isClosedDay('2026/11/28', new Date('2026-11-30T00:30:00Z'), 30)).toBe(true);
    expect(latestClosedDay(new Date('2026-11-30T00:29:59Z'), 30)).toBe('2026/11/27');
    expect(latestClosedDay(new Date('2026-11-30T00:00:00Z'), 0)).toBe('2026/11/28');
  });
});
