/**
 * The watch store against dynalite: the conditional writes that make a watch exactly-once. Concurrent callers stand
 * for replicas (each write is a separate request to the table, as from another process).
 */
import type { NewWatch } from '../../src/core/watch';
import { WatchStore, watchId } from '../../src/store/watches';
import { type LocalDynamo, startLocalDynamo, TestClock } from './helpers';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.close();
});

async function storeAt(start = '2026-11-20T10:00:00.000Z', retentionDays = 30) {
  const clock = new TestClock(start);
  const { tableName } = await dynamo.newStore({ clock });
  return { clock, store: new WatchStore({ client: dynamo.client, tableName, now: clock.now, retentionDays }) };
}

const tamper: NewWatch = {
  command: 'tamper',
  commandText: 'tamper',
  everyMinutes: 15,
  onlyFlagged: false,
  quietDaily: false,
  channelId: 'C0SEC',
  createdBy: 'U0ALICE',
  nextRunAt: '2026-11-20T10:15:00.000Z',
};

test('posted event ids: of two executions claiming the same events at once, each event goes to exactly one', async () => {
  const { store } = await storeAt();
  const ids = Array.from({ length: 40 }, (_, i) => `ev-${i}`);
  const [a, b] = await Promise.all([store.claim('w1', ids, 'exec-a'), store.claim('w1', [...ids].reverse(), 'exec-b')]);
  expect(a.size + b.size).toBe(40);
  for (const id of ids) expect(a.has(id) !== b.has(id)).toBe(true);
  // The same execution claiming again (a resumed collection) keeps its own; the other still gets none of them.
  expect(await store.claim('w1', ids, 'exec-a')).toEqual(a);
  expect((await store.claim('w1', [...a], 'exec-c')).size).toBe(0);
  // Reading its answer again (onlyHeld) keeps its own and claims nothing new.
  expect(await store.claim('w1', [...ids, 'ev-new'], 'exec-a', { onlyHeld: true })).toEqual(a);
  expect((await store.claim('w1', ['ev-new'], 'exec-b')).size).toBe(1);
  // Another watch's records are its own.
  expect((await store.claim('w2', ids, 'exec-c')).size).toBe(40);
});

test('a posted event id is free again only once its record has expired (far beyond any delivery lag)', async () => {
  const { store, clock } = await storeAt('2026-11-20T10:00:00.000Z', 1);
  expect((await store.claim('w1', ['ev-1'], 'exec-a')).size).toBe(1);
  clock.advance(23 * 3_600_000);
  expect((await store.claim('w1', ['ev-1'], 'exec-b')).size).toBe(0);
  clock.advance(2 * 3_600_000);
  expect((await store.claim('w1', ['ev-1'], 'exec-b')).size).toBe(1);
});

test('the same watch created twice at once is one watch; after unwatching it can be made again', async () => {
  const { store } = await storeAt();
  const made = await Promise.all([store.create(tamper), store.create(tamper), store.create(tamper)]);
  expect(made.filter((m) => m.created)).toHaveLength(1);
  expect(new Set(made.map((m) => m.watch.id))).toEqual(new Set([watchId(tamper)]));
  expect(await store.listByChannel('C0SEC')).toHaveLength(1);
  // Options are part of the identity: only-flagged is another watch.
  expect((await store.create({ ...tamper, onlyFlagged: true })).created).toBe(true);
  const id = watchId(tamper);
  expect(await store.delete(id, 'U0ALICE')).toMatchObject({ id });
  expect(await store.get(id)).toBeUndefined();
  expect((await store.create(tamper)).created).toBe(true);
});

test('a slot is claimed by one of several concurrent claimers, and the quiet line of a day by one', async () => {
  const { store } = await storeAt();
  const { watch } = await store.create(tamper);
  const claim = {
    slot: '2026-11-20T10:15:00.000Z',
    nextRunAt: '2026-11-20T10:30:00.000Z',
    windowStart: '2026-11-20T09:45:00.000Z',
    windowEnd: '2026-11-20T10:15:00.000Z',
    requestKey: 'k',
  };
  const won = await Promise.all([
    store.claimRun(watch, claim),
    store.claimRun(watch, claim),
    store.claimRun(watch, claim),
  ]);
  expect(won.filter(Boolean)).toHaveLength(1);
  expect(await store.get(watch.id)).toMatchObject({ nextRunAt: '2026-11-20T10:30:00.000Z', lastRunAt: claim.slot });
  const quiet = await Promise.all([store.claimQuietDay(watch, '2026-11-21'), store.claimQuietDay(watch, '2026-11-21')]);
  expect(quiet.filter(Boolean)).toHaveLength(1);
  expect(await store.claimQuietDay(watch, '2026-11-21')).toBe(false);
  expect(await store.claimQuietDay(watch, '2026-11-22')).toBe(true);
});
