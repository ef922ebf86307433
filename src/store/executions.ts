/**
 * Execution items (`EXEC#<id>`, schema.ts): writing a new one, reading it back, moving it between states and patching
 * it, each write conditioned on named parts (expression.ts).
 */
import {
  type ExecutionPatch,
  type ExecutionRecord,
  type ExecutionState,
  IllegalTransitionError,
  LEGAL_TRANSITIONS,
  type NewExecution,
} from '../core/execution';
import { ConditionFailedError, ExecutionNotFoundError } from './errors';
import {
  allOf,
  attributeIs,
  type Condition,
  epochSeconds,
  itemExists,
  itemIsNew,
  liveAt,
  UpdateExpression,
} from './expression';
import { INTERNAL_ATTRIBUTES, keys, STORE_TABLE, UNFINISHED } from './schema';
import { TableStore } from './table';

/** Engine-terminal states: entering one sets `finishedAt`. */
const FINISHED_STATES: readonly ExecutionState[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** The fields `patch` and `transition` may write; anything else in a patch object is ignored. */
const PATCHABLE_FIELDS = [
  'parentRef',
  'resultRef',
  'fileRef',
  'engineExecutionId',
  'startedAt',
  'finishedAt',
  'publishedAt',
  'stats',
  'error',
  'cancelledBy',
  'publishAttempts',
  'lastPublishError',
] as const satisfies readonly (keyof ExecutionPatch)[];

export class Executions extends TableStore {
  /** A live (not TTL-expired) execution, read consistently. */
  async get(id: string): Promise<ExecutionRecord | undefined> {
    return this.liveRecord(await this.readItem(keys.execution(id)));
  }

  /** Consistent read of an execution, expired or not (create must tell "expired" from "missing"). */
  async read(id: string): Promise<ExecutionRecord | undefined> {
    const item = await this.readItem(keys.execution(id));
    return item ? toRecord(item) : undefined;
  }

  /**
   * Writes execution `id` as SUBMITTED, in both indexes. When the id is taken, a ConditionFailedError carries the
   * execution that holds it (expired or not).
   */
  async write(id: string, input: NewExecution, now: Date): Promise<ExecutionRecord> {
    const createdAt = now.toISOString();
    const record: ExecutionRecord = {
      ...input,
      id,
      state: 'SUBMITTED',
      createdAt,
      updatedAt: createdAt,
      expiresAt: this.expiresAt(now),
    };
    const timeOrdered = keys.timeOrdered(createdAt, id);
    const item = {
      ...keys.execution(id),
      gsi1pk: keys.channelHistory(input.channelId),
      gsi1sk: timeOrdered,
      gsi2pk: UNFINISHED,
      gsi2sk: timeOrdered,
      ...record,
    };
    await this.putIf('execution id is free', item, itemIsNew());
    return record;
  }

  async transition(
    id: string,
    from: ExecutionState,
    to: ExecutionState,
    patch: ExecutionPatch = {},
  ): Promise<ExecutionRecord> {
    if (!LEGAL_TRANSITIONS[from].includes(to)) {
      throw new IllegalTransitionError(id, from, to, (await this.get(id))?.state);
    }
    const now = this.now();
    const update = new UpdateExpression().set('state', to).set('updatedAt', now.toISOString());
    addPatch(update, patch);
    if (to === 'RUNNING' && patch.startedAt === undefined) update.setIfNotExists('startedAt', now.toISOString());
    if (FINISHED_STATES.includes(to) && patch.finishedAt === undefined) update.set('finishedAt', now.toISOString());
    if (to === 'PUBLISHED') {
      if (patch.publishedAt === undefined) update.set('publishedAt', now.toISOString());
      // Leaves the sparse index of unfinished executions: only items with the index keys appear in it (DynamoDB
      // Developer Guide, "Take advantage of sparse indexes").
      update.remove(STORE_TABLE.indexes.unfinished.partitionKey);
      update.remove(STORE_TABLE.indexes.unfinished.sortKey);
    }
    try {
      return await this.update(id, update, attributeIs('state', from), now);
    } catch (err) {
      if (!(err instanceof ConditionFailedError)) throw err;
      const current = this.liveRecord(err.item);
      throw new IllegalTransitionError(id, from, to, current?.state, current, { cause: err });
    }
  }

  async patch(id: string, patch: ExecutionPatch, expectedState?: ExecutionState): Promise<ExecutionRecord> {
    const now = this.now();
    const update = new UpdateExpression().set('updatedAt', now.toISOString());
    addPatch(update, patch);
    try {
      return await this.update(id, update, expectedState ? attributeIs('state', expectedState) : undefined, now);
    } catch (err) {
      if (!(err instanceof ConditionFailedError)) throw err;
      const current = this.liveRecord(err.item);
      if (!expectedState) throw new ExecutionNotFoundError(id);
      throw new IllegalTransitionError(id, expectedState, expectedState, current?.state, current, { cause: err });
    }
  }

  /** A stored item as a record when it is not past its TTL. */
  private liveRecord(item: Record<string, unknown> | undefined): ExecutionRecord | undefined {
    return item && Number(item.expiresAt) > epochSeconds(this.now()) ? toRecord(item) : undefined;
  }

  /** UpdateItem on a live execution (and `condition`), returning it updated. */
  private async update(
    id: string,
    update: UpdateExpression,
    condition: Condition | undefined,
    now: Date,
  ): Promise<ExecutionRecord> {
    // itemExists: UpdateItem would otherwise create a new item for a missing id.
    const guard = condition ? allOf(itemExists(), liveAt(now), condition) : allOf(itemExists(), liveAt(now));
    const updated = await this.updateIf(`execution ${id} is live`, keys.execution(id), update, guard);
    return toRecord(updated ?? {});
  }
}

/** The record in a stored execution item: the store's own key and index attributes left out. */
export function toRecord(item: Record<string, unknown>): ExecutionRecord {
  const value = { ...item };
  for (const attribute of INTERNAL_ATTRIBUTES) delete value[attribute];
  return value as unknown as ExecutionRecord;
}

function addPatch(update: UpdateExpression, patch: ExecutionPatch): void {
  for (const field of PATCHABLE_FIELDS) {
    const value = patch[field];
    if (value !== undefined) update.set(field, value);
  }
}
