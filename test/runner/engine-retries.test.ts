import { rmSync } from 'node:fs';
import path from 'node:path';
import { StatefulFakeAthena } from '../../soak/lib/fake-athena';
import { UnknownQueryError } from '../../src/core/engine';
import type { QuerySubmission } from '../../src/core/runner';
import { createAthenaClient } from '../../src/engines/athena/client';
import { AthenaEngine } from '../../src/engines/athena/engine';
import { Results } from '../../src/runner/collect';
import { Leases, type RunnerOptions, runnerContext } from '../../src/runner/context';
import { Runner } from '../../src/runner/runner';
import { noWaitRetries } from '../engines/athena/no-wait-retries';
import { querySubmission } from '../helpers/commands';
import { RecordingPublisher } from '../helpers/recording-publisher';
import { ScriptedEngine } from '../helpers/scripted-engine';
import { runnerWorld, testRunnerOptions } from './helpers';

/** Issue 14 item 10: the engine's quota, retryable failures, the republish token and a forgetful engine. */
const CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };
const world = runnerWorld('trail-retries-');

function submission(text = 'sg sg-5887f224 12h'): QuerySubmission {
  return querySubmission(text);
}

async function runnerWith(engine: RunnerOptions['engine']) {
  const { store } = await world.dynamo.newStore({ clock: { now: () => new Date() } as never });
  const publisher = new RecordingPublisher();
  const options = testRunnerOptions({
    engine,
    store,
    publisher,
    resultsDir: world.resultsDir,
    poll: { initialMs: 2, maxMs: 5, factor: 2 },
  });
  return { runner: new Runner(options), store, publisher, options };
}

function athenaEngine(fake: StatefulFakeAthena): AthenaEngine {
  return new AthenaEngine({
    client: createAthenaClient({
      region: 'us-east-1',
      endpoint: fake.endpoint,
      credentials: CREDENTIALS,
      maxAttempts: 2,
      retryStrategy: noWaitRetries(2).strategy,
    }),
    workgroup: 'trailbot',
    database: 'security',
  });
}

test('TooManyRequestsException (active-query quota): the question stays queued and the sweep starts it later', async () => {
  const fake = await StatefulFakeAthena.start({
    seed: 1,
    throttleStart: 1,
    startRefusal: 'TooManyRequestsException',
    rows: 3,
    queuedPolls: 0,
    runningPolls: 0,
  });
  try {
    const { runner, store } = await runnerWith(athenaEngine(fake));
    const outcome = await runner.submit(submission());
    const id = outcome.kind === 'started' ? outcome.execution.id : '';
    expect(await store.get(id)).toMatchObject({ state: 'SUBMITTED' });
    expect(fake.throttled.StartQueryExecution).toBe(2);
    // Other queries finished: the quota has room again, and the next sweep runs it.
    fake.setThrottling({ start: 0 });
    expect(await runner.resume()).toBe(1);
    await runner.idle();
    expect(await store.get(id)).toMatchObject({ state: 'PUBLISHED', stats: { rows: 3 } });
  } finally {
    await fake.close();
  }
});

test('a FAILED query whose AthenaError is Retryable runs again under a new token and succeeds', async () => {
  const fake = await StatefulFakeAthena.start({
    seed: 2,
    retryableFailures: 1,
    rows: 2,
    queuedPolls: 0,
    runningPolls: 0,
  });
  try {
    const { runner, store } = await runnerWith(athenaEngine(fake));
    const outcome = await runner.submit(submission());
    const id = outcome.kind === 'started' ? outcome.execution.id : '';
    expect(await store.get(id)).toMatchObject({ state: 'PUBLISHED', stats: { rows: 2 } });
    expect(new Set(fake.starts.map((s) => s.token)).size).toBe(2);
    expect(fake.states()).toEqual({ FAILED: 1, SUCCEEDED: 1 });
  } finally {
    await fake.close();
  }
});

test('an engine that keeps forgetting the query: three restarts with a pause, then FAILED with a reason', async () => {
  class Forgetful extends ScriptedEngine {
    override async status(): Promise<never> {
      throw new UnknownQueryError('gone');
    }
  }
  const engine = new Forgetful();
  const { runner, store } = await runnerWith(engine);
  const outcome = await runner.submit(submission());
  const id = outcome.kind === 'started' ? outcome.execution.id : '';
  expect(engine.starts).toHaveLength(4);
  expect(await store.get(id)).toMatchObject({
    state: 'PUBLISHED',
    error: 'The query engine lost this query 3 times in a row; ask again in a moment.',
  });
});

test('re-fetching a lost result uses a client token that follows the SQL, so a changed template never reuses one', async () => {
  const engine = new ScriptedEngine();
  const { runner, store, options } = await runnerWith(engine);
  const first = await runner.submit(submission('sg sg-5887f224 12h'));
  const second = await runner.submit(submission('sg sg-5887f224 6h'));
  const ids = [first, second].map((o) => (o.kind === 'started' ? o.execution.id : ''));
  // The spool is gone and the engine forgot both queries (a restart): publishing again must start them again.
  for (const id of ids) {
    rmSync(path.join(world.resultsDir, `${id}.csv`), { force: true });
    rmSync(path.join(world.resultsDir, `${id}.summary.json`), { force: true });
  }
  engine.forget();
  const republished = engine.starts.length;
  // Results.summaryOf is what publishing calls to get the answer back after a restart.
  const context = runnerContext(options);
  const leases = new Leases(context);
  const results = new Results(context, (id) => leases.renew(id));
  for (const id of ids) {
    const e = await store.get(id);
    if (!e) throw new Error(`execution ${id} is missing`);
    await results.summaryOf(e);
  }
  const tokens = engine.starts.slice(republished).map((s) => s.executionId);
  expect(tokens[0]).toMatch(new RegExp(`^${ids[0]}-republish-[0-9a-f]{12}$`));
  expect(tokens[1]).toMatch(new RegExp(`^${ids[1]}-republish-[0-9a-f]{12}$`));
  expect(tokens[0]!.split('-republish-')[1]).not.toBe(tokens[1]!.split('-republish-')[1]);
});
