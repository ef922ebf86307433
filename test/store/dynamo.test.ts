import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { TrailError } from '../../src/core/errors';
import {
  type ExecutionState,
  type ExecutionStore,
  IllegalTransitionError,
  LEGAL_TRANSITIONS,
} from '../../src/core/execution';
import { DynamoExecutionStore } from '../../src/store/dynamo';
import { ExecutionNotFoundError } from '../../src/store/errors';
import { EXECUTION_ID_PATTERN } from '../../src/store/ids';
import { fromItem, toItem } from '../../src/store/item';
import { keys } from '../../src/store/schema';
import { type LocalDynamo, newExecution, startLocalDynamo, TestClock } from './helpers';

const DAY_MS = 86_400_000;
const STATES: ExecutionState[] = ['SUBMITTED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'PUBLISHED'];

/** A legal path from SUBMITTED to each state. */
const PATH_TO: Record<ExecutionState, ExecutionState[]> = {
  SUBMITTED: [],
  RUNNING: ['RUNNING'],
  SUCCEEDED: ['RUNNING', 'SUCCEEDED'],
  FAILED: ['FAILED'],
  CANCELLED: ['CANCELLED'],
  PUBLISHED: ['RUNNING', 'SUCCEEDED', 'PUBLISHED'],
};

async function executionIn(store: ExecutionStore, state: ExecutionState, overrides = {}): Promise<string> {
  const { execution } = await store.create(newExecution(overrides));
  let current: ExecutionState = 'SUBMITTED';
  for (const next of PATH_TO[state]) {
    await store.transition(execution.id, current, next);
    current = next;
  }
  return execution.id;
}

let local: LocalDynamo;

beforeAll(async () => {
  local = await startLocalDynamo();
});

afterAll(async () => {
  await local.close();
});

describe('create', () => {
  test('writes a SUBMITTED execution that reads back field for field', async () => {
    const { store, clock } = await local.newStore();
    const input = newExecution({ scheduleId: 'sched-1', surface: 'schedule' });
    const { execution, created } = await store.create(input);

    expect(created).toBe(true);
    expect(execution.id).toMatch(EXECUTION_ID_PATTERN);
    expect(execution).toMatchObject({
      ...input,
      state: 'SUBMITTED',
      createdAt: clock.now().toISOString(),
      updatedAt: clock.now().toISOString(),
      expiresAt: Math.floor(clock.now().getTime() / 1000) + 30 * 86_400,
    });
    expect(await store.get(execution.id)).toEqual(execution);
  });

  test('20 concurrent creates with one request key make one execution, and every caller gets its id', async () => {
    const { store, tableName } = await local.newStore();
    const input = newExecution();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.create({ ...input, userId: `U${i}` })),
    );

    const ids = new Set(results.map((r) => r.execution.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const items = await local.scan(tableName);
    expect(items.filter((item) => item.sk === 'EXEC')).toHaveLength(1);
    expect(items.filter((item) => item.sk === 'REQ')).toHaveLength(1);
    // Whoever wrote the execution is the one reported as created.
    const winner = results.find((r) => r.created)!;
    expect(await store.get([...ids][0])).toEqual(winner.execution);
  });

  test('different request keys make different executions', async () => {
    const { store } = await local.newStore();
    const a = await store.create(newExecution());
    const b = await store.create(newExecution());
    expect(a.execution.id).not.toBe(b.execution.id);
    expect(b.created).toBe(true);
  });

  test('a repeated request returns the running execution in every unfinished state, and a new one once published', async () => {
    const { store } = await local.newStore();
    const input = newExecution();
    const first = await store.create(input);
    const id = first.execution.id;
    let current: ExecutionState = 'SUBMITTED';
    for (const next of PATH_TO.PUBLISHED) {
      const again = await store.create(input);
      expect(again).toMatchObject({ created: false, execution: { id, state: current } });
      await store.transition(id, current, next);
      current = next;
    }
    const after = await store.create(input);
    expect(after.created).toBe(true);
    expect(after.execution.id).not.toBe(id);
    // The lock now points at the new execution.
    expect((await store.create(input)).execution.id).toBe(after.execution.id);
  });

  test('dedupe window: within dedupeSeconds of finishing the finished execution is returned, after it a new one', async () => {
    const { store, clock } = await local.newStore();
    const input = newExecution();
    const { execution } = await store.create(input, { dedupeSeconds: 60 });
    await store.transition(execution.id, 'SUBMITTED', 'RUNNING');
    clock.advance(5_000);
    await store.transition(execution.id, 'RUNNING', 'SUCCEEDED'); // finishedAt = now
    clock.advance(1_000);
    await store.transition(execution.id, 'SUCCEEDED', 'PUBLISHED');

    clock.advance(58_000); // 59 s after finishing
    const within = await store.create(input, { dedupeSeconds: 60 });
    expect(within).toMatchObject({ created: false, execution: { id: execution.id, state: 'PUBLISHED' } });
    clock.advance(1_000); // exactly 60 s: the window is half-open
    const after = await store.create(input, { dedupeSeconds: 60 });
    expect(after.created).toBe(true);
    expect(after.execution.id).not.toBe(execution.id);
  });

  test('dedupeSeconds 0 returns a published execution never, even a moment after it finished', async () => {
    const { store } = await local.newStore();
    const input = newExecution();
    const id = await executionIn(store, 'PUBLISHED', input);
    const again = await store.create(input);
    expect(again.created).toBe(true);
    expect(again.execution.id).not.toBe(id);
  });

  test('crash after the lock was written but before the execution: the next create writes it under the locked id', async () => {
    const { store, clock, tableName } = await local.newStore();
    const input = newExecution();
    const expiresAt = Math.floor(clock.now().getTime() / 1000) + 3600;
    await local.client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: toItem({ ...keys.requestLock(input.requestKey), executionId: 'orphan000001', expiresAt }),
      }),
    );
    const result = await store.create(input);
    expect(result).toMatchObject({ created: true, execution: { id: 'orphan000001', state: 'SUBMITTED' } });
    expect(await store.get('orphan000001')).toEqual(result.execution);
    expect((await store.create(input)).execution.id).toBe('orphan000001');
  });

  test('a lock whose execution has expired, or that has expired itself, is taken over', async () => {
    const { store, clock } = await local.newStore({ retentionDays: 1 });
    const input = newExecution();
    const old = await store.create(input);
    clock.advance(DAY_MS + 1_000); // both the lock and its (unfinished) execution are past their TTL
    const fresh = await store.create(input);
    expect(fresh.created).toBe(true);
    expect(fresh.execution.id).not.toBe(old.execution.id);
  });

  test('a lock pointing at another request’s execution (an id collision) is taken over', async () => {
    const { store, clock, tableName } = await local.newStore();
    const other = await store.create(newExecution());
    const input = newExecution();
    await local.client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: toItem({
          ...keys.requestLock(input.requestKey),
          executionId: other.execution.id,
          expiresAt: Math.floor(clock.now().getTime() / 1000) + 3600,
        }),
      }),
    );
    const result = await store.create(input);
    expect(result.created).toBe(true);
    expect(result.execution.id).not.toBe(other.execution.id);
    expect(result.execution.requestKey).toBe(input.requestKey);
    expect((await store.get(other.execution.id))?.requestKey).toBe(other.execution.requestKey);
  });
});

