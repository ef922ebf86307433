/**
 * Watches (issue 19) with a controlled clock against dynalite: the real Watcher, front door, Runner and stores, a
 * scripted engine that answers from a list of events each with the time CloudTrail delivered it (so a late delivery
 * can be played), and a recording Publisher. Every assertion counts what reached the channel: parent messages,
 * answers, and the event ids in the CSVs the threads got.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { annotatorsFrom } from '../../commands/annotate';
import { loadConfig, type TrailConfig } from '../../src/config';
import type { BoundQuery } from '../../src/core/query';
import { TrailDispatcher } from '../../src/dispatch/dispatcher';
import { spoolPaths } from '../../src/runner/collect';
import { Runner } from '../../src/runner/runner';
import { Watcher, watchRequestKey } from '../../src/scheduler/watcher';
import { WatchStore } from '../../src/store/watches';
import { testConfig } from '../helpers/config';
import { type LocalDynamo, startLocalDynamo, TestClock } from '../store/helpers';
import { RecordingPublisher, ScriptedEngine } from './helpers';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.close();
});

/** One CloudTrail event: when it happened, when its log file was delivered, in which account, what it was. */
interface TrailEvent {
  id: string;
  at: string;
  deliveredAt: string;
  account?: string;
  name?: string;
}

const COLUMNS = [
  'eventtime',
  'eventname',
  'eventsource',
  'errorcode',
  'requestparameters',
  'recipientaccountid',
  'eventid',
];

/** The trail as a query sees it at this moment: events of its window whose file was delivered by now. */
function trailOf(events: TrailEvent[], clock: TestClock) {
  return (q: BoundQuery) => {
    const now = clock.now().getTime();
    const rows = events
      .filter((e) => e.at >= q.window.start && e.at < q.window.end && Date.parse(e.deliveredAt) <= now)
      .map((e) => [
        e.at,
        e.name ?? 'StopLogging',
        'cloudtrail.amazonaws.com',
        null,
        '{"name":"main"}',
        e.account ?? '111122223333',
        e.id,
      ]);
    return { columns: COLUMNS, rows };
  };
}

