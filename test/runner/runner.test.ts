import { readFileSync } from 'node:fs';
import type { QuerySubmission } from '../../src/core/runner';
import type { DriveStep, RunnerOptions } from '../../src/runner/context';
import type { Runner } from '../../src/runner/runner';
import type { DynamoExecutionStore } from '../../src/store/dynamo';
import { parseCsv } from '../../src/util/csv';
import { querySubmission } from '../helpers/commands';
import { RecordingPublisher } from '../helpers/recording-publisher';
import { ScriptedEngine } from '../helpers/scripted-engine';
import { pollsOnlyEndedCanEnd, runnerWorld, testRunner } from './helpers';

const world = runnerWorld('trail-runner-');

interface Setup {
  store: DynamoExecutionStore;
  engine: ScriptedEngine;
  publisher: RecordingPublisher;
  runner: Runner;
  make(overrides?: Partial<RunnerOptions>): Runner;
}

async function setup(overrides: Partial<RunnerOptions> = {}): Promise<Setup> {
  const { store } = await world.dynamo.newStore();
  const engine = new ScriptedEngine();
  const publisher = new RecordingPublisher();
  const make = (o: Partial<RunnerOptions> = {}) =>
    testRunner({
      engine,
      store,
      publisher,
      resultsDir: world.resultsDir,
      limits: { perUser: 3, perChannel: 10, dedupeSeconds: 300 },
      ...overrides,
      ...o,
    });
  return { store, engine, publisher, runner: make(), make };
}

function submission(text = 'sg sg-5887f224 12h', over: Partial<QuerySubmission> = {}): QuerySubmission {
  return querySubmission(text, over);
}

/** An execution recorded by a process that never got further (no runner involved). */
async function recordOnly(store: DynamoExecutionStore, requestKey: string) {
  const s = submission();
  const { execution } = await store.create({
    requestKey,
    commandText: s.commandText,
    command: s.command,
    request: {},
    query: s.query,
    userId: s.userId,
    channelId: s.channelId,
    surface: s.surface,
    engine: 'duckdb',
  });
  return execution;
}

