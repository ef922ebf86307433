import * as fs from 'node:fs';
import * as path from 'node:path';
import { type DuckDBType, DuckDBTypeId } from '@duckdb/node-api';
import { CLOUDTRAIL_COLUMNS, type ColumnType } from '../../../src/ddl/table';
import { discoverLogFiles, type LogFile, probeFormats } from '../../../src/engines/duckdb/files';
import { columnNeeds, type Need } from '../../../src/engines/duckdb/needs';
import { branchesOf, duckDbType, maxObjectSizeFor, viewSql } from '../../../src/engines/duckdb/view';
import { event, LogTree, memoryDuckDb } from './fixtures';

const FIXTURES = path.resolve(__dirname, '../../fixtures/cloudtrail');

/** A type as a plain tree, from the table spec… */
type Shape = string | { struct: [string, Shape][] } | { list: Shape } | { map: [Shape, Shape] };
function specShape(type: ColumnType): Shape {
  switch (type.kind) {
    case 'string':
      return 'VARCHAR';
    case 'array':
      return { list: specShape(type.of) };
    case 'map':
      return { map: [specShape(type.key), specShape(type.value)] };
    case 'struct':
      return { struct: type.fields.map((f) => [f.name, specShape(f.type)]) };
  }
}
/** …and from what DuckDB reports for the view. */
function duckShape(type: DuckDBType): Shape {
  switch (type.typeId) {
    case DuckDBTypeId.LIST:
      return { list: duckShape((type as unknown as { valueType: DuckDBType }).valueType) };
    case DuckDBTypeId.MAP: {
      const map = type as unknown as { keyType: DuckDBType; valueType: DuckDBType };
      return { map: [duckShape(map.keyType), duckShape(map.valueType)] };
    }
    case DuckDBTypeId.STRUCT: {
      const struct = type as unknown as { entryNames: readonly string[]; entryTypes: readonly DuckDBType[] };
      return { struct: struct.entryNames.map((name, i) => [name, duckShape(struct.entryTypes[i]!)]) };
    }
    default:
      return type.toString();
  }
}

const EXPECTED_COLUMNS = [
  ...CLOUDTRAIL_COLUMNS.map((c) => [c.name, specShape(c.type)] as const),
  ['timestamp', 'VARCHAR'] as const,
  ['region', 'VARCHAR'] as const,
  ['account', 'VARCHAR'] as const,
];

