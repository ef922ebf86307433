import { ScheduleLimitError, ScheduleStore } from '../../src/store/schedules';
import { type LocalDynamo, startLocalDynamo, TestClock } from './helpers';

/**
 * The per-channel schedule limit with two replicas creating at once: before, each read the channel's schedules and
 * then wrote, so simultaneous creates all passed; the conditional counter item lets exactly the limit through, and
 * unscheduling gives the place back.
 */
let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(() => dynamo.close());

test('ten simultaneous schedules in one channel from two replicas, limit 3: three are created', async () => {
  const clock = new TestClock();
  const { tableName } = await dynamo.newStore({ clock });
  const replicas = [0, 1].map(() => new ScheduleStore({ client: dynamo.client, tableName, now: clock.now }));
  const results = await Promise.allSettled(
    Array.from({ length: 10 }, (_, i) =>
      replicas[i % 2]!.create(
        {
          command: 'root',
          commandText: `root ${i}`,
          cadence: { every: 'daily', at: '09:00' },
          timeZone: 'UTC',
          channelId: 'C0COMPLIANCE',
          createdBy: `U${i}`,
          nextRunAt: '2026-11-20T09:00:00.000Z',
        },
        { maxPerChannel: 3 },
      ),
    ),
  );
  const created = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  expect(created).toHaveLength(3);
  expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ScheduleLimitError)).toHaveLength(7);
  expect(await replicas[0]!.listByChannel('C0COMPLIANCE')).toHaveLength(3);

  // Unscheduling one frees its place at once.
  await replicas[1]!.delete(created[0]!.id, 'U0');
  await expect(
    replicas[0]!.create(
      {
        command: 'root',
        commandText: 'root again',
        cadence: { every: 'daily', at: '09:00' },
        timeZone: 'UTC',
        channelId: 'C0COMPLIANCE',
        createdBy: 'U9',
        nextRunAt: '2026-11-20T09:00:00.000Z',
      },
      { maxPerChannel: 3 },
    ),
  ).resolves.toMatchObject({ channelId: 'C0COMPLIANCE' });
});
