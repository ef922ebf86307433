/**
 * Schedules on the store's single table (schema.ts), with the same DynamoDBClient as the ExecutionStore. Only
 * GetItem, PutItem, UpdateItem and Query: the permissions the bot's role has (no DeleteItem, no Scan, no
 * transactions, which dynalite lacks anyway: TransactWriteItems is not among the operations in its README).
 *
 * | item             | pk                   | sk               | other attributes                                          |
 * |------------------|----------------------|------------------|-----------------------------------------------------------|
 * | schedule         | `SCHED#<scheduleId>` | `SCHED`          | the Schedule fields; while active `gsi1pk = SCHED#ALL`,    |
 * |                  |                      |                  | `gsi1sk = <nextRunAt ISO>#<scheduleId>`; no TTL while      |
 * |                  |                      |                  | active. Unscheduling sets `deletedAt` and `expiresAt` and  |
 * |                  |                      |                  | REMOVEs `gsi1pk`/`gsi1sk` (a soft delete: no DeleteItem)   |
 * | claimed run      | `SCHED#<scheduleId>` | `RUN#<slot ISO>` | the ScheduleRun fields; `expiresAt` (TTL)                  |
 *
 * Index use: `gsi1` partition `SCHED#ALL` holds every active schedule sorted by its next run, so "what is due" is one
 * Query with `gsi1sk <= <now>#~` and "a channel's schedules" is the same partition filtered on `channelId` (a
 * channel has at most a few dozen, the whole bot a few hundred: one partition is plenty). GSI reads are eventually
 * consistent (DynamoDB Developer Guide, "Read consistency"), so a listed schedule may be a moment stale; every write
 * that matters is conditioned on what its writer read, so a stale read can only lose a race, never win it twice.
 *
 * Claiming a run (`claimRun`) is two conditional writes:
 * 1. UpdateItem on the schedule: `nextRunAt := the slot after the claimed one`, conditioned on `nextRunAt` still
 *    being the value this claimer read (and the schedule not deleted). This is the arbiter: of several replicas that
 *    read the same schedule, exactly one write succeeds.
 * 2. PutItem of `RUN#<slot>` with `attribute_not_exists(pk)`: the record of the run (window, request key, result),
 *    and a second guard: a slot that already has a run item is never run again.
 * The schedule is advanced first because it is the value every claimer conditions on; a run item written first by a
 * claimer holding a stale copy could be left behind claiming a slot nobody ran. A crash between claim and start is
 * repaired by the scheduler's recovery (src/scheduler/scheduler.ts), which looks the run's request key up below.
 */

import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type QueryCommandInput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  type NewSchedule,
  type RunClaim,
  type Schedule,
  ScheduleLimitError,
  type ScheduleResult,
  type ScheduleRun,
  type ScheduleStore as ScheduleStorePort,
} from '../core/schedule';
import { newExecutionId } from './ids';
import { fromItem, type Item, type JsonValue, toAttribute, toItem } from './marshal';
import { keys, STORE_TABLE } from './schema';
import { SlotCounters } from './slots';
import { epochSeconds, TableStore } from './table';

/** `gsi1pk` of every active schedule. */
export const SCHEDULES_ALL = 'SCHED#ALL';
/** Above every character a schedule id uses, so `<ISO>#~` sorts after `<ISO>#<any id>`. */
const AFTER_ANY_ID = '~';
const RUN_PREFIX = 'RUN#';

export interface ScheduleStoreOptions {
  /** The ExecutionStore's client (`openStore(...).client`); never created or destroyed here. */
  client: DynamoDBClient;
  tableName: string;
  now?: () => Date;
  /** Run items, and unscheduled schedules, expire (TTL) this many days after they were written. Default 30. */
  retentionDays?: number;
}

/** The slot scope of a channel's schedules (src/store/slots.ts). */
const scheduleScope = (channelId: string) => `schedules:${channelId}`;

export class ScheduleStore extends TableStore implements ScheduleStorePort {
  private readonly slots = new SlotCounters({ client: this.client, tableName: this.tableName, now: this.now });

