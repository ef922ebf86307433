import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TrailDispatcher } from '../../src/runner/dispatcher';
import { Runner } from '../../src/runner/runner';
import { testConfig } from '../helpers/config';
import { RecordingPublisher } from '../helpers/recording-publisher';
import { ScriptedEngine } from '../helpers/scripted-engine';
import { type LocalDynamo, startLocalDynamo } from '../store/helpers';

describe('TrailDispatcher: Re-run', () => {
  let dynamo: LocalDynamo;
  let resultsDir: string;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    resultsDir = mkdtempSync(path.join(os.tmpdir(), 'trail-dispatch-'));
  });
  afterAll(async () => {
    await dynamo.close();
    rmSync(resultsDir, { recursive: true, force: true });
  });

  async function setup() {
    const { store } = await dynamo.newStore();
    const engine = new ScriptedEngine();
    const publisher = new RecordingPublisher();
    // `root` only for the compliance lead: the access policy applies to a re-run as to the first run.
    const config = testConfig({ resultsDir, policy: { default: {}, commands: { root: { users: ['U0LEAD'] } } } });
    const runner = new Runner({
      engine,
      store,
      publisher,
      resultsDir,
      limits: config.limits,
      sleep: () => new Promise((r) => setTimeout(r, 1)),
      poll: { initialMs: 1, maxMs: 2, factor: 2 },
    });
    const dispatcher = new TrailDispatcher({ config, runner, store, publisher });
    const first = dispatcher.prepare({ text: 'root 7d', userId: 'U0LEAD', channelId: 'C1', surface: 'slack' });
    if (first.kind !== 'run') throw new Error('expected a run');
    await first.run();
    const [e] = await store.listByChannel('C1', 1);
    return { store, engine, runner, dispatcher, id: e!.id };
  }

  test('runs the question again as a new execution, not deduplicated to the original', async () => {
    const { store, engine, runner, dispatcher, id } = await setup();
    const text = await dispatcher.action({ action: 'rerun', executionId: id, userId: 'U0LEAD', channelId: 'C1' });
    expect(text).toBe('Re-running `/trail root 7d`…');
    await runner.idle();
    await new Promise((r) => setTimeout(r, 50));
    await runner.idle();
    expect(engine.starts).toHaveLength(2);
    expect(await store.listByChannel('C1', 10)).toHaveLength(2);
  });

  test('someone the policy denies cannot run it through the Re-run button', async () => {
    const { store, engine, runner, dispatcher, id } = await setup();
    const text = await dispatcher.action({ action: 'rerun', executionId: id, userId: 'U0OTHER', channelId: 'C1' });
    expect(text).toContain('`root` may only be run by');
    await new Promise((r) => setTimeout(r, 50));
    await runner.idle();
    expect(engine.starts).toHaveLength(1);
    expect(await store.listByChannel('C1', 10)).toHaveLength(1);
    expect((await store.listAudit({ channelId: 'C1' })).map((a) => [a.action, a.userId])).toEqual([
      ['denied', 'U0OTHER'],
    ]);
  });
});
