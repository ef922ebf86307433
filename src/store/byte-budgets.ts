/**
 * Bytes scanned per UTC day, per user and per channel (`BYTES#<day>`, schema.ts), for the cost budget. Counters grow
 * with an atomic `ADD`, so concurrent finishes never lose bytes.
 */
import { attributeIs, beginsWith, epochSeconds, keyCondition, Placeholders, UpdateExpression } from './expression';
import { fromItem } from './item';
import { keys, STORE_TABLE } from './schema';
import { type Key, TableStore } from './table';

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

export class ByteBudgets extends TableStore {
  /** Adds to the user's and the channel's counters of `day`. */
  async add(day: string, userId: string, channelId: string, bytes: number): Promise<void> {
    checkDay(day);
    if (!Number.isFinite(bytes) || bytes < 0) throw new TypeError(`scanned bytes must be a non-negative number`);
    if (bytes === 0) return;
    const expiresAt = this.expiresAt(this.now());
    const add = (key: Key) =>
      this.updateAlways(key, new UpdateExpression().add('bytes', bytes).set(STORE_TABLE.ttlAttribute, expiresAt));
    await Promise.all([add(keys.scannedBytesUser(day, userId)), add(keys.scannedBytesChannel(day, channelId))]);
  }

  /** One user's or one channel's bytes on a UTC day (`yyyy-MM-dd`); with neither, the day's total over all users. */
  async scanned(day: string, who: { userId?: string; channelId?: string }): Promise<number> {
    checkDay(day);
    if (who.userId !== undefined && who.channelId !== undefined) {
      throw new TypeError('scannedBytes: pass userId or channelId, not both');
    }
    const nowSeconds = epochSeconds(this.now());
    const bytesOf = (value: Record<string, unknown> | undefined) =>
      value && Number(value.expiresAt) > nowSeconds ? Number(value.bytes ?? 0) : 0;
    if (who.userId !== undefined) return bytesOf(await this.readItem(keys.scannedBytesUser(day, who.userId)));
    if (who.channelId !== undefined) return bytesOf(await this.readItem(keys.scannedBytesChannel(day, who.channelId)));
    const users = keys.scannedBytesUser(day, '');
    const x = new Placeholders();
    const KeyConditionExpression = keyCondition(
      attributeIs(STORE_TABLE.partitionKey, users.pk),
      beginsWith(STORE_TABLE.sortKey, users.sk),
    )(x);
    let total = 0;
    for await (const page of this.queryPages({ KeyConditionExpression, ...x.attributes(), ConsistentRead: true })) {
      for (const item of page.Items ?? []) total += bytesOf(fromItem(item));
    }
    return total;
  }
}

function checkDay(day: string): void {
  if (!DAY_PATTERN.test(day)) throw new TypeError(`day must be a UTC day as yyyy-MM-dd, got ${JSON.stringify(day)}`);
}
