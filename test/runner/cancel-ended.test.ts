import { DuckDbEngine } from '../../src/engines/duckdb/engine';
import { event, LogTree, plainQuery } from '../engines/duckdb/fixtures';
import { querySubmission } from '../helpers/commands';
import { RecordingPublisher } from '../helpers/recording-publisher';
import { ScriptedEngine } from '../helpers/scripted-engine';
import { pollsOnlyEndedCanEnd, runnerWorld, testRunner } from './helpers';

const world = runnerWorld('trail-cancel-ended-');

/**
 * An engine that says when a query has ended, as DuckDbEngine does: `cancel` makes the query CANCELLED and its
 * `ended()` resolve at once, then waits for the running statement to stop (DuckDB's interrupt) before it returns.
 */
class EndingEngine extends ScriptedEngine {
  private readonly endings = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  /** Resolved by the test: the running statement has stopped. */
  stopped!: () => void;

  private ending(id: string) {
    let entry = this.endings.get(id);
    if (!entry) {
      let resolve = () => {};
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      entry = { promise, resolve };
      this.endings.set(id, entry);
    }
    return entry;
  }

  ended(id: string): Promise<void> {
    return this.ending(id).promise;
  }

  override async cancel(id: string): Promise<void> {
    await super.cancel(id);
    this.ending(id).resolve();
    await new Promise<void>((resolve) => {
      this.stopped = resolve;
    });
  }
}

test('a cancel the engine reports at once is still recorded as the cancel: who, the audit, the reply', async () => {
  const { store } = await world.dynamo.newStore();
  const engine = new EndingEngine();
  engine.pollsBeforeDone = 1_000_000;
  const publisher = new RecordingPublisher();
  const runner = testRunner({
    engine,
    store,
    publisher,
    resultsDir: world.resultsDir,
    ...pollsOnlyEndedCanEnd(),
  });
  const running = runner.submit(querySubmission('sg sg-5887f224 12h'));
  let id = '';
  while (!id) {
    const [e] = await store.listByChannel('C1', 1);
    if (e?.state === 'RUNNING' && e.engineExecutionId) id = e.id;
    else await new Promise((r) => setTimeout(r, 5));
  }
  const cancelling = runner.cancel(id, 'U9');
  // The engine has said CANCELLED (the answer's wait wakes) and the statement is still stopping: give the wait time
  // to record what it read, as it did before it deferred to the cancel.
  while (!engine.stopped) await new Promise((r) => setTimeout(r, 5));
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
  engine.stopped();
  expect(await cancelling).toBe(`Cancelled \`${id}\`.`);
  await running;
  await runner.idle();
  expect(await store.get(id)).toMatchObject({ cancelledBy: 'U9', error: 'Cancelled by <@U9>.' });
  expect(await store.listAudit({ channelId: 'C1' })).toEqual([
    expect.objectContaining({ action: 'cancel', userId: 'U9', executionId: id }),
  ]);
  expect(publisher.of('failure', id)).toHaveLength(1);
});

test('the same through the DuckDB engine, polled as the embedded bot polls', async () => {
  const tree = new LogTree();
  tree.s3({ day: '2024/05/01', events: [event(), event()] });
  const engine = new DuckDbEngine({ dataDir: tree.root, logger: () => undefined });
  try {
    const { store } = await world.dynamo.newStore();
    const runner = testRunner({
      engine,
      store,
      publisher: new RecordingPublisher(),
      resultsDir: world.resultsDir,
      // src/app.ts's polling of the embedded engine, with real pauses.
      poll: { initialMs: 50, maxMs: 1000, factor: 1.5 },
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    });
    // A cross join DuckDB would spend hours on: only the cancel ends it.
    const slow = plainQuery(
      'SELECT count(*) FROM cloudtrail_logs, range(10000000000) t(i) WHERE hash(i + length(eventname)) % 1000003 = 7',
      ['2024/05/01'],
    );
    const running = runner.submit(querySubmission('sg sg-5887f224 12h', { query: slow }));
    let id = '';
    while (!id) {
      const [e] = await store.listByChannel('C1', 1);
      if (e?.state === 'RUNNING' && e.engineExecutionId) id = e.id;
      else await new Promise((r) => setTimeout(r, 5));
    }
    expect(await runner.cancel(id, 'U9')).toBe(`Cancelled \`${id}\`.`);
    await running;
    await runner.idle();
    expect(await store.get(id)).toMatchObject({ cancelledBy: 'U9', error: 'Cancelled by <@U9>.' });
  } finally {
    await engine.close();
    tree.remove();
  }
});
