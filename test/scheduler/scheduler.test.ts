/**
 * The scheduler with a controllable clock against dynalite, the real Runner and store, a scripted engine and a
 * recording Publisher. Schedules are created through the real `schedule` control (parse → controls → store).
 */
import { parseRequest } from '../../commands';
import type { QuerySubmission, SubmitOutcome } from '../../src/core/runner';
import type { Schedule } from '../../src/core/schedule';
import { runRequestKey } from '../../src/scheduler/scheduler';
import { type LocalDynamo, startLocalDynamo, TestClock } from '../store/helpers';
import { type Bot, schedulerWorld } from './helpers';

let dynamo: LocalDynamo;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});

afterAll(async () => {
  await dynamo.close();
});

type World = Awaited<ReturnType<typeof schedulerWorld>>;
const worlds: World[] = [];

async function world(start: string, configOverrides = {}) {
  const clock = new TestClock(start);
  const w = await schedulerWorld(dynamo, clock, configOverrides);
  worlds.push(w);
  let typist: Bot | undefined;
  const schedule = async (text: string, channelId = 'C0COMPLIANCE', userId = 'U0ALICE'): Promise<Schedule> => {
    // Typed into the front door like any `schedule` (commands/schedule.ts handles it), by a replica that never ticks.
    typist ??= w.bot();
    const before = typist.publisher.posted.length;
    const prepared = typist.dispatcher.prepare({ text: `schedule ${text}`, userId, channelId, surface: 'slack' });
    if (prepared.kind !== 'run') throw new Error(`not scheduled: ${prepared.text}`);
    await prepared.run();
    const reply = typist.publisher.posted
      .slice(before)
      .map((p) => (p.kind === 'notify' ? p.text : ''))
      .join('\n');
    const id = /as `([0-9a-z]{12})`/.exec(reply)?.[1];
    const created = id ? await w.schedules.get(id) : undefined;
    if (!created) throw new Error(`not scheduled: ${reply}`);
    return created;
  };
  return { ...w, clock, schedule };
}

afterEach(async () => {
  await Promise.all(worlds.splice(0).map((w) => w.close()));
});

/** Ticks and waits for the runs it started. */
async function tickAndWait(bot: Bot): Promise<number> {
  const claimed = await bot.scheduler.tick();
  await bot.scheduler.idle();
  return claimed;
}

const windowsOf = (bot: Bot) => bot.engine.started.map((q) => [q.window.start, q.window.end]);

test('two scheduler instances, one due run: one claim, one execution, one post', async () => {
  const w = await world('2026-11-20T08:00:00.000Z');
  const s = await w.schedule('root daily 09:00');
  const a = w.bot();
  const b = w.bot();
  for (const day of ['2026-11-20', '2026-11-21', '2026-11-22']) {
    w.clock.set(`${day}T09:00:00.000Z`);
    const claimed = await Promise.all([a.scheduler.tick(), b.scheduler.tick(), a.scheduler.tick()]);
    expect(claimed.reduce((x, y) => x + y, 0)).toBe(1);
    await Promise.all([a.scheduler.idle(), b.scheduler.idle()]);
  }
  const answers = [...a.publisher.answers, ...b.publisher.answers];
  expect(answers).toHaveLength(3);
  expect(new Set(answers.map((p) => p.execution.id)).size).toBe(3);
  const executions = await w.store.listByChannel('C0COMPLIANCE', 10);
  expect(executions).toHaveLength(3);
  expect((await w.schedules.listRuns(s.id)).map((r) => r.slot)).toEqual([
    '2026-11-22T09:00:00.000Z',
    '2026-11-21T09:00:00.000Z',
    '2026-11-20T09:00:00.000Z',
  ]);
  // Ticking again at the same moment finds nothing due.
  expect(await a.scheduler.tick()).toBe(0);
  expect(await b.scheduler.tick()).toBe(0);
});

