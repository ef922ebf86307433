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

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type NewSchedule,
  type RunClaim,
  type Schedule,
  ScheduleLimitError,
  type ScheduleResult,
  type ScheduleRun,
  type ScheduleStore as ScheduleStorePort,
} from '../core/schedule';
import {
  allOf,
  anyOf,
  attributeAtMost,
  attributeIs,
  beginsWith,
  itemExists,
  itemIsNew,
  keyCondition,
  liveAt,
  notExists,
  Placeholders,
  UpdateExpression,
} from './expression';
import { newExecutionId } from './ids';
import { fromItem } from './item';
import { keys, STORE_TABLE } from './schema';
import { SlotCounters } from './slots';
import { NO_ITEM, StandingStore } from './standing';
import { dueKey } from './table';

/** `gsi1pk` of every active schedule. */
export const SCHEDULES_ALL = 'SCHED#ALL';
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

export class ScheduleStore extends StandingStore<Schedule> implements ScheduleStorePort {
  protected readonly standing = {
    what: 'schedule',
    partition: SCHEDULES_ALL,
    key: keys.schedule,
    from: toSchedule,
  };
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
      const item = { ...keys.schedule(id), gsi1pk: SCHEDULES_ALL, gsi1sk: dueKey(schedule.nextRunAt, id), ...schedule };
      if (await this.applied(() => this.putIf('schedule id is free', item, itemIsNew(), NO_ITEM))) return schedule;
      if (options.maxPerChannel !== undefined) await this.slots.release(id, [scope]);
      // 4 random characters per millisecond: a collision is rare, two in a row rarer still.
      if (attempt >= 4) throw new Error('could not find a free schedule id');
    }
  }

  /**
   * Claims one run of `read` (the schedule as the caller read it): advances the schedule past `claim.slot` if its
   * `nextRunAt` is still what the caller read, then records the `RUN#<slot>` item. Returns the updated schedule, or
   * undefined when another claimer won, the schedule was unscheduled, or the slot already has a run.
   */
  async claimRun(read: Schedule, claim: RunClaim): Promise<Schedule | undefined> {
    const now = this.now().toISOString();
    const advanced = await this.advance(read, claim, now);
    if (!advanced) return undefined;
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
    const runItem = { ...keys.scheduleRun(read.id, claim.slot), ...run };
    const recorded = await this.applied(() =>
      this.putIf(`slot ${claim.slot} has no run`, runItem, itemIsNew(), NO_ITEM),
    );
    return recorded ? toSchedule(advanced) : undefined;
  }

  /**
   * Records how a run ended: on its run item, and as the schedule's `lastResult` unless a later slot's result is
   * already there (runs may finish out of order). Recording the same result twice is harmless.
   */
  async recordResult(scheduleId: string, result: ScheduleResult): Promise<void> {
    const onRun = new UpdateExpression().set('state', 'DONE').set('result', result);
    await this.applied(() =>
      this.updateIf('run exists', keys.scheduleRun(scheduleId, result.slot), onRun, itemExists(), NO_ITEM),
    );
    const onSchedule = new UpdateExpression().set('lastResult', result).set('lastResultSlot', result.slot);
    const notOlder = allOf(
      itemExists(),
      anyOf(notExists('lastResultSlot'), attributeAtMost('lastResultSlot', result.slot)),
    );
    await this.applied(() =>
      this.updateIf('no later result recorded', keys.schedule(scheduleId), onSchedule, notOlder, NO_ITEM),
    );
  }

  /** A schedule's claimed runs, newest first (TTL-expired ones left out). */
  async listRuns(scheduleId: string, limit = 50): Promise<ScheduleRun[]> {
    const x = new Placeholders();
    const KeyConditionExpression = keyCondition(
      attributeIs(STORE_TABLE.partitionKey, keys.schedule(scheduleId).pk),
      beginsWith(STORE_TABLE.sortKey, RUN_PREFIX),
    )(x);
    const FilterExpression = liveAt(this.now())(x);
    const runs: ScheduleRun[] = [];
    for await (const page of this.queryPages({
      KeyConditionExpression,
      FilterExpression,
      ...x.attributes(),
      ScanIndexForward: false,
      ConsistentRead: true,
    })) {
      for (const item of page.Items ?? []) runs.push(strip(fromItem(item)) as unknown as ScheduleRun);
      if (runs.length >= limit) break;
    }
    return runs.slice(0, limit);
  }

  /**
   * Unschedules: the item leaves the due index and expires after the retention period (a soft delete, since the
   * bot's role has no DeleteItem). Returns the schedule as it was, or undefined when there was no active one.
   */
  async delete(id: string, by: string): Promise<Schedule | undefined> {
    const before = await this.softDelete(id, by);
    if (!before) return undefined;
    const deleted = toSchedule(before);
    await this.slots.release(id, [scheduleScope(deleted.channelId)]);
    return deleted;
  }
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

function strip(value: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...value };
  for (const key of ['pk', 'sk', 'gsi1pk', 'gsi1sk']) delete copy[key];
  return copy;
}

function toSchedule(value: Record<string, unknown>): Schedule {
  const copy = { ...value };
  for (const key of INTERNAL) delete copy[key];
  return copy as unknown as Schedule;
}

export { type NewSchedule, type RunClaim, ScheduleLimitError } from '../core/schedule';
