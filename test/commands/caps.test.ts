import { readFileSync } from 'node:fs';
import path from 'node:path';
import { COMMANDS } from '../../commands';
import { annotatorsFrom } from '../../commands/annotate';
import { SQL_DIR } from '../../src/query/bind';
import { queryOf } from '../helpers/commands';
import { testConfig } from '../helpers/config';

/** An answer cut at a template's LIMIT says so (issue 12: `recent` stopped at 200 rows without a word). */
describe('row caps', () => {
  const capped = COMMANDS.filter((c) => c.kind === 'query' && c.rowCap);

  test('recent, who, user, ip and the detections (tamper, iam, exposed) declare their cap, and it is the LIMIT their template has', () => {
    expect(capped.map((c) => c.name).sort()).toEqual(['exposed', 'iam', 'ip', 'recent', 'tamper', 'user', 'who']);
    for (const c of capped) {
      if (c.kind !== 'query' || !c.rowCap) continue;
      const template = queryOf(`${c.examples[0]}`).query.template;
      const text = readFileSync(path.join(SQL_DIR, `${template}.sql`), 'utf8');
      const limit = /LIMIT (\d+)\s*$/.exec(text.trim())?.[1];
      expect(`${c.name}: ${limit}`).toBe(`${c.name}: ${c.rowCap.rows}`);
    }
  });

  test('the row that reaches the cap carries one flag that says so and how to narrow; fewer rows carry none', () => {
    const annotate = annotatorsFrom(testConfig())('recent')!;
    const flags = Array.from({ length: 200 }, () => annotate(() => null)).flat();
    expect(flags).toEqual([
      {
        code: 'row-cap',
        message: expect.stringMatching(
          /^recent stops at 200 rows and this answer reached that: there may be more\. Narrow it with .*recent 15m/,
        ),
      },
    ]);
    const fresh = annotatorsFrom(testConfig())('ip')!;
    expect(Array.from({ length: 9_999 }, () => fresh(() => null)).flat()).toEqual([]);
    expect(fresh(() => null).map((f) => f.code)).toEqual(['row-cap']);
  });
});

/** Trino before trinodb/trino#18997 throws on contains() across IPv4/IPv6: it may only see same-family pairs. */
describe('contains() is guarded by a same-family check', () => {
  test.each(['ip 2001:db8::/32', 'ip 10.0.0.0/8', 'logins external'])('%s', (text) => {
    const sql = queryOf(text).query.sql;
    const uses = sql.split('contains(').length - 1;
    expect(uses).toBeGreaterThan(0);
    const guarded = sql.match(
      /CASE WHEN \(strpos\(\?, ':'\) > 0\)\s+= \(strpos\(sourceipaddress, ':'\) > 0 AND NOT \(lower\(sourceipaddress\) LIKE '::ffff:%\.%'\)\)\s+THEN coalesce\(contains\(/g,
    );
    expect(guarded?.length).toBe(uses);
  });
});
