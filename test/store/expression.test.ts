import {
  allOf,
  attributeIs,
  conditionInput,
  itemExists,
  keyCondition,
  leaseFreeOrMine,
  liveAt,
  Placeholders,
  UpdateExpression,
} from '../../src/store/expression';
import { type LocalDynamo, newExecution, startLocalDynamo } from './helpers';

describe('conditions from named parts', () => {
  test('render with placeholders only: values, even hostile ones, never become expression text', () => {
    const hostile = "w1') OR attribute_exists(pk) OR ('";
    const now = new Date('2026-11-20T08:00:00.000Z');
    const input = conditionInput(allOf(itemExists(), liveAt(now), leaseFreeOrMine(hostile, now)));
    expect(input).toEqual({
      ConditionExpression:
        '(attribute_exists(#n0)) AND (#n1 > :v0) AND ((attribute_not_exists(#n2)) OR (#n2 < :v1) OR (#n3 = :v2))',
      ExpressionAttributeNames: { '#n0': 'pk', '#n1': 'expiresAt', '#n2': 'leaseUntil', '#n3': 'leaseOwner' },
      ExpressionAttributeValues: {
        ':v0': { N: String(Date.parse('2026-11-20T08:00:00.000Z') / 1000) },
        ':v1': { N: String(now.getTime()) },
        ':v2': { S: hostile },
      },
    });
  });

  test('an update and its condition share one set of placeholders; unused maps are left out', () => {
    const update = new UpdateExpression().set('state', 'RUNNING').remove('gsi2pk').add('bytes', 5);
    const condition = attributeIs('state', 'SUBMITTED')(update);
    expect(update.expression()).toBe('SET #n0 = :v0 REMOVE #n1 ADD #n2 :v1');
    expect(condition).toBe('#n0 = :v2');
    expect(update.attributes().ExpressionAttributeNames).toEqual({ '#n0': 'state', '#n1': 'gsi2pk', '#n2': 'bytes' });
    expect(new Placeholders().attributes()).toEqual({});
    // A key condition has no parentheses: the Query key-condition grammar allows none.
    expect(keyCondition(attributeIs('pk', 'a'), attributeIs('sk', 'b'))(new Placeholders())).toBe(
      '#n0 = :v0 AND #n1 = :v1',
    );
  });
});

describe('leases (leaseFreeOrMine)', () => {
  let local: LocalDynamo;
  beforeAll(async () => {
    local = await startLocalDynamo();
  });
  afterAll(() => local.close());

  test('free, renewed by its owner, refused to another until it runs out; released only by its owner', async () => {
    const { store, clock } = await local.newStore();
    const { execution } = await store.create(newExecution());
    const id = execution.id;
    expect(await store.claim(id, 'w1', 10_000)).toBe(true);
    expect(await store.claim(id, 'w2', 10_000)).toBe(false);
    expect(await store.claim(id, 'w1', 10_000)).toBe(true); // renewal
    clock.advance(10_001);
    expect(await store.claim(id, 'w2', 10_000)).toBe(true); // w1's lease ran out
    await store.release(id, 'w1'); // not the holder: nothing happens
    expect(await store.claim(id, 'w1', 10_000)).toBe(false);
    await store.release(id, 'w2');
    expect(await store.get(id)).not.toHaveProperty('leaseOwner');
    expect(await store.claim(id, 'w1', 10_000)).toBe(true);
    expect(await store.claim('nosuchexec01', 'w1', 10_000)).toBe(false);
  });
});