test('the bot down over two due times: one catch-up run covering both, then back on schedule', async () => {
  const w = await world('2026-11-20T08:00:00.000Z');
  const s = await w.schedule('root daily 09:00');
  const bot = w.bot();
  // Down from 08:00 on the 20th until 10:00 on the 21st: the 20th 09:00 and 21st 09:00 runs were missed.
  w.clock.set('2026-11-21T10:00:00.000Z');
  expect(await tickAndWait(bot)).toBe(1);
  expect(await tickAndWait(bot)).toBe(0);
  expect(bot.publisher.answers).toHaveLength(1);
  expect(windowsOf(bot)).toEqual([['2026-11-19T09:00:00.000Z', '2026-11-21T09:00:00.000Z']]);
  expect(bot.engine.started[0]?.window.label).toBe(
    'scheduled 2026-11-19 09:00..2026-11-21 09:00 UTC (catch-up after missed runs)',
  );
  const after = await w.schedules.get(s.id);
  expect(after).toMatchObject({ lastRunAt: '2026-11-21T09:00:00.000Z', nextRunAt: '2026-11-22T09:00:00.000Z' });
  w.clock.set('2026-11-22T09:00:00.000Z');
  expect(await tickAndWait(bot)).toBe(1);
  expect(windowsOf(bot)[1]).toEqual(['2026-11-21T09:00:00.000Z', '2026-11-22T09:00:00.000Z']);
});

test('a catch-up after a long outage is capped to the longest window', async () => {
  const w = await world('2026-11-01T08:00:00.000Z', {
    window: { maxDays: 3, defaults: {}, deliveryLagMinutes: 15, projectionStart: '2020/01/01' },
  });
  await w.schedule('root daily 09:00');
  const bot = w.bot();
  w.clock.set('2026-11-20T09:30:00.000Z');
  expect(await tickAndWait(bot)).toBe(1);
  expect(windowsOf(bot)).toEqual([['2026-11-17T09:00:00.000Z', '2026-11-20T09:00:00.000Z']]);
  expect(bot.engine.started[0]?.window.label).toBe(
    'scheduled 2026-11-17 09:00..2026-11-20 09:00 UTC (catch-up after missed runs, capped at 3 days)',
  );
});

test('consecutive runs have contiguous windows (daily and weekly), each slot run once', async () => {
  const w = await world('2026-11-20T07:00:00.000Z');
  await w.schedule('root daily 09:00');
  await w.schedule('logins nomfa weekly mon 08:30');
  const bot = w.bot();
  // Tick every 40 minutes for 16 days.
  for (let t = 0; t < 16 * 36; t++) {
    await bot.scheduler.tick();
    w.clock.advance(40 * 60_000);
  }
  await bot.scheduler.idle();
  const byTemplate = (template: string) =>
    bot.engine.started.filter((q) => q.template === template).map((q) => [q.window.start, q.window.end]);
  const daily = byTemplate('root_activity');
  const weekly = byTemplate('console_logins');
  expect(daily).toHaveLength(16);
  expect(daily[0]).toEqual(['2026-11-19T09:00:00.000Z', '2026-11-20T09:00:00.000Z']);
  expect(weekly).toEqual([
    ['2026-11-16T08:30:00.000Z', '2026-11-23T08:30:00.000Z'],
    ['2026-11-23T08:30:00.000Z', '2026-11-30T08:30:00.000Z'],
  ]);
  for (const windows of [daily, weekly]) {
    for (let i = 1; i < windows.length; i++) expect(windows[i]![0]).toBe(windows[i - 1]![1]);
  }
  expect(bot.publisher.answers).toHaveLength(18);
});

describe('DST in the schedule’s time zone', () => {
  test('autumn: the run after the change covers 25 hours, the slot stays 09:00 local', async () => {
    const w = await world('2026-10-23T06:00:00.000Z');
    await w.schedule('root daily 09:00 Europe/Berlin');
    const bot = w.bot();
    for (let t = 0; t < 4 * 48; t++) {
      await bot.scheduler.tick();
      w.clock.advance(30 * 60_000);
    }
    await bot.scheduler.idle();
    expect(windowsOf(bot)).toEqual([
      ['2026-10-22T07:00:00.000Z', '2026-10-23T07:00:00.000Z'],
      ['2026-10-23T07:00:00.000Z', '2026-10-24T07:00:00.000Z'],
      ['2026-10-24T07:00:00.000Z', '2026-10-25T08:00:00.000Z'], // 25 h: Oct 25 has an extra hour
      ['2026-10-25T08:00:00.000Z', '2026-10-26T08:00:00.000Z'],
    ]);
    expect(bot.engine.started[2]?.window.label).toBe('scheduled 2026-10-24 09:00..2026-10-25 09:00 Europe/Berlin');
  });

  test('spring: a skipped local time (02:30) runs at 03:00 local that day; windows stay contiguous', async () => {
    const w = await world('2026-03-27T00:00:00.000Z');
    await w.schedule('root daily 02:30 Europe/Berlin');
    const bot = w.bot();
    for (let t = 0; t < 4 * 96; t++) {
      await bot.scheduler.tick();
      w.clock.advance(15 * 60_000);
    }
    await bot.scheduler.idle();
    expect(windowsOf(bot)).toEqual([
      ['2026-03-26T01:30:00.000Z', '2026-03-27T01:30:00.000Z'],
      ['2026-03-27T01:30:00.000Z', '2026-03-28T01:30:00.000Z'],
      ['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z'], // 03:00 CEST, the first instant after the gap
      ['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'], // 02:30 CEST
    ]);
  });
});

