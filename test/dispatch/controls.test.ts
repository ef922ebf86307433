/**
 * Control commands answer with their own handlers (commands/<name>.ts): the front door has no list of them. A command
 * added to the catalog alone is parsed, checked against the access policy and answered with the ports and the
 * asker's bound policy in its context; `help` answers at once without I/O.
 */
import { COMMANDS } from '../../commands';
import { takeId } from '../../commands/ids';
import type { ControlContext, DeferredControl } from '../../commands/types';
import type { QueryRunner } from '../../src/core/runner';
import { TrailDispatcher } from '../../src/dispatch/dispatcher';
import { testConfig } from '../helpers/config';
import { RecordingPublisher } from '../helpers/recording-publisher';
import { type LocalDynamo, newExecution, startLocalDynamo } from '../store/helpers';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.close();
});

/** These tests run no question: a runner that is asked anything fails the test. */
const noRunner: QueryRunner = {
  submit: async () => {
    throw new Error('no question should be submitted');
  },
  confirm: async () => {
    throw new Error('nothing should be confirmed');
  },
  cancel: async () => {
    throw new Error('nothing should be cancelled');
  },
};

/** `archive <id>`: a control command that exists only in this test, to show that one file is all a command needs. */
function archiveCommand(seen: ControlContext[]): DeferredControl<{ id: string }> {
  return {
    kind: 'control',
    name: 'archive',
    summary: 'pretend to archive a question (test only)',
    usage: 'archive <id>',
    examples: ['archive k3x9q2m8a1'],
    parse(args) {
      return { id: takeId(this, args, 'execution') };
    },
    async handle({ id }, ctx) {
      seen.push(ctx);
      const e = await ctx.executions.get(id);
      if (!e) return `no ${id}`;
      const may = ctx.mayStop({ command: 'archive', ownerId: e.userId, what: 'question' });
      if (!may.allowed) {
        await ctx.audit({ action: 'denied', command: 'archive', detail: `archive ${id}` });
        return may.reason;
      }
      return `archived ${e.commandText} for ${ctx.asker.userId}`;
    },
  };
}

async function setup(policy = {}) {
  const { store } = await dynamo.newStore();
  const publisher = new RecordingPublisher();
  const seen: ControlContext[] = [];
  const config = testConfig({ policy: { default: {}, commands: {}, ...policy } });
  const dispatcher = new TrailDispatcher({
    config,
    runner: noRunner,
    store,
    publisher,
    catalog: [...COMMANDS, archiveCommand(seen)],
  });
  const { execution } = await store.create(newExecution({ userId: 'U0ASKER', channelId: 'C1', commandText: 'sg 12h' }));
  /** What `userId` is told after typing `text` in C1: the immediate reply, or what the handler notified. */
  const say = async (text: string, userId: string) => {
    const prepared = dispatcher.prepare({ text, userId, channelId: 'C1', surface: 'slack' });
    if (prepared.kind === 'reply') return { at: 'once', text: prepared.text };
    const before = publisher.of('notify').length;
    await prepared.run();
    const told = publisher.of('notify').slice(before);
    return { at: 'after the ack', text: prepared.ackText ?? told.map((n) => n.text).join('\n') };
  };
  return { store, say, seen, id: execution.id };
}

test('a control command added to the catalog alone is answered by its handler, with the asker and the ports', async () => {
  const t = await setup();
  expect(await t.say(`archive ${t.id}`, 'U0ASKER')).toEqual({
    at: 'after the ack',
    text: 'archived sg 12h for U0ASKER',
  });
  expect(t.seen).toHaveLength(1);
  expect(t.seen[0]!.asker).toMatchObject({ userId: 'U0ASKER', channelId: 'C1', surface: 'slack' });
  expect(t.seen[0]!.catalog?.some((c) => c.name === 'archive')).toBe(true);
});

test('the ownership rule reaches the handler bound to the asker: someone else is refused, and it is audited', async () => {
  const t = await setup({ admins: ['U0ADMIN'] });
  expect((await t.say(`archive ${t.id}`, 'U0OTHER')).text).toBe(
    'Only <@U0ASKER>, who asked that question, or a trailbot admin (<@U0ADMIN>) may cancel it.',
  );
  expect((await t.say(`archive ${t.id}`, 'U0ADMIN')).text).toBe('archived sg 12h for U0ADMIN');
  expect((await t.store.listAudit({ channelId: 'C1' })).map((a) => [a.action, a.userId, a.command, a.detail])).toEqual([
    ['denied', 'U0OTHER', 'archive', `archive ${t.id}`],
  ]);
});

test('the access policy of the command itself applies before its handler runs', async () => {
  const t = await setup({ commands: { archive: { users: ['U0LEAD'] } } });
  expect(await t.say(`archive ${t.id}`, 'U0ASKER')).toEqual({
    at: 'after the ack',
    text: '`archive` may only be run by <@U0LEAD>.',
  });
  expect(t.seen).toEqual([]);
});

test('a command whose port this setup lacks says so at once; help answers at once without I/O', async () => {
  const t = await setup();
  expect(await t.say('schedules', 'U0ASKER')).toEqual({
    at: 'once',
    text: '`schedules` is not available in this setup.',
  });
  expect(await t.say('cache status', 'U0ASKER')).toEqual({
    at: 'once',
    text: '`cache` is not available in this setup.',
  });
  const help = await t.say('help archive', 'U0ASKER');
  expect(help.at).toBe('once');
  expect(help.text).toContain('/trail archive <id>');
});
