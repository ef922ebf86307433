/**
 * Watches and their posted-event-id records, on the store's single table (schema.ts), with the same rules as
 * schedules (src/store/schedules.ts): GetItem, PutItem, UpdateItem and Query only, every write that matters
 * conditioned on what its writer read.
 *
 * | item            | pk                 | sk                  | other attributes                                       |
 * |-----------------|--------------------|---------------------|--------------------------------------------------------|
 * | watch           | `WATCH#<watchId>`  | `WATCH`             | the Watch; while active `gsi1pk = WATCH#ALL`,           |
 * |                 |                    |                     | `gsi1sk = <nextRunAt ISO>#<id>`; unwatching sets        |
 * |                 |                    |                     | `deletedAt`, a TTL, and REMOVEs the index keys          |
 * | claimed run     | `WATCH#<watchId>`  | `RUN#<slot ISO>`    | window, request key, result; TTL                        |
 * | posted event    | `WATCH#<watchId>`  | `SEEN#<eventid>`    | `executionId` of the run that posts it; TTL             |
 *
 * A watch's id is derived from its channel, question and options, so the same watch typed twice (or the starter pack
 * run twice) is one watch: `create` is a PutItem conditioned on no active item under that id.
 *
 * The posted-event records are what makes a late-delivered event posted once: a watch's windows overlap by the
 * delivery lag, so the same event can be in two runs' answers. Each run claims the event ids of its rows with
 * `PutItem … attribute_not_exists(pk) OR executionId = :me`: of all runs that see an event, on any replica, exactly
 * one holds it and posts it. "Or mine" lets a run whose collection was interrupted (a crash, a re-fetch after a
 * restart) keep its own rows. The records live for the retention period, far longer than the longest overlap
 * (TRAIL_DELIVERY_LAG is at most 24 hours).
 */
import { createHash } from 'node:crypto';
import type { ScheduleResult } from '../core/schedule';
import {
  type NewWatch,
  type PostedEvents,
  type Watch,
  type WatchClaim,
  WatchLimitError,
  type WatchStore as WatchStorePort,
} from '../core/watch';
import {
  allOf,
  anyOf,
  attributeAtMost,
  attributeBelow,
  attributeIs,
  epochSeconds,
  exists,
  itemExists,
  itemIsNew,
  notExists,
  UpdateExpression,
} from './expression';
import { STORE_TABLE } from './schema';
import { active, NO_ITEM, StandingStore } from './standing';
import { dueKey } from './table';

export const WATCHES_ALL = 'WATCH#ALL';
const watchKey = (id: string) => ({ pk: `WATCH#${id}`, sk: 'WATCH' });
const runKey = (id: string, slot: string) => ({ pk: `WATCH#${id}`, sk: `RUN#${slot}` });
const seenKey = (id: string, eventId: string) => ({ pk: `WATCH#${id}`, sk: `SEEN#${eventId}` });
/** Claims of posted events written at once (each is one conditional PutItem: DynamoDB has no conditional batch). */
const CLAIMS_IN_FLIGHT = 8;

