/**
 * `schedule`, `schedules`, `unschedule` (commands/schedule.ts, schedules.ts, unschedule.ts) through the real dispatcher
 * (parse → policy → the command's own handler) on dynalite, with the real store's audit trail.
 */

import type { AccessPolicy } from '../../src/config';
import { TrailDispatcher } from '../../src/dispatch/dispatcher';
import { scheduleNote } from '../../src/time/schedule-text';
import { type LocalDynamo, startLocalDynamo, TestClock } from '../store/helpers';
import { schedulerWorld } from './helpers';

let dynamo: LocalDynamo;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});

afterAll(async () => {
  await dynamo.close();
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const COMPLIANCE = 'C0COMPLIANCE';
const RANDOM = 'C0RANDOM';

async function setup(options: { policy?: AccessPolicy; maxPerChannel?: number } = {}) {
  const clock = new TestClock('2026-11-20T08:00:00.000Z');
  const w = await schedulerWorld(dynamo, clock, options.policy ? { policy: options.policy } : {});
  closers.push(w.close);
  const bot = w.bot();
  const dispatcher = new TrailDispatcher({
    config: w.config,
    runner: bot.runner,
    store: w.store,
    publisher: bot.publisher,
    now: clock.now,
    schedules: { store: w.schedules, maxPerChannel: options.maxPerChannel },
  });
  /** What the person who typed `text` is told. */
  const say = async (text: string, userId = ALICE, channelId = COMPLIANCE): Promise<string> => {
    const before = bot.publisher.posted.length;
    const prepared = dispatcher.prepare({ text, userId, channelId, surface: 'slack' });
    if (prepared.kind === 'reply') return prepared.text;
    await prepared.run();
    const told = bot.publisher.posted.slice(before).flatMap((p) => (p.kind === 'notify' ? [p.text] : []));
    // A denial is the acknowledgement itself (the dispatcher only audits afterwards); anything else is notified.
    const replies = prepared.ackText !== undefined ? [prepared.ackText, ...told] : told;
    if (replies.length !== 1) throw new Error(`expected one reply to ${text}, got ${replies.length}`);
    return replies[0]!;
  };
  return { ...w, clock, say, dispatcher, replica: bot };
}

const idIn = (reply: string) => /as `([0-9a-z]{12})`/.exec(reply)?.[1] ?? 'none';

test('schedule: names the id, the first run in the schedule’s zone, when results arrive and how to stop it', async () => {
  const w = await setup();
  const reply = await w.say('schedule root daily 09:00 Europe/Berlin');
  const id = idIn(reply);
  expect(reply).toBe(
    `Scheduled \`/trail root\` daily 09:00 Europe/Berlin as \`${id}\`. First run Sat 2026-11-21 09:00 Europe/Berlin, covering the day before it; each run covers the time since the previous one, and its result is posted in this channel about 15 min after each run time, once CloudTrail has delivered the last events. Stop it with \`/trail unschedule ${id}\`.`,
  );
  expect(await w.schedules.get(id)).toMatchObject({
    channelId: COMPLIANCE,
    createdBy: ALICE,
    commandText: 'root',
    nextRunAt: '2026-11-21T08:00:00.000Z',
  });
  expect(await w.store.listAudit({ channelId: COMPLIANCE })).toEqual([
    {
      at: '2026-11-20T08:00:00.000Z',
      userId: ALICE,
      channelId: COMPLIANCE,
      action: 'schedule',
      command: 'root',
      detail: `${id} root daily 09:00 Europe/Berlin`,
    },
  ]);
});

test('schedule: a usage error is answered at once, nothing is stored', async () => {
  const w = await setup();
  expect(await w.say('schedule root daily 25:00')).toBe(
    // In chat the usage line's placeholders are escaped, so Slack shows `<question>` instead of parsing it.
    '`schedule`: `25:00` is not a time of day. Accepted: HH:MM on a 24-hour clock, 00:00 to 23:59 (e.g. 09:00).\nUsage: /trail schedule &lt;question&gt; daily|weekly [day] HH:MM [time zone]',
  );
  expect(await w.schedules.listAll()).toEqual([]);
});

test('schedule: the policy of the scheduled question applies (root only where root may run)', async () => {
  const w = await setup({ policy: { default: {}, commands: { root: { channels: [COMPLIANCE] } } } });
  expect(await w.say('schedule root daily 09:00', ALICE, RANDOM)).toBe(
    'You cannot schedule that here: `root` may only run in <#C0COMPLIANCE>.',
  );
  expect(await w.schedules.listAll()).toEqual([]);
  expect(await w.store.listAudit({ channelId: RANDOM })).toMatchObject([
    { action: 'denied', command: 'root', userId: ALICE, detail: 'schedule root daily 09:00 UTC' },
  ]);
  // Other questions may still be scheduled there, and root where it may run.
  expect(await w.say('schedule errors daily 09:00', ALICE, RANDOM)).toMatch(
    /^Scheduled `\/trail errors` daily 09:00 UTC/,
  );
  expect(await w.say('schedule root daily 09:00', ALICE, COMPLIANCE)).toMatch(/^Scheduled `\/trail root`/);
});

test('schedule itself is subject to the policy', async () => {
  const w = await setup({ policy: { default: {}, commands: { schedule: { users: [BOB] } } } });
  expect(await w.say('schedule errors daily 09:00', ALICE)).toBe('`schedule` may only be run by <@U0BOB>.');
  expect(await w.schedules.listAll()).toEqual([]);
  expect(await w.say('schedule errors daily 09:00', BOB)).toMatch(/^Scheduled/);
});

test('schedule: at most maxPerChannel per channel', async () => {
  const w = await setup({ maxPerChannel: 2 });
  await w.say('schedule root daily 09:00');
  await w.say('schedule errors daily 09:00');
  expect(await w.say('schedule users daily 09:00')).toBe(
    'This channel already has 2 schedules, the most it may have. Stop one with `/trail unschedule <id>` (`/trail schedules` lists them).',
  );
  expect(await w.say('schedule users daily 09:00', ALICE, RANDOM)).toMatch(/^Scheduled/);
});

test('schedules: one line per schedule with id, question, when, next run and last result', async () => {
  const w = await setup();
  expect(await w.say('schedules')).toBe(
    'No schedules in this channel. Add one with `/trail schedule <question> daily HH:MM`, e.g. `/trail schedule root daily 09:00`.',
  );
  const root = idIn(await w.say('schedule root daily 09:00 Europe/Berlin'));
  const logins = idIn(await w.say('schedule logins nomfa weekly mon 08:30', BOB));
  await w.say('schedule errors daily 07:00', ALICE, RANDOM);
  await w.schedules.recordResult(root, {
    slot: '2026-11-20T08:00:00.000Z',
    outcome: 'succeeded',
    executionId: 'k3x9a1b2q7zc',
    rows: 3,
    at: '2026-11-20T08:15:00.000Z',
  });
  expect(await w.say('schedules')).toBe(
    [
      '2 schedules in this channel (stop one with `/trail unschedule <id>`):',
      `\`${root}\` · \`/trail root\` · daily 09:00 Europe/Berlin · next Sat 2026-11-21 09:00 Europe/Berlin · last: 3 rows (Fri 2026-11-20 09:00 Europe/Berlin \`k3x9a1b2q7zc\`) · by <@U0ALICE>`,
      `\`${logins}\` · \`/trail logins nomfa\` · weekly Monday 08:30 UTC · next Mon 2026-11-23 08:30 UTC · last: not run yet · by <@U0BOB>`,
    ].join('\n'),
  );
});

test('unschedule: only in the schedule’s own channel, only by its creator; audited; the schedule is gone', async () => {
  const w = await setup();
  const id = idIn(await w.say('schedule root daily 09:00'));
  expect(await w.say(`unschedule ${id}`, BOB, RANDOM)).toBe(
    `There is no schedule \`${id}\` in this channel (\`/trail schedules\` lists them).`,
  );
  expect(await w.schedules.get(id)).toBeDefined();
  // Someone else in the channel may not stop Alice's standing question (no admins in this policy).
  expect(await w.say(`unschedule ${id}`, BOB)).toBe('Only <@U0ALICE>, who set up that schedule, may stop it.');
  expect(await w.schedules.get(id)).toBeDefined();
  expect(await w.say(`unschedule ${id}`, ALICE)).toBe(
    `Stopped schedule \`${id}\`: \`/trail root\` daily 09:00 UTC, set up by <@U0ALICE>. A run already under way still posts its result.`,
  );
  expect(await w.schedules.get(id)).toBeUndefined();
  expect(await w.say(`unschedule ${id}`, ALICE)).toBe(
    `There is no schedule \`${id}\` in this channel (\`/trail schedules\` lists them).`,
  );
  const audit = await w.store.listAudit({ channelId: COMPLIANCE });
  // The test clock stands still, so the three entries share one time: compare them as a set.
  expect(audit.map((a) => [a.action, a.userId, a.command, a.detail])).toEqual(
    expect.arrayContaining([
      ['schedule', ALICE, 'root', `${id} root daily 09:00 UTC`],
      ['denied', BOB, 'root', `unschedule ${id} set up by ${ALICE}`],
      ['unschedule', ALICE, 'root', `${id} root daily 09:00 UTC`],
    ]),
  );
  expect(audit).toHaveLength(3);
});

test('unschedule: an admin named in the policy may stop anyone’s schedule, and the audit names the creator', async () => {
  const w = await setup({ policy: { default: {}, commands: {}, admins: [BOB] } });
  const id = idIn(await w.say('schedule root daily 09:00'));
  expect(await w.say(`unschedule ${id}`, 'U0CAROL')).toBe(
    'Only <@U0ALICE>, who set up that schedule, or a trailbot admin (<@U0BOB>) may stop it.',
  );
  expect(await w.say(`unschedule ${id}`, BOB)).toMatch(/^Stopped schedule/);
  expect(await w.schedules.get(id)).toBeUndefined();
  const audit = await w.store.listAudit({ channelId: COMPLIANCE });
  expect(audit.find((a) => a.action === 'unschedule')).toMatchObject({
    action: 'unschedule',
    userId: BOB,
    detail: `${id} root daily 09:00 UTC set up by ${ALICE}`,
  });
});

test('scheduleNote: says scheduled, by whom, and how to stop it (from an execution alone or with the schedule)', () => {
  expect(scheduleNote({ id: 'k3x9a1b2q7zc', createdBy: 'U0ALICE' })).toBe(
    'Scheduled by <@U0ALICE>; stop it with `/trail unschedule k3x9a1b2q7zc`',
  );
  expect(
    scheduleNote({
      id: 'k3x9a1b2q7zc',
      createdBy: 'U0ALICE',
      cadence: { every: 'daily', at: '09:00' },
      timeZone: 'Europe/Berlin',
    }),
  ).toBe('Scheduled daily 09:00 Europe/Berlin by <@U0ALICE>; stop it with `/trail unschedule k3x9a1b2q7zc`');
  expect(scheduleNote({ id: 'k3x9a1b2q7zc', createdBy: 'alice' }, (u) => `@${u}`)).toBe(
    'Scheduled by @alice; stop it with `/trail unschedule k3x9a1b2q7zc`',
  );
});

test('schedule in the terminal says it runs only while the terminal bot runs (issue 18)', async () => {
  const w = await setup();
  const prepared = w.dispatcher.prepare({
    text: 'schedule root daily 09:00',
    userId: ALICE,
    channelId: 'terminal',
    surface: 'terminal',
  });
  if (prepared.kind !== 'run') throw new Error('expected a run');
  const before = w.replica.publisher.posted.length;
  await prepared.run();
  const told = w.replica.publisher.posted.slice(before).flatMap((p) => (p.kind === 'notify' ? [p.text] : []));
  expect(told.join('\n')).toContain(
    'its result is posted here, while trailbot runs in a terminal on this machine (npm start); a run missed while it is closed is made up once at the next start,',
  );
  expect(told.join('\n')).not.toContain('in this channel');
});
