import fc from 'fast-check';
import { sqlLiteral } from '../../src/query/literal';

/** Reads a Trino string literal back: strip the outer quotes, undouble the inner ones. */
function parseStringLiteral(literal: string): string {
  expect(literal.startsWith("'") && literal.endsWith("'") && literal.length >= 2).toBe(true);
  const body = literal.slice(1, -1);
  // Inside, a quote only ever appears doubled: an odd run would end the literal early.
  expect(body.replaceAll("''", '')).not.toContain("'");
  return body.replaceAll("''", "'");
}

describe('sqlLiteral', () => {
  test('strings are single-quoted with embedded quotes doubled', () => {
    expect(sqlLiteral({ type: 'varchar', value: 'sg-5887f224' })).toBe("'sg-5887f224'");
    expect(sqlLiteral({ type: 'varchar', value: "x' OR '1'='1" })).toBe("'x'' OR ''1''=''1'");
    expect(sqlLiteral({ type: 'varchar', value: "a'';--" })).toBe("'a'''';--'");
    expect(sqlLiteral({ type: 'varchar', value: "'" })).toBe("''''");
    expect(sqlLiteral({ type: 'varchar', value: '' })).toBe("''");
  });

  test('backslashes, double quotes, newlines and unicode pass through untouched', () => {
    expect(sqlLiteral({ type: 'varchar', value: 'C:\\temp\\' })).toBe("'C:\\temp\\'");
    expect(sqlLiteral({ type: 'varchar', value: "\\'" })).toBe("'\\'''");
    expect(sqlLiteral({ type: 'varchar', value: 'say "hi"\nbye' })).toBe('\'say "hi"\nbye\'');
    expect(sqlLiteral({ type: 'varchar', value: 'Ünïcødé ✓ 日本語 \u{1F512}' })).toBe("'Ünïcødé ✓ 日本語 \u{1F512}'");
  });

  test('NUL is refused rather than truncated', () => {
    expect(() => sqlLiteral({ type: 'varchar', value: 'a\u0000b' })).toThrow(RangeError);
  });

  test('bigint renders as a plain integer; non-safe or non-integer numbers are refused', () => {
    expect(sqlLiteral({ type: 'bigint', value: 0 })).toBe('0');
    expect(sqlLiteral({ type: 'bigint', value: -42 })).toBe('-42');
    expect(sqlLiteral({ type: 'bigint', value: Number.MAX_SAFE_INTEGER })).toBe('9007199254740991');
    expect(() => sqlLiteral({ type: 'bigint', value: Number.MAX_SAFE_INTEGER + 1 })).toThrow(RangeError);
    expect(() => sqlLiteral({ type: 'bigint', value: 1.5 })).toThrow(RangeError);
    expect(() => sqlLiteral({ type: 'bigint', value: Number.NaN })).toThrow(RangeError);
    expect(() => sqlLiteral({ type: 'bigint', value: Number.POSITIVE_INFINITY })).toThrow(RangeError);
  });

  test('booleans are the keywords true / false', () => {
    expect(sqlLiteral({ type: 'boolean', value: true })).toBe('true');
    expect(sqlLiteral({ type: 'boolean', value: false })).toBe('false');
  });

  test('property: any NUL-free string round-trips through its literal', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }).filter((s) => !s.includes('\u0000')),
        (value) => {
          expect(parseStringLiteral(sqlLiteral({ type: 'varchar', value }))).toBe(value);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('property: every safe integer renders as its decimal form', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (value) => {
        expect(sqlLiteral({ type: 'bigint', value })).toBe(BigInt(value).toString());
      }),
    );
  });
});
