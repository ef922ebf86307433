import { TrinoSQL } from 'dt-sql-parser';
import type { TrailLocation } from '../../src/config';
import {
  compactionNames,
  renderCompactDayStatement,
  renderLogsViewDdl,
  renderWatermarkQuery,
} from '../../src/ddl/compact';

/**
 * The compaction statements trailbot sends to Athena engine v3 (Trino): the MERGE, the view and the watermark query
 * must parse with dt-sql-parser's Trino grammar, as sent (the day stays a `?` parameter). The Iceberg CREATE TABLE is
 * Athena DDL (Hive syntax) and is checked in test/ddl/compact.test.ts instead.
 */
const SINGLE: TrailLocation = {
  bucket: 'acme-cloudtrail',
  prefix: '',
  accounts: ['111122223333'],
  regions: ['us-east-1'],
};
const MULTI: TrailLocation = {
  bucket: 'acme-cloudtrail',
  prefix: 'org',
  accounts: ['111122223333', '444455556666'],
  regions: ['us-east-1', 'eu-west-1'],
};

const trino = new TrinoSQL();
const problems = (sql: string) => trino.validate(sql).map((e) => `line ${e.startLine}:${e.startColumn} ${e.message}`);

describe.each([
  ['one account, one region', SINGLE],
  ['several accounts and regions', MULTI],
])('compaction statements parse as Trino (%s)', (_name, location) => {
  for (const database of [undefined, 'trailbot']) {
    const names = compactionNames(database);
    test(`MERGE of one day${database ? ' (qualified)' : ''}`, () => {
      const sql = renderCompactDayStatement(location, names);
      expect(problems(sql)).toEqual([]);
      // Exactly one value, the day, and it is a parameter.
      expect(sql.match(/\?/g)).toHaveLength(1);
      expect(sql).toMatch(/WHEN NOT MATCHED THEN\s+INSERT/);
      expect(sql).not.toMatch(/WHEN MATCHED/);
    });
    test(`the cloudtrail_logs view${database ? ' (qualified)' : ''}`, () => {
      expect(problems(renderLogsViewDdl(location, names))).toEqual([]);
    });
    test(`the watermark query${database ? ' (qualified)' : ''}`, () => {
      expect(problems(renderWatermarkQuery(names))).toEqual([]);
    });
  }
});

test('the grammar check can fail: a broken MERGE is reported', () => {
  const sql = renderCompactDayStatement(SINGLE, compactionNames());
  expect(problems(sql.replace('WHEN NOT MATCHED THEN', 'WHEN NOT MATCHED'))).not.toEqual([]);
});