describe('transition', () => {
  const pairs = STATES.flatMap((from) => STATES.map((to) => [from, to] as const));
  const illegal = pairs.filter(([from, to]) => !LEGAL_TRANSITIONS[from].includes(to));
  const legal = pairs.filter(([from, to]) => LEGAL_TRANSITIONS[from].includes(to));

  test('the table has 9 legal and 27 illegal pairs', () => {
    expect(legal).toHaveLength(9);
    expect(illegal).toHaveLength(27);
  });

  test.each(illegal)('%s → %s is rejected and changes nothing', async (from, to) => {
    const { store } = await local.newStore();
    const id = await executionIn(store, from);
    const before = await store.get(id);
    const attempt = store.transition(id, from, to);
    await expect(attempt).rejects.toBeInstanceOf(IllegalTransitionError);
    await expect(attempt).rejects.toMatchObject({ executionId: id, from, to, current: from });
    expect(await store.get(id)).toEqual(before);
  });

  test.each(legal)('%s → %s is accepted when the execution is in %s', async (from, to) => {
    const { store } = await local.newStore();
    const id = await executionIn(store, from);
    const after = await store.transition(id, from, to);
    expect(after.state).toBe(to);
    expect((await store.get(id))?.state).toBe(to);
  });

  test('a legal pair is rejected when the execution is no longer in `from`, carrying its current state', async () => {
    const { store } = await local.newStore();
    const id = await executionIn(store, 'RUNNING');
    await expect(store.transition(id, 'SUBMITTED', 'CANCELLED')).rejects.toMatchObject({
      code: 'ILLEGAL_TRANSITION',
      current: 'RUNNING',
    });
  });

  test('a missing execution is rejected with no current state', async () => {
    const { store } = await local.newStore();
    const attempt = store.transition('nosuchexec01', 'SUBMITTED', 'RUNNING');
    await expect(attempt).rejects.toBeInstanceOf(IllegalTransitionError);
    await expect(attempt).rejects.toMatchObject({ current: undefined });
  });

  test('two transitions racing from the same state: exactly one wins', async () => {
    const { store } = await local.newStore();
    for (let round = 0; round < 5; round++) {
      const id = await executionIn(store, 'RUNNING');
      const outcomes = await Promise.allSettled([
        store.transition(id, 'RUNNING', 'SUCCEEDED', { stats: { rows: 3 } }),
        store.transition(id, 'RUNNING', 'CANCELLED', { cancelledBy: 'U009' }),
      ]);
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o) => o.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const winner = (won[0] as PromiseFulfilledResult<{ state: ExecutionState }>).value.state;
      expect((lost[0] as PromiseRejectedResult).reason).toMatchObject({ current: winner });
      const stored = await store.get(id);
      expect(stored?.state).toBe(winner);
      // The loser's patch was not applied either.
      if (winner === 'SUCCEEDED') expect(stored?.cancelledBy).toBeUndefined();
      else expect(stored?.stats).toBeUndefined();
    }
  });

  test('sets startedAt, finishedAt, publishedAt and updatedAt from the clock, applies the patch', async () => {
    const { store, clock, tableName } = await local.newStore();
    const { execution } = await store.create(newExecution());
    const id = execution.id;

    clock.advance(1_000);
    const running = await store.transition(id, 'SUBMITTED', 'RUNNING', { engineExecutionId: 'q-1' });
    expect(running).toMatchObject({
      state: 'RUNNING',
      engineExecutionId: 'q-1',
      startedAt: clock.now().toISOString(),
      updatedAt: clock.now().toISOString(),
    });
    expect(running.finishedAt).toBeUndefined();

    clock.advance(2_000);
    const stats = { rows: 42, bytesScanned: 1_234_567, elapsedMs: 2_000, costUsd: 0, reusedResult: false };
    const succeeded = await store.transition(id, 'RUNNING', 'SUCCEEDED', { stats });
    expect(succeeded).toMatchObject({ state: 'SUCCEEDED', stats, finishedAt: clock.now().toISOString() });
    expect(succeeded.startedAt).toBe(running.startedAt);

    clock.advance(500);
    const published = await store.transition(id, 'SUCCEEDED', 'PUBLISHED', { resultRef: '1700000000.000200' });
    expect(published).toMatchObject({
      state: 'PUBLISHED',
      resultRef: '1700000000.000200',
      publishedAt: clock.now().toISOString(),
      finishedAt: succeeded.finishedAt,
    });
    // PUBLISHED leaves the sparse index: the attributes are gone from the item itself.
    const raw = await local.client.send(
      new GetItemCommand({ TableName: tableName, Key: toItem(keys.execution(id)), ConsistentRead: true }),
    );
    const item = fromItem(raw.Item!);
    expect(item.gsi2pk).toBeUndefined();
    expect(item.gsi2sk).toBeUndefined();
    expect(item.gsi1pk).toBe('CHAN#C001');
    // Internal key attributes never leak into records.
    expect(Object.keys(published)).not.toContain('pk');
  });

  test('an explicit finishedAt in the patch wins over the clock', async () => {
    const { store } = await local.newStore();
    const id = await executionIn(store, 'RUNNING');
    const failed = await store.transition(id, 'RUNNING', 'FAILED', {
      finishedAt: '2026-11-20T07:59:00.000Z',
      error: 'Athena: table not found',
    });
    expect(failed).toMatchObject({ finishedAt: '2026-11-20T07:59:00.000Z', error: 'Athena: table not found' });
  });
});

