import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { CLOUDTRAIL_COLUMNS } from '../../ddl/table';

/** Reading what a log file holds from its first and last bytes, for discovery (files.ts). */

/**
 * How a file holds its events:
 * - `records`: `{"Records":[…]}` on one line, as CloudTrail writes it (read as NDJSON: one line, one object).
 * - `records-multiline`: the same wrapper pretty-printed.
 * - `array`: a bare JSON array of events (exports, e.g. the stratus-red-team detonation logs).
 * - `events`: one event object after another, usually one per line (NDJSON).
 */
export type LogFormat = 'records' | 'records-multiline' | 'array' | 'events';

/** Compressed bytes read from the head of a file to tell its format. */
const HEAD_BYTES = 2048;

/** Top-level keys of a CloudTrail event, any of which may come first in an exported object. */
const EVENT_KEYS: ReadonlySet<string> = new Set([
  ...CLOUDTRAIL_COLUMNS.map((c) => c.json),
  'managementEvent',
  'insightDetails',
]);

/** What the first bytes of a file say about its format; null for an empty file or a JSON object that is no event. */
export function formatOfHead(head: string, complete: boolean): LogFormat | null {
  const text = head.replace(/^\uFEFF/, '').trimStart();
  if (text === '') {
    if (complete) return null;
    throw new Error('starts with a long run of whitespace');
  }
  if (text.startsWith('[')) return 'array';
  if (!text.startsWith('{')) throw new Error('does not start with a JSON object or array');
  if (/^\{\s*"Records"\s*:/.test(text)) {
    // CloudTrail writes the whole file on one line; a line break inside means someone pretty-printed it.
    const body = complete ? text.trimEnd() : text;
    return body.includes('\n') ? 'records-multiline' : 'records';
  }
  // A JSON object that is neither a {"Records": …} file nor a CloudTrail event (e.g. a sample manifest, a config
  // file next to an export) is not a log: skip it rather than read it as an event with every column NULL.
  const firstKey = /^\{\s*"([^"]*)"\s*:/.exec(text)?.[1];
  if (firstKey === undefined || !EVENT_KEYS.has(firstKey)) return null;
  return 'events';
}

/** The gzip trailer's four bytes: one buffer for every file (discovery reads synchronously, one file at a time). */
const TRAILER = Buffer.alloc(4);

/** Uncompressed size of a file: its size, or for gzip the ISIZE trailer (RFC 1952: size modulo 2^32). */
function uncompressedBytes(fd: number, file: string, bytes: number): number {
  if (!file.endsWith('.gz') || bytes < 18) return bytes;
  // A short read (the file shrank since it was stat'ed) leaves zeros: an ISIZE below the size, handled below.
  TRAILER.fill(0);
  fs.readSync(fd, TRAILER, 0, 4, bytes - 4);
  const isize = TRAILER.readUInt32LE(0);
  // A trailer smaller than the file cannot be right (truncated, or > 4 GiB): fall back to a generous bound.
  return isize >= bytes ? isize : bytes * 32;
}

/** The format of one file from its first bytes (inflating ~2 KB for gzip); null when it holds nothing. */
export function formatOf(fd: number, file: string, bytes: number, objectBytes: number): LogFormat | null {
  if (bytes === 0) return null;
  const head = Buffer.alloc(Math.min(bytes, HEAD_BYTES));
  const headRead = fs.readSync(fd, head, 0, head.length, 0);
  if (!file.endsWith('.gz')) return formatOfHead(head.subarray(0, headRead).toString('utf8'), headRead >= bytes);
  let inflated: Buffer;
  try {
    inflated = zlib.gunzipSync(head.subarray(0, headRead), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  } catch (err) {
    throw new Error(`is not readable gzip (${(err as Error).message})`);
  }
  return formatOfHead(inflated.toString('utf8'), headRead >= bytes && inflated.length === objectBytes);
}

export function withFile<T>(file: string, use: (fd: number) => T): T {
  const fd = fs.openSync(file, 'r');
  try {
    return use(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Format and largest object of an open file of `bytes` bytes; null when it holds no events. S3-layout files are taken
 * to be what CloudTrail writes (see `probeFormats`); a flat export's head is read.
 */
export function probeOpen(
  fd: number,
  file: string,
  flat: boolean,
  bytes: number,
): { objectBytes: number; format: LogFormat } | null {
  const objectBytes = uncompressedBytes(fd, file, bytes);
  const format: LogFormat | null = flat ? formatOf(fd, file, bytes, objectBytes) : bytes > 0 ? 'records' : null;
  if (format === null) return null;
  // Only a `{"Records":…}` file is one JSON object; arrays and NDJSON are read one event at a time.
  const wrapped = format === 'records' || format === 'records-multiline';
  return { objectBytes: wrapped ? objectBytes : 0, format };
}
