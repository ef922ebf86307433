import { DuckDbEngine } from '../../../src/engines/duckdb/engine';
import { clearFileLists, setFileLists } from '../../../src/engines/duckdb/file-lists';
import { discoverLogFiles } from '../../../src/engines/duckdb/files';
import { columnNeeds } from '../../../src/engines/duckdb/needs';
import { branchesOf, FILE_LIST_PREFIX, viewSql } from '../../../src/engines/duckdb/view';
import { event, LogTree, memoryDuckDb, plainQuery, run } from './fixtures';

const ROWS = `SELECT eventid, "timestamp", region, account FROM cloudtrail_logs ORDER BY eventid`;

describe('file lists handed to DuckDB as connection variables', () => {
  let tree: LogTree;
  const db = memoryDuckDb();

  beforeAll(() => {
    tree = new LogTree();
    tree.s3({ day: '2024/05/01', events: [event({ eventID: 'evt-1' })] });
    tree.s3({ day: '2024/05/02', region: 'eu-west-1', events: [event({ eventID: 'evt-2' })] });
    // Glob characters and a quote in a name: the path must still name this file (it does even unescaped; what
    // the escaping prevents is checked on 2024/05/03 below).
    tree.s3({ day: '2024/05/02', name: "it's [a]*?.json.gz", events: [event({ eventID: 'evt-3' })] });
    // A day no other test asks about: `star*.json.gz` read as a pattern would also match the file beside it, which
    // would then be read twice.
    tree.s3({ day: '2024/05/03', name: 'star*.json.gz', events: [event({ eventID: 'evt-5' })] });
    tree.s3({ day: '2024/05/03', name: 'star-beside.json.gz', events: [event({ eventID: 'evt-6' })] });
    // A flat export: a second read_json call, so a second list.
    tree.write('exports/flat.json', JSON.stringify([event({ eventID: 'evt-4', awsRegion: 'ap-south-1' })]));
  });
  afterAll(() => tree.remove());

  test('the view reads the same rows as with the paths inline, and its SQL holds none of them', async () => {
    const { files } = await discoverLogFiles(tree.root, { partitions: ['2024/05/01', '2024/05/02'] });
    expect(files).toHaveLength(4);
    const branches = branchesOf(files);
    expect(branches.length).toBe(2);
    const needs = columnNeeds('SELECT eventid');

    await db.connection.run(viewSql(branches, { needs }));
    const inline = (await db.connection.runAndReadAll(ROWS)).getRowsJS();
    expect(inline.map((r) => r[0])).toEqual(['evt-1', 'evt-2', 'evt-3', 'evt-4']);

    const sql = viewSql(branches, { needs, fileLists: 'variables' });
    expect(sql).not.toContain(tree.root);
    await setFileLists(db.connection, branches);
    await db.connection.run(sql);
    expect((await db.connection.runAndReadAll(ROWS)).getRowsJS()).toEqual(inline);
  });

  test('clearing drops only the lists, not other variables of the connection', async () => {
    const { files } = await discoverLogFiles(tree.root, { partitions: ['2024/05/01'] });
    const count = await setFileLists(db.connection, branchesOf(files));
    // The day's S3 files and the flat export (read by every question): two read_json calls.
    expect(count).toBe(2);
    await db.connection.run(`SET VARIABLE someone_elses = 1`);
    const names = async () =>
      (await db.connection.runAndReadAll('SELECT name FROM duckdb_variables() ORDER BY name'))
        .getRowsJS()
        .map((r) => String(r[0]));
    const set = await names();
    expect(set.some((n) => n.startsWith(FILE_LIST_PREFIX))).toBe(true);
    await clearFileLists(db.connection, count);
    // The connection's other variables (this one, and the Trino shims' network values) stay.
    expect(await names()).toEqual(set.filter((n) => !n.startsWith(FILE_LIST_PREFIX)));
    expect(await names()).toContain('someone_elses');
  });

  test('two questions running at once each read their own lists (a variable belongs to its connection)', async () => {
    const engine = new DuckDbEngine({ dataDir: tree.root, logger: () => undefined, maxConcurrent: 2 });
    try {
      const sql = 'SELECT eventid FROM cloudtrail_logs WHERE "timestamp" = ? ORDER BY eventid';
      const day = (d: string) => plainQuery(sql, [d], [{ type: 'varchar', value: d }]);
      const [first, second] = await Promise.all([run(engine, day('2024/05/01')), run(engine, day('2024/05/02'))]);
      // The flat export is read by every question (its path says no day); its event is of 2024-05-01.
      expect(first.rows).toEqual([['evt-1'], ['evt-4']]);
      expect(second.rows).toEqual([['evt-2'], ['evt-3']]);
      expect([first.status.stats.filesRead, second.status.stats.filesRead]).toEqual([2, 3]);
    } finally {
      await engine.close();
    }
  });

  test('a name with `*` in it reads that one file, not the files its pattern would match', async () => {
    const engine = new DuckDbEngine({ dataDir: tree.root, logger: () => undefined });
    try {
      const result = await run(
        engine,
        plainQuery('SELECT eventid FROM cloudtrail_logs ORDER BY eventid', ['2024/05/03']),
      );
      // The flat export (evt-4) is read by every question; each S3 file once.
      expect(result.rows).toEqual([['evt-4'], ['evt-5'], ['evt-6']]);
      expect(result.status.stats.filesRead).toBe(3);
    } finally {
      await engine.close();
    }
  });

  test('the engine answers over such names through the variables', async () => {
    const engine = new DuckDbEngine({ dataDir: tree.root, logger: () => undefined });
    try {
      const result = await run(
        engine,
        plainQuery('SELECT eventid FROM cloudtrail_logs ORDER BY eventid', ['2024/05/01', '2024/05/02']),
      );
      expect(result.rows).toEqual([['evt-1'], ['evt-2'], ['evt-3'], ['evt-4']]);
      expect(result.status.stats.filesRead).toBe(4);
    } finally {
      await engine.close();
    }
  });
});
