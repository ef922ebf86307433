/**
 * ScheduleStore against a real dynalite over HTTP (real DynamoDBClient), one table per test, a clock moved by hand.
 */
import type { Schedule } from '../../src/core/schedule';
import { type NewSchedule, type RunClaim, ScheduleLimitError, ScheduleStore } from '../../src/store/schedules';
import { type LocalDynamo, newExecution, startLocalDynamo, TestClock } from './helpers';

let dynamo: LocalDynamo;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});

afterAll(async () => {
  await dynamo.close();
});

async function setup(retentionDays = 30) {
  const clock = new TestClock('2026-11-20T08:00:00.000Z');
  const { store, tableName } = await dynamo.newStore({ clock, retentionDays });
  const schedules = new ScheduleStore({ client: dynamo.client, tableName, now: clock.now, retentionDays });
  return { schedules, store, tableName, clock };
}

function newSchedule(overrides: Partial<NewSchedule> = {}): NewSchedule {
  return {
    command: 'root',
    commandText: 'root',
    cadence: { every: 'daily', at: '09:00' },
    timeZone: 'UTC',
    channelId: 'C0COMPLIANCE',
    createdBy: 'U0ALICE',
    nextRunAt: '2026-11-20T09:00:00.000Z',
    ...overrides,
  };
}

function claimFor(s: Schedule, slot = s.nextRunAt, next = '2026-11-21T09:00:00.000Z'): RunClaim {
  return { slot, nextRunAt: next, windowStart: '2026-11-19T09:00:00.000Z', windowEnd: slot, requestKey: `key-${slot}` };
}

test('create writes one item under SCHED#<id>, in the due index, without a TTL; get reads it back', async () => {
  const { schedules, tableName } = await setup();
  const created = await schedules.create(newSchedule());
  expect(created).toEqual({
    id: expect.stringMatching(/^[0-9a-z]{12}$/),
    channelId: 'C0COMPLIANCE',
    createdBy: 'U0ALICE',
    createdAt: '2026-11-20T08:00:00.000Z',
    updatedAt: '2026-11-20T08:00:00.000Z',
    command: 'root',
    commandText: 'root',
    cadence: { every: 'daily', at: '09:00' },
    timeZone: 'UTC',
    nextRunAt: '2026-11-20T09:00:00.000Z',
  });
  expect(await schedules.get(created.id)).toEqual(created);
  const items = await dynamo.scan(tableName);
  expect(items).toHaveLength(1);
  expect(items[0]).toMatchObject({
    pk: `SCHED#${created.id}`,
    sk: 'SCHED',
    gsi1pk: 'SCHED#ALL',
    gsi1sk: `2026-11-20T09:00:00.000Z#${created.id}`,
  });
  expect(items[0]).not.toHaveProperty('expiresAt');
  expect(items[0]).not.toHaveProperty('gsi2pk');
  expect(await schedules.get('nosuchid0000')).toBeUndefined();
});

test('listByChannel and listDue', async () => {
  const { schedules } = await setup();
  const a = await schedules.create(newSchedule({ nextRunAt: '2026-11-20T09:00:00.000Z' }));
  const b = await schedules.create(newSchedule({ nextRunAt: '2026-11-20T10:00:00.000Z' }));
  const other = await schedules.create(newSchedule({ channelId: 'C0OTHER', nextRunAt: '2026-11-20T08:30:00.000Z' }));
  expect((await schedules.listByChannel('C0COMPLIANCE')).map((s) => s.id)).toEqual([a.id, b.id]);
  expect((await schedules.listByChannel('C0OTHER')).map((s) => s.id)).toEqual([other.id]);
  expect(await schedules.listByChannel('C0NONE')).toEqual([]);
  expect(await schedules.listDue(new Date('2026-11-20T08:29:59.999Z'))).toEqual([]);
  expect((await schedules.listDue(new Date('2026-11-20T09:00:00.000Z'))).map((s) => s.id)).toEqual([other.id, a.id]);
  expect((await schedules.listAll()).map((s) => s.id)).toEqual([other.id, a.id, b.id]);
});

