/**
 * Issue 12, "an answer that is never lost in Slack": a layout Slack refuses for good falls back to simpler renderings,
 * the CSV is uploaded whatever happened to the table, and publishing is capped with a note in the thread.
 * The real WebClient talks to the fake Slack Web API; the runner drives a scripted engine and a dynalite store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WebClient } from '@slack/web-api';
import { Runner } from '../../../src/runner/runner';
import { generateSampleData, sampleAccountIds } from '../../../src/sample/generate';
import type { DynamoExecutionStore } from '../../../src/store/dynamo';
import { createWebClient } from '../../../src/surfaces/slack/client';
import { SlackPublisher } from '../../../src/surfaces/slack/publisher';
import { parseCsv } from '../../../src/util/csv';
import { eventually, type SlackBot, startSlackBot } from '../../helpers/bot';
import { queryOf } from '../../helpers/commands';
import { blockKitProblems, type FakeSlack, startFakeSlack } from '../../helpers/fake-slack';
import { ScriptedEngine } from '../../helpers/scripted-engine';
import { type LocalDynamo, startLocalDynamo } from '../../store/helpers';
import { execution, memoryLogger, resultWithCsv } from './fixtures';

const TOKEN = 'xoxb-test-token';
const FAST_RETRIES = { retries: 1, minTimeout: 5, maxTimeout: 10, factor: 1 };

let slack: FakeSlack;
let client: WebClient;
let dynamo: LocalDynamo;
let resultsDir: string;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  resultsDir = mkdtempSync(path.join(os.tmpdir(), 'trail-never-lost-'));
});
afterAll(async () => {
  await dynamo.close();
  rmSync(resultsDir, { recursive: true, force: true });
});
beforeEach(async () => {
  slack = await startFakeSlack({ token: TOKEN });
  client = createWebClient(TOKEN, { slackApiUrl: slack.url, logger: memoryLogger(), retryConfig: FAST_RETRIES });
});
afterEach(async () => {
  await slack.close();
});

const replies = (parentTs: string) => slack.messages.filter((m) => m.thread_ts === parentTs);
const blockTypes = (blocks: unknown[] | undefined) => (blocks ?? []).map((b) => (b as { type: string }).type);

describe('SlackPublisher.postResult falls back when Slack refuses the layout', () => {
  test('a workspace without table blocks gets the rows as aligned text; the table was tried first', async () => {
    slack.rejectBlockTypes(['table']);
    const p = new SlackPublisher({ client, timeZone: 'UTC', logger: memoryLogger() });
    const parent = slack.seedMessage('C0SECOPS');
    const { result, cleanup } = resultWithCsv();
    try {
      await p.postResult(execution({ parentRef: parent.ts }), result);
    } finally {
      cleanup();
    }
    const refused = slack.callsTo('chat.postMessage').filter((c) => c.response?.error === 'invalid_blocks');
    expect(refused).toHaveLength(1);
    expect(blockTypes(refused[0].params.blocks as unknown[])).toContain('table');
    const [reply] = replies(parent.ts);
    expect(blockTypes(reply.blocks)).not.toContain('table');
    expect(blockKitProblems(reply.blocks)).toEqual([]);
    const body = JSON.stringify(reply.blocks);
    expect(body).toContain('```');
    expect(body).toContain('AuthorizeSecurityGroupIngress');
    expect(body).toContain('sg-0a1b2c3d');
  });

  test('every block layout refused: a plain-text summary with the flags still reaches the thread', async () => {
    slack.refuse((method, params) =>
      method === 'chat.postMessage' && params.blocks !== undefined ? 'invalid_blocks' : undefined,
    );
    const p = new SlackPublisher({ client, timeZone: 'UTC', logger: memoryLogger() });
    const parent = slack.seedMessage('C0SECOPS');
    const { result, cleanup } = resultWithCsv();
    try {
      await p.postResult(execution({ parentRef: parent.ts }), result);
    } finally {
      cleanup();
    }
    // table → aligned text → plain summary
    expect(slack.callsTo('chat.postMessage').map((c) => c.response?.error ?? 'ok')).toEqual([
      'invalid_blocks',
      'invalid_blocks',
      'ok',
    ]);
    const [reply] = replies(parent.ts);
    expect(reply.blocks).toBeUndefined();
    expect(reply.text).toContain('3 rows for `/trail sg 12h`');
    expect(reply.text).toContain('`world-open` `tcp/22 opened to 0.0.0.0/0 on sg-5887f224 by bob`');
    expect(reply.text).toContain('the CSV in this thread has every row');
  });

  test('a refusal that is not about the layout is not papered over', async () => {
    slack.failNext('chat.postMessage', { error: 'not_in_channel' });
    const p = new SlackPublisher({ client, timeZone: 'UTC', logger: memoryLogger() });
    const parent = slack.seedMessage('C0SECOPS');
    const { result, cleanup } = resultWithCsv();
    try {
      await expect(p.postResult(execution({ parentRef: parent.ts }), result)).rejects.toMatchObject({
        slackError: 'not_in_channel',
        retryable: false,
      });
    } finally {
      cleanup();
    }
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
  });
});

describe('the runner publishing into a Slack that refuses things for good', () => {
  let store: DynamoExecutionStore;
  let engine: ScriptedEngine;

  beforeEach(async () => {
    ({ store } = await dynamo.newStore());
    engine = new ScriptedEngine();
    engine.rows = [
      ['AuthorizeSecurityGroupIngress', 'bobodell'],
      ['ModifyNetworkInterfaceAttribute', 'bobodell'],
      ['RevokeSecurityGroupIngress', 'alice'],
    ];
  });

  function runner(o: { maxPublishAttempts?: number; publishAttempts?: number } = {}) {
    return new Runner({
      engine,
      store,
      publisher: new SlackPublisher({ client, timeZone: 'UTC', logger: memoryLogger() }),
      resultsDir,
      limits: { perUser: 3, perChannel: 10, dedupeSeconds: 0 },
      sleep: () => new Promise((r) => setTimeout(r, 1)),
      poll: { initialMs: 1, maxMs: 2, factor: 2 },
      ...o,
    });
  }

  async function ask(r: Runner, text = 'sg sg-5887f224 12h') {
    const q = queryOf(text);
    const outcome = await r.submit({
      command: q.command.name,
      commandText: text,
      normalized: q.normalized,
      query: q.query,
      userId: 'U0ALICE',
      channelId: 'C0SECOPS',
      surface: 'slack',
    });
    if (outcome.kind !== 'started') throw new Error(`not started: ${outcome.kind}`);
    return outcome.execution.id;
  }

  test('table blocks refused: published in one go as aligned text, with the CSV, parent updated', async () => {
    slack.rejectBlockTypes(['table']);
    const r = runner();
    const id = await ask(r);
    await r.idle();

    const e = await store.get(id);
    expect(e).toMatchObject({ state: 'PUBLISHED' });
    expect(e?.publishAttempts ?? 0).toBe(0);
    const parent = slack.messages.find((m) => m.ts === e?.parentRef)!;
    const [reply] = replies(parent.ts);
    expect(JSON.stringify(reply.blocks)).toContain('RevokeSecurityGroupIngress');
    expect(blockTypes(reply.blocks)).not.toContain('table');
    const files = slack.files.filter((f) => f.completed && f.thread_ts === parent.ts);
    expect(files).toHaveLength(1);
    expect(parseCsv(files[0].bytes!.toString('utf8')).slice(1)).toEqual(engine.rows);
    expect(parent.text).toMatch(/^Done/);
  });

  test('every reply refused for good: the CSV still arrives, attempts stop at the cap, a note and the parent say so', async () => {
    // Slack refuses every rendering of the answer in the thread (tables, aligned text, plain text) as a layout it
    // will never accept; only the give-up note is let through, so the test can see it.
    slack.refuse((method, params) =>
      method === 'chat.postMessage' &&
      params.thread_ts !== undefined &&
      !String(params.text).includes('could not be posted')
        ? 'invalid_blocks'
        : undefined,
    );
    // One attempt per round, so the cap of 3 is three rounds (a permanent refusal uses up its round either way).
    const r = runner({ maxPublishAttempts: 3, publishAttempts: 1 });
    const id = await ask(r);
    await r.idle();
    // A permanent refusal is not retried in the same process: the sweep tries again (a person may fix the cause).
    expect(await store.get(id)).toMatchObject({ state: 'SUCCEEDED', publishAttempts: 1 });

    let sweeps = 0;
    while ((await store.get(id))?.state !== 'PUBLISHED' && sweeps < 10) {
      await r.resume();
      await r.idle();
      sweeps++;
    }
    expect(sweeps).toBe(2);
    const e = (await store.get(id))!;
    expect(e).toMatchObject({ state: 'PUBLISHED', publishAttempts: 3 });
    expect(await r.resume()).toBe(0);

    const parent = slack.messages.find((m) => m.ts === e.parentRef)!;
    // 3 attempts × 3 renderings refused, then the note: bounded.
    const threadPosts = slack.callsTo('chat.postMessage').filter((c) => c.params.thread_ts === parent.ts);
    expect(threadPosts.filter((c) => c.response?.error === 'invalid_blocks')).toHaveLength(9);
    // The CSV was uploaded once, on the first attempt, although the reply was refused.
    const files = slack.files.filter((f) => f.completed && f.thread_ts === parent.ts);
    expect(files).toHaveLength(1);
    expect(parseCsv(files[0].bytes!.toString('utf8')).slice(1)).toEqual(engine.rows);
    // The note in the thread says what happened and where the rows are.
    const [note] = replies(parent.ts);
    expect(note.text).toContain('The answer could not be posted');
    expect(JSON.stringify(note.blocks)).toContain('could not be posted after 3 attempts');
    expect(JSON.stringify(note.blocks)).toContain('The CSV in this thread has every row');
    // The parent no longer says Running.
    expect(parent.history.length).toBeGreaterThanOrEqual(1);
    expect(parent.text).toMatch(/^Failed/);
    expect(parent.text).toContain('could not be posted');
  });

  test('a Slack that refuses every call for good: each round costs its attempts, then the execution is closed', async () => {
    for (const method of ['chat.postMessage', 'chat.update', 'files.getUploadURLExternal'])
      slack.failNext(method, { error: 'restricted_action' }, Number.POSITIVE_INFINITY);
    const r = runner({ maxPublishAttempts: 10, publishAttempts: 5 });
    const id = await ask(r);
    await r.idle();
    // Not retried in process (a retry cannot help), but the round's five attempts are spent.
    expect(await store.get(id)).toMatchObject({ state: 'SUCCEEDED', publishAttempts: 5 });
    await r.resume();
    await r.idle();
    expect(await store.get(id)).toMatchObject({
      state: 'PUBLISHED',
      publishAttempts: 10,
      error: expect.stringContaining('could not be posted after 10 attempts'),
    });
    expect(await r.resume()).toBe(0);
    // The announcement at start, one per round (no parent yet), and the note: nothing more.
    expect(slack.callsTo('chat.postMessage')).toHaveLength(4);
  });
});

describe('through the real Bolt receiver, on the embedded engine', () => {
  let dataDir: string;
  let bot: SlackBot;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'trail-never-lost-data-'));
    await generateSampleData({
      outDir: dataDir,
      days: 2,
      eventsPerDay: 300,
      accounts: sampleAccountIds(1),
      regions: ['us-east-1'],
      seed: 11,
      now: new Date(),
    });
    bot = await startSlackBot({ dataDir });
  });
  afterAll(async () => {
    await bot.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('/trail sg in a workspace that refuses table blocks: the thread has the answer as text, and the CSV', async () => {
    bot.fake.rejectBlockTypes(['table']);
    expect((await bot.command('sg sg-5887f224 12h', { channelId: 'C0NOTABLE', userId: 'U0ALICE' })).status).toBe(200);
    const parent = await eventually(() => bot.fake.messages.find((m) => m.channel === 'C0NOTABLE' && !m.thread_ts));
    await eventually(() => bot.fake.files.find((f) => f.completed && f.thread_ts === parent.ts));
    await bot.parts.runner.idle();

    const [reply] = bot.fake.messages.filter((m) => m.thread_ts === parent.ts);
    expect(blockKitProblems(reply.blocks)).toEqual([]);
    expect(blockTypes(reply.blocks)).not.toContain('table');
    const body = JSON.stringify(reply.blocks);
    expect(body).toContain('AuthorizeSecurityGroupIngress');
    expect(body).toContain('world-open');
    const file = bot.fake.files.find((f) => f.completed && f.thread_ts === parent.ts)!;
    expect(parseCsv(file.bytes!.toString('utf8')).map((r) => r[0])).toContain('AuthorizeSecurityGroupIngress');
    expect(parent.text).toMatch(/^Done/);
    const [e] = await bot.parts.store.listByChannel('C0NOTABLE', 1);
    expect(e).toMatchObject({ state: 'PUBLISHED' });
  });
});
