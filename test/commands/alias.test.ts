/**
 * `alias`, `aliases`, `unalias` (commands/alias.ts, aliases.ts, unalias.ts): the grammar, then the real dispatcher
 * (alias expansion, policy, the handlers) on dynalite with the real alias store and audit trail.
 */
import type { AccessPolicy } from '../../src/config';
import type { QuerySubmission } from '../../src/core/runner';
import { AliasBook } from '../../src/dispatch/aliases';
import { TrailDispatcher } from '../../src/dispatch/dispatcher';
import { DynamoAliasStore } from '../../src/store/aliases';
import { ScheduleStore } from '../../src/store/schedules';
import { context, NOW, parse, queryOf, usageMessage } from '../helpers/commands';
import { testConfig } from '../helpers/config';
import { RecordingPublisher } from '../helpers/recording-publisher';
import { type LocalDynamo, startLocalDynamo, TestClock } from '../store/helpers';

const SG = 'sg sg-5887f224 account:111122223333';

function aliasArgs(text: string) {
  const r = parse(text);
  if (r.kind !== 'control') throw new Error(`${text} is not a control command`);
  return { name: r.command.name, args: r.args };
}

describe('alias: accepted forms', () => {
  test.each([
    [`alias prod-sg = ${SG}`, { name: 'prod-sg', text: SG, command: 'sg' }],
    ['alias prod-sg=sg sg-5887f224 --all', { name: 'prod-sg', text: 'sg sg-5887f224 --all', command: 'sg' }],
    ['/trail ALIAS nomfa = LOGINS nomfa', { name: 'nomfa', text: 'logins nomfa', command: 'logins' }],
    ['alias 2fa-off =logins nomfa', { name: '2fa-off', text: 'logins nomfa', command: 'logins' }],
    // The first `=` separates: an IAM name may hold one.
    ['alias ci = user ci=bot', { name: 'ci', text: 'user ci=bot', command: 'user' }],
  ])('%s', (text, expected) => {
    expect(aliasArgs(text)).toEqual({ name: 'alias', args: expected });
  });

  test('aliases and unalias', () => {
    expect(aliasArgs('aliases')).toEqual({ name: 'aliases', args: {} });
    expect(aliasArgs('unalias Prod-SG')).toEqual({ name: 'unalias', args: { name: 'prod-sg' } });
  });
});

describe('alias: refused forms say what to fix', () => {
  test.each([
    [
      'alias',
      '`alias`: which name, for which question? e.g. `/trail alias prod-sg = sg sg-5887f224 account:111122223333`.',
    ],
    [
      'alias prod-sg sg sg-5887f224',
      '`alias`: put `=` between the name and the question, e.g. `/trail alias prod-sg = sg sg-5887f224 account:111122223333`.',
    ],
    [
      'alias = root',
      '`alias`: name the alias before `=`, e.g. `/trail alias prod-sg = sg sg-5887f224 account:111122223333`.',
    ],
    [
      'alias Prod_SG = root',
      '`alias`: `Prod_SG` is not a valid alias name. Accepted: lowercase letters, digits and `-` (not first), at most 32 characters.',
    ],
    [
      `alias ${'a'.repeat(33)} = root`,
      `\`alias\`: \`${'a'.repeat(33)}\` is not a valid alias name. Accepted: lowercase letters, digits and \`-\` (not first), at most 32 characters.`,
    ],
    [
      'alias two words = root',
      '`alias`: `two words` is not a valid alias name. Accepted: lowercase letters, digits and `-` (not first), at most 32 characters.',
    ],
    [
      // `/trail -h` asks for help: an alias must not take it over.
      'alias -h = root',
      '`alias`: `-h` is not a valid alias name. Accepted: lowercase letters, digits and `-` (not first), at most 32 characters.',
    ],
    [
      'alias sg = sg sg-5887f224',
      '`alias`: `sg` is a trailbot command; an alias must not hide one. Choose another name.',
    ],
    [
      'alias aliases = root',
      '`alias`: `aliases` is a trailbot command; an alias must not hide one. Choose another name.',
    ],
    [
      'alias mine =',
      '`alias`: say which question `mine` stands for after `=`, e.g. `/trail alias prod-sg = sg sg-5887f224 account:111122223333`.',
    ],
    [
      'alias st = status abc',
      '`alias`: an alias stands for a question, and `status` is not one (`/trail help` lists them).',
    ],
    [
      'alias again = alias x = root',
      '`alias`: an alias stands for a question, and `alias` is not one (`/trail help` lists them).',
    ],
    [
      'alias day = root 24h',
      '`alias`: leave out the time window `24h`: type it when you ask, e.g. `/trail day 24h` (a schedule supplies its own).',
    ],
    [
      'alias q = root --sql',
      '`alias`: `--sql` cannot be saved in an alias (it shows SQL instead of asking); add it when you ask instead.',
    ],
    [
      'alias bad = sg sg-nothex',
      '`alias`: that question is not valid: `sg`: argument 1 `sg-nothex` is not a security group id or network interface id. Accepted: sg- or eni- followed by 8 or 17 hex digits (e.g. sg-5887f224, eni-6c5ca5a8).',
    ],
    ['alias nested = prod-sg', '`alias`: that question is not valid: `prod-sg` is not a trailbot command.'],
    ['unalias', '`unalias`: which alias? e.g. `/trail unalias prod-sg`.'],
    [
      'unalias a_b',
      '`unalias`: `a_b` is not an alias name. Accepted: lowercase letters, digits and `-` (not first), at most 32 characters.',
    ],
  ])('%s', (text, message) => {
    expect(usageMessage(text)).toBe(message);
  });
});

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.close();
});

