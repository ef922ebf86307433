import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { findCommand, parseRequest } from '../../commands';
import type { CommandContext, QueryCommand } from '../../commands/types';
import type { QueryEngine, QueryStats, ResultPage } from '../../src/core/engine';
import type { RiskFlag } from '../../src/core/publisher';

/** The stratus-red-team detonation logs (../shared/data/README.md), read where they are and never copied here. */
export const STRATUS = path.resolve(__dirname, '../../../shared/data/stratus-red-team/docs/detonation-logs');
export const HAVE_STRATUS = fs.existsSync(STRATUS);

export type Event = Record<string, unknown>;

/** The detection commands, as the catalog (commands/index.ts) lists them. */
export const DETECTIONS: readonly QueryCommand[] = ['tamper', 'iam', 'exposed'].map((name) => {
  const command = findCommand(name);
  if (command?.kind !== 'query') throw new Error(`${name} is not a question in the catalog`);
  return command;
});

/** What `/trail <text>` means, parsed against the whole catalog as every surface parses it. */
export function parseDetection(text: string, ctx: CommandContext) {
  return parseRequest(text, ctx);
}

export interface Answer {
  records: Record<string, string | null>[];
  /** Flags per event id, in row order (only rows that have flags). */
  flagged: Map<string, Omit<RiskFlag, 'row'>[]>;
  stats: QueryStats;
}

/** Parses a detection question, runs it on an engine to the end, and annotates every row with the command's flags. */
export async function runDetection(engine: QueryEngine, text: string, ctx: CommandContext): Promise<Answer> {
  const request = parseDetection(text, ctx);
  if (request.kind !== 'query') throw new Error(`${text} is not a query`);
  const id = await engine.start(request.query, { executionId: `test-${Math.random().toString(36).slice(2)}` });
  let stats: QueryStats;
  for (;;) {
    const s = await engine.status(id);
    if (s.state === 'FAILED' || s.state === 'CANCELLED') throw new Error(`${text}: ${s.reason}`);
    if (s.state === 'SUCCEEDED') {
      stats = s.stats;
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const pages: ResultPage[] = [];
  for await (const p of engine.results(id)) pages.push(p);
  const columns = pages[0]?.columns ?? [];
  const records = pages.flatMap((p) => p.rows).map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i] ?? null])));
  const flagged = new Map<string, Omit<RiskFlag, 'row'>[]>();
  for (const rec of records) {
    const flags = request.command.annotate?.((c) => rec[c] ?? null, ctx) ?? [];
    if (flags.length) flagged.set(String(rec.eventid), flags);
  }
  return { records, flagged, stats };
}

/** Every stratus-red-team file's events, by file name without `aws.` and `.json` (e.g. `persistence.iam-backdoor-user`). */
export function stratusFiles(): Map<string, Event[]> {
  const files = new Map<string, Event[]>();
  for (const f of fs
    .readdirSync(STRATUS)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    files.set(
      f.replace(/^aws\./, '').replace(/\.json$/, ''),
      JSON.parse(fs.readFileSync(path.join(STRATUS, f), 'utf8')),
    );
  }
  return files;
}

/** The day every test puts the real records on, keeping each record's time of day. */
export const DAY = '2026-11-20';

/** A record moved to DAY at its own time of day (the records span 2024-07-30 to 2024-11-30). */
export function onDay(e: Event): Event {
  const time = String(e.eventTime).slice(11);
  return { ...e, eventTime: `${DAY}T${time}` };
}

/**
 * Writes records into a temporary logs folder in a trail's S3 layout: `{"Records":[…]}` gzip files per account and
 * region, each delivered 5 minutes after its events into the day folder of its delivery time (CloudTrail User Guide,
 * "Finding your CloudTrail log files"). Returns the folder.
 */
export function deliverToTempFolder(records: Event[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trail-detections-'));
  const groups = new Map<string, Event[]>();
  for (const r of records) {
    const deliveredAt = Math.ceil((Date.parse(String(r.eventTime)) + 1) / 300_000) * 300_000 + 300_000;
    const key = `${r.recipientAccountId}|${r.awsRegion}|${deliveredAt}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  let n = 0;
  for (const [key, batch] of groups) {
    const [account, region, at] = key.split('|') as [string, string, string];
    const when = new Date(Number(at));
    const day = when.toISOString().slice(0, 10).replaceAll('-', '/');
    const folder = path.join(dir, 'AWSLogs', account, 'CloudTrail', region, day);
    fs.mkdirSync(folder, { recursive: true });
    const stamp = `${when.toISOString().slice(0, 16).replace(/[-:]/g, '')}Z`;
    n += 1;
    const name = `${account}_CloudTrail_${region}_${stamp}_${String(n).padStart(4, '0')}.json.gz`;
    fs.writeFileSync(path.join(folder, name), zlib.gzipSync(JSON.stringify({ Records: batch })));
  }
  return dir;
}