test('a run starts after the delivery delay, and its window still ends at the slot', async () => {
  const w = await world('2026-11-20T08:00:00.000Z');
  await w.schedule('root daily 09:00');
  const bot = w.bot({ deliveryDelayMs: 15 * 60_000 });
  w.clock.set('2026-11-20T09:14:59.000Z');
  expect(await tickAndWait(bot)).toBe(0);
  w.clock.set('2026-11-20T09:15:00.000Z');
  expect(await tickAndWait(bot)).toBe(1);
  expect(windowsOf(bot)).toEqual([['2026-11-19T09:00:00.000Z', '2026-11-20T09:00:00.000Z']]);
});

test('a daily root schedule posts its summary thread, recorded as the creator’s scheduled run', async () => {
  const w = await world('2026-11-20T08:00:00.000Z');
  const s = await w.schedule('root daily 09:00 Europe/Berlin');
  const bot = w.bot();
  w.clock.set('2026-11-21T08:00:00.000Z');
  expect(await tickAndWait(bot)).toBe(1);
  expect(bot.publisher.posted.map((p) => p.kind)).toEqual(['announce', 'result', 'csv', 'parent']);
  const result = bot.publisher.posted[1] as Extract<(typeof bot.publisher.posted)[number], { kind: 'result' }>;
  expect(result.totalRows).toBe(1);
  expect(result.execution).toMatchObject({
    surface: 'schedule',
    scheduleId: s.id,
    userId: 'U0ALICE',
    channelId: 'C0COMPLIANCE',
    command: 'root',
    commandText: 'root',
    requestKey: runRequestKey(s.id, '2026-11-21T08:00:00.000Z'),
  });
  expect(result.execution.query.window).toEqual({
    start: '2026-11-20T08:00:00.000Z',
    end: '2026-11-21T08:00:00.000Z',
    label: 'scheduled 2026-11-20 09:00..2026-11-21 09:00 Europe/Berlin',
    partitions: ['2026/11/20', '2026/11/21'],
  });
  const execution = await w.store.get(result.execution.id);
  expect(execution?.state).toBe('PUBLISHED');
  expect((await w.schedules.get(s.id))?.lastResult).toEqual({
    slot: '2026-11-21T08:00:00.000Z',
    outcome: 'succeeded',
    executionId: result.execution.id,
    rows: 1,
    at: '2026-11-21T08:00:00.000Z',
  });
});

test('an empty result is still posted (the publisher says nothing was found) and recorded as 0 rows', async () => {
  const w = await world('2026-11-20T08:00:00.000Z');
  const s = await w.schedule('logins nomfa daily 09:00');
  const bot = w.bot({ script: () => ({ columns: ['eventtime', 'username'], rows: [] }) });
  w.clock.set('2026-11-20T09:00:00.000Z');
  await tickAndWait(bot);
  expect(bot.publisher.answers.map((p) => [p.kind, 'totalRows' in p ? p.totalRows : undefined])).toEqual([
    ['result', 0],
  ]);
  expect((await w.schedules.get(s.id))?.lastResult).toMatchObject({ outcome: 'succeeded', rows: 0 });
});

