/**
 * The audit trail: who ran, cancelled, scheduled or was refused what, where. Entries live in the store's table under
 * `AUDIT#<channel>` and are append-only for the bot (src/store/schema.ts explains how, infra/lib/bot-permissions.ts
 * grants it): written with a conditional put, in no index, under keys the bot's role cannot read back.
 */
import { ScanCommand, type ScanCommandInput } from '@aws-sdk/client-dynamodb';
import type { AuditEntry } from '../core/execution';
import { epochSeconds, itemIsNew } from './expression';
import { randomSuffix } from './ids';
import { fromItem, type Item, toAttribute } from './item';
import { AUDIT_PREFIX, AUDIT_SUFFIX_CHARS, keys, STORE_TABLE } from './schema';
import { TableStore } from './table';

export class AuditTrail extends TableStore {
  /** Adds an entry; never replaces one, not even on a (practically impossible) key collision. */
  async append(entry: AuditEntry): Promise<void> {
    const key = keys.audit(entry.channelId, entry.at, randomSuffix(AUDIT_SUFFIX_CHARS));
    const item = {
      ...key,
      at: entry.at,
      userId: entry.userId,
      channelId: entry.channelId,
      action: entry.action,
      command: entry.command,
      detail: entry.detail,
      executionId: entry.executionId,
      expiresAt: this.expiresAt(this.now()),
    };
    // No item back on a collision: the bot's role may not read audit entries (infra/lib/bot-permissions.ts).
    await this.putIf('audit key is unused', item, itemIsNew(), { carryItem: false });
  }

  /**
   * Newest first; one channel's entries (a Query), or every channel's (a Scan of the `AUDIT#` items). Default limit
   * 50. For people and tools holding their own credentials: the bot's role may read neither.
   */
  async list(options: { channelId?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    const limit = options.limit ?? 50;
    const items = options.channelId !== undefined ? await this.ofChannel(options.channelId, limit) : await this.all();
    return items.slice(0, limit).map(toEntry);
  }

  private async ofChannel(channelId: string, limit: number): Promise<Item[]> {
    const items: Item[] = [];
    if (limit <= 0) return items;
    const pages = this.queryPages({
      KeyConditionExpression: '#pk = :pk',
      // Expired items linger for up to two days on AWS and forever in dynalite (DynamoDB Developer Guide, "Time to
      // Live"; dynalite has no TTL deletion).
      FilterExpression: '#ttl > :ttlNow',
      ExpressionAttributeNames: { '#pk': STORE_TABLE.partitionKey, '#ttl': STORE_TABLE.ttlAttribute },
      ExpressionAttributeValues: {
        ':pk': toAttribute(keys.audit(channelId, '', '').pk),
        ':ttlNow': toAttribute(epochSeconds(this.now())),
      },
      ScanIndexForward: false,
    });
    for await (const page of pages) {
      items.push(...(page.Items ?? []));
      if (items.length >= limit) break;
    }
    return items;
  }

  /** Every live entry of every channel, newest first: a Scan reads the whole table, the only way with no index. */
  private async all(): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: ScanCommandInput['ExclusiveStartKey'];
    do {
      const page = await this.call(() =>
        this.client.send(
          new ScanCommand({
            TableName: this.tableName,
            FilterExpression: 'begins_with(#pk, :audit) AND #ttl > :ttlNow',
            ExpressionAttributeNames: { '#pk': STORE_TABLE.partitionKey, '#ttl': STORE_TABLE.ttlAttribute },
            ExpressionAttributeValues: {
              ':audit': toAttribute(AUDIT_PREFIX),
              ':ttlNow': toAttribute(epochSeconds(this.now())),
            },
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    // Sort keys are `<ISO time>#<random>`: fixed-width times, so text order is time order.
    const sortKey = (item: Item) => String(fromItem(item)[STORE_TABLE.sortKey]);
    return items.sort((a, b) => (sortKey(a) < sortKey(b) ? 1 : sortKey(a) > sortKey(b) ? -1 : 0));
  }
}

function toEntry(item: Item): AuditEntry {
  const value = fromItem(item);
  const entry: AuditEntry = {
    at: String(value.at),
    userId: String(value.userId),
    channelId: String(value.channelId),
    action: String(value.action),
    command: String(value.command),
  };
  if (typeof value.detail === 'string') entry.detail = value.detail;
  if (typeof value.executionId === 'string') entry.executionId = value.executionId;
  return entry;
}
