import { createReadStream } from 'node:fs';
import { exactValue } from './csv';

/**
 * Rows `[from, from + count)` of a spooled result CSV (RFC 4180, header first, as src/runner/collect.ts writes it),
 * read as a stream that stops once it has them: paging through a 100,000-row answer never loads the whole file.
 * Cells come back as their exact values (the spreadsheet mark of src/util/csv.ts removed); NULL and the empty string
 * are both written as an empty field, so both come back as ''.
 */
export async function readCsvRows(file: string, from: number, count: number): Promise<string[][]> {
  const rows: string[][] = [];
  if (count <= 0) return rows;
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 64 * 1024 });
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let afterQuote = false;
  let pendingCr = false;
  let index = -1; // the header is record -1
  const endRecord = () => {
    record.push(field);
    if (index >= from) rows.push(record.map(exactValue));
    index += 1;
    record = [];
    field = '';
  };
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      for (const c of chunk) {
        if (quoted) {
          if (afterQuote) {
            afterQuote = false;
            if (c === '"') {
              field += '"';
              continue;
            }
            quoted = false;
          } else if (c === '"') {
            afterQuote = true;
            continue;
          } else {
            field += c;
            continue;
          }
        }
        if (pendingCr) {
          pendingCr = false;
          if (c === '\n') {
            endRecord();
            if (rows.length >= count) return rows;
            continue;
          }
          field += '\r';
        }
        if (c === '"' && field === '') quoted = true;
        else if (c === ',') {
          record.push(field);
          field = '';
        } else if (c === '\r') pendingCr = true;
        else field += c;
      }
    }
    if (field !== '' || record.length > 0) endRecord();
    return rows;
  } finally {
    stream.destroy();
  }
}
