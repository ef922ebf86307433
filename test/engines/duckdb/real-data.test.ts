import * as fs from 'node:fs';
import * as path from 'node:path';
import { DuckDbEngine } from '../../../src/engines/duckdb/engine';
import { plainQuery, records, run } from './fixtures';

/**
 * The real CloudTrail records published by DataDog/stratus-red-team (310 events, bare JSON arrays; see the README
 * beside them). They live next to the repository, never inside it.
 */
const DATA = path.resolve(__dirname, '../../../../shared/data');
const LOGS = path.join(DATA, 'stratus-red-team/docs/detonation-logs');
const available = fs.existsSync(LOGS);
if (!available) console.log(`skipping real CloudTrail data tests: ${LOGS} does not exist`);

(available ? describe : describe.skip)('DuckDbEngine on real CloudTrail records (stratus-red-team)', () => {
  let engine: DuckDbEngine;
  const skipped: string[] = [];

  beforeAll(() => {
    engine = new DuckDbEngine({ dataDir: LOGS, logger: (msg) => skipped.push(msg) });
  });

  afterAll(() => engine.close());

  test('loads all 310 events, 54 event names, ConsoleLogin among them', async () => {
    const result = await run(
      engine,
      plainQuery('SELECT eventname, count(*) AS n FROM cloudtrail_logs GROUP BY eventname ORDER BY n DESC, eventname'),
    );
    const counts = new Map(records(result).map((r) => [r.eventname, Number(r.n)]));
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(310);
    expect(counts.size).toBe(54);
    expect(counts.get('ConsoleLogin')).toBe(1);
    expect(result.status.stats.filesRead).toBe(35);
    expect(skipped).toEqual([]);
  });

  test('nested and non-string fields read as Athena gives them', async () => {
    const result = await run(
      engine,
      plainQuery(`SELECT eventname, useridentity.type AS identity, readonly,
          json_extract_scalar(additionaleventdata, '$.MFAUsed') AS mfa,
          json_extract_scalar(requestparameters, '$.fromPort') AS from_port,
          json_extract_scalar(requestparameters, '$.ipPermissions') AS not_scalar,
          day_of_week(from_iso8601_timestamp(eventtime)) BETWEEN 1 AND 7 AS has_day,
          "timestamp" = replace(substr(eventtime, 1, 10), '-', '/') AS day_from_eventtime
        FROM cloudtrail_logs
        WHERE eventname IN ('ConsoleLogin', 'AuthorizeSecurityGroupIngress')
        ORDER BY eventname`),
    );
    expect(records(result)).toEqual([
      {
        eventname: 'AuthorizeSecurityGroupIngress',
        identity: 'IAMUser',
        readonly: 'false',
        mfa: null,
        from_port: '22',
        not_scalar: null,
        has_day: 'true',
        day_from_eventtime: 'true',
      },
      {
        eventname: 'ConsoleLogin',
        identity: expect.any(String),
        readonly: 'false',
        mfa: 'No',
        from_port: null,
        not_scalar: null,
        has_day: 'true',
        day_from_eventtime: 'true',
      },
    ]);
  });

  test('odd anonymised values (invalid IPs, service names) do not break CIDR matching', async () => {
    const result = await run(
      engine,
      plainQuery(`SELECT count(*) AS total,
          count(contains('0.0.0.0/0', try_cast(sourceipaddress AS ipaddress))) AS ipv4,
          count(*) FILTER (WHERE contains('0.0.0.0/0', try_cast(sourceipaddress AS ipaddress))) AS matched
        FROM cloudtrail_logs`),
    );
    const [row] = records(result);
    expect(row!.total).toBe('310');
    // Every row with a valid IPv4 source matches 0.0.0.0/0; the rest (service names, 253.252.51.07 …) are NULL.
    expect(row!.ipv4).toBe(row!.matched);
    expect(Number(row!.matched)).toBeLessThan(310);
    expect(Number(row!.matched)).toBeGreaterThan(0);
  });
});
