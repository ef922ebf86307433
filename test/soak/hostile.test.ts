import { rm } from 'node:fs/promises';
import path from 'node:path';
import { checkHostileTexts, decodeLiteral, foreignSql, hostileTexts, INJECTIONS, wellFormed } from '../../soak/hostile';
import { sampleDataset } from '../../soak/lib/data';
import { tempDir } from '../../soak/lib/session';
import type { BoundQuery } from '../../src/core/query';
import { quietKnownWarnings } from '../../src/util/quiet-warnings';
import { queryOf } from '../helpers/commands';

quietKnownWarnings();

/**
 * Short variant of `npm run soak -- --parts hostile`: 1,000 generated hostile texts through the parser, then every
 * parsed query through DuckDB for real and through the real AthenaEngine against a fake Athena.
 */
describe('soak: hostile input (short)', () => {
  describe('the checks themselves', () => {
    const q = (): BoundQuery => queryOf('user arn:aws:iam::111122223333:user/x--/*DROP*/ 12h').query;

    test('a value pasted into the SQL, a comment or a placeholder miscount is caught', () => {
      const query = q();
      expect(foreignSql(query)).toBeUndefined();
      expect(foreignSql(query, query.sql.replace('useridentity.arn = ?', "useridentity.arn = 'x'"))).toMatch(/token/);
      expect(foreignSql(query, `${query.sql} -- x`)).toMatch(/comment/);
      expect(foreignSql(query, query.sql.replace('LIMIT 10000', 'LIMIT 10000; DROP TABLE t'))).toMatch(/separator/);
      expect(foreignSql(query, query.sql.replace('= ?', '= ? OR ?'))).toMatch(/placeholders/);
      expect(foreignSql(query, query.sql.replace('eventname', 'evil_column'))).toMatch(/evil_column/);
    });

    test('literals decode as Trino reads them; anything that is not exactly one literal does not decode', () => {
      expect(decodeLiteral("'it''s'")).toBe("it's");
      expect(decodeLiteral("''")).toBe('');
      expect(decodeLiteral('42')).toBe(42);
      expect(decodeLiteral('true')).toBe(true);
      expect(decodeLiteral("'a' OR '1'='1'")).toBeUndefined();
      expect(decodeLiteral("'it's'")).toBeUndefined();
      expect(decodeLiteral('x')).toBeUndefined();
    });

    test('the generator is seeded and hostile', () => {
      const texts = hostileTexts(500, 3);
      expect(hostileTexts(500, 3)).toEqual(texts);
      expect(texts.some((t) => t.length >= 10_000)).toBe(true);
      expect(texts.some((t) => INJECTIONS.some((i) => i.length > 2 && t.includes(i)))).toBe(true);
      expect(texts.some((t) => /[\u0000-\u001f]/.test(t))).toBe(true);
      expect(wellFormed('a\ud800b')).toBe('a\ufffdb');
      expect(wellFormed('🔥')).toBe('🔥');
    });
  });

  test('1,000 texts: no crash, clear rejections, no user text in SQL, both engines take every parsed query', async () => {
    const dir = await tempDir('hostile-test');
    try {
      const now = new Date();
      await sampleDataset(path.join(dir, 'data'), { days: 2, eventsPerDay: 200, seed: 9, now });
      const f = await checkHostileTexts(hostileTexts(1000, 9), {
        dataDir: path.join(dir, 'data'),
        now,
        duckdbLimit: 100,
      });
      // Both outcomes are exercised, or the run proves little.
      expect(f.parsedQueries).toBeGreaterThan(100);
      expect(f.rejected).toBeGreaterThan(300);
      expect(f.crashes).toEqual([]);
      expect(f.unclearRejections).toEqual([]);
      expect(f.sqlWithInput).toEqual([]);
      expect(f.duckdbFailed).toEqual([]);
      expect(f.duckdbRuns).toBe(100);
      expect(f.athenaStarts).toBeGreaterThan(100);
      expect(f.athenaMismatches).toEqual([]);
      expect(f.athenaForeign).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