test('a channel may have at most maxPerChannel schedules; other channels are not counted', async () => {
  const { schedules } = await setup();
  await schedules.create(newSchedule(), { maxPerChannel: 2 });
  await schedules.create(newSchedule(), { maxPerChannel: 2 });
  await expect(schedules.create(newSchedule(), { maxPerChannel: 2 })).rejects.toThrow(ScheduleLimitError);
  await expect(schedules.create(newSchedule({ channelId: 'C0OTHER' }), { maxPerChannel: 2 })).resolves.toMatchObject({
    channelId: 'C0OTHER',
  });
});

test('of several claimers that read the same schedule, exactly one claims the run', async () => {
  const { schedules, tableName, clock } = await setup();
  const read = await schedules.create(newSchedule());
  clock.set('2026-11-20T09:00:30.000Z');
  const results = await Promise.all(Array.from({ length: 8 }, () => schedules.claimRun(read, claimFor(read))));
  const winners = results.filter((r) => r !== undefined);
  expect(winners).toHaveLength(1);
  expect(winners[0]).toMatchObject({
    id: read.id,
    nextRunAt: '2026-11-21T09:00:00.000Z',
    lastRunAt: '2026-11-20T09:00:00.000Z',
    lastWindowStart: '2026-11-19T09:00:00.000Z',
    lastClaimedAt: '2026-11-20T09:00:30.000Z',
  });
  const runs = (await dynamo.scan(tableName)).filter((i) => String(i.sk).startsWith('RUN#'));
  expect(runs).toEqual([
    {
      pk: `SCHED#${read.id}`,
      sk: 'RUN#2026-11-20T09:00:00.000Z',
      scheduleId: read.id,
      slot: '2026-11-20T09:00:00.000Z',
      windowStart: '2026-11-19T09:00:00.000Z',
      windowEnd: '2026-11-20T09:00:00.000Z',
      requestKey: 'key-2026-11-20T09:00:00.000Z',
      claimedAt: '2026-11-20T09:00:30.000Z',
      state: 'CLAIMED',
      expiresAt: Math.floor(Date.parse('2026-11-20T09:00:30.000Z') / 1000) + 30 * 86_400,
    },
  ]);
  // The index moved with nextRunAt: not due again until the next slot.
  expect(await schedules.listDue(new Date('2026-11-20T09:30:00.000Z'))).toEqual([]);
  expect((await schedules.listDue(new Date('2026-11-21T09:00:00.000Z'))).map((s) => s.id)).toEqual([read.id]);
});

test('a stale read cannot claim: nothing is written', async () => {
  const { schedules, tableName } = await setup();
  const read = await schedules.create(newSchedule());
  expect(await schedules.claimRun(read, claimFor(read))).toBeDefined();
  // `read` still says nextRunAt = the slot just claimed; a replica holding it tries the next slot.
  expect(await schedules.claimRun(read, claimFor(read, '2026-11-21T09:00:00.000Z', '2026-11-22T09:00:00.000Z'))).toBe(
    undefined,
  );
  const runs = (await dynamo.scan(tableName)).filter((i) => String(i.sk).startsWith('RUN#'));
  expect(runs.map((r) => r.sk)).toEqual(['RUN#2026-11-20T09:00:00.000Z']);
});

test('a slot that already has a run item is never claimed again', async () => {
  const { schedules } = await setup();
  const read = await schedules.create(newSchedule());
  const first = await schedules.claimRun(read, claimFor(read));
  // Pretend nextRunAt went back to the claimed slot (it never does; the run item is the second guard).
  const again = await schedules.claimRun(first as Schedule, {
    ...claimFor(read),
    slot: '2026-11-20T09:00:00.000Z',
    nextRunAt: '2026-11-22T09:00:00.000Z',
  });
  expect(again).toBeUndefined();
});

