import { createHash } from 'node:crypto';
import type { SlotOutcome } from '../core/execution';
import { anyOf, contains, itemExists, notExists, sizeBelow, UpdateExpression } from './expression';
import { STORE_TABLE } from './schema';
import { TableStore } from './table';

/** One limit: at most `limit` holders in `scope` at once (`user:U1`, `channel:C1`, `schedules:C1`). */
export interface SlotLimit {
  scope: string;
  limit: number;
}

const slotKey = (scope: string) => ({ pk: `SLOTS#${scope}`, sk: 'SLOTS' });
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
      const update = new UpdateExpression().deleteFromSet('holders', { SS: [holder] }).remove(takenAtName(holder));
      await this.applied(() =>
        this.updateIf(`slots of ${scope} exist`, slotKey(scope), update, itemExists(), {
          returns: 'NONE',
          carryItem: false,
        }),
      );
    }
  }

  /** Current holders of a scope (consistent read). */
  async holders(scope: string): Promise<string[]> {
    return (await this.read(scope)).map((h) => h.holder);
  }

  private async read(scope: string): Promise<{ holder: string; takenAt: number }[]> {
    const item = await this.readItem(slotKey(scope));
    // util-dynamodb reads a string set as a Set (item.ts).
    const holders = item?.holders instanceof Set ? [...(item.holders as Set<string>)] : [];
    return holders.map((holder) => ({ holder, takenAt: Number(item?.[takenAtName(holder)] ?? 0) }));
  }

  private take(holder: string, limit: SlotLimit): Promise<boolean> {
    const update = new UpdateExpression()
      .add('holders', { SS: [holder] })
      // The TTL moves with every take, so a scope nobody uses any more expires with the rest of the table.
      .set(STORE_TABLE.ttlAttribute, this.expiresAt())
      .setIfNotExists(takenAtName(holder), this.now().getTime());
    const room = anyOf(notExists('holders'), sizeBelow('holders', limit.limit), contains('holders', holder));
    return this.applied(() =>
      this.updateIf(`a free slot in ${limit.scope}`, slotKey(limit.scope), update, room, {
        returns: 'NONE',
        carryItem: false,
      }),
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
