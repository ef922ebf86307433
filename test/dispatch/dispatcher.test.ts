import { TrailDispatcher } from '../../src/dispatch/dispatcher';
import { Runner } from '../../src/runner/runner';
import { testConfig } from '../helpers/config';
import { RecordingPublisher } from '../helpers/recording-publisher';
import { ScriptedEngine } from '../helpers/scripted-engine';
import { runnerWorld } from '../runner/helpers';

describe('TrailDispatcher: Re-run', () => {
  const world = runnerWorld('trail-dispatch-');

  async function setup() {
    const { store } = await world.dynamo.newStore();
    const engine = new ScriptedEngine();
    const publisher = new RecordingPublisher();
    // `root` only for the compliance lead: the access policy applies to a re-run as to the first run.
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
    const [e] = await store.listByChannel('C1', 1);
    return { store, engine, runner, dispatcher, id: e!.id };
  }

  test('runs the question again as a new execution, not deduplicated to the original', async () => {
    const { store, engine, runner, dispatcher, id } = await setup();
    const text = await dispatcher.action({ action: 'rerun', executionId: id, userId: 'U0LEAD', channelId: 'C1' });
    expect(text).toBe('Re-running `/trail root 7d`…');
    // The re-run starts detached from the click; wait for it by polling, not for a fixed time (a busy machine).
    for (let i = 0; i < 500 && engine.starts.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
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

describe('TrailDispatcher: buttons go through the access policy; only the asker or an admin cancels', () => {
  const world = runnerWorld('trail-dispatch-');

  /**
   * U0ASKER asks `sg 12h` in C1 and the query keeps running. `cancel` is denied to U0DENIED; `root` and `confirm` are
   * only for U0LEAD; U0ADMIN is the policy's admin.
   */
  async function setup() {
    const { store } = await world.dynamo.newStore();
    const engine = new ScriptedEngine();
    engine.pollsBeforeDone = Number.MAX_SAFE_INTEGER;
    const publisher = new RecordingPublisher();
    const config = testConfig({
      resultsDir: world.resultsDir,
      policy: {
        default: {},
        commands: {
          cancel: { users: ['U0ASKER', 'U0OTHER', 'U0ADMIN', 'U0LEAD'] },
          root: { users: ['U0LEAD'] },
          confirm: { users: ['U0LEAD'] },
        },
        admins: ['U0ADMIN'],
      },
    });
    const runner = new Runner({
      engine,
      store,
      publisher,
      resultsDir: world.resultsDir,
      limits: config.limits,
      sleep: () => new Promise((r) => setTimeout(r, 5)),
      poll: { initialMs: 5, maxMs: 5, factor: 1 },
    });
    const dispatcher = new TrailDispatcher({ config, runner, store, publisher });
    const ask = async (text: string, userId: string) => {
      const prepared = dispatcher.prepare({ text, userId, channelId: 'C1', surface: 'slack' });
      if (prepared.kind !== 'run' || prepared.ackText) throw new Error(`expected ${text} to run`);
      void prepared.run();
      // Polled, not timed: the run goes on after prepare() returns (a slow machine only makes this loop longer).
      for (let i = 0; i < 1000; i++) {
        const e = (await store.listByChannel('C1', 10)).find((x) => x.commandText === text);
        if (e?.state === 'RUNNING') return e.id;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`${text} never started`);
    };
    const id = await ask('sg 12h', 'U0ASKER');
    const stateOf = async (execution = id) => (await store.get(execution))?.state;
    // Entries written within one millisecond have no order between them, so compare them sorted.
    const audit = async () =>
      (await store.listAudit({ channelId: 'C1' })).map((a) => [a.action, a.userId, a.command, a.detail]).sort();
    const finish = async () => {
      for (const e of await store.listByChannel('C1', 10)) await runner.cancel(e.id, e.userId);
      await runner.idle();
    };
    const click = (action: 'cancel' | 'show_sql' | 'confirm' | 'rerun', userId: string, executionId = id) =>
      dispatcher.action({ action, executionId, userId, channelId: 'C1' });
    return { store, engine, runner, dispatcher, publisher, id, ask, stateOf, audit, finish, click };
  }

  test('the Cancel button of someone the policy denies `cancel` cancels nothing, and the denial is audited', async () => {
    const t = await setup();
    try {
      expect(await t.click('cancel', 'U0DENIED')).toBe(
        '`cancel` may only be run by <@U0ASKER>, <@U0OTHER>, <@U0ADMIN> or <@U0LEAD>.',
      );
      expect(await t.stateOf()).toBe('RUNNING');
      expect(t.engine.cancels).toEqual([]);
      expect(await t.audit()).toEqual([['denied', 'U0DENIED', 'cancel', `button cancel ${t.id}`]]);
    } finally {
      await t.finish();
    }
  });

  test('someone else may not cancel the question with the button or the command; the asker may', async () => {
    const t = await setup();
    try {
      const refusal = 'Only <@U0ASKER>, who asked that question, or a trailbot admin (<@U0ADMIN>) may cancel it.';
      expect(await t.click('cancel', 'U0OTHER')).toBe(refusal);
      const typed = t.dispatcher.prepare({
        text: `cancel ${t.id}`,
        userId: 'U0OTHER',
        channelId: 'C1',
        surface: 'slack',
      });
      if (typed.kind !== 'run') throw new Error('expected the typed cancel to run');
      await typed.run();
      expect(t.publisher.of('notify').map((n) => n.text)).toEqual([refusal]);
      expect(await t.stateOf()).toBe('RUNNING');

      expect(await t.click('cancel', 'U0ASKER')).toBe(`Cancelled \`${t.id}\`.`);
      await t.runner.idle();
      expect(await t.stateOf()).not.toBe('RUNNING');
      expect(await t.audit()).toEqual([
        ['cancel', 'U0ASKER', 'sg', undefined],
        ['denied', 'U0OTHER', 'cancel', `cancel ${t.id} asked by U0ASKER`],
        ['denied', 'U0OTHER', 'cancel', `cancel ${t.id} asked by U0ASKER`],
      ]);
    } finally {
      await t.finish();
    }
  });

  test("an admin may cancel anyone's question, and the audit names both the admin and the asker", async () => {
    const t = await setup();
    try {
      expect(await t.click('cancel', 'U0ADMIN')).toBe(`Cancelled \`${t.id}\`.`);
      await t.runner.idle();
      expect((await t.store.get(t.id))?.cancelledBy).toBe('U0ADMIN');
      expect(await t.audit()).toEqual([['cancel', 'U0ADMIN', 'sg', 'asked by U0ASKER']]);
    } finally {
      await t.finish();
    }
  });

  test('Show SQL is checked as the question’s own command, as typing `--sql` would be', async () => {
    const t = await setup();
    try {
      const rootId = await t.ask('root 7d', 'U0LEAD');
      expect(await t.click('show_sql', 'U0OTHER', rootId)).toBe('`root` may only be run by <@U0LEAD>.');
      expect(await t.click('show_sql', 'U0LEAD', rootId)).toMatch(/^```\n[\s\S]*cloudtrail_logs[\s\S]*```$/);
      // `sg` is open to everyone: anyone in the channel may see its SQL.
      expect(await t.click('show_sql', 'U0OTHER')).toMatch(/^```\n/);
      expect(await t.audit()).toEqual([['denied', 'U0OTHER', 'root', `button show_sql ${rootId}`]]);
    } finally {
      await t.finish();
    }
  });

  test('the Confirm button is checked as `confirm`', async () => {
    const t = await setup();
    try {
      expect(await t.click('confirm', 'U0OTHER', 'tok123')).toBe('`confirm` may only be run by <@U0LEAD>.');
      expect(await t.audit()).toEqual([['denied', 'U0OTHER', 'confirm', 'button confirm tok123']]);
    } finally {
      await t.finish();
    }
  });
});