test('a failed run posts its failure and records it', async () => {
  const w = await world('2026-11-20T08:00:00.000Z');
  const s = await w.schedule('root daily 09:00');
  const bot = w.bot({ script: () => ({ fail: 'Table cloudtrail_logs not found: run trail setup.' }) });
  w.clock.set('2026-11-20T09:00:00.000Z');
  await tickAndWait(bot);
  expect(bot.publisher.answers.map((p) => p.kind)).toEqual(['failure']);
  expect((await w.schedules.get(s.id))?.lastResult).toMatchObject({
    outcome: 'failed',
    error: 'Table cloudtrail_logs not found: run trail setup.',
  });
});

test('the access policy applies at run time: a run it no longer allows is skipped, recorded and explained', async () => {
  const w = await world('2026-11-20T08:00:00.000Z');
  const s = await w.schedule('root daily 09:00');
  // Tightened after the schedule was made: root only in the audit channel now.
  const config = { ...w.config, policy: { default: {}, commands: { root: { channels: ['C0AUDIT'] } } } };
  const bot = w.bot({ config });
  w.clock.set('2026-11-20T09:00:00.000Z');
  expect(await tickAndWait(bot)).toBe(1);
  expect(bot.engine.started).toEqual([]);
  expect(bot.publisher.posted).toEqual([
    {
      kind: 'notify',
      to: { channelId: 'C0COMPLIANCE', userId: 'U0ALICE' },
      text: `Your scheduled \`/trail root\` (\`${s.id}\`) did not run: The access policy no longer allows this run: \`root\` may only run in <#C0AUDIT>. Fix it, or stop it with \`/trail unschedule ${s.id}\`.`,
    },
  ]);
  expect((await w.schedules.get(s.id))?.lastResult).toMatchObject({
    outcome: 'skipped',
    slot: '2026-11-20T09:00:00.000Z',
  });
  // It stays scheduled: the next slot is tried again.
  expect((await w.schedules.get(s.id))?.nextRunAt).toBe('2026-11-21T09:00:00.000Z');
});

test('a stored question that no longer validates is skipped with the reason', async () => {
  const w = await world('2026-11-20T08:00:00.000Z');
  const s = await w.schedule('root daily 09:00 account:222222222222');
  const config = { ...w.config, trail: { prefix: '', accounts: ['111111111111'], regions: [] } };
  const bot = w.bot({ config });
  w.clock.set('2026-11-20T09:00:00.000Z');
  await tickAndWait(bot);
  expect(bot.engine.started).toEqual([]);
  expect((await w.schedules.get(s.id))?.lastResult).toMatchObject({
    outcome: 'skipped',
    error:
      "The scheduled question is no longer valid: `root`: account 222222222222 is not one of this trail's accounts (111111111111).",
  });
});

test('an unscheduled schedule does not run', async () => {
  const w = await world('2026-11-20T08:00:00.000Z');
  const s = await w.schedule('root daily 09:00');
  await w.schedules.delete(s.id, 'U0BOB');
  const bot = w.bot();
  w.clock.set('2026-11-21T09:00:00.000Z');
  expect(await tickAndWait(bot)).toBe(0);
  expect(bot.publisher.posted).toEqual([]);
});

