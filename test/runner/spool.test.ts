import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { QuerySubmission } from '../../src/core/runner';
import { pruneSpool, spoolPaths } from '../../src/runner/collect';
import { querySubmission } from '../helpers/commands';
import { RecordingPublisher } from '../helpers/recording-publisher';
import { ScriptedEngine } from '../helpers/scripted-engine';
import { type LocalDynamo, startLocalDynamo } from '../store/helpers';
import { testRunner } from './helpers';

let dynamo: LocalDynamo;
let dir: string;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(() => dynamo.close());
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'trail-spool-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function submission(): QuerySubmission {
  return querySubmission('sg sg-5887f224 12h');
}

async function run(spool: boolean) {
  const { store } = await dynamo.newStore();
  const engine = new ScriptedEngine();
  const publisher = new RecordingPublisher();
  const csvSeen: string[] = [];
  const upload = publisher.uploadCsv.bind(publisher);
  publisher.uploadCsv = async (e, summary) => {
    // What the surface uploads is read from the spool while publishing.
    csvSeen.push(readFileSync(summary.csvPath, 'utf8'));
    return upload(e, summary);
  };
  const runner = testRunner({
    engine,
    store,
    publisher,
    resultsDir: dir,
    ...(spool ? { spool: { deleteAfterPublish: true as const } } : {}),
  });
  const outcome = await runner.submit(submission());
  const id = outcome.kind === 'started' ? outcome.execution.id : '';
  expect(await store.get(id)).toMatchObject({ state: 'PUBLISHED' });
  return { id, csvSeen };
}

test('Slack: the spooled CSV is uploaded, then deleted once the execution is published', async () => {
  const { id, csvSeen } = await run(true);
  expect(csvSeen).toHaveLength(1);
  expect(csvSeen[0]).toContain('AuthorizeSecurityGroupIngress');
  const files = spoolPaths(dir, id);
  expect(existsSync(files.csv)).toBe(false);
  expect(existsSync(files.summary)).toBe(false);
  expect(readdirSync(dir)).toEqual([]);
});

test('terminal (no spool option): the CSV is the user’s result file and stays', async () => {
  const { id } = await run(false);
  expect(existsSync(spoolPaths(dir, id).csv)).toBe(true);
});

test('the sweep keeps the spool bounded: old files go, then the oldest while over the size, never one in use', async () => {
  const now = Date.parse('2026-11-30T12:00:00Z');
  const put = (name: string, bytes: number, ageMinutes: number) => {
    const file = path.join(dir, name);
    writeFileSync(file, 'x'.repeat(bytes));
    const t = (now - ageMinutes * 60_000) / 1000;
    utimesSync(file, t, t);
  };
  put('stale.csv', 10, 7 * 60); // older than 6 h
  put('stale.summary.json', 5, 7 * 60);
  put('crashed.csv.partial', 10, 8 * 60);
  put('old.csv', 400, 50);
  put('mid.csv', 300, 40);
  put('new.csv', 200, 5);
  put('driving.csv', 500, 60); // oldest of the recent ones, but in use
  put('notes.txt', 1000, 9 * 60); // not a spool file
  const freed = await pruneSpool(dir, (id) => id === 'driving', { maxBytes: 900 }, now);
  expect(readdirSync(dir).sort()).toEqual(['driving.csv', 'new.csv', 'notes.txt']);
  expect(freed).toBe(10 + 5 + 10 + 400 + 300);
});
