/**
 * `watch`, `watches`, `unwatch` (issue 19): what is accepted and refused when typed, and the controls against dynalite
 * through the real front door (policy, audit, the store's one-watch-per-question id).
 */
import { PACKS } from '../../commands/watch';
import { TrailDispatcher } from '../../src/dispatch/dispatcher';
import { WatchStore } from '../../src/store/watches';
import { context, parse, queryOf, usageMessage } from '../helpers/commands';
import { testConfig } from '../helpers/config';
import { RecordingPublisher } from '../scheduler/helpers';
import { type LocalDynamo, startLocalDynamo, TestClock } from '../store/helpers';

function watchArgs(text: string) {
  const r = parse(text, context());
  if (r.kind !== 'control') throw new Error(`${text} is not a control command`);
  return r.args;
}

describe('watch: accepted forms', () => {
  test.each([
    [
      'watch tamper every 15m',
      { command: 'tamper', commandText: 'tamper', everyMinutes: 15, onlyFlagged: false, quietDaily: false },
    ],
    [
      'watch logins nomfa every 1h quiet-daily',
      { command: 'logins', commandText: 'logins nomfa', everyMinutes: 60, quietDaily: true },
    ],
    [
      'watch exposed account:111122223333 every 5m only-flagged',
      { commandText: 'exposed account:111122223333', everyMinutes: 5, onlyFlagged: true },
    ],
    [
      'watch iam every 30min route 111122223333:C0PROD 444455556666:<#C0DEV|dev>',
      { commandText: 'iam', everyMinutes: 30, routes: { '111122223333': 'C0PROD', '444455556666': 'C0DEV' } },
    ],
  ])('%s', (text, expected) => {
    expect(watchArgs(text)).toMatchObject({ kind: 'one', request: expected });
  });

  test('the baseline pack parses into the recommended watches', () => {
    const args = watchArgs('watch pack baseline') as {
      kind: string;
      requests: { commandText: string; everyMinutes: number }[];
    };
    expect(args.kind).toBe('pack');
    expect(args.requests.map((r) => [r.commandText, r.everyMinutes])).toEqual([
      ['tamper', 15],
      ['exposed', 15],
      ['logins root', 15],
      ['logins nomfa', 15],
      ['iam', 60],
    ]);
    expect(PACKS.baseline).toHaveLength(5);
  });

  test('`logins root` (the pack’s root sign-ins) asks for root sign-ins only, as SQL text the template owns', () => {
    const { query } = queryOf('logins root 1h');
    expect(query.sql).toContain("AND useridentity.type = 'Root'");
    expect(queryOf('logins all 1h').query.sql).not.toContain("useridentity.type = 'Root'");
  });
});

describe('watch: refusals name what is wrong and what is accepted', () => {
  test('shorter than 5 minutes', () => {
    const message = usageMessage('watch tamper every 1m');
    expect(message).toContain('the shortest interval is 5m');
    expect(message).toContain('every 15m, every 30m, every 1h');
  });
  test('no interval, or not an interval', () => {
    expect(usageMessage('watch tamper')).toContain('say how often after the question');
    expect(usageMessage('watch tamper every soon')).toContain('`soon` is not an interval');
    expect(usageMessage('watch tamper every 2d')).toContain('is not an interval');
    expect(usageMessage('watch tamper every 25h')).toContain('/trail schedule');
  });
  test('a question without event ids cannot be watched, and the reply says which can', () => {
    for (const text of ['watch root every 15m', 'watch errors every 15m', 'watch users every 1h']) {
      const message = usageMessage(text);
      expect(message).toContain('not events with an `eventid`');
      expect(message).toContain('Questions that can be watched:');
      expect(message).toContain('`tamper`');
      expect(message).not.toContain('`root`,');
    }
  });
  test('a window, --sql, a control command, an unknown option or a bad route', () => {
    expect(usageMessage('watch tamper 24h every 15m')).toContain('leave out the time window `24h`');
    expect(usageMessage('watch tamper every 15m --sql')).toContain('`--sql`');
    expect(usageMessage('watch status every 15m')).toContain('only questions can be watched');
    expect(usageMessage('watch tamper every 15m loudly')).toContain('unexpected `loudly` after the interval');
    expect(usageMessage('watch tamper every 15m route 1234:C0PROD')).toContain('is not a route');
    expect(usageMessage('watch tamper every 15m route')).toContain('`route` needs');
    expect(usageMessage('watch pack everything')).toContain('there is no pack `everything`. Accepted: baseline');
  });
});