/** The id of a watch: the same question, interval and options in the same channel is the same watch. */
export function watchId(input: Omit<NewWatch, 'createdBy' | 'nextRunAt' | 'pack'>): string {
  const routes = Object.entries(input.routes ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const identity = JSON.stringify([
    input.channelId,
    input.commandText.toLowerCase(),
    input.everyMinutes,
    input.onlyFlagged,
    input.quietDaily,
    routes,
  ]);
  const digest = BigInt(`0x${createHash('sha256').update(identity).digest('hex').slice(0, 16)}`);
  return `w${digest.toString(36).padStart(11, '0').slice(-11)}`;
}

export class WatchStore extends StandingStore<Watch> implements WatchStorePort, PostedEvents {
  protected readonly standing = { what: 'watch', partition: WATCHES_ALL, key: watchKey, from: toWatch };
  async create(input: NewWatch, options: { maxPerChannel?: number } = {}): Promise<{ watch: Watch; created: boolean }> {
    const id = watchId(input);
    const existing = await this.get(id);
    if (existing) return { watch: existing, created: false };
    // A soft limit (read, then write): a burst of creates in one channel may pass it by a few. Watches are made by
    // hand, a few at a time; the conditional put below is what must be exact (no duplicates).
    if (options.maxPerChannel !== undefined) {
      const count = (await this.listByChannel(input.channelId)).length;
      if (count >= options.maxPerChannel) throw new WatchLimitError(input.channelId, options.maxPerChannel);
    }
    const now = this.now().toISOString();
    const watch: Watch = {
      id,
      channelId: input.channelId,
      createdBy: input.createdBy,
      createdAt: now,
      updatedAt: now,
      command: input.command,
      commandText: input.commandText,
      everyMinutes: input.everyMinutes,
      onlyFlagged: input.onlyFlagged,
      quietDaily: input.quietDaily,
      nextRunAt: input.nextRunAt,
      ...(input.routes && Object.keys(input.routes).length ? { routes: input.routes } : {}),
      ...(input.pack ? { pack: input.pack } : {}),
    };
    const item = { ...watchKey(id), gsi1pk: WATCHES_ALL, gsi1sk: dueKey(watch.nextRunAt, id), ...watch };
    // Free, or an unwatched one (soft-deleted) the same question takes over with a fresh item.
    const free = anyOf(itemIsNew(), exists('deletedAt'));
    if (await this.applied(() => this.putIf(`watch ${id} is free`, item, free, NO_ITEM))) {
      return { watch, created: true };
    }
    const winner = await this.get(id);
    if (!winner) throw new Error(`watch ${id} was neither free nor active`);
    return { watch: winner, created: false };
  }

  /** As ScheduleStore#claimRun: advance `nextRunAt` from the value read (the arbiter), then record `RUN#<slot>`. */
  async claimRun(read: Watch, claim: WatchClaim): Promise<Watch | undefined> {
    const now = this.now().toISOString();
    const advanced = await this.advance(read, claim, now);
    if (!advanced) return undefined;
    const run = {
      ...runKey(read.id, claim.slot),
      watchId: read.id,
      ...claim,
      claimedAt: now,
      state: 'CLAIMED',
      expiresAt: this.expiresAt(),
    };
    const recorded = await this.applied(() => this.putIf(`slot ${claim.slot} has no run`, run, itemIsNew(), NO_ITEM));
    return recorded ? toWatch(advanced) : undefined;
  }

  /** As ScheduleStore#recordResult; a run that posted rows also moves `lastFindingAt`. */
  async recordResult(id: string, result: ScheduleResult): Promise<void> {
    const onRun = new UpdateExpression().set('state', 'DONE').set('result', result);
    await this.applied(() => this.updateIf('run exists', runKey(id, result.slot), onRun, itemExists(), NO_ITEM));
    const onWatch = new UpdateExpression().set('lastResult', result).set('lastResultSlot', result.slot);
    if ((result.rows ?? 0) > 0) onWatch.set('lastFindingAt', result.slot);
    const notOlder = allOf(
      itemExists(),
      anyOf(notExists('lastResultSlot'), attributeAtMost('lastResultSlot', result.slot)),
    );
    await this.applied(() => this.updateIf('no later result recorded', watchKey(id), onWatch, notOlder, NO_ITEM));
  }

  async claimQuietDay(read: Watch, day: string): Promise<boolean> {
    const update = new UpdateExpression().set('lastQuietDay', day);
    const notYet = allOf(active(), anyOf(notExists('lastQuietDay'), attributeBelow('lastQuietDay', day)));
    return this.applied(() =>
      this.updateIf(`quiet line of ${day} unclaimed`, watchKey(read.id), update, notYet, NO_ITEM),
    );
  }

  async delete(id: string, by: string): Promise<Watch | undefined> {
    const before = await this.softDelete(id, by);
    return before ? toWatch(before) : undefined;
  }

  /** PostedEvents#claim: one conditional PutItem per event id (see the top of this file). */
  async claim(
    watch: string,
    eventIds: readonly string[],
    executionId: string,
    options: { onlyHeld?: boolean } = {},
  ): Promise<Set<string>> {
    const held = new Set<string>();
    const unique = [...new Set(eventIds)];
    const expired = attributeBelow(STORE_TABLE.ttlAttribute, epochSeconds(this.now()));
    const mine = attributeIs('executionId', executionId);
    // Re-putting a record this execution holds changes nothing but its TTL; a missing one fails the comparison.
    const mayHold = options.onlyHeld ? mine : anyOf(itemIsNew(), mine, expired);
    for (let i = 0; i < unique.length; i += CLAIMS_IN_FLIGHT) {
      await Promise.all(
        unique.slice(i, i + CLAIMS_IN_FLIGHT).map(async (eventId) => {
          const item = { ...seenKey(watch, eventId), executionId, expiresAt: this.expiresAt() };
          if (await this.applied(() => this.putIf(`event ${eventId} not posted`, item, mayHold, NO_ITEM))) {
            held.add(eventId);
          }
        }),
      );
    }
    return held;
  }
}

const INTERNAL = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'lastResultSlot', 'deletedAt', 'deletedBy', 'expiresAt'];

function toWatch(value: Record<string, unknown>): Watch {
  const copy = { ...value };
  for (const key of INTERNAL) delete copy[key];
  return copy as unknown as Watch;
}
