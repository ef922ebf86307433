import type { ExecutionRecord } from '../../src/core/execution';
import type { ResultRows } from '../../src/core/publisher';
import { TrailDispatcher } from '../../src/dispatch/dispatcher';
import { dropSpool } from '../../src/runner/collect';
import { Runner } from '../../src/runner/runner';
import { testConfig } from '../helpers/config';
import { RecordingPublisher } from '../helpers/recording-publisher';
import { ScriptedEngine } from '../helpers/scripted-engine';
import { runnerWorld } from '../runner/helpers';

/** The recording publisher, with the optional "more rows" method the Slack publisher has. */
class PagingPublisher extends RecordingPublisher {
  pages: ResultRows[] = [];
  async postRows(_e: ExecutionRecord, rows: ResultRows): Promise<string> {
    this.pages.push(rows);
    return `page-${this.pages.length}`;
  }
}

describe('TrailDispatcher: "Show next 20 rows"', () => {
  const world = runnerWorld('trail-page-');

  async function setup() {
    const { store } = await world.dynamo.newStore();
    const engine = new ScriptedEngine();
    engine.columns = ['eventname', 'total_events'];
    engine.rows = Array.from({ length: 45 }, (_, i) => [`Call${i + 1}`, String(45 - i)]);
    engine.pageSize = 7;
    const publisher = new PagingPublisher();
    // `root` only for the compliance lead: more rows of its answer are its answer.
    const config = testConfig({
      resultsDir: world.resultsDir,
      policy: { default: {}, commands: { root: { users: ['U0LEAD'] } } },
    });
    const runner = new Runner({
      engine,
      store,
      publisher,
      resultsDir: world.resultsDir,
      limits: config.limits,
      sleep: () => new Promise((r) => setTimeout(r, 1)),
      poll: { initialMs: 1, maxMs: 2, factor: 2 },
    });
    const dispatcher = new TrailDispatcher({ config, runner, store, publisher });
    const first = dispatcher.prepare({ text: 'root 7d', userId: 'U0LEAD', channelId: 'C1', surface: 'slack' });
    if (first.kind !== 'run') throw new Error('expected a run');
    await first.run();
    await runner.idle();
    const [e] = await store.listByChannel('C1', 1);
    return { store, engine, publisher, dispatcher, id: e!.id };
  }

  test('pages 21–40, then 41–45, read back from the stored answer, even once its spool is gone', async () => {
    const { engine, publisher, dispatcher, id } = await setup();
    const click = (from: number) =>
      dispatcher.action({ action: 'page', executionId: `${id}@${from}`, userId: 'U0LEAD', channelId: 'C1' });
    expect(await click(20)).toBeUndefined();
    expect(publisher.pages[0]).toMatchObject({ from: 20, totalRows: 45, columns: ['eventname', 'total_events'] });
    expect(publisher.pages[0]!.rows.map((r) => r[0])).toEqual(Array.from({ length: 20 }, (_, i) => `Call${i + 21}`));
    // Slack deletes the spool once an answer is published: the rows are fetched from the engine again.
    await dropSpool(world.resultsDir, id);
    expect(await click(40)).toBeUndefined();
    expect(publisher.pages[1]!.rows).toEqual([
      ['Call41', '5'],
      ['Call42', '4'],
      ['Call43', '3'],
      ['Call44', '2'],
      ['Call45', '1'],
    ]);
    expect(engine.starts).toHaveLength(1);
  });

  test('someone the policy denies the question sees no rows, and the refusal is audited', async () => {
    const { store, publisher, dispatcher, id } = await setup();
    const text = await dispatcher.action({
      action: 'page',
      executionId: `${id}@20`,
      userId: 'U0OTHER',
      channelId: 'C1',
    });
    expect(text).toContain('`root` may only be run by');
    expect(publisher.pages).toEqual([]);
    const audit = await store.listAudit({ channelId: 'C1' });
    expect(audit.map((a) => [a.action, a.userId, a.command, a.detail])).toEqual([
      ['denied', 'U0OTHER', 'root', `button page ${id} from row 21`],
    ]);
  });

  test('a value that is not `<id>@<row>`, or from another channel, shows nothing', async () => {
    const { publisher, dispatcher, id } = await setup();
    const ask = (executionId: string, channelId = 'C1') =>
      dispatcher.action({ action: 'page', executionId, userId: 'U0LEAD', channelId });
    expect(await ask(`${id}@-1`)).toContain('does not name rows of an answer');
    expect(await ask(`${id}@20@40`)).toContain('does not name rows of an answer');
    expect(await ask('nosuchexecution@20')).toBe('There is no execution `nosuchexecution`.');
    expect(await ask(`${id}@20`, 'C2')).toBe('That execution belongs to another channel.');
    expect(publisher.pages).toEqual([]);
  });
});
