import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ResultPage } from '../../core/engine';

/**
 * Athena writes every SELECT's result to `<OutputLocation>/<QueryExecutionId>.csv` (Athena User Guide, "Working with
 * query results, recent queries, and output files"), header row first. Reading that file is one streamed GetObject
 * instead of one GetQueryResults call per 1,000 rows, so a 300,000-row answer is not 300 API calls (and throttling)
 * long. The role already needs `s3:GetObject` on the results location for GetQueryResults (Athena API Reference,
 * "GetQueryResults").
 */
export function parseS3Url(url: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  return m ? { bucket: m[1]!, key: m[2]! } : undefined;
}

/**
 * RFC 4180 records from a stream of text chunks, one at a time, so the file is never held whole. A quoted field is a
 * string (`""` is the empty string); an unquoted empty field is NULL, which is how Athena's CSV tells the two apart
 * (all its values are quoted; [observed behaviour, not in the Athena docs]).
 */
export async function* csvRecords(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<(string | null)[]> {
  const decoder = new TextDecoder('utf-8');
  let record: (string | null)[] = [];
  let field = '';
  let quoted = false;
  let inQuotes = false;
  let afterQuote = false;
  const endField = () => {
    record.push(quoted ? field : field === '' ? null : field);
    field = '';
    quoted = false;
    afterQuote = false;
  };
  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    const out: (string | null)[][] = [];
    let plainStart = -1;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (inQuotes) {
        if (c === '"') {
          if (plainStart >= 0) field += text.slice(plainStart, i);
          plainStart = -1;
          inQuotes = false;
          afterQuote = true;
        } else if (plainStart < 0) plainStart = i;
        continue;
      }
      if (afterQuote && c === '"') {
        // A doubled quote inside a quoted field (possibly split across two chunks).
        field += '"';
        inQuotes = true;
        afterQuote = false;
        continue;
      }
      if (c === ',') {
        endField();
      } else if (c === '\n') {
        endField();
        if (!(record.length === 1 && record[0] === null)) out.push(record);
        record = [];
      } else if (c === '\r') {
        // CRLF: the \n ends the record.
      } else if (c === '"' && field === '' && !quoted) {
        quoted = true;
        inQuotes = true;
      } else {
        field += c;
      }
    }
    if (inQuotes && plainStart >= 0) field += text.slice(plainStart);
    for (const r of out) yield r;
  }
  if (field !== '' || quoted || record.length > 0) {
    endField();
    yield record;
  }
}

/** Pages of `pageSize` rows from the result file; the first record is the header (the column names). */
export async function* resultFilePages(
  client: S3Client,
  location: { bucket: string; key: string },
  pageSize: number,
): AsyncGenerator<ResultPage> {
  const out = await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
  const body = out.Body as AsyncIterable<Uint8Array> | undefined;
  if (!body) throw new Error(`empty result file s3://${location.bucket}/${location.key}`);
  let columns: string[] | undefined;
  let rows: (string | null)[][] = [];
  for await (const record of csvRecords(body)) {
    if (!columns) {
      columns = record.map((c) => c ?? '');
      continue;
    }
    while (record.length < columns.length) record.push(null);
    rows.push(record);
    if (rows.length >= pageSize) {
      yield { columns, rows };
      rows = [];
    }
  }
  yield { columns: columns ?? [], rows };
}