test('recordResult marks the run done and keeps the latest slot’s result on the schedule', async () => {
  const { schedules } = await setup();
  const read = await schedules.create(newSchedule());
  const claimed = (await schedules.claimRun(read, claimFor(read))) as Schedule;
  await schedules.claimRun(claimed, claimFor(claimed, '2026-11-21T09:00:00.000Z', '2026-11-22T09:00:00.000Z'));
  const later = {
    slot: '2026-11-21T09:00:00.000Z',
    outcome: 'succeeded' as const,
    executionId: 'exec00000002',
    rows: 0,
    at: '2026-11-21T09:16:00.000Z',
  };
  const earlier = {
    slot: '2026-11-20T09:00:00.000Z',
    outcome: 'failed' as const,
    executionId: 'exec00000001',
    error: 'Athena said no.',
    at: '2026-11-21T09:17:00.000Z',
  };
  await schedules.recordResult(read.id, later);
  await schedules.recordResult(read.id, earlier); // finished after the later run: must not replace it
  expect((await schedules.get(read.id))?.lastResult).toEqual(later);
  const runs = await schedules.listRuns(read.id);
  expect(runs.map((r) => [r.slot, r.state, r.result?.outcome])).toEqual([
    ['2026-11-21T09:00:00.000Z', 'DONE', 'succeeded'],
    ['2026-11-20T09:00:00.000Z', 'DONE', 'failed'],
  ]);
});

test('run items expire after the retention period', async () => {
  const { schedules, clock } = await setup(1);
  const read = await schedules.create(newSchedule());
  await schedules.claimRun(read, claimFor(read));
  expect(await schedules.listRuns(read.id)).toHaveLength(1);
  clock.advance(86_400_000 + 1000);
  expect(await schedules.listRuns(read.id)).toEqual([]);
});

test('delete is a soft delete: out of every list, kept with a TTL, and claims on it fail', async () => {
  const { schedules, tableName, clock } = await setup();
  const read = await schedules.create(newSchedule());
  const removed = await schedules.delete(read.id, 'U0BOB');
  expect(removed).toEqual(read);
  expect(await schedules.get(read.id)).toBeUndefined();
  expect(await schedules.listByChannel('C0COMPLIANCE')).toEqual([]);
  expect(await schedules.listDue(new Date('2026-12-01T00:00:00Z'))).toEqual([]);
  expect(await schedules.delete(read.id, 'U0BOB')).toBeUndefined();
  expect(await schedules.claimRun(read, claimFor(read))).toBeUndefined();
  const [item] = await dynamo.scan(tableName);
  expect(item).toMatchObject({ deletedAt: clock.now().toISOString(), deletedBy: 'U0BOB' });
  expect(item?.expiresAt).toBe(Math.floor(clock.now().getTime() / 1000) + 30 * 86_400);
  expect(item).not.toHaveProperty('gsi1pk');
});

test('executionIdFor finds the execution the runner created for a request key', async () => {
  const { schedules, store } = await setup();
  const { execution } = await store.create(newExecution({ requestKey: 'sched-run-key', surface: 'schedule' }));
  expect(await schedules.executionIdFor('sched-run-key')).toBe(execution.id);
  expect(await schedules.executionIdFor('never-used-key')).toBeUndefined();
});

test('of several recoverers, one retakes a claim', async () => {
  const { schedules, clock } = await setup();
  const read = await schedules.create(newSchedule());
  clock.set('2026-11-20T09:00:00.000Z');
  const claimed = (await schedules.claimRun(read, claimFor(read))) as Schedule;
  expect(await schedules.retakeClaim(read)).toBe(false); // never claimed as far as this copy knows
  clock.set('2026-11-20T09:30:00.000Z');
  const results = await Promise.all(Array.from({ length: 5 }, () => schedules.retakeClaim(claimed)));
  expect(results.filter(Boolean)).toHaveLength(1);
  expect((await schedules.get(read.id))?.lastClaimedAt).toBe('2026-11-20T09:30:00.000Z');
});