describe('recovery after a crash', () => {
  test('a claim whose execution never came into being is run once, after the claim went stale', async () => {
    const w = await world('2026-11-20T08:00:00.000Z');
    const s = await w.schedule('root daily 09:00');
    w.clock.set('2026-11-20T09:00:00.000Z');
    // A replica claimed the run and died before submitting it.
    await w.schedules.claimRun(s, {
      slot: '2026-11-20T09:00:00.000Z',
      nextRunAt: '2026-11-21T09:00:00.000Z',
      windowStart: '2026-11-19T09:00:00.000Z',
      windowEnd: '2026-11-20T09:00:00.000Z',
      requestKey: runRequestKey(s.id, '2026-11-20T09:00:00.000Z'),
    });
    const a = w.bot({ staleClaimMs: 10 * 60_000 });
    const b = w.bot({ staleClaimMs: 10 * 60_000 });
    w.clock.set('2026-11-20T09:05:00.000Z');
    expect(await a.scheduler.recover()).toBe(0); // the claimer may still be about to submit
    w.clock.set('2026-11-20T09:11:00.000Z');
    const started = await Promise.all([a.scheduler.recover(), b.scheduler.recover()]);
    expect(started[0] + started[1]).toBe(1);
    await Promise.all([a.scheduler.idle(), b.scheduler.idle()]);
    expect([...windowsOf(a), ...windowsOf(b)]).toEqual([['2026-11-19T09:00:00.000Z', '2026-11-20T09:00:00.000Z']]);
    expect((await w.schedules.get(s.id))?.lastResult).toMatchObject({ outcome: 'succeeded', rows: 1 });
    expect(await a.scheduler.recover()).toBe(0);
    expect([...a.publisher.answers, ...b.publisher.answers]).toHaveLength(1);
  });

  test('a run whose execution was published but whose result was not recorded is recorded, not run again', async () => {
    const w = await world('2026-11-20T08:00:00.000Z');
    const s = await w.schedule('root daily 09:00');
    const dead = w.bot();
    w.clock.set('2026-11-20T09:00:00.000Z');
    // The claimer ran it to a published answer, then died before recording the result on the schedule.
    const requestKey = runRequestKey(s.id, '2026-11-20T09:00:00.000Z');
    const claimed = await w.schedules.claimRun(s, {
      slot: '2026-11-20T09:00:00.000Z',
      nextRunAt: '2026-11-21T09:00:00.000Z',
      windowStart: '2026-11-19T09:00:00.000Z',
      windowEnd: '2026-11-20T09:00:00.000Z',
      requestKey,
    });
    expect(claimed).toBeDefined();
    const run = parseRequest('root 1d', { config: w.config, now: w.clock.now() });
    if (run.kind !== 'query') throw new Error('root is a query');
    const outcome = await dead.runner.submit({
      command: 'root',
      commandText: 'root',
      normalized: run.normalized,
      query: run.query,
      userId: 'U0ALICE',
      channelId: 'C0COMPLIANCE',
      surface: 'schedule',
      scheduleId: s.id,
      requestKey,
    });
    w.clock.set('2026-11-20T10:00:00.000Z');
    const survivor = w.bot();
    expect(await survivor.scheduler.recover()).toBe(0);
    expect(survivor.engine.started).toEqual([]);
    expect((await w.schedules.get(s.id))?.lastResult).toMatchObject({
      outcome: 'succeeded',
      executionId: outcome.kind === 'started' ? outcome.execution.id : 'not started',
      rows: 1,
    });
    expect(dead.publisher.answers).toHaveLength(1);
  });
});

test('start() ticks on its own and stop() waits for the runs it started', async () => {
  const w = await world('2026-11-20T09:30:00.000Z');
  await w.schedule('root daily 09:00');
  w.clock.set('2026-11-21T09:00:00.000Z');
  const bot = w.bot({ tickMs: 5 });
  bot.scheduler.start();
  for (let i = 0; i < 400 && bot.publisher.answers.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  await bot.scheduler.stop();
  expect(bot.publisher.answers).toHaveLength(1);
  expect(bot.scheduler.running).toBe(0);
});

test('a tick claims no more runs than maxConcurrentRuns; the rest stay due for the next tick', async () => {
  const w = await world('2026-11-20T08:00:00.000Z');
  for (const question of ['root', 'errors', 'users']) await w.schedule(`${question} daily 09:00`);
  // A recording submit that holds each run until released: the scheduler alone is under test here.
  const submitted: QuerySubmission[] = [];
  const releases: (() => void)[] = [];
  const submit = (s: QuerySubmission) => {
    submitted.push(s);
    return new Promise<SubmitOutcome>((resolve) =>
      releases.push(() => resolve({ kind: 'limited', message: 'released by the test' })),
    );
  };
  const { scheduler } = w.bot({ submit, maxConcurrentRuns: 2 });
  w.clock.set('2026-11-20T09:00:00.000Z');
  expect(await scheduler.tick()).toBe(2);
  await until(() => submitted.length === 2);
  expect(await scheduler.tick()).toBe(0); // both still under way
  for (const release of releases.splice(0)) release();
  await scheduler.idle();
  expect(await scheduler.tick()).toBe(1);
  await until(() => submitted.length === 3);
  expect(new Set(submitted.map((s) => s.command))).toEqual(new Set(['root', 'errors', 'users']));
  expect(submitted.every((s) => s.surface === 'schedule' && s.requestKey !== undefined)).toBe(true);
  for (const release of releases.splice(0)) release();
  await scheduler.idle();
});

/** Waits (on the event loop, not a clock) until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((r) => setImmediate(r));
  expect(condition()).toBe(true);
}
