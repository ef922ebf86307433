import { DuckDBInstance } from '@duckdb/node-api';
import type { TrailLocation } from '../../src/config';
import { compactionNames, renderCompactDayStatement, renderLogsViewDdl } from '../../src/ddl/compact';
import { CLOUDTRAIL_COLUMNS } from '../../src/ddl/table';

/**
 * The compaction MERGE and the view, run as rendered on DuckDB (which has MERGE INTO since 1.4): a local stand-in for
 * their semantics, not for Athena's Iceberg MERGE. Columns are all VARCHAR here; only keys and days matter.
 */
const location: TrailLocation = {
  bucket: 'acme-cloudtrail',
  prefix: '',
  accounts: ['111122223333'],
  regions: ['us-east-1'],
};
const names = compactionNames();
const columns = [...CLOUDTRAIL_COLUMNS.map((c) => c.name), 'timestamp'];

describe('compaction semantics on DuckDB (stand-in)', () => {
  let run: (sql: string, params?: string[]) => Promise<unknown[][]>;
  let close: () => void;

  beforeAll(async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    run = async (sql, params) => (await connection.runAndReadAll(sql, params)).getRows() as unknown[][];
    close = () => {
      connection.closeSync();
      instance.closeSync();
    };
    const table = columns.map((c) => `"${c}" VARCHAR`).join(', ');
    await run(`CREATE TABLE cloudtrail_raw (${table})`);
    await run(`CREATE TABLE cloudtrail_compacted (${table})`);
    const insert = async (eventid: string, day: string, eventname: string) =>
      run(`INSERT INTO cloudtrail_raw (eventid, "timestamp", eventname, eventtime) VALUES (?, ?, ?, ?)`, [
        eventid,
        day,
        eventname,
        `${day.replaceAll('/', '-')}T10:00:00Z`,
      ]);
    await insert('e1', '2026/11/26', 'A');
    await insert('e2', '2026/11/27', 'B');
    await insert('e2', '2026/11/27', 'B'); // CloudTrail delivered it twice
    await insert('e3', '2026/11/27', 'C');
    await insert('e4', '2026/11/28', 'D');
    await run(renderLogsViewDdl(location, names));
  });
  afterAll(() => close());

  const view = () => run('SELECT eventid, "timestamp" FROM cloudtrail_logs ORDER BY eventid, "timestamp"');
  const compacted = () => run('SELECT eventid FROM cloudtrail_compacted ORDER BY eventid');

  test('with nothing compacted, the view is the raw table', async () => {
    expect(await view()).toEqual([
      ['e1', '2026/11/26'],
      ['e2', '2026/11/27'],
      ['e2', '2026/11/27'],
      ['e3', '2026/11/27'],
      ['e4', '2026/11/28'],
    ]);
  });

  test('a compacted day is read once, from the compacted table, and re-running it adds nothing', async () => {
    const merge = renderCompactDayStatement(location, names);
    await run(merge, ['2026/11/27']);
    expect(await compacted()).toEqual([['e2'], ['e3']]);
    await run(merge, ['2026/11/27']);
    expect(await compacted()).toEqual([['e2'], ['e3']]);
    // Days before and after the compacted range still come from raw; 11/27 once per event.
    expect(await view()).toEqual([
      ['e1', '2026/11/26'],
      ['e2', '2026/11/27'],
      ['e3', '2026/11/27'],
      ['e4', '2026/11/28'],
    ]);
  });

  test('extending the range at both ends moves those days over without losing or doubling any', async () => {
    const merge = renderCompactDayStatement(location, names);
    await run(merge, ['2026/11/28']);
    await run(merge, ['2026/11/26']);
    expect(await compacted()).toEqual([['e1'], ['e2'], ['e3'], ['e4']]);
    expect(await view()).toEqual([
      ['e1', '2026/11/26'],
      ['e2', '2026/11/27'],
      ['e3', '2026/11/27'],
      ['e4', '2026/11/28'],
    ]);
  });
});
