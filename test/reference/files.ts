import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CloudTrailEvent } from './fields';

/** Writing generated events to disk the way a trail delivers them, or the way exports hold them. */

/**
 * Every layout the embedded engine reads: the S3 layout of a trail (`.json.gz` and `.json`), an organization trail,
 * and flat exports (`{"Records":[…]}` compact or pretty-printed, a pretty-printed bare array, NDJSON as `.json`,
 * `.json.gz`, `.ndjson` and `.jsonl`).
 */
export const LAYOUTS = [
  's3-gz',
  's3-json',
  'org-gz',
  'flat-records',
  'flat-records-pretty',
  'flat-array',
  'ndjson-json',
  'ndjson-gz',
  'ndjson',
  'jsonl',
];

/** An event with when its file was delivered and which layout holds it (neither is written into the record). */
export type DeliveredEvent = CloudTrailEvent & { deliveredAt: number; layout: number };

const pad = (n: number) => String(n).padStart(2, '0');

export interface WrittenFile {
  path: string;
  layout: string;
  /** eventIDs of the events the file holds. */
  ids: string[];
}

/**
 * Writes events into files as a trail delivers them: each file holds events of one account and region, is delivered
 * after its newest event (within the lag) and sits in the day folder of its delivery time, which may be the next day.
 */
export function writeDataset(dir: string, events: DeliveredEvent[]): WrittenFile[] {
  const groups = new Map<string, typeof events>();
  for (const e of events) {
    const key = `${e.recipientAccountId}|${e.awsRegion}|${e.layout}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const written: WrittenFile[] = [];
  let n = 0;
  for (const [key, group] of groups) {
    const [account, region, layoutIndex] = key.split('|') as [string, string, string];
    const layout = LAYOUTS[Number(layoutIndex)]!;
    group.sort((a, b) => Date.parse(String(a.eventTime)) - Date.parse(String(b.eventTime)));
    let i = 0;
    while (i < group.length) {
      // A file closes at its first event's delivery time; every later event up to then rides along.
      const deliveredAt = group[i]!.deliveredAt;
      const batch = [];
      while (i < group.length && Date.parse(String(group[i]!.eventTime)) <= deliveredAt && batch.length < 6) {
        const { deliveredAt: _d, layout: _l, ...record } = group[i]!;
        batch.push(record);
        i++;
      }
      n++;
      written.push(writeFile(dir, layout, account, region, deliveredAt, batch, n));
    }
  }
  writeDigest(dir, events);
  return written;
}

/**
 * A digest file beside the logs, as a trail with log file validation writes it (CloudTrail User Guide, "CloudTrail
 * digest file structure"): JSON, but no events. The engine must skip it, whatever day it is in.
 */
function writeDigest(dir: string, events: DeliveredEvent[]): void {
  const first = events[0];
  if (!first) return;
  const d = new Date(first.deliveredAt);
  const day = `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`;
  const account = String(first.recipientAccountId);
  const region = String(first.awsRegion);
  const file = path.join(
    dir,
    `AWSLogs/${account}/CloudTrail-Digest/${region}/${day}/${account}_CloudTrail-Digest_${region}_digest.json.gz`,
  );
  const digest = {
    awsAccountId: account,
    digestStartTime: new Date(first.deliveredAt - 3_600_000).toISOString(),
    digestEndTime: d.toISOString(),
    digestS3Bucket: 'trail-bucket-1',
    logFiles: [],
  };
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, gzipSync(JSON.stringify(digest)));
}

function writeFile(
  dir: string,
  layout: string,
  account: string,
  region: string,
  deliveredAt: number,
  batch: CloudTrailEvent[],
  n: number,
): WrittenFile {
  const d = new Date(deliveredAt);
  const day = `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`;
  const stamp = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}Z`;
  const name = `${account}_CloudTrail_${region}_${stamp}_${String(n).padStart(6, '0')}`;
  let rel: string;
  let body: Buffer;
  const records = Buffer.from(JSON.stringify({ Records: batch }));
  const ndjson = Buffer.from(`${batch.map((e) => JSON.stringify(e)).join('\n')}\n`);
  switch (layout) {
    case 's3-gz':
      rel = `AWSLogs/${account}/CloudTrail/${region}/${day}/${name}.json.gz`;
      body = gzipSync(records);
      break;
    case 's3-json':
      rel = `AWSLogs/${account}/CloudTrail/${region}/${day}/${name}.json`;
      body = records;
      break;
    case 'org-gz':
      rel = `org/AWSLogs/o-exampleorg1/${account}/CloudTrail/${region}/${day}/${name}.json.gz`;
      body = gzipSync(records);
      break;
    case 'flat-records':
      rel = `exports/records-${n}.json`;
      body = records;
      break;
    case 'flat-records-pretty':
      rel = `exports/records-pretty-${n}.json`;
      body = Buffer.from(JSON.stringify({ Records: batch }, null, 2));
      break;
    case 'ndjson-gz':
      rel = `exports/ndjson-${n}.json.gz`;
      body = gzipSync(ndjson);
      break;
    case 'flat-array':
      rel = `exports/lookup-events-${n}.json`;
      body = Buffer.from(JSON.stringify(batch, null, 2));
      break;
    case 'ndjson-json':
      rel = `exports/ndjson-${n}.json`;
      body = ndjson;
      break;
    default:
      rel = `exports/events-${n}.${layout}`;
      body = ndjson;
  }
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, body);
  return { path: rel, layout, ids: batch.map((e) => String(e.eventID)) };
}