describe('cloudtrail_logs view', () => {
  let tree: LogTree;
  const db = memoryDuckDb();

  beforeAll(async () => {
    tree = new LogTree();
    // One file of every format the engine reads, S3 layout and flat.
    tree.s3({ day: '2024/05/01', events: [event()] });
    tree.write(
      'AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/odd.json',
      fs.readFileSync(path.join(FIXTURES, 'odd-leaves.json')),
    );
    tree.write('exports/array.json', JSON.stringify([event({ eventTime: '2024-05-01T11:00:00Z' })], null, 2));
    tree.write('exports/ndjson.json.gz', fs.readFileSync(path.join(FIXTURES, 'ndjson-export.json')));
    tree.write('exports/wrapped.json', JSON.stringify({ Records: [event({ eventTime: '2024-05-01T12:00:00Z' })] }));
  });

  afterAll(() => {
    tree.remove();
  });

  /** Discovery takes S3 files to be one-line CloudTrail files; here one is pretty-printed, so look at the heads. */
  async function filesOfDay(): Promise<LogFile[]> {
    const { files } = await discoverLogFiles(tree.root, { partitions: ['2024/05/01'] });
    await probeFormats(files);
    return files;
  }

  async function describeView(sql: string): Promise<{ names: string[]; shapes: [string, Shape][] }> {
    const described = await db.connection.runAndReadAll('DESCRIBE cloudtrail_logs');
    const names = described.getRowsJS().map((row) => String(row[0]));
    const prepared = await db.connection.prepare(sql);
    const shapes = Array.from(
      { length: prepared.columnCount },
      (_, i) => [prepared.columnName(i), duckShape(prepared.columnType(i))] as [string, Shape],
    );
    prepared.destroySync();
    return { names, shapes };
  }

  test.each([
    ['every format, every column pinned', 'SELECT * FROM cloudtrail_logs', true],
    ['every format, one column pinned', 'SELECT eventname FROM cloudtrail_logs', true],
    ['no files at all', 'SELECT * FROM cloudtrail_logs', false],
  ])('has exactly the columns and types of CLOUDTRAIL_COLUMNS (%s)', async (_label, sql, withFiles) => {
    const files = await filesOfDay();
    expect(new Set(files.map((f) => `${f.layout}:${f.format}`))).toEqual(
      new Set(['s3:records', 's3:records-multiline', 'flat:array', 'flat:events', 'flat:records']),
    );
    await db.connection.run(viewSql(branchesOf(withFiles ? files : []), { needs: columnNeeds(sql) }));
    const { names, shapes } = await describeView('SELECT * FROM cloudtrail_logs');
    expect(names).toEqual(EXPECTED_COLUMNS.map(([name]) => name));
    expect(shapes).toEqual(EXPECTED_COLUMNS);
  });

  test('every leaf is text: booleans, objects and numbers come out as Athena JsonSerDe gives them', async () => {
    const files = await filesOfDay();
    await db.connection.run(viewSql(branchesOf(files), { needs: 'all' }));
    const reader = await db.connection.runAndReadAll(
      `SELECT eventid, readonly, requestparameters, responseelements, additionaleventdata, serviceeventdetails,
              sessioncredentialfromconsole, edgedevicedetails, resources[1].arn AS resource_arn,
              resources[1].type AS resource_type, useridentity.sessioncontext.sessionissuer.username AS issuer,
              useridentity.onbehalfof.userid AS on_behalf_of,
              useridentity.sessioncontext.webidfederationdata.attributes['aud'] AS aud,
              useridentity.sessioncontext.attributes.mfaauthenticated AS mfa, addendum.originaleventid AS original,
              tlsdetails.clientprovidedhostheader AS host, "timestamp", region, account
       FROM cloudtrail_logs WHERE eventid LIKE 'evt-odd-%' ORDER BY eventid`,
    );
    const [odd, service] = reader.getRowObjectsJS();
    expect(odd).toEqual({
      eventid: 'evt-odd-1',
      readonly: 'false',
      requestparameters:
        '{"groupId":"sg-0123456789abcdef0","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}',
      responseelements: '{"_return":true,"securityGroupRuleSet":{"items":[{"securityGroupRuleId":"sgr-1"}]}}',
      additionaleventdata: '{"MFAUsed":"No","LoginTo":"https://console.aws.amazon.com"}',
      serviceeventdetails: '{"snapshotId":"snap-1"}',
      sessioncredentialfromconsole: 'true',
      edgedevicedetails: '{"type":"outposts","deviceID":"op-1"}',
      resource_arn: 'arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0123456789abcdef0',
      resource_type: 'AWS::EC2::SecurityGroup',
      issuer: 'Admin',
      on_behalf_of: 'u-1234',
      aud: 'sts.amazonaws.com',
      mfa: 'false',
      original: 'evt-0',
      host: 'ec2.eu-west-1.amazonaws.com',
      timestamp: '2024/05/01',
      region: 'eu-west-1',
      account: '111122223333',
    });
    expect(service).toMatchObject({ eventid: 'evt-odd-2', readonly: 'true', requestparameters: null });
  });

  test('partition columns: from the folder for S3 files, from eventtime and the records’ own awsRegion / recipientAccountId for exports', async () => {
    const files = await filesOfDay();
    await db.connection.run(viewSql(branchesOf(files), { needs: columnNeeds('SELECT eventid, eventtime') }));
    const reader = await db.connection.runAndReadAll(
      `SELECT eventid, "timestamp", region, account FROM cloudtrail_logs WHERE eventid LIKE 'evt-nd-%' ORDER BY eventid`,
    );
    expect(reader.getRowsJS()).toEqual([
      ['evt-nd-1', '2024/05/02', 'us-east-1', '444455556666'],
      ['evt-nd-2', '2024/05/02', 'us-east-1', '444455556666'],
    ]);
  });

  test('partition columns of S3 files from several accounts, regions and days, listed in any order, are each file’s own', async () => {
    const many = new LogTree();
    try {
      const expected: [string, string, string, string][] = [];
      let n = 0;
      for (const account of ['111122223333', '444455556666'])
        for (const region of ['us-east-1', 'eu-west-1'])
          for (const day of ['2024/05/01', '2024/05/02', '2024/05/03'])
            for (let copy = 0; copy < 2; copy++) {
              const id = `evt-part-${++n}`;
              many.s3({ account, region, day, events: [event({ eventID: id })] });
              expected.push([id, day, region, account]);
            }
      const { files } = await discoverLogFiles(many.root, { partitions: ['2024/05/01', '2024/05/02', '2024/05/03'] });
      expect(files).toHaveLength(expected.length);
      // Runs of one partition as discovery lists them, then interleaved (a damaged cached day's files are appended).
      const interleaved = [...files.filter((_, i) => i % 2 === 0), ...files.filter((_, i) => i % 2 === 1).reverse()];
      for (const order of [files, interleaved]) {
        const sql = viewSql(branchesOf(order), { needs: columnNeeds('SELECT eventid') });
        expect(sql).not.toContain('regexp_extract');
        await db.connection.run(sql);
        const all = await db.connection.runAndReadAll(
          `SELECT eventid, "timestamp", region, account FROM cloudtrail_logs ORDER BY eventid`,
        );
        expect(all.getRowsJS()).toEqual([...expected].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
        const filtered = await db.connection.runAndReadAll(
          `SELECT count(*)::INTEGER FROM cloudtrail_logs WHERE "timestamp" BETWEEN '2024/05/02' AND '2024/05/03' AND region = 'eu-west-1' AND account = '444455556666'`,
        );
        expect(filtered.getRowsJS()).toEqual([[4]]);
      }
      // A file whose partition discovery did not record (built by hand) falls back to its path.
      const bare = files.map(({ day: _d, region: _r, account: _a, ...rest }) => rest);
      const fallback = viewSql(branchesOf(bare), { needs: columnNeeds('SELECT eventid') });
      expect(fallback).toContain('regexp_extract');
      await db.connection.run(fallback);
      const fromPath = await db.connection.runAndReadAll(
        `SELECT eventid, "timestamp", region, account FROM cloudtrail_logs ORDER BY eventid`,
      );
      expect(fromPath.getRowsJS()).toEqual([...expected].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
    } finally {
      many.remove();
    }
  });

  test('a column the query does not name reads as NULL; one it names is read', async () => {
    const files = await filesOfDay();
    const sql = `SELECT eventname, useridentity.username, useragent FROM cloudtrail_logs WHERE eventid = 'evt-nd-2'`;
    await db.connection.run(viewSql(branchesOf(files), { needs: columnNeeds(sql) }));
    const reader = await db.connection.runAndReadAll(
      `SELECT eventname, useridentity.username, useragent, eventsource FROM cloudtrail_logs WHERE eventid = 'evt-nd-2'`,
    );
    // eventid is filtered on, so it is pinned; eventsource was not named by the query the view was made for.
    expect(reader.getRowsJS()).toEqual([['CreateAccessKey', 'bob', 'aws-cli/2.15.0', null]]);
  });

  test('a struct the query reads only text leaves of is left as read; one it uses whole has the table’s type', async () => {
    const files = await filesOfDay();
    const leaves = `SELECT useridentity.username, useridentity.sessioncontext.sessionissuer.arn FROM cloudtrail_logs WHERE eventid = 'evt-nd-2'`;
    const leavesView = viewSql(branchesOf(files), { needs: columnNeeds(leaves) });
    expect(leavesView).not.toMatch(/CAST\(r\."userIdentity"/);
    await db.connection.run(leavesView);
    expect((await db.connection.runAndReadAll(leaves)).getRowsJS()).toEqual([['bob', null]]);
    const asRead = await db.connection.runAndReadAll(`SELECT typeof(useridentity) FROM cloudtrail_logs LIMIT 1`);
    expect(String(asRead.getRowsJS()[0]![0])).toContain('userName');
    const whole = `SELECT useridentity.username, useridentity.sessioncontext FROM cloudtrail_logs WHERE eventid = 'evt-nd-2'`;
    const wholeView = viewSql(branchesOf(files), { needs: columnNeeds(whole) });
    expect(wholeView).toMatch(/CAST\(r\."userIdentity"/);
    await db.connection.run(wholeView);
    const reader = await db.connection.runAndReadAll(
      `SELECT useridentity.username, useridentity.arn, typeof(useridentity) FROM cloudtrail_logs WHERE eventid = 'evt-nd-2'`,
    );
    // Fields the query did not pin are NULL, and the struct has the table's type, lowercase field names included.
    const useridentity = CLOUDTRAIL_COLUMNS.find((c) => c.name === 'useridentity')!;
    expect(reader.getRowsJS()).toEqual([
      ['bob', null, duckDbType(useridentity.type).replace(/"(?!type")(\w+)"/g, '$1')],
    ]);
  });

  test('the view SQL names each file once and raises maximum_object_size for big objects only', async () => {
    const files = await filesOfDay();
    const sql = viewSql(branchesOf(files), { needs: 'all' });
    for (const file of files) expect(sql.split(file.path).length - 1).toBe(1);
    expect(sql).toContain('maximum_object_size = 16777216');
    expect(maxObjectSizeFor(20_000_000)).toBeGreaterThan(20_000_000);
    expect(maxObjectSizeFor(10)).toBe(16 * 1024 * 1024);
  });
});

describe('columnNeeds', () => {
  const plain = (needs: ReturnType<typeof columnNeeds>): unknown =>
    needs === 'all' ? 'all' : Object.fromEntries([...needs].map(([k, v]) => [k, toPlain(v)]));
  const toPlain = (need: Need): unknown =>
    need === 'whole' ? 'whole' : Object.fromEntries([...need].map(([k, v]) => [k, toPlain(v)]));

  test('names columns and the struct fields reached with dots', () => {
    const sql = `SELECT eventname, useridentity.username, useridentity.sessioncontext.sessionissuer.arn
      FROM cloudtrail_logs t WHERE "timestamp" BETWEEN ? AND ? AND t.sourceipaddress <> ''`;
    expect(plain(columnNeeds(sql))).toEqual({
      eventname: 'whole',
      useridentity: { username: 'whole', sessioncontext: { sessionissuer: { arn: 'whole' } } },
      sourceipaddress: 'whole',
    });
  });

  test('only a select-list * reads every column; multiplication and count(*) read none', () => {
    expect(columnNeeds('SELECT * FROM cloudtrail_logs')).toBe('all');
    expect(columnNeeds('SELECT DISTINCT * FROM cloudtrail_logs')).toBe('all');
    expect(columnNeeds('SELECT eventname, * FROM cloudtrail_logs')).toBe('all');
    expect(columnNeeds('SELECT t.* FROM cloudtrail_logs t')).toBe('all');
    const offHours = 'SELECT eventid FROM cloudtrail_logs WHERE hour(from_iso8601_timestamp(eventtime)) * 60 + 5 >= ?';
    expect(plain(columnNeeds(offHours))).toEqual({ eventid: 'whole', eventtime: 'whole' });
    expect(plain(columnNeeds('SELECT count(*) AS n, 2 * 3 FROM cloudtrail_logs'))).toEqual({});
  });

  test('a struct used without a field after it is needed whole', () => {
    expect(plain(columnNeeds('SELECT json_format(CAST(useridentity AS JSON)), useridentity.arn FROM x'))).toEqual({
      useridentity: 'whole',
    });
    expect(plain(columnNeeds(`SELECT useridentity['arn'], resources[1].arn FROM x`))).toEqual({
      useridentity: 'whole',
      resources: 'whole',
    });
  });

  test('quoted identifiers count; names inside string literals and comments do not', () => {
    expect(
      plain(columnNeeds(`SELECT "eventName" -- errorcode\n FROM x /* useragent */ WHERE awsregion = 'eventsource'`)),
    ).toEqual({ eventname: 'whole', awsregion: 'whole' });
  });

  test('star, NATURAL JOIN and COLUMNS() can reach every column', () => {
    expect(columnNeeds('SELECT * FROM cloudtrail_logs')).toBe('all');
    expect(columnNeeds('SELECT t.* FROM cloudtrail_logs t')).toBe('all');
    expect(columnNeeds('SELECT a.eventname FROM cloudtrail_logs a NATURAL JOIN b')).toBe('all');
    expect(columnNeeds(`SELECT COLUMNS('event.*') FROM cloudtrail_logs`)).toBe('all');
    expect(plain(columnNeeds('SELECT count(*), eventname FROM cloudtrail_logs GROUP BY 2'))).toEqual({
      eventname: 'whole',
    });
  });
});
