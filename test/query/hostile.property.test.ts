import fc from 'fast-check';
import { COMMANDS, parseRequest } from '../../commands';
import { UsageError } from '../../src/core/errors';
import { context } from '../helpers/commands';

/**
 * Thousands of hostile command texts: the parser returns a request or a UsageError, never anything else, and no
 * rendered SQL contains what the user typed (every value is a parameter).
 */
const HOSTILE = [
  "'",
  "''",
  '"',
  '--',
  ';',
  '/*',
  '*/',
  "' OR '1'='1",
  "'; DROP TABLE cloudtrail_logs; --",
  '\\',
  '\u0000',
  '\u202e',
  '\u2028',
  '𝕊𝔾',
  'é',
  '`',
  '${x}',
  '{{top}}',
  '{{> window}}',
  '?',
  '%',
  '_',
  '\r\n',
  '\t',
  'UNION SELECT',
];

const commandName = fc.constantFrom(...COMMANDS.map((c) => c.name), 'SG', 'loginz', '');
const plausible = fc.constantFrom(
  'sg-5887f224',
  'eni-6c5ca5a8',
  '12h',
  'today',
  'since',
  '2026-11-20T08:00Z..2026-11-20T12:00Z',
  'top',
  '5',
  '--sql',
  '--all',
  'account:111122223333',
  'region:us-east-1',
  'offhours',
  'external',
  'arn:aws:iam::123456789012:user/alice',
  '203.0.113.7',
  '2001:db8::/32',
);
const hostileWord = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: fc.constantFrom(...HOSTILE), maxLength: 8 }),
  fc.tuple(plausible, fc.constantFrom(...HOSTILE)).map(([a, b]) => a + b),
  fc.tuple(fc.constantFrom(...HOSTILE), plausible).map(([a, b]) => a + b),
);
const commandText = fc
  .tuple(commandName, fc.array(fc.oneof(plausible, hostileWord), { maxLength: 6 }))
  .map(([c, words]) => [c, ...words].join(' '));

/** What the user typed that could carry meaning into SQL: every word of 6+ characters that is not plain letters. */
function userFragments(text: string): string[] {
  return text.split(/\s+/u).filter((w) => w.length >= 6 && !/^[a-z_]+$/i.test(w));
}

describe('hostile input', () => {
  const ctx = context();

  test('the parser returns a request or a UsageError; rendered SQL never contains user text', () => {
    let queries = 0;
    let rejected = 0;
    fc.assert(
      fc.property(commandText, (text) => {
        let result: ReturnType<typeof parseRequest>;
        try {
          result = parseRequest(text, ctx);
        } catch (err) {
          if (!(err instanceof UsageError)) throw err;
          rejected += 1;
          expect(err.userMessage.length).toBeGreaterThan(0);
          // Control characters are shown escaped, never raw.
          expect(err.userMessage).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u2028\u2029]/);
          return;
        }
        if (result.kind !== 'query') return;
        queries += 1;
        for (const fragment of userFragments(text)) expect(result.query.sql.includes(fragment)).toBe(false);
        for (const hostile of HOSTILE.filter((h) => h.length > 2)) expect(result.query.sql).not.toContain(hostile);
      }),
      { numRuns: 5000, seed: 20261121 },
    );
    // The generator must exercise both outcomes, or the property proves little.
    expect(queries).toBeGreaterThan(200);
    expect(rejected).toBeGreaterThan(200);
  });

  test('10 KB strings and control characters are refused with a message, not a crash', () => {
    for (const text of [
      `sg ${'A'.repeat(10_000)}`,
      `who ${'\u0001'.repeat(50)}`,
      `user ${'é'.repeat(70)}`,
      'ip \u0000',
    ]) {
      expect(() => parseRequest(text, ctx)).toThrow(UsageError);
    }
  });
});
