import type { DynamoExecutionStore } from '../../src/store/dynamo';
import { querySubmission } from '../helpers/commands';
import { RecordingPublisher } from '../helpers/recording-publisher';
import { ScriptedEngine } from '../helpers/scripted-engine';
import { runnerWorld, testRunner } from './helpers';

/**
 * A question acknowledged just before SIGTERM (the Slack app starts the follow-ups it still held when it stops:
 * src/surfaces/slack/follow-ups.ts) is not recorded yet when src/main.ts calls Runner.handOver. Hand-over waits until
 * it is, then lets it go like the others, so the next task resumes it instead of it being lost with the process.
 */
const world = runnerWorld('trail-handover-admitting-');

function runner(store: DynamoExecutionStore, engine: ScriptedEngine, publisher: RecordingPublisher, workerId: string) {
  return testRunner({ engine, store, publisher, resultsDir: world.resultsDir, workerId, leaseMs: 60_000 });
}

test('hand-over during a submission’s pre-flight returns once it is recorded and released; the next task answers it', async () => {
  const { store } = await world.dynamo.newStore();
  const engine = new ScriptedEngine();
  const publisher = new RecordingPublisher();
  const a = runner(store, engine, publisher, 'task-old');
  const submitted = a.submit(querySubmission('sg sg-5887f224 12h'));
  // SIGTERM right after the ack: nothing is recorded yet.
  expect(await store.listUnfinished()).toEqual([]);
  expect(await a.handOver()).toBe(1);
  const [recorded] = await store.listUnfinished();
  expect(recorded).toMatchObject({ command: 'sg' });
  expect(recorded?.leaseOwner).toBeUndefined();
  await submitted;
  expect(engine.starts).toHaveLength(0);

  const b = runner(store, engine, publisher, 'task-new');
  expect(await b.resume()).toBe(1);
  await b.idle();
  expect(await store.get(recorded!.id)).toMatchObject({ state: 'PUBLISHED' });
  expect(publisher.of('result', recorded!.id)).toHaveLength(1);
});