interface Replica {
  watcher: Watcher;
  runner: Runner;
  dispatcher: TrailDispatcher;
  engine: ScriptedEngine;
  publisher: RecordingPublisher;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function world(start: string, configOverrides: Partial<TrailConfig> = {}) {
  const clock = new TestClock(start);
  const { store, tableName } = await dynamo.newStore({ clock });
  const watches = new WatchStore({ client: dynamo.client, tableName, now: clock.now });
  const resultsDir = await mkdtemp(path.join(tmpdir(), 'trail-watch-'));
  const config = testConfig({ resultsDir, ...configOverrides });
  const events: TrailEvent[] = [];
  const replicas: Replica[] = [];
  /** A bot process: its own engine, publisher, runner and watcher on the shared table. */
  const replica = (): Replica => {
    const engine = new ScriptedEngine(trailOf(events, clock));
    const publisher = new RecordingPublisher();
    const runner = new Runner({
      engine,
      store,
      publisher,
      resultsDir,
      limits: config.limits,
      annotatorFor: annotatorsFrom(config, clock.now),
      posted: watches,
      now: clock.now,
      sleep: async () => {},
      poll: { initialMs: 1, maxMs: 1, factor: 1 },
      publishAttempts: 1,
    });
    const dispatcher = new TrailDispatcher({
      config,
      runner,
      store,
      publisher,
      now: clock.now,
      watches: { store: watches },
    });
    const watcher = new Watcher({
      watches,
      frontDoor: dispatcher,
      executions: store,
      config,
      now: clock.now,
      recoverEveryTicks: 1_000_000,
      notify: (to, text) => publisher.notify(to, text),
    });
    const r = { watcher, runner, dispatcher, engine, publisher };
    replicas.push(r);
    return r;
  };
  cleanups.push(async () => {
    await Promise.all(replicas.map((r) => r.watcher.stop()));
    await rm(resultsDir, { recursive: true, force: true });
  });
  const typist = replica();
  /** Types `/trail <text>` into the front door as a person; returns what they were told. */
  const type = async (text: string, userId = 'U0ALICE', channelId = 'C0SEC'): Promise<string> => {
    const before = typist.publisher.posted.length;
    const prepared = typist.dispatcher.prepare({ text, userId, channelId, surface: 'slack' });
    if (prepared.kind === 'reply') return prepared.text;
    await prepared.run();
    return typist.publisher.posted
      .slice(before)
      .map((p) => (p.kind === 'notify' ? p.text : ''))
      .join('\n');
  };
  const watch = async (text: string, channelId = 'C0SEC') => {
    const reply = await type(`watch ${text}`, 'U0ALICE', channelId);
    const id = /as `(w[0-9a-z]{11})`/.exec(reply)?.[1];
    if (!id) throw new Error(`not watched: ${reply}`);
    return id;
  };
  /** Every post of every replica (the typist's replies aside). */
  const posts = () => replicas.filter((r) => r !== typist).flatMap((r) => r.publisher.posted);
  /** The event ids each answer's CSV carried, by channel. */
  const postedIds = async () => {
    const out: { channelId: string; ids: string[] }[] = [];
    for (const p of posts()) {
      if (p.kind !== 'result') continue;
      const csv = await readFile(spoolPaths(resultsDir, p.execution.id).csv, 'utf8');
      const [header, ...lines] = csv.trim().split(/\r?\n/);
      const at = header!.split(',').indexOf('eventid');
      out.push({ channelId: p.execution.channelId, ids: lines.map((l) => l.split(',')[at]!) });
    }
    return out;
  };
  return { clock, store, watches, config, events, replica, type, watch, posts, postedIds, resultsDir };
}

async function tickAll(...rs: Replica[]): Promise<number> {
  const claimed = await Promise.all(rs.map((r) => r.watcher.tick()));
  await Promise.all(rs.map((r) => r.watcher.idle()));
  return claimed.reduce((a, b) => a + b, 0);
}

const kinds = (posts: { kind: string }[], kind: string) => posts.filter((p) => p.kind === kind).length;

test('two replicas, late deliveries and quiet runs: every event posted once, nothing posted when nothing is new', async () => {
  const w = await world('2026-11-20T09:58:00.000Z');
  const id = await w.watch('tamper every 15m');
  const a = w.replica();
  const b = w.replica();
  w.events.push(
    // On time: delivered before the 10:15 run, and still inside the 10:30 run's overlap.
    { id: 'ev-ontime', at: '2026-11-20T10:05:00.000Z', deliveredAt: '2026-11-20T10:09:00.000Z' },
    // Late: happened before 10:15, delivered after the 10:15 run read the trail: the 10:30 run's overlap finds it.
    { id: 'ev-late', at: '2026-11-20T10:12:00.000Z', deliveredAt: '2026-11-20T10:24:00.000Z' },
    { id: 'ev-1040', at: '2026-11-20T10:40:00.000Z', deliveredAt: '2026-11-20T10:44:00.000Z' },
  );
  const claims: number[] = [];
  for (const slot of ['10:00', '10:15', '10:30', '10:45', '11:00', '11:15']) {
    w.clock.set(`2026-11-20T${slot}:00.000Z`);
    claims.push(await tickAll(a, b, a));
  }
  // One claim per slot across both replicas.
  expect(claims).toEqual([1, 1, 1, 1, 1, 1]);
  const posts = w.posts();
  // Runs with something new: 10:15 (on time), 10:30 (the late one), 10:45 (10:40). 10:00, 11:00, 11:15 post nothing.
  expect(kinds(posts, 'announce')).toBe(3);
  expect(kinds(posts, 'result')).toBe(3);
  expect(kinds(posts, 'csv')).toBe(3);
  expect(kinds(posts, 'failure')).toBe(0);
  expect(kinds(posts, 'notify')).toBe(0);
  const ids = await w.postedIds();
  expect(ids.map((p) => p.ids)).toEqual([['ev-ontime'], ['ev-late'], ['ev-1040']]);
  // Six executions ran (one per slot), three of them quietly.
  expect(await w.store.listByChannel('C0SEC', 20)).toHaveLength(6);
  // Windows meet with the lag's overlap: [previous slot − 15 min, slot).
  const windows = [...a.engine.started, ...b.engine.started]
    .map((q) => [q.window.start, q.window.end])
    .sort(([x], [y]) => x!.localeCompare(y!));
  expect(windows[1]).toEqual(['2026-11-20T09:45:00.000Z', '2026-11-20T10:15:00.000Z']);
  expect(windows[2]).toEqual(['2026-11-20T10:00:00.000Z', '2026-11-20T10:30:00.000Z']);
  expect((await w.watches.get(id))?.lastFindingAt).toBe('2026-11-20T10:45:00.000Z');
  // `history` lists the three runs people saw, not the quiet ones.
  expect(await w.type('history 10')).toMatch(/^Last 3 questions in this channel:/);
});

test('a restart: a claim whose claimer died is run by the next process, and the new process posts nothing twice', async () => {
  const w = await world('2026-11-20T09:58:00.000Z');
  const id = await w.watch('tamper every 15m');
  w.events.push(
    { id: 'ev-a', at: '2026-11-20T10:03:00.000Z', deliveredAt: '2026-11-20T10:06:00.000Z' },
    { id: 'ev-b', at: '2026-11-20T10:20:00.000Z', deliveredAt: '2026-11-20T10:25:00.000Z' },
  );
  const first = w.replica();
  w.clock.set('2026-11-20T10:15:00.000Z');
  expect(await tickAll(first)).toBe(1); // posts ev-a
  // 10:30: a process claims the slot and dies before it starts the run.
  w.clock.set('2026-11-20T10:30:00.000Z');
  const read = (await w.watches.listDue(w.clock.now()))[0]!;
  const claimed = await w.watches.claimRun(read, {
    slot: '2026-11-20T10:30:00.000Z',
    nextRunAt: '2026-11-20T10:45:00.000Z',
    windowStart: '2026-11-20T10:00:00.000Z',
    windowEnd: '2026-11-20T10:30:00.000Z',
    requestKey: watchRequestKey(id, '2026-11-20T10:30:00.000Z', 'C0SEC'),
  });
  expect(claimed).toBeDefined();
  // A new process starts later; its recovery runs the lost claim (ev-b is new; ev-a, in the overlap, is not).
  w.clock.set('2026-11-20T10:41:00.000Z');
  const restarted = w.replica();
  expect(await restarted.watcher.recover()).toBe(1);
  await restarted.watcher.idle();
  expect(await restarted.watcher.recover()).toBe(0);
  // 10:45 runs on the restarted process: its window overlaps both earlier runs, and everything in it was posted.
  w.clock.set('2026-11-20T10:45:00.000Z');
  expect(await tickAll(restarted)).toBe(1);
  const posts = w.posts();
  expect(kinds(posts, 'announce')).toBe(2);
  expect((await w.postedIds()).map((p) => p.ids)).toEqual([['ev-a'], ['ev-b']]);
  expect((await w.watches.get(id))?.lastResult).toMatchObject({ slot: '2026-11-20T10:45:00.000Z', rows: 0 });
});

test('a process that died after collecting: the restarted runner posts what that run claimed, and nothing twice', async () => {
  const w = await world('2026-11-20T09:58:00.000Z');
  await w.watch('tamper every 15m');
  w.events.push({ id: 'ev-a', at: '2026-11-20T10:03:00.000Z', deliveredAt: '2026-11-20T10:06:00.000Z' });
  const dying = w.replica();
  // Slack is down for this process: the run collects (and claims ev-a) but cannot post.
  dying.publisher.announce = async () => {
    throw new Error('slack is down');
  };
  w.clock.set('2026-11-20T10:15:00.000Z');
  expect(await tickAll(dying)).toBe(1);
  expect(kinds(w.posts(), 'result')).toBe(0);
  const [unposted] = await w.store.listUnfinished();
  expect(unposted).toMatchObject({ state: 'SUCCEEDED' });
  // The process dies and its spooled answer is lost with its disk: the restarted one must collect again.
  await rm(spoolPaths(w.resultsDir, unposted!.id).csv, { force: true });
  await rm(spoolPaths(w.resultsDir, unposted!.id).summary, { force: true });
  const restarted = w.replica();
  expect(await restarted.runner.resume()).toBe(1);
  await restarted.runner.idle();
  // It ran the lost run's query again (the spool was gone) and kept the rows that run had claimed.
  expect(restarted.engine.started).toHaveLength(1);
  expect((await w.postedIds()).map((p) => p.ids)).toEqual([['ev-a']]);
  // Its next run overlaps the lost one's window: ev-a is not posted again.
  w.clock.set('2026-11-20T10:30:00.000Z');
  expect(await tickAll(restarted)).toBe(1);
  expect(kinds(w.posts(), 'announce')).toBe(1);
  expect(kinds(w.posts(), 'result')).toBe(1);
  expect((await w.postedIds()).map((p) => p.ids)).toEqual([['ev-a']]);
});

test('paging a watch answer whose spool is gone keeps its own rows; an event delivered since goes to the next run', async () => {
  const w = await world('2026-11-20T09:58:00.000Z');
  await w.watch('tamper every 15m');
  w.events.push({ id: 'ev-a', at: '2026-11-20T10:03:00.000Z', deliveredAt: '2026-11-20T10:06:00.000Z' });
  const bot = w.replica();
  w.clock.set('2026-11-20T10:15:00.000Z');
  await tickAll(bot);
  const [first] = w.posts().filter((p) => p.kind === 'result');
  // Slack deletes the spool once an answer is posted; a late event lands in that run's window meanwhile.
  await rm(spoolPaths(w.resultsDir, first!.execution.id).csv, { force: true });
  await rm(spoolPaths(w.resultsDir, first!.execution.id).summary, { force: true });
  w.events.push({ id: 'ev-late', at: '2026-11-20T10:10:00.000Z', deliveredAt: '2026-11-20T10:22:00.000Z' });
  w.clock.set('2026-11-20T10:25:00.000Z');
  const published = await w.store.get(first!.execution.id);
  const page = await bot.runner.rowsOf(published!, 0, 20);
  expect(page.rows.map((r) => r[page.columns.indexOf('eventid')])).toEqual(['ev-a']);
  w.clock.set('2026-11-20T10:30:00.000Z');
  await tickAll(bot);
  expect(
    w
      .posts()
      .filter((p) => p.kind === 'result')
      .map((p) => (p.kind === 'result' ? p.totalRows : 0)),
  ).toEqual([1, 1]);
  expect(w.posts().filter((p) => p.kind === 'announce')).toHaveLength(2);
});

test('only-flagged posts only rows with a risk flag; a quiet day is said once, by one replica', async () => {
  const w = await world('2026-11-20T23:20:00.000Z');
  await w.watch('tamper every 30m only-flagged quiet-daily');
  const a = w.replica();
  const b = w.replica();
  w.events.push(
    { id: 'ev-flagged', at: '2026-11-20T23:35:00.000Z', deliveredAt: '2026-11-20T23:38:00.000Z' },
    { id: 'ev-plain', at: '2026-11-20T23:36:00.000Z', deliveredAt: '2026-11-20T23:38:00.000Z', name: 'LookupEvents' },
  );
  w.clock.set('2026-11-21T00:00:00.000Z');
  expect(await tickAll(a, b)).toBe(1);
  expect((await w.postedIds()).map((p) => p.ids)).toEqual([['ev-flagged']]);
  // The 20th had a finding: no quiet line at midnight. The 21st has none: one line at the 22nd's first run.
  expect(w.posts().filter((p) => p.kind === 'notify')).toHaveLength(0);
  for (let t = Date.parse('2026-11-21T00:30:00.000Z'); t <= Date.parse('2026-11-22T00:30:00.000Z'); t += 30 * 60_000) {
    w.clock.set(new Date(t).toISOString());
    await tickAll(a, b);
  }
  const quiet = w.posts().filter((p) => p.kind === 'notify');
  expect(quiet).toHaveLength(1);
  expect(quiet[0]).toMatchObject({ to: { channelId: 'C0SEC', userId: 'U0ALICE' } });
  expect(quiet[0]!.kind === 'notify' && quiet[0]!.text).toContain(
    'found nothing new from 2026-11-21 00:00 to 2026-11-22 00:00 UTC',
  );
  expect(kinds(w.posts(), 'announce')).toBe(1);
});

test('routing: rows of a routed account go to its channel, the rest stay; each posted once', async () => {
  const w = await world('2026-11-20T09:58:00.000Z');
  await w.watch('tamper every 15m route 444455556666:C0PROD');
  const bot = w.replica();
  w.events.push(
    { id: 'ev-home', at: '2026-11-20T10:01:00.000Z', deliveredAt: '2026-11-20T10:05:00.000Z', account: '111122223333' },
    { id: 'ev-prod', at: '2026-11-20T10:02:00.000Z', deliveredAt: '2026-11-20T10:05:00.000Z', account: '444455556666' },
  );
  for (const slot of ['10:15', '10:30']) {
    w.clock.set(`2026-11-20T${slot}:00.000Z`);
    await tickAll(bot);
  }
  const ids = await w.postedIds();
  expect(ids).toEqual(
    expect.arrayContaining([
      { channelId: 'C0SEC', ids: ['ev-home'] },
      { channelId: 'C0PROD', ids: ['ev-prod'] },
    ]),
  );
  expect(ids).toHaveLength(2);
  // The routed run asked only for its account (a narrower scan).
  expect(bot.engine.started.some((q) => JSON.stringify(q.params).includes('444455556666'))).toBe(true);
});

test('routing from TRAIL_WATCH_ROUTES: the configured account goes to its channel; a channel the policy refuses keeps its rows home', async () => {
  const config = loadConfig({ TRAIL_WATCH_ROUTES: '444455556666:C0PROD, 777788889999:C0SECRET' });
  expect(config.watchRoutes).toEqual({ '444455556666': 'C0PROD', '777788889999': 'C0SECRET' });
  expect(() => loadConfig({ TRAIL_WATCH_ROUTES: '4444:C0PROD' })).toThrow(
    'TRAIL_WATCH_ROUTES: `4444:C0PROD` is not <12-digit account>:<channel id>',
  );
  const w = await world('2026-11-20T09:58:00.000Z', {
    watchRoutes: config.watchRoutes,
    policy: { default: {}, commands: { tamper: { channels: ['C0SEC', 'C0PROD'] } } },
  });
  await w.watch('tamper every 15m');
  const bot = w.replica();
  w.events.push(
    { id: 'ev-home', at: '2026-11-20T10:01:00.000Z', deliveredAt: '2026-11-20T10:05:00.000Z', account: '111122223333' },
    { id: 'ev-prod', at: '2026-11-20T10:02:00.000Z', deliveredAt: '2026-11-20T10:05:00.000Z', account: '444455556666' },
    {
      id: 'ev-secret',
      at: '2026-11-20T10:03:00.000Z',
      deliveredAt: '2026-11-20T10:05:00.000Z',
      account: '777788889999',
    },
  );
  w.clock.set('2026-11-20T10:15:00.000Z');
  await tickAll(bot);
  const ids = await w.postedIds();
  expect(ids).toHaveLength(2);
  expect(ids).toEqual(
    expect.arrayContaining([
      { channelId: 'C0SEC', ids: ['ev-home', 'ev-secret'] },
      { channelId: 'C0PROD', ids: ['ev-prod'] },
    ]),
  );
  // A configured route the policy refuses is the operator's to fix: the creator is not told at every run.
  expect(w.posts().filter((p) => p.kind === 'notify')).toHaveLength(0);
});

test('a policy tightened after the watch was made: the run is skipped and its creator told', async () => {
  const w = await world('2026-11-20T09:58:00.000Z');
  const id = await w.watch('tamper every 15m');
  w.config.policy = { default: {}, commands: { tamper: { channels: ['C0ELSEWHERE'] } } };
  w.events.push({ id: 'ev-x', at: '2026-11-20T10:01:00.000Z', deliveredAt: '2026-11-20T10:05:00.000Z' });
  const bot = w.replica();
  w.clock.set('2026-11-20T10:15:00.000Z');
  expect(await tickAll(bot)).toBe(1);
  expect(kinds(w.posts(), 'announce')).toBe(0);
  const told = w.posts().filter((p) => p.kind === 'notify');
  expect(told).toHaveLength(1);
  expect(told[0]!.kind === 'notify' && told[0]!.text).toContain('The access policy no longer allows this watch');
  expect((await w.watches.get(id))?.lastResult).toMatchObject({ outcome: 'skipped' });
});
