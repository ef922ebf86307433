/**
 * A strict RFC 4180 reader, written apart from trailbot's own (src/util/csv.ts) so a CSV trailbot uploads is checked
 * by something that does not share its bugs: records end with CRLF, a field is either plain (no `"`, CR or LF) or
 * wholly quoted with inner quotes doubled, and a closing quote is followed by `,`, CRLF or the end.
 */
export interface StrictCsv {
  records: string[][];
  /** Every place the text breaks RFC 4180 (first 20). */
  problems: string[];
}

export function parseCsvStrict(text: string): StrictCsv {
  const records: string[][] = [];
  const problems: string[] = [];
  const problem = (at: number, what: string) => {
    if (problems.length < 20) problems.push(`offset ${at}: ${what}`);
  };
  let i = 0;
  let record: string[] = [];
  const n = text.length;
  if (n === 0) return { records, problems };
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= n) {
          problem(i, 'unterminated quoted field');
          break;
        }
        const c = text[i]!;
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += c;
        i++;
      }
    } else {
      const start = i;
      while (i < n && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') problem(i, 'quote inside an unquoted field');
        i++;
      }
      field = text.slice(start, i);
    }
    record.push(field);
    if (i >= n) {
      records.push(record);
      problem(i, 'last record does not end with CRLF');
      break;
    }
    const c = text[i]!;
    if (c === ',') {
      i++;
      continue;
    }
    if (c === '\r' && text[i + 1] === '\n') {
      records.push(record);
      record = [];
      i += 2;
      if (i >= n) break;
      continue;
    }
    problem(i, `unexpected ${JSON.stringify(c)} after a field`);
    i++;
  }
  return { records, problems };
}