describe('patch', () => {
  test('writes the given fields and updatedAt, nothing else', async () => {
    const { store, clock } = await local.newStore();
    const id = await executionIn(store, 'RUNNING');
    clock.advance(10_000);
    const patched = await store.patch(id, { parentRef: '1700000000.000100', publishAttempts: 2 });
    expect(patched).toMatchObject({
      state: 'RUNNING',
      parentRef: '1700000000.000100',
      publishAttempts: 2,
      updatedAt: clock.now().toISOString(),
    });
    // Fields outside ExecutionPatch cannot be smuggled in.
    const sneaky = { state: 'PUBLISHED', fileRef: 'F1' } as unknown as Parameters<ExecutionStore['patch']>[1];
    expect((await store.patch(id, sneaky)).state).toBe('RUNNING');
  });

  test('with expectedState: applied while in it, rejected with the current state otherwise', async () => {
    const { store } = await local.newStore();
    const id = await executionIn(store, 'SUCCEEDED');
    await expect(store.patch(id, { resultRef: 'r1' }, 'SUCCEEDED')).resolves.toMatchObject({ resultRef: 'r1' });
    const attempt = store.patch(id, { fileRef: 'F1' }, 'RUNNING');
    await expect(attempt).rejects.toBeInstanceOf(IllegalTransitionError);
    await expect(attempt).rejects.toMatchObject({ current: 'SUCCEEDED' });
    expect((await store.get(id))?.fileRef).toBeUndefined();
  });

  test('a missing execution is an ExecutionNotFoundError, and no item is created', async () => {
    const { store, tableName } = await local.newStore();
    await expect(store.patch('nosuchexec01', { error: 'x' })).rejects.toBeInstanceOf(ExecutionNotFoundError);
    expect(await local.scan(tableName)).toEqual([]);
  });
});

