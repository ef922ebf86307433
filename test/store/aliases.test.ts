/**
 * The alias store (src/store/aliases.ts) against a real dynalite over HTTP: conditional create and replace, the soft
 * remove, and listing only live aliases.
 */
import { AliasChangedError } from '../../src/core/alias';
import { DynamoAliasStore } from '../../src/store/aliases';
import { type LocalDynamo, startLocalDynamo, TestClock } from './helpers';

let dynamo: LocalDynamo;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});

afterAll(async () => {
  await dynamo.close();
});

async function setup() {
  const clock = new TestClock('2026-11-20T08:00:00.000Z');
  const { tableName } = await dynamo.newStore({ clock });
  const aliases = new DynamoAliasStore({ client: dynamo.client, tableName, now: clock.now });
  return { aliases, clock, tableName };
}

const PROD_SG = { name: 'prod-sg', text: 'sg sg-5887f224 account:111122223333', command: 'sg', setBy: 'U0LEAD' };

test('create: stored with who and when, version 1; a second create of the same name is refused', async () => {
  const { aliases } = await setup();
  const created = await aliases.put(PROD_SG);
  expect(created).toEqual({ ...PROD_SG, setAt: '2026-11-20T08:00:00.000Z', version: 1 });
  expect(await aliases.get('prod-sg')).toEqual(created);
  await expect(aliases.put({ ...PROD_SG, text: 'root', command: 'root', setBy: 'U0OTHER' })).rejects.toBeInstanceOf(
    AliasChangedError,
  );
  expect(await aliases.get('prod-sg')).toEqual(created);
});

test('replace: only at the version read; a writer holding a stale version loses', async () => {
  const { aliases, clock } = await setup();
  const v1 = await aliases.put(PROD_SG);
  clock.advance(60_000);
  const v2 = await aliases.put({ ...PROD_SG, text: 'sg sg-5887f224 --all', setBy: 'U0SECOND' }, v1);
  expect(v2).toMatchObject({ version: 2, setBy: 'U0SECOND', setAt: '2026-11-20T08:01:00.000Z' });
  // Another admin read v1 too and replaces after: refused, v2 stays.
  await expect(aliases.put({ ...PROD_SG, text: 'root', command: 'root' }, v1)).rejects.toBeInstanceOf(
    AliasChangedError,
  );
  expect(await aliases.get('prod-sg')).toEqual(v2);
  // Replacing one that does not exist is refused as well (it was removed since it was read).
  await expect(aliases.put({ ...PROD_SG, name: 'missing' }, v1)).rejects.toBeInstanceOf(AliasChangedError);
});

test('remove: gone from get and list, removed once, and the name can be used again', async () => {
  const { aliases } = await setup();
  const kept = await aliases.put({ ...PROD_SG, name: 'a-kept', text: 'root', command: 'root' });
  const removed = await aliases.put(PROD_SG);
  expect(await aliases.remove('prod-sg', 'U0LEAD')).toEqual(removed);
  expect(await aliases.remove('prod-sg', 'U0LEAD')).toBeUndefined();
  expect(await aliases.remove('never-set', 'U0LEAD')).toBeUndefined();
  expect(await aliases.get('prod-sg')).toBeUndefined();
  expect(await aliases.list()).toEqual([kept]);
  // A replacement conditioned on the removed alias's version must not bring it back.
  await expect(aliases.put(PROD_SG, removed)).rejects.toBeInstanceOf(AliasChangedError);
  const again = await aliases.put({ ...PROD_SG, setBy: 'U0AGAIN' });
  expect(again).toMatchObject({ version: 1, setBy: 'U0AGAIN' });
  expect((await aliases.list()).map((a) => a.name)).toEqual(['a-kept', 'prod-sg']);
});

test('a removed alias expires (TTL) instead of being deleted: the bot has no DeleteItem', async () => {
  const { aliases, tableName } = await setup();
  await aliases.put(PROD_SG);
  await aliases.remove('prod-sg', 'U0LEAD');
  const items = await dynamo.scan(tableName);
  const item = items.find((i) => i.sk === 'ALIAS#prod-sg');
  expect(item).toMatchObject({ deletedBy: 'U0LEAD', deletedAt: '2026-11-20T08:00:00.000Z' });
  expect(item?.expiresAt).toBeGreaterThan(Date.parse('2026-11-20T08:00:00.000Z') / 1000);
});
