import { createHash } from 'node:crypto';
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { SlotOutcome } from '../core/execution';
import { toAttribute, toItem } from './marshal';
import { STORE_TABLE } from './schema';
import { TableStore } from './table';

/** One limit: at most `limit` holders in `scope` at once (`user:U1`, `channel:C1`, `schedules:C1`). */
export interface SlotLimit {
  scope: string;
  limit: number;
}

const slotKey = (scope: string) => ({ [STORE_TABLE.partitionKey]: `SLOTS#${scope}`, [STORE_TABLE.sortKey]: 'SLOTS' });
/** When a holder took its slot, kept beside the set (one attribute per holder) so a fresh holder is never reaped. */
const takenAtName = (holder: string) => `at_${createHash('sha256').update(holder).digest('hex').slice(0, 20)}`;
/**
 * A holder younger than this is active whatever `isActive` says: between taking a slot and writing its execution
 * there is a moment when nothing else shows it exists.
 */
const GRACE_MS = 120_000;

/**
 * Concurrency limits as conditional counter items, exact across processes and replicas. Each scope is one item whose
 * string set `holders` names who holds a slot; taking one is a single UpdateItem, `ADD holders :me` conditioned on
 * `size(holders) < :limit` (or already holding it). DynamoDB applies a conditional update atomically to the item, so
 * of two simultaneous takers of the last slot exactly one wins, on any replica. Counting through the sparse index
 * could not promise that: "all reads from a GSI are eventually consistent" (DynamoDB Developer Guide, "Read
 * consistency"), so a burst read counts that do not include each other yet.
 *
 * A set rather than a number: taking and giving back are idempotent (a retried request, a duplicate question, a
 * release after a crash), so the count cannot drift. A holder that was never given back (the process died) is found
 * when the limit refuses someone: `isActive` is asked about each holder older than two minutes and the stale ones
 * are removed, then the take is tried once more.
 */
export class SlotCounters extends TableStore {
  /** Takes a slot in every scope, or none: on a refusal the slots already taken are given back. */
  async acquire(
    holder: string,
    limits: SlotLimit[],
    isActive: (holder: string) => Promise<boolean>,
  ): Promise<SlotOutcome> {
    const taken: string[] = [];
    for (const limit of limits) {
      let ok = await this.take(holder, limit);
      if (!ok) {
        await this.reconcile(limit.scope, holder, isActive);
        ok = await this.take(holder, limit);
      }
      if (!ok) {
        await this.release(holder, taken);
        return { ok: false, scope: limit.scope, limit: limit.limit, holders: (await this.holders(limit.scope)).length };
      }
      taken.push(limit.scope);
    }
    return { ok: true };
  }

  /** Gives the slots back (idempotent: a holder that is not there changes nothing). */
  async release(holder: string, scopes: string[]): Promise<void> {
    for (const scope of scopes) {
      await this.conditional(() =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: toItem(slotKey(scope)),
            UpdateExpression: 'DELETE #holders :me REMOVE #at',
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: {
              '#holders': 'holders',
              '#pk': STORE_TABLE.partitionKey,
              '#at': takenAtName(holder),
            },
            ExpressionAttributeValues: { ':me': { SS: [holder] } },
          }),
        ),
      );
    }
  }

  /** Current holders of a scope (consistent read). */
  async holders(scope: string): Promise<string[]> {
    return (await this.read(scope)).map((h) => h.holder);
  }

  private async read(scope: string): Promise<{ holder: string; takenAt: number }[]> {
    const out = await this.call(() =>
      this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: toItem(slotKey(scope)), ConsistentRead: true }),
      ),
    );
    const item = out.Item;
    return (item?.holders?.SS ?? []).map((holder) => ({
      holder,
      takenAt: Number(item?.[takenAtName(holder)]?.N ?? 0),
    }));
  }

  private take(holder: string, limit: SlotLimit): Promise<boolean> {
    return this.conditional(() =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: toItem(slotKey(limit.scope)),
          // The TTL moves with every take, so a scope nobody uses any more expires with the rest of the table.
          UpdateExpression: 'ADD #holders :me SET #exp = :exp, #at = if_not_exists(#at, :now)',
          ConditionExpression: 'attribute_not_exists(#holders) OR size(#holders) < :limit OR contains(#holders, :one)',
          ExpressionAttributeNames: {
            '#holders': 'holders',
            '#exp': STORE_TABLE.ttlAttribute,
            '#at': takenAtName(holder),
          },
          ExpressionAttributeValues: {
            ':me': { SS: [holder] },
            ':one': toAttribute(holder),
            ':limit': toAttribute(limit.limit),
            ':exp': toAttribute(this.expiresAt()),
            ':now': toAttribute(this.now().getTime()),
          },
        }),
      ),
    );
  }

  private async reconcile(scope: string, keep: string, isActive: (holder: string) => Promise<boolean>): Promise<void> {
    const stale: string[] = [];
    const now = this.now().getTime();
    for (const { holder, takenAt } of await this.read(scope)) {
      if (holder === keep || now - takenAt < GRACE_MS) continue;
      if (!(await isActive(holder))) stale.push(holder);
    }
    for (const holder of stale) await this.release(holder, [scope]);
  }
}