describe('TTL', () => {
  test('expired executions are not returned by get, listByChannel, listUnfinished, nor moved', async () => {
    const { store, clock } = await local.newStore({ retentionDays: 1 });
    const old = await executionIn(store, 'RUNNING', { channelId: 'CTTL' });
    clock.advance(DAY_MS / 2);
    const young = await executionIn(store, 'RUNNING', { channelId: 'CTTL' });
    clock.advance(DAY_MS / 2 + 1_000); // `old` is past its TTL; dynalite never deletes expired items

    expect(await store.get(old)).toBeUndefined();
    expect(await store.get(young)).toBeDefined();
    expect((await store.listByChannel('CTTL', 10)).map((r) => r.id)).toEqual([young]);
    expect((await store.listUnfinished()).map((r) => r.id)).toEqual([young]);
    expect(await store.countActive({ channelId: 'CTTL' })).toBe(1);
    await expect(store.transition(old, 'RUNNING', 'FAILED')).rejects.toMatchObject({ current: undefined });
    await expect(store.patch(old, { error: 'late' })).rejects.toBeInstanceOf(ExecutionNotFoundError);
  });
});

describe('listUnfinished', () => {
  test('returns exactly the executions not yet PUBLISHED, oldest first', async () => {
    const { store, clock } = await local.newStore();
    const expected: string[] = [];
    for (const state of STATES) {
      clock.advance(1_000);
      const id = await executionIn(store, state);
      if (state !== 'PUBLISHED') expected.push(id);
    }
    const unfinished = await store.listUnfinished();
    expect(unfinished.map((r) => r.id)).toEqual(expected);
    expect(unfinished.map((r) => r.state)).toEqual(['SUBMITTED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']);
  });

  test('an empty table has nothing unfinished', async () => {
    const { store } = await local.newStore();
    expect(await store.listUnfinished()).toEqual([]);
  });
});

describe('listByChannel', () => {
  test('newest first, at most `limit`, only that channel', async () => {
    const { store, clock } = await local.newStore();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      clock.advance(60_000);
      ids.push(await executionIn(store, i % 2 === 0 ? 'PUBLISHED' : 'RUNNING', { channelId: 'CHIST' }));
      await executionIn(store, 'SUBMITTED', { channelId: 'COTHER' });
    }
    const newestFirst = [...ids].reverse();
    expect((await store.listByChannel('CHIST', 3)).map((r) => r.id)).toEqual(newestFirst.slice(0, 3));
    expect((await store.listByChannel('CHIST', 50)).map((r) => r.id)).toEqual(newestFirst);
    expect(await store.listByChannel('CHIST', 0)).toEqual([]);
    expect(await store.listByChannel('CNONE', 5)).toEqual([]);
    const full = await store.listByChannel('CHIST', 1);
    expect(full[0]).toEqual(await store.get(newestFirst[0]));
  });

  test('the limit counts live items: expired ones read first do not shorten the page (Limit applies before the filter)', async () => {
    const { store, clock, tableName } = await local.newStore({ retentionDays: 30 });
    const shortLived = new DynamoExecutionStore({ client: local.client, tableName, now: clock.now, retentionDays: 1 });
    const live: string[] = [];
    for (let i = 0; i < 4; i++) {
      clock.advance(1_000);
      live.push(await executionIn(store, 'SUBMITTED', { channelId: 'CMIX' }));
    }
    for (let i = 0; i < 12; i++) {
      clock.advance(1_000);
      await executionIn(shortLived, 'SUBMITTED', { channelId: 'CMIX' }); // newer, and expired below
    }
    clock.advance(2 * DAY_MS);
    expect((await store.listByChannel('CMIX', 3)).map((r) => r.id)).toEqual(live.reverse().slice(0, 3));
  });
});

