/**
 * Saved questions (issue 17 item 6) on the store's single table (schema.ts), with the ExecutionStore's client. Only
 * GetItem, PutItem, UpdateItem and Query, as for schedules (the bot's role has no DeleteItem and no Scan).
 *
 * | item  | pk        | sk              | other attributes                                                           |
 * |-------|-----------|-----------------|----------------------------------------------------------------------------|
 * | alias | `ALIASES` | `ALIAS#<name>`  | the Alias fields; no TTL while live. `unalias` sets `deletedAt`,           |
 * |       |           |                 | `deletedBy` and `expiresAt` (a soft delete, since there is no DeleteItem)  |
 *
 * Aliases are bot-wide (a name must not shadow a command anywhere), so they share one partition: listing them is one
 * Query, and a bot has a few dozen at most. Every write is conditional on what its writer read: a create only where
 * the name is free (or was removed), a replacement only while the alias is at the version read, a removal only while
 * it is live, so two admins changing the same alias at once cannot both win (one is told it changed meanwhile).
 */
import { type Alias, AliasChangedError, type AliasStore, type AliasWrite } from '../core/alias';
import {
  allOf,
  anyOf,
  attributeIs,
  exists,
  itemExists,
  itemIsNew,
  keyCondition,
  notExists,
  Placeholders,
  UpdateExpression,
} from './expression';
import { fromItem } from './item';
import { STORE_TABLE } from './schema';
import { TableStore } from './table';

/** The partition holding every alias. */
export const ALIASES_PARTITION = 'ALIASES';
const SK_PREFIX = 'ALIAS#';
const aliasKey = (name: string) => ({ pk: ALIASES_PARTITION, sk: `${SK_PREFIX}${name}` });
const NO_ITEM = { carryItem: false } as const;

export class DynamoAliasStore extends TableStore implements AliasStore {
  async get(name: string): Promise<Alias | undefined> {
    const item = await this.readItem(aliasKey(name));
    return item && item.deletedAt === undefined ? toAlias(item) : undefined;
  }

  async list(): Promise<Alias[]> {
    const x = new Placeholders();
    const KeyConditionExpression = keyCondition(attributeIs(STORE_TABLE.partitionKey, ALIASES_PARTITION))(x);
    const FilterExpression = notExists('deletedAt')(x);
    const aliases: Alias[] = [];
    // Consistent: the dispatcher refreshes its copy from this right after a change, and must see that change.
    for await (const page of this.queryPages({
      KeyConditionExpression,
      FilterExpression,
      ConsistentRead: true,
      ...x.attributes(),
    })) {
      for (const item of page.Items ?? []) aliases.push(toAlias(fromItem(item)));
    }
    return aliases.sort((a, b) => a.name.localeCompare(b.name));
  }

  async put(write: AliasWrite, expected?: Pick<Alias, 'version'>): Promise<Alias> {
    const alias: Alias = {
      name: write.name,
      text: write.text,
      command: write.command,
      setBy: write.setBy,
      setAt: this.now().toISOString(),
      version: expected ? expected.version + 1 : 1,
    };
    // A PutItem replaces the whole item, so a removed alias's `deletedAt` and TTL go with it.
    const condition = expected
      ? allOf(itemExists(), notExists('deletedAt'), attributeIs('version', expected.version))
      : anyOf(itemIsNew(), exists('deletedAt'));
    const guard = expected ? `alias ${write.name} is at version ${expected.version}` : `alias ${write.name} is free`;
    const written = await this.applied(() =>
      this.putIf(guard, { ...aliasKey(write.name), ...alias }, condition, NO_ITEM),
    );
    if (!written) throw new AliasChangedError(write.name);
    return alias;
  }

  async remove(name: string, by: string): Promise<Alias | undefined> {
    const update = new UpdateExpression()
      .set('deletedAt', this.now().toISOString())
      .set('deletedBy', by)
      .set(STORE_TABLE.ttlAttribute, this.expiresAt());
    let before: Record<string, unknown> | undefined;
    await this.applied(async () => {
      before = await this.updateIf(
        `alias ${name} is live`,
        aliasKey(name),
        update,
        allOf(itemExists(), notExists('deletedAt')),
        {
          ...NO_ITEM,
          returns: 'ALL_OLD',
        },
      );
    });
    return before ? toAlias(before) : undefined;
  }
}

function toAlias(item: Record<string, unknown>): Alias {
  return {
    name: String(item.name),
    text: String(item.text),
    command: String(item.command),
    setBy: String(item.setBy),
    setAt: String(item.setAt),
    version: Number(item.version),
  };
}