const LEAD = 'U0LEAD';
const ALICE = 'U0ALICE';
const SECOPS = 'C0SECOPS';
const RANDOM = 'C0RANDOM';
const POLICY: AccessPolicy = { default: {}, commands: { sg: { channels: [SECOPS] } }, admins: [LEAD] };

/** A replica of the front door on a shared table: its own copy of the aliases, a runner that records submissions. */
async function world() {
  const clock = new TestClock(NOW.toISOString());
  const { store, tableName } = await dynamo.newStore({ clock });
  const aliasStore = new DynamoAliasStore({ client: dynamo.client, tableName, now: clock.now });
  const schedules = new ScheduleStore({ client: dynamo.client, tableName, now: clock.now });
  const config = testConfig({ policy: POLICY });
  const replica = () => {
    const submitted: QuerySubmission[] = [];
    const publisher = new RecordingPublisher();
    const book = new AliasBook(aliasStore);
    const dispatcher = new TrailDispatcher({
      config,
      store,
      publisher,
      now: clock.now,
      aliases: book,
      schedules: { store: schedules },
      runner: {
        submit: async (s) => {
          submitted.push(s);
          return { kind: 'limited', message: 'recorded' };
        },
        confirm: async () => undefined,
        cancel: async () => '',
      },
    });
    /** What the person who typed `text` is told (a denial is the acknowledgement; a handler's answer is notified). */
    const say = async (text: string, userId = ALICE, channelId = SECOPS): Promise<string | undefined> => {
      const before = publisher.events.length;
      const prepared = dispatcher.prepare({ text, userId, channelId, surface: 'slack' });
      if (prepared.kind === 'reply') return prepared.text;
      await prepared.run();
      if (prepared.ackText !== undefined) return prepared.ackText;
      return publisher.events.slice(before).find((e) => e.kind === 'notify')?.text;
    };
    return { say, submitted, book };
  };
  return { store, aliasStore, schedules, replica, clock };
}

test('an admin saves an alias; anyone asks it with a window, as the expanded question, deduplicated like it', async () => {
  const w = await world();
  const bot = w.replica();
  expect(await bot.say(`alias prod-sg = ${SG}`, LEAD)).toBe(
    `Saved \`prod-sg\` as \`/trail ${SG}\`. Ask it with \`/trail prod-sg\`, with a window if you like (\`/trail prod-sg 12h\`); schedule it with \`/trail schedule prod-sg daily 09:00\`.`,
  );
  await bot.say('prod-sg 12h', ALICE);
  const expanded = queryOf(`${SG} 12h`, context({ policy: POLICY }));
  expect(bot.submitted).toHaveLength(1);
  expect(bot.submitted[0]).toMatchObject({
    command: 'sg',
    commandText: `${SG} 12h`,
    normalized: expanded.normalized,
    userId: ALICE,
  });
  // The same question typed in full is the same request (same normalised text, so the runner dedupes them).
  await bot.say(`${SG} 12h`, ALICE);
  expect(bot.submitted[1]!.normalized).toBe(bot.submitted[0]!.normalized);
  expect(await w.store.listAudit({ channelId: SECOPS })).toEqual([
    {
      at: NOW.toISOString(),
      userId: LEAD,
      channelId: SECOPS,
      action: 'alias',
      command: 'sg',
      detail: `prod-sg = ${SG}`,
    },
  ]);
  expect(await bot.say('aliases', ALICE)).toBe(
    `1 alias (ask one with \`/trail <name> [window]\`):\n• \`prod-sg\` = \`/trail ${SG}\`, set by <@${LEAD}> on 2026-11-21 12:00:00 UTC`,
  );
});

test('an alias runs under the policy of its question: denied where `sg` is, and audited as `sg`', async () => {
  const w = await world();
  const bot = w.replica();
  await bot.say(`alias prod-sg = ${SG}`, LEAD);
  expect(await bot.say('prod-sg', ALICE, RANDOM)).toBe(`\`sg\` may only run in <#${SECOPS}>.`);
  expect(bot.submitted).toHaveLength(0);
  expect(await w.store.listAudit({ channelId: RANDOM })).toEqual([
    expect.objectContaining({ userId: ALICE, action: 'denied', command: 'sg', detail: `${SG} (alias prod-sg)` }),
  ]);
});