describe('countActive', () => {
  test('counts unfinished executions by user, by channel, by both, and overall', async () => {
    const { store } = await local.newStore();
    await executionIn(store, 'SUBMITTED', { userId: 'UA', channelId: 'C1' });
    await executionIn(store, 'RUNNING', { userId: 'UA', channelId: 'C2' });
    await executionIn(store, 'SUCCEEDED', { userId: 'UB', channelId: 'C1' });
    await executionIn(store, 'PUBLISHED', { userId: 'UA', channelId: 'C1' });
    await executionIn(store, 'PUBLISHED', { userId: 'UB', channelId: 'C2' });

    expect(await store.countActive({ userId: 'UA' })).toBe(2);
    expect(await store.countActive({ userId: 'UB' })).toBe(1);
    expect(await store.countActive({ channelId: 'C1' })).toBe(2);
    expect(await store.countActive({ userId: 'UA', channelId: 'C1' })).toBe(1);
    expect(await store.countActive({})).toBe(3);
    expect(await store.countActive({ userId: 'UZ' })).toBe(0);
  });
});

describe('audit', () => {
  test('entries read back newest first, per channel or across channels, with a limit', async () => {
    const { store, clock } = await local.newStore();
    const entries = [
      { at: '2026-11-20T08:00:01.000Z', userId: 'U1', channelId: 'C1', action: 'denied', command: 'root' },
      {
        at: '2026-11-20T08:00:02.000Z',
        userId: 'U2',
        channelId: 'C2',
        action: 'cancel',
        command: 'sg',
        executionId: 'abc123def456',
      },
      {
        at: '2026-11-20T08:00:03.000Z',
        userId: 'U1',
        channelId: 'C1',
        action: 'schedule',
        command: 'root',
        detail: 'daily 09:00',
      },
      // Same millisecond as the previous one: both must be kept.
      { at: '2026-11-20T08:00:03.000Z', userId: 'U3', channelId: 'C1', action: 'run', command: 'logins' },
    ];
    for (const entry of entries) await store.audit(entry);

    const c1 = await store.listAudit({ channelId: 'C1' });
    expect(c1.map((e) => e.action).slice(2)).toEqual(['denied']);
    expect(new Set(c1.slice(0, 2).map((e) => e.action))).toEqual(new Set(['schedule', 'run']));
    expect(c1.find((e) => e.action === 'schedule')).toEqual(entries[2]);

    const all = await store.listAudit();
    expect(all).toHaveLength(4);
    expect(all.map((e) => e.at)).toEqual([...entries.map((e) => e.at)].sort().reverse());
    expect(all.find((e) => e.action === 'cancel')).toEqual(entries[1]);

    expect(await store.listAudit({ limit: 1 })).toHaveLength(1);
    expect(await store.listAudit({ channelId: 'C9' })).toEqual([]);

    clock.advance(31 * DAY_MS); // past the default 30-day retention
    expect(await store.listAudit()).toEqual([]);
  });

  test('entries are append-only: in no index, keyed with 16 random characters, never overwritten', async () => {
    const { store, tableName } = await local.newStore();
    const entry = { at: '2026-11-20T08:00:00.000Z', userId: 'U1', channelId: 'C1', action: 'cancel', command: 'sg' };
    await store.audit(entry);
    const [item, ...others] = (await local.scan(tableName)).filter((i) => String(i.pk).startsWith('AUDIT#'));
    expect(others).toEqual([]);
    // No gsi1pk/gsi2pk: nothing the bot's role may Query leads to an audit key (src/store/schema.ts).
    expect(Object.keys(item!).filter((k) => k.startsWith('gsi'))).toEqual([]);
    expect(item!.sk).toMatch(/^2026-11-20T08:00:00\.000Z#[0-9a-z]{16}$/);

    // The put the store sends is conditional: sent again for an existing key (a collision), it is refused and the
    // first entry stays as it was.
    const sent: unknown[] = [];
    const watched = new DynamoExecutionStore({
      client: {
        send: (command: unknown) => {
          sent.push(command);
          return (local.client.send as (c: unknown) => Promise<unknown>)(command);
        },
      } as unknown as DynamoDBClient,
      tableName,
    });
    await watched.audit({ ...entry, userId: 'U2', action: 'denied' });
    const put = sent.find((c): c is PutItemCommand => c instanceof PutItemCommand);
    const colliding = toItem({ ...fromItem(put!.input.Item!), pk: item!.pk, sk: item!.sk });
    await expect(local.client.send(new PutItemCommand({ ...put!.input, Item: colliding }))).rejects.toBeInstanceOf(
      ConditionalCheckFailedException,
    );
    const c1 = await store.listAudit({ channelId: 'C1' });
    expect(c1).toHaveLength(2);
    expect(c1.find((e) => e.userId === 'U1')).toEqual(entry);
  });
});

describe('scanned bytes', () => {
  test('concurrent additions are all counted, per user and per channel and day', async () => {
    const { store } = await local.newStore();
    const day = '2026-11-20';
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.addScannedBytes(day, i % 2 === 0 ? 'UA' : 'UB', i % 4 < 2 ? 'C1' : 'C2', 1_000 + i),
      ),
    );
    const sum = (pick: (i: number) => boolean) =>
      Array.from({ length: 20 }, (_, i) => i).reduce((s, i) => (pick(i) ? s + 1_000 + i : s), 0);
    expect(await store.scannedBytes(day, { userId: 'UA' })).toBe(sum((i) => i % 2 === 0));
    expect(await store.scannedBytes(day, { userId: 'UB' })).toBe(sum((i) => i % 2 === 1));
    expect(await store.scannedBytes(day, { channelId: 'C1' })).toBe(sum((i) => i % 4 < 2));
    expect(await store.scannedBytes(day, { channelId: 'C2' })).toBe(sum((i) => i % 4 >= 2));
    expect(await store.scannedBytes(day, {})).toBe(sum(() => true));
    expect(await store.scannedBytes('2026-11-21', { userId: 'UA' })).toBe(0);
    expect(await store.scannedBytes(day, { userId: 'UZ' })).toBe(0);
  });

  test('bad input is refused: a day not in yyyy-MM-dd, negative bytes, both user and channel', async () => {
    const { store } = await local.newStore();
    await expect(store.addScannedBytes('2026/11/20', 'U', 'C', 1)).rejects.toThrow(/yyyy-MM-dd/);
    await expect(store.addScannedBytes('2026-11-20', 'U', 'C', -1)).rejects.toThrow(/non-negative/);
    await expect(store.scannedBytes('2026-11-20', { userId: 'U', channelId: 'C' })).rejects.toThrow(/not both/);
  });
});

describe('errors', () => {
  test('a missing table is a TrailError that says how to fix it', async () => {
    const store = new DynamoExecutionStore({ client: local.client, tableName: 'no-such-table' });
    const attempt = store.get('abc');
    await expect(attempt).rejects.toBeInstanceOf(TrailError);
    await expect(attempt).rejects.toMatchObject({
      code: 'STORE_TABLE_NOT_FOUND',
      userMessage: expect.stringContaining(
        '`no-such-table` not found: create it with `trail setup` or set TRAIL_TABLE',
      ),
    });
  });

  test('retentionDays must be positive', () => {
    expect(() => new DynamoExecutionStore({ client: local.client, tableName: 'x', retentionDays: 0 })).toThrow(
      /positive/,
    );
  });

  test('a clock far from real time is fine: TTLs follow the injected clock', async () => {
    const clock = new TestClock('2031-01-01T00:00:00.000Z');
    const { store } = await local.newStore({ clock });
    const { execution } = await store.create(newExecution());
    expect(execution.expiresAt).toBe(Date.parse('2031-01-31T00:00:00.000Z') / 1000);
  });
});
