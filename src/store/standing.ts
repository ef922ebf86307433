/**
 * What schedules and watches share: a standing question is one item, listed in its own partition of gsi1 while it is
 * active (sort key `dueKey`, so the due ones are a key-range query); a run is claimed by moving `nextRunAt` from the
 * value the claimer read, so of several replicas one wins; unscheduling is a soft delete (the bot's role has no
 * DeleteItem): the item leaves the index and expires after the retention period.
 */
import type { StandingState } from '../core/schedule';
import {
  allOf,
  attributeAtMost,
  attributeIs,
  type Condition,
  itemExists,
  notExists,
  UpdateExpression,
} from './expression';
import { keys, STORE_TABLE } from './schema';
import { dueKey, type Key, TableStore } from './table';

/** Writes whose failure needs no item back: the caller only asks whether it applied. */
export const NO_ITEM = { carryItem: false } as const;
/** The item exists and was not unscheduled. */
export const active = (): Condition => allOf(itemExists(), notExists('deletedAt'));
/** Above every character an id uses, so `<ISO>#~` sorts after `<ISO>#<any id>`. */
const AFTER_ANY_ID = '~';

export abstract class StandingStore<T extends StandingState> extends TableStore {
  /** `schedule` or `watch` (in the guards' words), its gsi1 partition, its item's key, and the item read back. */
  protected abstract readonly standing: {
    what: string;
    partition: string;
    key: (id: string) => Key;
    from: (value: Record<string, unknown>) => T;
  };

  /** An active one (consistent read); undefined when missing or unscheduled. */
  async get(id: string): Promise<T | undefined> {
    const value = await this.readItem(this.standing.key(id));
    return value && value.deletedAt === undefined ? this.standing.from(value) : undefined;
  }

  /** Every active one, soonest next run first. */
  async listAll(): Promise<T[]> {
    return (await this.queryStanding(this.standing.partition)).map(this.standing.from);
  }

  /** A channel's active ones, soonest next run first. */
  async listByChannel(channelId: string): Promise<T[]> {
    const filter = attributeIs('channelId', channelId);
    return (await this.queryStanding(this.standing.partition, { filter })).map(this.standing.from);
  }

  /** Active ones whose next run is at or before `now` (eventually consistent; claims decide). */
  async listDue(now: Date): Promise<T[]> {
    const due = attributeAtMost(STORE_TABLE.indexes.channelHistory.sortKey, `${now.toISOString()}#${AFTER_ANY_ID}`);
    return (await this.queryStanding(this.standing.partition, { range: due })).map(this.standing.from);
  }

  /**
   * Takes over a claim whose run never started (its claimer died between claiming and creating the execution):
   * moves `lastClaimedAt` from the value read to now, so of several recovering replicas one wins.
   */
  async retakeClaim(read: T): Promise<boolean> {
    if (read.lastRunAt === undefined || read.lastClaimedAt === undefined) return false;
    const update = new UpdateExpression().set('lastClaimedAt', this.now().toISOString());
    const claimAsRead = allOf(
      active(),
      attributeIs('lastRunAt', read.lastRunAt),
      attributeIs('lastClaimedAt', read.lastClaimedAt),
    );
    return this.applied(() =>
      this.updateIf(`claim of ${read.id} unchanged`, this.standing.key(read.id), update, claimAsRead, NO_ITEM),
    );
  }

  /**
   * The execution id the runner recorded for a request key, if it ever created one: the request lock item
   * (`REQ#<requestKey>`, schema.ts) points to it. Lets recovery tell "the run's execution exists" (the runner resumes
   * it) from "the claimer died before creating it" (run it now) without a second source of truth.
   */
  async executionIdFor(requestKey: string): Promise<string | undefined> {
    const id = (await this.readItem(keys.requestLock(requestKey)))?.executionId;
    return typeof id === 'string' ? id : undefined;
  }

  /**
   * The first half of a claim: moves `read` past `claim.slot` if its `nextRunAt` is still what the caller read.
   * Returns the item as it now is, or undefined when another claimer won or it was unscheduled. The caller then
   * records its `RUN#<slot>` item.
   */
  protected async advance(
    read: T,
    claim: { slot: string; nextRunAt: string; windowStart: string },
    now: string,
  ): Promise<Record<string, unknown> | undefined> {
    const update = new UpdateExpression()
      .set('nextRunAt', claim.nextRunAt)
      .set('lastRunAt', claim.slot)
      .set('lastWindowStart', claim.windowStart)
      .set('lastClaimedAt', now)
      .set('updatedAt', now)
      .set(STORE_TABLE.indexes.channelHistory.sortKey, dueKey(claim.nextRunAt, read.id));
    const stillAsRead = allOf(active(), attributeIs('nextRunAt', read.nextRunAt));
    let advanced: Record<string, unknown> | undefined;
    const won = await this.applied(async () => {
      advanced = await this.updateIf(
        `${this.standing.what} ${read.id} still due at ${read.nextRunAt}`,
        this.standing.key(read.id),
        update,
        stillAsRead,
        NO_ITEM,
      );
    });
    return won ? advanced : undefined;
  }

  /** Unschedules (a soft delete). Returns the item as it was, or undefined when there was no active one. */
  protected async softDelete(id: string, by: string): Promise<Record<string, unknown> | undefined> {
    const { partitionKey, sortKey } = STORE_TABLE.indexes.channelHistory;
    const update = new UpdateExpression()
      .set('deletedAt', this.now().toISOString())
      .set('deletedBy', by)
      .set(STORE_TABLE.ttlAttribute, this.expiresAt())
      .remove(partitionKey)
      .remove(sortKey);
    let before: Record<string, unknown> | undefined;
    await this.applied(async () => {
      before = await this.updateIf(`${this.standing.what} ${id} is active`, this.standing.key(id), update, active(), {
        ...NO_ITEM,
        returns: 'ALL_OLD',
      });
    });
    return before;
  }
}