describe('watch controls against dynalite', () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(async () => {
    await dynamo.close();
  });

  async function frontDoor(policy = testConfig().policy) {
    const clock = new TestClock('2026-11-20T09:58:00.000Z');
    const { store, tableName } = await dynamo.newStore({ clock });
    const watches = new WatchStore({ client: dynamo.client, tableName, now: clock.now });
    const publisher = new RecordingPublisher();
    const config = testConfig({ policy });
    const runner = { submit: jest.fn(), confirm: jest.fn(), cancel: jest.fn() };
    const dispatcher = new TrailDispatcher({
      config,
      runner,
      store,
      publisher,
      now: clock.now,
      watches: { store: watches },
    });
    const type = async (text: string, userId = 'U0ALICE', channelId = 'C0SEC') => {
      const before = publisher.posted.length;
      const prepared = dispatcher.prepare({ text, userId, channelId, surface: 'slack' });
      if (prepared.kind === 'reply') return prepared.text;
      await prepared.run();
      return publisher.posted
        .slice(before)
        .map((p) => (p.kind === 'notify' ? p.text : ''))
        .join('\n');
    };
    const audit = async () =>
      (await store.listAudit({ channelId: 'C0SEC' })).map((e) => `${e.action} ${e.command} ${e.userId}`);
    return { type, watches, store, audit, runner };
  }

  test('the pack twice: five watches, no duplicates; listed; each removable by its creator or an admin only', async () => {
    const f = await frontDoor({ default: {}, commands: {}, admins: ['U0ADMIN'] });
    const first = await f.type('watch pack baseline');
    expect(first).toContain('5 watches added');
    expect(first).toContain('/trail unwatch');
    const second = await f.type('watch pack baseline');
    expect(second).toContain('nothing new added');
    expect(second.match(/already watched/g)).toHaveLength(5);
    const list = await f.watches.listByChannel('C0SEC');
    expect(list).toHaveLength(5);
    expect(await f.type('watch tamper every 15m')).toContain('already watches `/trail tamper`');
    const listed = await f.type('watches');
    for (const w of list) expect(listed).toContain(w.id);

    const tamper = list.find((w) => w.commandText === 'tamper')!;
    expect(await f.type(`unwatch ${tamper.id}`, 'U0BOB')).toContain('Only <@U0ALICE>, who set up that watch');
    expect(await f.type(`unwatch ${tamper.id}`, 'U0ADMIN')).toContain(`Stopped watch \`${tamper.id}\``);
    expect(await f.type(`unwatch ${tamper.id}`)).toContain('There is no watch');
    expect(await f.watches.listByChannel('C0SEC')).toHaveLength(4);
    // After unwatching, the same question may be watched again.
    expect(await f.type('watch tamper every 15m')).toContain('Watching `/trail tamper`');
    // Audited: five made by the pack (the second pack added none), the refusal, the stop, the new watch.
    const audited = await f.audit();
    expect(audited.filter((a) => a.startsWith('watch '))).toHaveLength(6);
    expect(audited).toEqual(expect.arrayContaining(['denied tamper U0BOB', 'unwatch tamper U0ADMIN']));
  });

  test('watching a question the policy does not allow here, or routing it to a channel it does not allow, is refused', async () => {
    const f = await frontDoor({ default: {}, commands: { iam: { channels: ['C0SEC'] } } });
    expect(await f.type('watch iam every 1h', 'U0ALICE', 'C0OTHER')).toContain('You cannot watch that here');
    const routed = await f.type('watch iam every 1h route 111122223333:C0PROD');
    expect(routed).toContain('findings cannot be routed to <#C0PROD>');
    expect(await f.watches.listByChannel('C0SEC')).toHaveLength(0);
    expect(f.runner.submit).not.toHaveBeenCalled();
    expect(await f.audit()).toEqual(['denied iam U0ALICE']);
  });
});