describe('Runner', () => {
  test('runs a question to a published answer: announce, result, CSV, parent update, in that order', async () => {
    const { runner, publisher, store, engine } = await setup();
    const outcome = await runner.submit(submission());
    expect(outcome.kind).toBe('started');
    const e = await store.get(outcome.kind === 'started' ? outcome.execution.id : '');
    expect(e).toMatchObject({
      state: 'PUBLISHED',
      stats: { rows: 2, bytesScanned: 2048, filesRead: 3 },
      parentRef: `parent-${e!.id}`,
    });
    expect(publisher.events.filter((x) => x.kind !== 'progress').map((x) => x.kind)).toEqual([
      'announce',
      'result',
      'csv',
      'parent',
    ]);
    const summary = publisher.of('result')[0]!.summary!;
    expect(summary.totalRows).toBe(2);
    expect(parseCsv(readFileSync(summary.csvPath, 'utf8'))).toEqual([engine.columns, ...engine.rows]);
    expect(engine.starts).toHaveLength(1);
    expect(engine.starts[0]!.executionId).toBe(e!.id);
  });

  test('an answer the engine says has ended is collected at once, not after the pause between polls', async () => {
    // Polls a minute apart with a pause that never ends: only the engine's `ended` can move the runner on.
    class EndingEngine extends ScriptedEngine {
      endedCalls = 0;
      ended(): Promise<void> {
        this.endedCalls += 1;
        return new Promise((resolve) =>
          setTimeout(() => {
            this.pollsBeforeDone = 0;
            resolve();
          }, 5),
        );
      }
    }
    const engine = new EndingEngine();
    const { store } = await world.dynamo.newStore();
    const runner = testRunner({
      engine,
      store,
      publisher: new RecordingPublisher(),
      resultsDir: world.resultsDir,
      ...pollsOnlyEndedCanEnd(),
    });
    const outcome = await runner.submit(submission());
    expect(outcome.kind).toBe('started');
    expect(await store.get(outcome.kind === 'started' ? outcome.execution.id : '')).toMatchObject({
      state: 'PUBLISHED',
      stats: { rows: 2 },
    });
    expect(engine.endedCalls).toBe(1);
  });

  test('a failed query posts its reason and is published; no CSV', async () => {
    const { runner, publisher, store, engine } = await setup();
    engine.outcome = 'FAILED';
    engine.reason = 'Table cloudtrail_logs does not exist: run `npx trail setup`.';
    const outcome = await runner.submit(submission());
    const e = await store.get(outcome.kind === 'started' ? outcome.execution.id : '');
    expect(e).toMatchObject({ state: 'PUBLISHED', error: engine.reason });
    expect(publisher.of('failure')).toEqual([{ kind: 'failure', id: e!.id, text: engine.reason, state: 'FAILED' }]);
    expect(publisher.of('csv')).toEqual([]);
  });

  test('the same question twice in a channel runs once; the second asker is pointed to the first', async () => {
    const { runner, publisher, engine, store } = await setup();
    engine.pollsBeforeDone = 5;
    const [a, b] = await Promise.all([runner.submit(submission()), runner.submit(submission())]);
    const kinds = [a.kind, b.kind].sort();
    expect(kinds).toEqual(['duplicate', 'started']);
    expect(engine.starts).toHaveLength(1);
    expect(publisher.of('notify')[0]!.text).toMatch(
      /^The same question (is already running|was just answered) in this channel \(execution `\w+`/,
    );
    // Another channel is another question.
    await runner.submit(submission(undefined, { channelId: 'C2' }));
    expect(engine.starts).toHaveLength(2);
    expect(await store.listByChannel('C1', 10)).toHaveLength(1);
  });

  test('per-user limit: a clear message, nothing recorded', async () => {
    const { runner, publisher, engine, store } = await setup({
      limits: { perUser: 1, perChannel: 10, dedupeSeconds: 0 },
    });
    engine.pollsBeforeDone = 40;
    const first = runner.submit(submission('sg 12h'));
    while ((await store.countActive({ userId: 'U1' })) === 0) await new Promise((r) => setTimeout(r, 5));
    const second = await runner.submit(submission('errors 7d'));
    expect(second).toEqual({
      kind: 'limited',
      message:
        'You already have 1 questions running (the limit is 1). Wait for one to finish or cancel one with `/trail cancel <id>`.',
    });
    await first;
    expect(await store.listByChannel('C1', 10)).toHaveLength(1);
    expect(publisher.of('notify').map((n) => n.text)).toContain(second.kind === 'limited' ? second.message : '');
  });

  test('per-user limit holds under a burst: six at once, three run, three are told why', async () => {
    const { runner, engine } = await setup({ limits: { perUser: 3, perChannel: 10, dedupeSeconds: 0 } });
    engine.pollsBeforeDone = 20;
    const texts = ['sg 12h', 'errors 7d', 'users 7d', 'root 30d', 'recent', 'logins'];
    const outcomes = await Promise.all(texts.map((t) => runner.submit(submission(t))));
    expect(outcomes.filter((o) => o.kind === 'started')).toHaveLength(3);
    expect(outcomes.filter((o) => o.kind === 'limited')).toHaveLength(3);
    expect(engine.starts).toHaveLength(3);
  });

  test('cancel stops the engine query, records who cancelled, posts the cancellation once', async () => {
    const { runner, publisher, engine, store } = await setup();
    engine.pollsBeforeDone = 1000;
    const running = runner.submit(submission());
    let id = '';
    while (!id) {
      const [e] = await store.listByChannel('C1', 1);
      if (e?.state === 'RUNNING') id = e.id;
      else await new Promise((r) => setTimeout(r, 5));
    }
    expect(await runner.cancel(id, 'U9')).toBe(`Cancelled \`${id}\`.`);
    await running;
    await runner.idle();
    const e = await store.get(id);
    expect(e).toMatchObject({ state: 'PUBLISHED', cancelledBy: 'U9', error: 'Cancelled by <@U9>.' });
    expect(engine.cancels).toEqual([e!.engineExecutionId]);
    expect(publisher.of('failure', id)).toHaveLength(1);
    expect(await store.listAudit({ channelId: 'C1' })).toEqual([
      expect.objectContaining({ action: 'cancel', userId: 'U9', executionId: id }),
    ]);
    expect(await runner.cancel(id, 'U9')).toBe(`Execution \`${id}\` already finished; nothing to cancel.`);
  });

  test('after a restart, an execution the engine forgot is run again and published once', async () => {
    const { store, engine, publisher, make } = await setup();
    // What a process that died mid-query leaves behind: RUNNING, with an engine id nobody knows any more.
    const execution = await recordOnly(store, 'k-restart');
    await store.transition(execution.id, 'SUBMITTED', 'RUNNING', { engineExecutionId: 'q-from-the-dead-process' });
    const restarted = make();
    expect(await restarted.resume()).toBe(1);
    await restarted.idle();
    expect(await store.get(execution.id)).toMatchObject({ state: 'PUBLISHED', stats: { rows: 2 } });
    expect(engine.starts.map((x) => x.executionId)).toEqual([execution.id]);
    expect(publisher.of('result', execution.id)).toHaveLength(1);
    expect(await restarted.resume()).toBe(0);
  });

  test('a publish that stopped after the result reply resumes with the CSV only (no second reply)', async () => {
    const { runner, store, publisher, make } = await setup({ publishAttempts: 1 });
    publisher.failNext('csv', 1);
    const outcome = await runner.submit(submission());
    const id = outcome.kind === 'started' ? outcome.execution.id : '';
    expect(await store.get(id)).toMatchObject({ state: 'SUCCEEDED', resultRef: `result-${id}`, publishAttempts: 1 });
    const later = make();
    await later.resume();
    await later.idle();
    expect(await store.get(id)).toMatchObject({ state: 'PUBLISHED', fileRef: `file-${id}` });
    expect(publisher.of('result', id)).toHaveLength(1);
    expect(publisher.of('csv', id)).toHaveLength(1);
  });

  test('Slack down for a while: retried in process until it posts, once', async () => {
    const { runner, store, publisher } = await setup({ publishAttempts: 4 });
    publisher.failNext('result', 3);
    const outcome = await runner.submit(submission());
    const id = outcome.kind === 'started' ? outcome.execution.id : '';
    expect(await store.get(id)).toMatchObject({ state: 'PUBLISHED', publishAttempts: 3 });
    expect(publisher.of('result', id)).toHaveLength(1);
  });

  test('two workers resuming the same execution: one drives it, one answer is posted', async () => {
    const { store, publisher, engine, make } = await setup();
    engine.pollsBeforeDone = 3;
    const execution = await recordOnly(store, 'k-two');
    const a = make({ workerId: 'replica-a' });
    const b = make({ workerId: 'replica-b' });
    await Promise.all([a.resume(), b.resume()]);
    await Promise.all([a.idle(), b.idle()]);
    expect(await store.get(execution.id)).toMatchObject({ state: 'PUBLISHED' });
    expect(engine.starts).toHaveLength(1);
    expect(publisher.of('result', execution.id)).toHaveLength(1);
  });

  test('cost pre-flight: above the threshold it asks first; only the asker can confirm, once', async () => {
    const { runner, publisher, engine, store } = await setup({ cost: { confirmAboveBytes: 1000 } });
    engine.estimateBytes = 5_000_000;
    const outcome = await runner.submit(submission());
    expect(outcome.kind).toBe('needs-confirmation');
    expect(engine.starts).toHaveLength(0);
    expect(await store.listByChannel('C1', 10)).toEqual([]);
    const token = outcome.kind === 'needs-confirmation' ? outcome.token : '';
    expect(publisher.of('notify').at(-1)!.text).toBe(
      `\`/trail sg sg-5887f224 12h\` would read about 5 MB from 1 day of logs, more than the 1 kB that needs a confirmation. Narrow the window, or confirm to run it. To run it: \`/trail confirm ${token}\``,
    );
    expect(await runner.confirm(token, { userId: 'U2', channelId: 'C1' })).toBe(
      'Only the person who asked can confirm it, in the channel where it was asked.',
    );
    expect(await runner.confirm(token, { userId: 'U1', channelId: 'C1' })).toBe('Running `/trail sg sg-5887f224 12h`…');
    expect(await runner.confirm(token, { userId: 'U1', channelId: 'C1' })).toMatch(/^Nothing is waiting/);
    await runner.idle();
    expect(engine.starts).toHaveLength(1);
    const [e] = await store.listByChannel('C1', 10);
    expect(e).toMatchObject({ state: 'PUBLISHED' });
  });

  test('daily budget: a question that would pass the asker’s budget is refused with the figures', async () => {
    const { runner, engine, store } = await setup({
      cost: { confirmAboveBytes: 10 ** 12, dailyBudgetBytesPerUser: 3_000_000 },
    });
    await store.addScannedBytes(new Date().toISOString().slice(0, 10), 'U1', 'C1', 2_000_000);
    engine.estimateBytes = 1_500_000;
    const outcome = await runner.submit(submission());
    expect(outcome).toEqual({
      kind: 'over-budget',
      message:
        'This question would read about 1.5 MB; with the 2 MB you already read today it passes your daily budget of 3 MB (TRAIL_DAILY_BUDGET_BYTES). Narrow the window, or ask again tomorrow.',
    });
    expect(engine.starts).toHaveLength(0);
    // Someone else still has their whole budget.
    expect((await runner.submit(submission(undefined, { userId: 'U2' }))).kind).toBe('started');
  });
});

describe('Runner pace: each step of a drive waits for the surface to be quiet (Slack acks first)', () => {
  /** A pace that records each step it is asked for and holds the steps named in `holding` until `open()`. */
  function gate(hold: DriveStep[] = []) {
    let release: () => void = () => {};
    let held: Promise<void> | undefined;
    const g = {
      steps: [] as DriveStep[],
      holding: new Set<DriveStep>(hold),
      waiting: false,
      open() {
        g.holding.clear();
        release();
      },
      pace: (step: DriveStep): Promise<void> => {
        g.steps.push(step);
        if (!g.holding.has(step)) return Promise.resolve();
        g.waiting = true;
        held ??= new Promise<void>((resolve) => {
          release = resolve;
        });
        return held;
      },
    };
    return g;
  }

  async function until(check: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 400; i++) {
      if (check()) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`never happened: ${what}`);
  }
  /** Time for a drive that is not held to get further (it must not). */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
  const idOf = (o: Awaited<ReturnType<Runner['submit']>>) => (o.kind === 'started' ? o.execution.id : '');

  test('asked once before each step, in order: start, wait, collect, publish', async () => {
    const g = gate();
    const { runner, store } = await setup({ pace: g.pace });
    const outcome = await runner.submit(submission());
    expect((await store.get(idOf(outcome)))?.state).toBe('PUBLISHED');
    expect(g.steps).toEqual(['start', 'wait', 'collect', 'publish']);
  });

  test('held before the start: no announce and no query until the surface is quiet, then the answer', async () => {
    const g = gate(['start']);
    const { runner, publisher, engine, store } = await setup({ pace: g.pace });
    const submitted = runner.submit(submission());
    await until(() => g.waiting, 'the drive asked to start');
    await settle();
    expect(engine.starts).toHaveLength(0);
    expect(publisher.events.map((x) => x.kind)).not.toContain('announce');
    g.open();
    expect((await store.get(idOf(await submitted)))?.state).toBe('PUBLISHED');
  });

  test('held once the query has succeeded: the result is neither collected nor posted until the surface is quiet', async () => {
    const g = gate(['collect']);
    const { runner, publisher, engine, store } = await setup({ pace: g.pace });
    const submitted = runner.submit(submission());
    await until(() => g.waiting, 'the drive asked to collect');
    await settle();
    expect(engine.starts).toHaveLength(1);
    const running = (await store.listByChannel('C1', 5)).find(
      (e) => e.engineExecutionId === engine.starts[0]!.engineId,
    );
    expect(running?.state).toBe('RUNNING');
    expect(publisher.events.map((x) => x.kind)).toContain('announce');
    expect(publisher.events.map((x) => x.kind)).not.toContain('result');
    g.open();
    expect((await store.get(idOf(await submitted)))?.state).toBe('PUBLISHED');
    expect(publisher.events.map((x) => x.kind)).toContain('result');
  });

  test('cancelled while held before the start: the query it then starts is cancelled, the answer says cancelled', async () => {
    const g = gate(['start']);
    const { runner, engine, store } = await setup({ pace: g.pace });
    const submitted = runner.submit(submission());
    await until(() => g.waiting, 'the drive asked to start');
    const [waiting] = await store.listByChannel('C1', 5);
    expect(waiting?.state).toBe('SUBMITTED');
    expect(await runner.cancel(waiting!.id, 'U9')).toBe(`Cancelled \`${waiting!.id}\`.`);
    g.open();
    await submitted;
    await until(() => engine.cancels.length > 0, 'the orphaned query was cancelled');
    expect(engine.cancels).toEqual(engine.starts.map((x) => x.engineId));
    expect((await store.get(waiting!.id))?.state).not.toBe('RUNNING');
  });

  test('a hand-over that begins while a drive is held stops it before its next step', async () => {
    const g = gate(['start']);
    const { runner, engine, publisher } = await setup({ pace: g.pace });
    const submitted = runner.submit(submission());
    await until(() => g.waiting, 'the drive asked to start');
    const handedOver = runner.handOver();
    g.open();
    await handedOver;
    await submitted;
    expect(engine.starts).toHaveLength(0);
    expect(publisher.events.map((x) => x.kind)).not.toContain('announce');
  });
});
