import * as path from 'node:path';
import { cachedArmSql, flatColumnRead, flatSelect } from '../../../src/engines/duckdb/cache-columns';
import { discoverLogFiles } from '../../../src/engines/duckdb/files';
import { columnNeeds } from '../../../src/engines/duckdb/needs';
import type { Pruning } from '../../../src/engines/duckdb/pruning';
import { branchesOf, parquetOf, viewSql } from '../../../src/engines/duckdb/view';
import { event, LogTree, memoryDuckDb } from './fixtures';

/**
 * The cache's flat layout (cache-columns.ts): struct columns stored one Parquet column per leaf, packed back by the
 * view. Whatever a question asks of a struct, the cached day must answer it as the raw files do, including records
 * where a struct, or a struct inside one, is missing.
 */
describe('the cache stores structs flat and the view packs them back', () => {
  let tree: LogTree;
  let parquet: string;
  const db = memoryDuckDb();

  beforeAll(async () => {
    tree = new LogTree();
    const base = event();
    tree.s3({
      day: '2024/05/01',
      events: [
        // An assumed-role session: sessionContext with its issuer and MFA attributes, and a web identity map.
        event({
          eventID: 'evt-role',
          userIdentity: {
            type: 'AssumedRole',
            arn: 'arn:aws:sts::111122223333:assumed-role/ops/bob',
            sessionContext: {
              attributes: { mfaAuthenticated: 'true', creationDate: '2024-05-01T09:00:00Z' },
              sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/ops', userName: 'ops' },
              webIdFederationData: { federatedProvider: 'accounts.google.com', attributes: { aud: 'x', sub: 'y' } },
            },
          },
          tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256' },
          resources: [{ ARN: 'arn:aws:s3:::b', type: 'AWS::S3::Bucket' }],
        }),
        // An IAM user: no sessionContext at all.
        event({ eventID: 'evt-user' }),
        // No userIdentity and no tlsDetails: the structs themselves are missing.
        { ...base, eventID: 'evt-bare', userIdentity: undefined },
        // Present but empty structs.
        event({ eventID: 'evt-empty', userIdentity: { sessionContext: {} }, tlsDetails: {} }),
        // Explicit nulls, an empty map inside a struct, an empty list and a list of one empty struct.
        event({
          eventID: 'evt-nulls',
          userIdentity: { type: 'AssumedRole', sessionContext: null, onBehalfOf: null },
          tlsDetails: null,
          resources: [],
        }),
        event({
          eventID: 'evt-emptymap',
          userIdentity: { sessionContext: { webIdFederationData: { attributes: {} } } },
          resources: [{}],
        }),
      ],
    });
    // A second day, left raw: a view over it and the cached first day must merge the two arms' struct types.
    tree.s3({
      day: '2024/05/02',
      events: [
        event({
          eventID: 'evt-raw-role',
          userIdentity: { type: 'AssumedRole', sessionContext: { sessionIssuer: { userName: 'ops' } } },
        }),
        { ...base, eventID: 'evt-raw-bare', userIdentity: undefined },
      ],
    });
    const { files } = await discoverLogFiles(tree.root, { partitions: ['2024/05/01'] });
    await db.connection.run(viewSql(branchesOf(files), { needs: 'all' }, 'raw_logs'));
    parquet = path.join(tree.root, 'day.parquet');
    await db.connection.run(`COPY (SELECT ${flatSelect().join(', ')} FROM raw_logs) TO '${parquet}' (FORMAT parquet)`);
  });
  afterAll(() => tree.remove());

  const rows = async (sql: string) => (await db.connection.runAndReadAll(sql)).getRowsJS();

  /** `sql` (ordered by event id) over a view of these days' raw files, and the cached 2024/05/01 if `cached`. */
  async function answer(sql: string, arms: { rawDays: string[]; cached: boolean; pruning?: Pruning }) {
    const needs = columnNeeds(sql);
    const files = arms.rawDays.length ? (await discoverLogFiles(tree.root, { partitions: arms.rawDays })).files : [];
    const cachedArm = arms.cached ? { cachedArm: cachedArmSql(parquetOf([parquet]), needs, arms.pruning) } : {};
    await db.connection.run(viewSql(branchesOf(files), { needs, ...cachedArm }));
    return rows(`${sql} ORDER BY eventid`);
  }

  test('the Parquet file has no struct column: a column per leaf and a presence flag per struct', async () => {
    const schema = await rows(
      `SELECT name, type FROM parquet_schema('${parquet}') WHERE name LIKE 'useridentity%' OR name = 'tlsdetails'`,
    );
    const names = schema.map((r) => String(r[0]));
    expect(names).toContain('useridentity.sessioncontext.sessionissuer.username');
    expect(names).toContain('useridentity.sessioncontext:present');
    expect(names).not.toContain('useridentity');
    // A map inside a struct stays one (map) column.
    expect(names).toContain('useridentity.sessioncontext.webidfederationdata.attributes');
  });

  test.each([
    'SELECT eventid, useridentity.username, useridentity.sessioncontext.sessionissuer.username AS issuer FROM cloudtrail_logs',
    'SELECT eventid, to_json(useridentity) AS j, to_json(tlsdetails) AS t FROM cloudtrail_logs',
    'SELECT eventid, useridentity IS NULL AS a, tlsdetails IS NULL AS b, useridentity.sessioncontext IS NULL AS c FROM cloudtrail_logs',
    'SELECT eventid, to_json(useridentity.sessioncontext) AS s, useridentity.sessioncontext.attributes.mfaauthenticated AS m FROM cloudtrail_logs',
    "SELECT eventid, useridentity.sessioncontext.webidfederationdata.attributes['aud'] AS aud, to_json(resources) AS r FROM cloudtrail_logs",
    'SELECT * FROM cloudtrail_logs',
  ])('same answer from the flat Parquet file as from the raw files: %s', async (sql) => {
    const cached = await answer(sql, { rawDays: [], cached: true });
    const raw = await answer(sql, { rawDays: ['2024/05/01'], cached: false });
    expect(cached).toHaveLength(6);
    expect(JSON.stringify(cached)).toBe(JSON.stringify(raw));
  });

  test.each([
    'SELECT * FROM cloudtrail_logs',
    'SELECT eventid, to_json(useridentity) AS j, useridentity.sessioncontext IS NULL AS s FROM cloudtrail_logs',
    'SELECT eventid, useridentity.sessioncontext.sessionissuer.username AS issuer FROM cloudtrail_logs',
  ])('a cached day and a raw day in one view answer as two raw days: %s', async (sql) => {
    const mixed = await answer(sql, { rawDays: ['2024/05/02'], cached: true });
    const raw = await answer(sql, { rawDays: ['2024/05/01', '2024/05/02'], cached: false });
    expect(mixed).toHaveLength(8);
    expect(JSON.stringify(mixed)).toBe(JSON.stringify(raw));
  });

  test('a condition every answer row meets on a struct leaf goes to the scan of the cached arm, and the answer stays the same', async () => {
    const roles: Pruning = new Map([['useridentity.type', new Set(['AssumedRole'])]]);
    const sql = "SELECT eventid, useridentity.type AS t FROM cloudtrail_logs WHERE useridentity.type = 'AssumedRole'";
    const cached = await answer(sql, { rawDays: ['2024/05/02'], cached: true, pruning: roles });
    const raw = await answer(sql, { rawDays: ['2024/05/01', '2024/05/02'], cached: false });
    expect(cached.map((r) => r[0])).toEqual(['evt-nulls', 'evt-raw-role', 'evt-role']);
    expect(JSON.stringify(cached)).toBe(JSON.stringify(raw));
    // The arm itself holds only those rows (the raw day's arm is not filtered: the question's WHERE does that).
    const arm = await answer('SELECT eventid FROM cloudtrail_logs', { rawDays: [], cached: true, pruning: roles });
    expect(arm.map((r) => r[0])).toEqual(['evt-nulls', 'evt-role']);
    const plan = await rows(`EXPLAIN ${'SELECT eventid FROM cloudtrail_logs'}`);
    expect(String(plan[0]?.[1])).toMatch(/Filters:[\s\S]*useridentity\.type/);
    // Conditions on plain columns are DuckDB's to push; two that no value meets leave the arm empty.
    expect(cachedArmSql(parquetOf([parquet]), 'all', new Map([['eventname', new Set(['X'])]]))).not.toContain('WHERE');
    const none = await answer('SELECT eventid FROM cloudtrail_logs', {
      rawDays: [],
      cached: true,
      pruning: new Map([['useridentity.type', new Set<string>()]]),
    });
    expect(none).toEqual([]);
  });

  test('a question that takes fields of a struct reads those leaves only; one that uses it whole reads its flag too', () => {
    const fields = columnNeeds('SELECT useridentity.sessioncontext.sessionissuer.username FROM cloudtrail_logs');
    expect(flatColumnRead('useridentity.sessioncontext.sessionissuer.username', fields)).toBe(true);
    expect(flatColumnRead('useridentity.sessioncontext.sessionissuer.arn', fields)).toBe(false);
    expect(flatColumnRead('useridentity.arn', fields)).toBe(false);
    expect(flatColumnRead('useridentity:present', fields)).toBe(false);
    expect(flatColumnRead('eventname', fields)).toBe(false);

    const whole = columnNeeds('SELECT to_json(useridentity.sessioncontext) FROM cloudtrail_logs');
    expect(flatColumnRead('useridentity.sessioncontext:present', whole)).toBe(true);
    expect(flatColumnRead('useridentity.sessioncontext.attributes:present', whole)).toBe(true);
    expect(flatColumnRead('useridentity.sessioncontext.attributes.mfaauthenticated', whole)).toBe(true);
    expect(flatColumnRead('useridentity:present', whole)).toBe(false);
    expect(flatColumnRead('useridentity.arn', whole)).toBe(false);

    expect(flatColumnRead('tlsdetails:present', 'all')).toBe(true);
  });
});
