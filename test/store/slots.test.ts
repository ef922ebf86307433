import { SlotCounters } from '../../src/store/slots';
import { type LocalDynamo, startLocalDynamo, TestClock } from './helpers';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(() => dynamo.close());

async function counters(clock = new TestClock()) {
  const { tableName } = await dynamo.newStore();
  return { slots: new SlotCounters({ client: dynamo.client, tableName, now: clock.now }), clock };
}

const always = async () => true;

test('twenty simultaneous takers of three slots: exactly three win; taking again and giving back are idempotent', async () => {
  const { slots } = await counters();
  const limit = [{ scope: 'user:U1', limit: 3 }];
  const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => slots.acquire(`q${i}`, limit, always)));
  const winners = outcomes.flatMap((o, i) => (o.ok ? [`q${i}`] : []));
  expect(winners).toHaveLength(3);
  expect(outcomes.find((o) => !o.ok)).toEqual({ ok: false, scope: 'user:U1', limit: 3, holders: 3 });
  // A holder asking again (a retried request) keeps its one slot.
  expect(await slots.acquire(winners[0]!, limit, always)).toEqual({ ok: true });
  expect((await slots.holders('user:U1')).sort()).toEqual([...winners].sort());
  await slots.release(winners[0]!, ['user:U1']);
  await slots.release(winners[0]!, ['user:U1']);
  expect(await slots.holders('user:U1')).toHaveLength(2);
  expect(await slots.acquire('late', limit, always)).toEqual({ ok: true });
});

test('all scopes or none: refused by the second scope, the first slot is given back', async () => {
  const { slots } = await counters();
  await slots.acquire('other', [{ scope: 'channel:C1', limit: 1 }], always);
  const outcome = await slots.acquire(
    'q1',
    [
      { scope: 'user:U1', limit: 3 },
      { scope: 'channel:C1', limit: 1 },
    ],
    always,
  );
  expect(outcome).toMatchObject({ ok: false, scope: 'channel:C1' });
  expect(await slots.holders('user:U1')).toEqual([]);
});

test('a holder that was never given back (its process died) is reaped when it blocks someone, after a grace', async () => {
  const { slots, clock } = await counters();
  const limit = [{ scope: 'user:U1', limit: 1 }];
  expect(await slots.acquire('crashed', limit, always)).toEqual({ ok: true });
  const gone = async (holder: string) => holder !== 'crashed';
  // Within the grace period a holder counts as active whatever the check says (its execution may not exist yet).
  expect((await slots.acquire('next', limit, gone)).ok).toBe(false);
  clock.advance(3 * 60_000);
  expect(await slots.acquire('next', limit, gone)).toEqual({ ok: true });
  expect(await slots.holders('user:U1')).toEqual(['next']);
});