test('a non-admin cannot save, replace or remove an alias: refused with who may, and audited', async () => {
  const w = await world();
  const bot = w.replica();
  expect(await bot.say('alias mine = root', ALICE)).toBe(
    `You cannot save an alias: only trailbot admins (<@${LEAD}>) may change aliases.`,
  );
  expect(await w.aliasStore.get('mine')).toBeUndefined();
  await bot.say(`alias prod-sg = ${SG}`, LEAD);
  expect(await bot.say('alias prod-sg = root', ALICE)).toMatch(/^You cannot save an alias/);
  expect(await bot.say('unalias prod-sg', ALICE)).toBe(
    `You cannot remove an alias: only trailbot admins (<@${LEAD}>) may change aliases.`,
  );
  expect((await w.aliasStore.get('prod-sg'))?.text).toBe(SG);
  const denied = (await w.store.listAudit({ channelId: SECOPS })).filter((e) => e.action === 'denied');
  expect(denied.map((e) => [e.userId, e.command, e.detail]).sort()).toEqual(
    [
      [ALICE, 'alias', 'alias mine = root'],
      [ALICE, 'alias', 'alias prod-sg = root'],
      [ALICE, 'unalias', 'unalias prod-sg'],
    ].sort(),
  );
});

test('without admins in the policy nobody may change aliases in Slack; the terminal’s own user may', async () => {
  const w = await world();
  const dispatcher = new TrailDispatcher({
    config: testConfig(),
    store: w.store,
    publisher: new RecordingPublisher(),
    aliases: new AliasBook(w.aliasStore),
    runner: {
      submit: async () => ({ kind: 'limited', message: '' }),
      confirm: async () => undefined,
      cancel: async () => '',
    },
  });
  const prepared = dispatcher.prepare({
    text: 'alias mine = root',
    userId: ALICE,
    channelId: SECOPS,
    surface: 'slack',
  });
  expect(prepared.kind).toBe('run');
  if (prepared.kind === 'run') await prepared.run();
  expect(await w.aliasStore.get('mine')).toBeUndefined();
  // The terminal's own user (open policy, no admins) may.
  const local = dispatcher.prepare({
    text: 'alias mine = root',
    userId: 'me',
    channelId: 'terminal',
    surface: 'terminal',
  });
  if (local.kind === 'run') await local.run();
  expect((await w.aliasStore.get('mine'))?.setBy).toBe('me');
});

test('replace and remove: audited with what it was; a removed alias is no longer a command; another replica sees changes after its refresh', async () => {
  const w = await world();
  const one = w.replica();
  const two = w.replica();
  await two.book.start(3_600_000); // loaded at start (the minute timer is not exercised here)
  two.book.stop();
  await one.say(`alias prod-sg = ${SG}`, LEAD);
  // Replica two has not reloaded yet: to it `prod-sg` is unknown until its next refresh (at most a minute).
  expect(await two.say('prod-sg', ALICE)).toMatch(/^`prod-sg` is not a trailbot command/);
  await two.book.refresh();
  await two.say('prod-sg', ALICE);
  expect(two.submitted[0]?.command).toBe('sg');

  w.clock.advance(60_000);
  expect(await one.say('alias prod-sg = sg sg-5887f224 --all', LEAD)).toBe(
    `Replaced \`prod-sg\`: it was \`/trail ${SG}\`, it is now \`/trail sg sg-5887f224 --all\`. Ask it with \`/trail prod-sg\`, with a window if you like (\`/trail prod-sg 12h\`); schedule it with \`/trail schedule prod-sg daily 09:00\`.`,
  );
  w.clock.advance(60_000);
  expect(await one.say('unalias prod-sg', LEAD)).toBe(
    `Removed \`prod-sg\`, which stood for \`/trail sg sg-5887f224 --all\` (set by <@${LEAD}>). Schedules made from it keep asking that question.`,
  );
  expect(await one.say('unalias prod-sg', LEAD)).toBe('There is no alias `prod-sg` (`/trail aliases` lists them).');
  expect(await one.say('prod-sg 12h', ALICE)).toMatch(/^`prod-sg` is not a trailbot command/);
  expect(await one.say('aliases', ALICE)).toMatch(/^No aliases yet/);
  const audit = (await w.store.listAudit({ channelId: SECOPS })).filter((e) => e.action !== 'denied');
  expect(audit.map((e) => [e.action, e.command, e.detail])).toEqual([
    ['unalias', 'sg', `prod-sg = sg sg-5887f224 --all (set by ${LEAD})`],
    ['alias', 'sg', `prod-sg = sg sg-5887f224 --all (replacing ${SG}, set by ${LEAD})`],
    ['alias', 'sg', `prod-sg = ${SG}`],
  ]);
});

test('schedule <alias> stores the question the alias stands for', async () => {
  const w = await world();
  const bot = w.replica();
  await bot.say(`alias prod-sg = ${SG}`, LEAD);
  expect(await bot.say('schedule prod-sg daily 09:00', ALICE)).toMatch(
    /^Scheduled `\/trail sg sg-5887f224 account:111122223333` daily 09:00 UTC as/,
  );
  const [schedule] = await w.schedules.listByChannel(SECOPS);
  expect(schedule).toMatchObject({ command: 'sg', commandText: SG, createdBy: ALICE });
});