  /**
   * Writes a new schedule. With `maxPerChannel`, refuses (ScheduleLimitError) when the channel already has that many,
   * counted with a conditional counter item (src/store/slots.ts), so the limit holds when two replicas create at once.
   */
  async create(input: NewSchedule, options: { maxPerChannel?: number } = {}): Promise<Schedule> {
    for (let attempt = 0; ; attempt++) {
      const now = this.now();
      const id = newExecutionId(now);
      const scope = scheduleScope(input.channelId);
      if (options.maxPerChannel !== undefined) {
        const slot = await this.slots.acquire(id, [{ scope, limit: options.maxPerChannel }], async (holder) =>
          Boolean(await this.get(holder)),
        );
        if (!slot.ok) throw new ScheduleLimitError(input.channelId, options.maxPerChannel);
      }
      const schedule: Schedule = {
        id,
        channelId: input.channelId,
        createdBy: input.createdBy,
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
        command: input.command,
        commandText: input.commandText,
        cadence: input.cadence,
        timeZone: input.timeZone,
        nextRunAt: input.nextRunAt,
      };
      const written = await this.conditionalResult(() =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: toItem({
              ...keys.schedule(id),
              gsi1pk: SCHEDULES_ALL,
              gsi1sk: dueKey(schedule.nextRunAt, id),
              ...schedule,
            }),
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': STORE_TABLE.partitionKey },
          }),
        ),
      );
      if (written) return schedule;
      if (options.maxPerChannel !== undefined) await this.slots.release(id, [scope]);
      // 4 random characters per millisecond: a collision is rare, two in a row rarer still.
      if (attempt >= 4) throw new Error('could not find a free schedule id');
    }
  }

  /** An active schedule (consistent read); undefined when missing or unscheduled. */
  async get(id: string): Promise<Schedule | undefined> {
    const result = await this.call(() =>
      this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: toItem(keys.schedule(id)), ConsistentRead: true }),
      ),
    );
    if (!result.Item) return undefined;
    const value = fromItem(result.Item);
    if (value.deletedAt !== undefined) return undefined;
    return toSchedule(value);
  }

  /** Every active schedule, soonest next run first. */
  async listAll(): Promise<Schedule[]> {
    return (await this.queryActive({})).map(toSchedule);
  }

  /** A channel's active schedules, soonest next run first. */
  async listByChannel(channelId: string): Promise<Schedule[]> {
    const items = await this.queryActive({
      FilterExpression: '#channel = :channel',
      ExpressionAttributeNames: { '#channel': 'channelId' },
      ExpressionAttributeValues: { ':channel': toAttribute(channelId) },
    });
    return items.map(toSchedule);
  }

  /** Active schedules whose next run is at or before `now` (eventually consistent; claims decide). */
  async listDue(now: Date): Promise<Schedule[]> {
    const items = await this.queryActive({
      KeyCondition: '#sk <= :due',
      ExpressionAttributeValues: { ':due': toAttribute(`${now.toISOString()}#${AFTER_ANY_ID}`) },
    });
    return items.map(toSchedule);
  }

  /**
   * Claims one run of `read` (the schedule as the caller read it): advances the schedule past `claim.slot` if its
   * `nextRunAt` is still what the caller read, then records the `RUN#<slot>` item. Returns the updated schedule, or
   * undefined when another claimer won, the schedule was unscheduled, or the slot already has a run.
   */
  async claimRun(read: Schedule, claim: RunClaim): Promise<Schedule | undefined> {
    const now = this.now().toISOString();
    const advanced = await this.conditionalResult(() =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: toItem(keys.schedule(read.id)),
          UpdateExpression:
            'SET #next = :next, #last = :slot, #lastWindow = :windowStart, #claimedAt = :now, #updated = :now, #gsk = :gsk',
          ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#deleted) AND #next = :expected',
          ExpressionAttributeNames: {
            '#pk': STORE_TABLE.partitionKey,
            '#deleted': 'deletedAt',
            '#next': 'nextRunAt',
            '#last': 'lastRunAt',
            '#lastWindow': 'lastWindowStart',
            '#claimedAt': 'lastClaimedAt',
            '#updated': 'updatedAt',
            '#gsk': STORE_TABLE.indexes.channelHistory.sortKey,
          },
          ExpressionAttributeValues: toItem({
            ':next': claim.nextRunAt,
            ':slot': claim.slot,
            ':windowStart': claim.windowStart,
            ':now': now,
            ':gsk': dueKey(claim.nextRunAt, read.id),
            ':expected': read.nextRunAt,
          }),
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (!advanced?.Attributes) return undefined;
    const updated = toSchedule(fromItem(advanced.Attributes));
    const run: ScheduleRun = {
      scheduleId: read.id,
      slot: claim.slot,
      windowStart: claim.windowStart,
      windowEnd: claim.windowEnd,
      requestKey: claim.requestKey,
      claimedAt: now,
      state: 'CLAIMED',
      expiresAt: this.expiresAt(),
    };
    const recorded = await this.conditionalResult(() =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem({ ...keys.scheduleRun(read.id, claim.slot), ...run }),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': STORE_TABLE.partitionKey },
        }),
      ),
    );
    return recorded ? updated : undefined;
  }

  /**
   * Takes over a claim whose run never started (its claimer died between claiming and creating the execution):
   * moves `lastClaimedAt` from the value read to now, so of several recovering replicas one wins.
   */
  async retakeClaim(read: Schedule): Promise<boolean> {
    if (read.lastRunAt === undefined || read.lastClaimedAt === undefined) return false;
    const retaken = await this.conditionalResult(() =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: toItem(keys.schedule(read.id)),
          UpdateExpression: 'SET #claimedAt = :now',
          ConditionExpression:
            'attribute_exists(#pk) AND attribute_not_exists(#deleted) AND #last = :slot AND #claimedAt = :claimedAt',
          ExpressionAttributeNames: {
            '#pk': STORE_TABLE.partitionKey,
            '#deleted': 'deletedAt',
            '#last': 'lastRunAt',
            '#claimedAt': 'lastClaimedAt',
          },
          ExpressionAttributeValues: toItem({
            ':now': this.now().toISOString(),
            ':slot': read.lastRunAt,
            ':claimedAt': read.lastClaimedAt,
          }),
        }),
      ),
    );
    return retaken !== undefined;
  }

  /**
   * Records how a run ended: on its run item, and as the schedule's `lastResult` unless a later slot's result is
   * already there (runs may finish out of order). Recording the same result twice is harmless.
   */
  async recordResult(scheduleId: string, result: ScheduleResult): Promise<void> {
    await this.conditionalResult(() =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: toItem(keys.scheduleRun(scheduleId, result.slot)),
          UpdateExpression: 'SET #state = :done, #result = :result',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': STORE_TABLE.partitionKey, '#state': 'state', '#result': 'result' },
          ExpressionAttributeValues: toItem({ ':done': 'DONE', ':result': result }),
        }),
      ),
    );
    await this.conditionalResult(() =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: toItem(keys.schedule(scheduleId)),
          UpdateExpression: 'SET #result = :result, #resultSlot = :slot',
          ConditionExpression: 'attribute_exists(#pk) AND (attribute_not_exists(#resultSlot) OR #resultSlot <= :slot)',
          ExpressionAttributeNames: {
            '#pk': STORE_TABLE.partitionKey,
            '#result': 'lastResult',
            '#resultSlot': 'lastResultSlot',
          },
          ExpressionAttributeValues: toItem({ ':result': result, ':slot': result.slot }),
        }),
      ),
    );
  }

  /** A schedule's claimed runs, newest first (TTL-expired ones left out). */
  async listRuns(scheduleId: string, limit = 50): Promise<ScheduleRun[]> {
    const items: Item[] = [];
    for await (const page of this.queryPages({
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :run)',
      FilterExpression: '#ttl > :now',
      ExpressionAttributeNames: {
        '#pk': STORE_TABLE.partitionKey,
        '#sk': STORE_TABLE.sortKey,
        '#ttl': STORE_TABLE.ttlAttribute,
      },
      ExpressionAttributeValues: toItem({
        ':pk': keys.schedule(scheduleId).pk,
        ':run': RUN_PREFIX,
        ':now': epochSeconds(this.now()),
      }),
      ScanIndexForward: false,
      ConsistentRead: true,
    })) {
      items.push(...(page.Items ?? []));
      if (items.length >= limit) break;
    }
    return items.slice(0, limit).map((item) => strip(fromItem(item)) as unknown as ScheduleRun);
  }

  /**
   * The execution id the runner recorded for a request key, if it ever created one: the request lock item
   * (`REQ#<requestKey>`, schema.ts) points to it. Lets recovery tell "the run's execution exists" (the runner resumes
   * it) from "the claimer died before creating it" (run it now) without a second source of truth.
   */
  async executionIdFor(requestKey: string): Promise<string | undefined> {
    const result = await this.call(() =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: toItem(keys.requestLock(requestKey)),
          ConsistentRead: true,
        }),
      ),
    );
    const id = result.Item ? fromItem(result.Item).executionId : undefined;
    return typeof id === 'string' ? id : undefined;
  }

  /**
   * Unschedules: the item leaves the due index and expires after the retention period (a soft delete, since the
   * bot's role has no DeleteItem). Returns the schedule as it was, or undefined when there was no active one.
   */
  async delete(id: string, by: string): Promise<Schedule | undefined> {
    const now = this.now();
    const done = await this.conditionalResult(() =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: toItem(keys.schedule(id)),
          UpdateExpression: 'SET #deleted = :now, #deletedBy = :by, #exp = :exp REMOVE #gpk, #gsk',
          ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#deleted)',
          ExpressionAttributeNames: {
            '#pk': STORE_TABLE.partitionKey,
            '#deleted': 'deletedAt',
            '#deletedBy': 'deletedBy',
            '#exp': STORE_TABLE.ttlAttribute,
            '#gpk': STORE_TABLE.indexes.channelHistory.partitionKey,
            '#gsk': STORE_TABLE.indexes.channelHistory.sortKey,
          },
          ExpressionAttributeValues: toItem({ ':now': now.toISOString(), ':by': by, ':exp': this.expiresAt() }),
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    if (!done?.Attributes) return undefined;
    const deleted = toSchedule(fromItem(done.Attributes));
    await this.slots.release(id, [scheduleScope(deleted.channelId)]);
    return deleted;
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────────────────────

  /** Pages through the `SCHED#ALL` partition of gsi1 (soonest next run first). */
  private async queryActive(extra: {
    KeyCondition?: string;
    FilterExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Item;
  }): Promise<Record<string, JsonValue>[]> {
    const index = STORE_TABLE.indexes.channelHistory;
    const input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'> = {
      IndexName: index.indexName,
      KeyConditionExpression: `#pk = :pk${extra.KeyCondition ? ` AND ${extra.KeyCondition}` : ''}`,
      ExpressionAttributeNames: {
        '#pk': index.partitionKey,
        // DynamoDB rejects attribute names that no expression uses.
        ...(extra.KeyCondition ? { '#sk': index.sortKey } : {}),
        ...extra.ExpressionAttributeNames,
      },
      ExpressionAttributeValues: { ':pk': toAttribute(SCHEDULES_ALL), ...extra.ExpressionAttributeValues },
      ...(extra.FilterExpression ? { FilterExpression: extra.FilterExpression } : {}),
    };
    const items: Record<string, JsonValue>[] = [];
    for await (const page of this.queryPages(input)) for (const item of page.Items ?? []) items.push(fromItem(item));
    return items;
  }
}

/** `gsi1sk` of an active schedule: due time first, so the due ones are a key-range query. */
function dueKey(nextRunAt: string, id: string): string {
  return `${nextRunAt}#${id}`;
}

const INTERNAL = [
  'pk',
  'sk',
  'gsi1pk',
  'gsi1sk',
  'gsi2pk',
  'gsi2sk',
  'lastResultSlot',
  'deletedAt',
  'deletedBy',
  'expiresAt',
];

function strip(value: Record<string, JsonValue>): Record<string, JsonValue> {
  const copy = { ...value };
  for (const key of ['pk', 'sk', 'gsi1pk', 'gsi1sk']) delete copy[key];
  return copy;
}

function toSchedule(value: Record<string, JsonValue>): Schedule {
  const copy: Record<string, JsonValue> = { ...value };
  for (const key of INTERNAL) delete copy[key];
  return copy as unknown as Schedule;
}

export { type NewSchedule, type RunClaim, ScheduleLimitError } from '../core/schedule';
