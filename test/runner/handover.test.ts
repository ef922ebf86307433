import type { DynamoExecutionStore } from '../../src/store/dynamo';
import { querySubmission } from '../helpers/commands';
import { RecordingPublisher } from '../helpers/recording-publisher';
import { ScriptedEngine } from '../helpers/scripted-engine';
import { runnerWorld, testRunner } from './helpers';

/**
 * SIGTERM hand-over (src/main.ts calls Runner.handOver): the stopping process drops its leases, and another process
 * takes the execution over at once. The store's clock does not move in this test, so a lease left behind would
 * block the second process for good: only a released lease lets it in.
 */
const world = runnerWorld('trail-handover-');

function runner(store: DynamoExecutionStore, engine: ScriptedEngine, publisher: RecordingPublisher, workerId: string) {
  return testRunner({
    engine,
    store,
    publisher,
    resultsDir: world.resultsDir,
    workerId,
    leaseMs: 60_000,
  });
}

test('a stopping process releases its lease and a second process finishes the same query at once', async () => {
  const { store } = await world.dynamo.newStore();
  const engine = new ScriptedEngine();
  engine.pollsBeforeDone = Number.MAX_SAFE_INTEGER;
  const publisher = new RecordingPublisher();
  const a = runner(store, engine, publisher, 'task-old');
  const s = querySubmission('sg sg-5887f224 12h');
  const submitted = a.submit(s);
  while (engine.starts.length === 0) await new Promise((res) => setTimeout(res, 5));
  const [running] = await store.listUnfinished();
  expect(running).toMatchObject({ state: 'RUNNING', leaseOwner: 'task-old' });

  // SIGTERM on the old task.
  expect(await a.handOver()).toBe(1);
  await submitted;
  const released = await store.get(running!.id);
  expect(released?.leaseOwner).toBeUndefined();
  expect(released?.state).toBe('RUNNING');
  // It takes no more work.
  expect(await a.resume()).toBe(0);

  // The new task's first sweep claims it at once and carries on with the same engine query.
  engine.pollsBeforeDone = 0;
  const b = runner(store, engine, publisher, 'task-new');
  expect(await b.resume()).toBe(1);
  await b.idle();
  expect(await store.get(running!.id)).toMatchObject({ state: 'PUBLISHED' });
  expect(engine.starts).toHaveLength(1);
  expect(publisher.of('result', running!.id)).toHaveLength(1);
});
