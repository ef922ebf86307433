import fc from 'fast-check';
import { csvRecord, parseCsv } from '../../src/util/csv';

describe('RFC 4180 CSV', () => {
  test('quotes fields with commas, quotes, CR or LF; NULL is empty; records end with CRLF', () => {
    expect(csvRecord(['a', 'b,c', 'say "hi"', 'line\nbreak', null, ''])).toBe(
      'a,"b,c","say ""hi""","line\nbreak",,\r\n',
    );
  });

  test('round-trips any text', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.string({ unit: 'grapheme' }), { minLength: 1, maxLength: 5 }), {
          minLength: 1,
          maxLength: 5,
        }),
        (rows) => {
          const text = rows.map((r) => csvRecord(r)).join('');
          // A record of one empty field is indistinguishable from a blank line; compare after the same normalisation.
          expect(parseCsv(text)).toEqual(rows);
        },
      ),
      { numRuns: 500 },
    );
  });
});
