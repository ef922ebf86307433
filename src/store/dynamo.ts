import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type QueryCommandInput,
  ResourceInUseException,
  ResourceNotFoundException,
  type TableDescription,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { TrailError } from '../core/errors';
import {
  type AuditEntry,
  type CreateResult,
  type ExecutionPatch,
  type ExecutionRecord,
  type ExecutionState,
  type ExecutionStore,
  IllegalTransitionError,
  LEGAL_TRANSITIONS,
  type NewExecution,
  type PendingOwner,
  type SlotOutcome,
} from '../core/execution';
import { AuditTrail } from './audit';
import { newExecutionId } from './ids';
import { fromItem, type Item, toAttribute, toItem } from './marshal';
import { INTERNAL_ATTRIBUTES, keys, STORE_TABLE, tableDefinition, UNFINISHED } from './schema';
import { SlotCounters, type SlotLimit } from './slots';
import { epochSeconds, type TableOptions, TableStore } from './table';

/** A configured client (region, endpoint, retries: see `openStore`); the store never creates or destroys it. */
export type DynamoExecutionStoreOptions = TableOptions;

export { DEFAULT_RETENTION_DAYS } from './table';

import { storeError } from './errors';

export { storeError };

/** `patch` on an execution that does not exist (or has expired). */
export class ExecutionNotFoundError extends TrailError {
  constructor(readonly executionId: string) {
    super('EXECUTION_NOT_FOUND', `No execution \`${executionId}\` (it may have expired).`);
    this.name = 'ExecutionNotFoundError';
  }
}

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

/**
 * `create` loops only when another writer changed the request lock between two of its steps; each round either
 * returns or observes a newer lock, so a handful of rounds is plenty even under a burst of retries.
 */
const MAX_CREATE_ROUNDS = 10;
/** GetItem calls in flight while confirming the unfinished list. */
const CONFIRM_CONCURRENCY = 8;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

interface RequestLock {
  executionId: string;
  expiresAt: number;
}

/**
 * ExecutionStore on one DynamoDB table (layout: src/store/schema.ts). Runs unchanged against AWS and against dynalite,
 * so it uses only what both support: conditional Put/Update, GetItem, Query (dynalite has no transactions, per the
 * operations in its README, and silently drops `ReturnValuesOnConditionCheckFailure`). At runtime it needs only
 * dynamodb:GetItem, PutItem, UpdateItem and Query, the permissions the CDK stack grants.
 */
export class DynamoExecutionStore extends TableStore implements ExecutionStore {
  private readonly auditTrail: AuditTrail;
  private readonly slots: SlotCounters;

  constructor(options: DynamoExecutionStoreOptions) {
    super(options);
    this.auditTrail = new AuditTrail(options);
    this.slots = new SlotCounters(options);
  }

  /** Per-user and per-channel limits (src/store/slots.ts); a holder is a request key, active while unpublished. */
  acquireSlots(requestKey: string, limits: SlotLimit[]): Promise<SlotOutcome> {
    return this.slots.acquire(requestKey, limits, async (key) => {
      const lock = await this.getRequestLock(key);
      const execution = lock ? await this.get(lock.executionId) : undefined;
      return execution !== undefined && execution.requestKey === key && execution.state !== 'PUBLISHED';
    });
  }

  releaseSlots(requestKey: string, scopes: string[]): Promise<void> {
    return this.slots.release(requestKey, scopes);
  }

  /**
   * Idempotent on `requestKey` (see the lock in schema.ts). One round:
   * 1. take the free lock with a conditional put, pointing it at a fresh id, then write that execution;
   * 2. otherwise read the lock and the execution it points to (both consistently) and
   *    - return that execution when it is unfinished or finished within `dedupeSeconds`;
   *    - write it when it is missing: its creator has not written it yet (a concurrent create) or crashed between
   *      the two puts; whoever writes first created it, the others get it back with `created: false`;
   *    - take the lock over (conditioned on the id it held) when its execution is done, expired, or belongs to
   *      another request (an id collision), then write the new execution.
   * No step depends on timing, so 20 concurrent creates with one key yield one execution and one id.
   */
  async create(input: NewExecution, options: { dedupeSeconds?: number } = {}): Promise<CreateResult> {
    const dedupeMs = Math.max(0, options.dedupeSeconds ?? 0) * 1000;
    for (let round = 0; round < MAX_CREATE_ROUNDS; round++) {
      const now = this.now();
      const id = newExecutionId(now);
      if (await this.putRequestLock(input.requestKey, id, now)) {
        const written = await this.writeExecution(id, input, now);
        if (written) return written;
        continue;
      }
      const lock = await this.getRequestLock(input.requestKey);
      if (!lock) continue; // expired and deleted between our put and this read
      const existing = await this.getItem(keys.execution(lock.executionId));
      const nowSeconds = epochSeconds(now);
      const takeOver =
        lock.expiresAt <= nowSeconds ||
        (existing !== undefined &&
          (existing.expiresAt <= nowSeconds ||
            existing.requestKey !== input.requestKey ||
            (existing.state === 'PUBLISHED' && !finishedWithin(existing, now, dedupeMs))));
      if (takeOver) {
        if (await this.takeOverRequestLock(input.requestKey, lock.executionId, id, now)) {
          const written = await this.writeExecution(id, input, now);
          if (written) return written;
        }
        continue;
      }
      if (!existing) {
        const written = await this.writeExecution(lock.executionId, input, now);
        if (written) return written;
        continue;
      }
      return { execution: existing, created: false };
    }
    throw new TrailError(
      'STORE_CONTENTION',
      'Too many simultaneous requests for the same question; try again in a moment.',
    );
  }

  async get(id: string): Promise<ExecutionRecord | undefined> {
    const record = await this.getItem(keys.execution(id));
    return record && record.expiresAt > epochSeconds(this.now()) ? record : undefined;
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
    const update = new UpdateExpression();
    update.set('state', to);
    update.set('updatedAt', now.toISOString());
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
    const condition = `${update.name('state')} = ${update.value(from)} AND ${update.name('expiresAt')} > ${update.value(epochSeconds(now))}`;
    const updated = await this.updateExecution(id, update, condition);
    if (updated) return updated;
    throw new IllegalTransitionError(id, from, to, (await this.get(id))?.state);
  }

  async patch(id: string, patch: ExecutionPatch, expectedState?: ExecutionState): Promise<ExecutionRecord> {
    const now = this.now();
    const update = new UpdateExpression();
    update.set('updatedAt', now.toISOString());
    addPatch(update, patch);
    let condition = `${update.name('expiresAt')} > ${update.value(epochSeconds(now))}`;
    if (expectedState) condition += ` AND ${update.name('state')} = ${update.value(expectedState)}`;
    const updated = await this.updateExecution(id, update, condition);
    if (updated) return updated;
    if (!expectedState) throw new ExecutionNotFoundError(id);
    throw new IllegalTransitionError(id, expectedState, expectedState, (await this.get(id))?.state);
  }

  async claim(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = this.now();
    const update = new UpdateExpression();
    update.set('leaseOwner', owner);
    update.set('leaseUntil', now.getTime() + leaseMs);
    const until = update.name('leaseUntil');
    const condition =
      `${update.name('expiresAt')} > ${update.value(epochSeconds(now))} AND ` +
      `(attribute_not_exists(${until}) OR ${until} < ${update.value(now.getTime())} OR ${update.name('leaseOwner')} = ${update.value(owner)})`;
    return (await this.updateExecution(id, update, condition)) !== undefined;
  }

  async release(id: string, owner: string): Promise<void> {
    const update = new UpdateExpression();
    update.remove('leaseOwner');
    update.remove('leaseUntil');
    await this.updateExecution(id, update, `${update.name('leaseOwner')} = ${update.value(owner)}`);
  }

  /**
   * Oldest first. The sparse index is eventually consistent (DynamoDB Developer Guide, "Read consistency"), so each
   * listed item is re-read with a consistent GetItem: one that was PUBLISHED a moment ago is not handed to the runner
   * again.
   */
  async listUnfinished(): Promise<ExecutionRecord[]> {
    const index = STORE_TABLE.indexes.unfinished;
    const listed = await this.queryAll({
      IndexName: index.indexName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': index.partitionKey },
      ExpressionAttributeValues: { ':pk': toAttribute(UNFINISHED) },
    });
    const confirmed = await mapLimited(listed, CONFIRM_CONCURRENCY, (item) => this.get(String(fromItem(item).id)));
    return confirmed.filter((r): r is ExecutionRecord => r !== undefined && r.state !== 'PUBLISHED');
  }

  async listByChannel(channelId: string, limit: number): Promise<ExecutionRecord[]> {
    const index = STORE_TABLE.indexes.channelHistory;
    const items = await this.queryAll(
      {
        IndexName: index.indexName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': index.partitionKey },
        ExpressionAttributeValues: { ':pk': toAttribute(keys.channelHistory(channelId)) },
        ScanIndexForward: false,
      },
      limit,
    );
    return items.map(toRecord);
  }

  /**
   * Unfinished executions (any state but PUBLISHED) of a user and/or in a channel, for the concurrency limits.
   * Counted on the sparse index, which is eventually consistent: on AWS an execution created a moment ago may be
   * missing from the count for a fraction of a second.
   */
  async countActive(filter: { userId?: string; channelId?: string }): Promise<number> {
    const index = STORE_TABLE.indexes.unfinished;
    const names: Record<string, string> = { '#pk': index.partitionKey, '#exp': STORE_TABLE.ttlAttribute };
    const values: Item = {
      ':pk': toAttribute(UNFINISHED),
      ':now': toAttribute(epochSeconds(this.now())),
    };
    const conditions = ['#exp > :now'];
    if (filter.userId !== undefined) {
      names['#user'] = 'userId';
      values[':user'] = toAttribute(filter.userId);
      conditions.push('#user = :user');
    }
    if (filter.channelId !== undefined) {
      names['#chan'] = 'channelId';
      values[':chan'] = toAttribute(filter.channelId);
      conditions.push('#chan = :chan');
    }
    let count = 0;
    for await (const page of this.queryPages({
      IndexName: index.indexName,
      KeyConditionExpression: '#pk = :pk',
      FilterExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      Select: 'COUNT',
    })) {
      count += page.Count ?? 0;
    }
    return count;
  }

  /** Appends an audit entry (src/store/audit.ts: append-only, never replaced). */
  audit(entry: AuditEntry): Promise<void> {
    return this.auditTrail.append(entry);
  }

  /** Newest first, one channel's or all (src/store/audit.ts); for people with their own credentials, not the bot. */
  listAudit(options: { channelId?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    return this.auditTrail.list(options);
  }

  async savePending(
    id: string,
    owner: PendingOwner,
    payload: Record<string, unknown>,
    ttlSeconds: number,
  ): Promise<void> {
    const now = this.now();
    await this.call(() =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem({
            ...keys.pending(id),
            ...owner,
            payload,
            createdAt: now.toISOString(),
            expiresAt: epochSeconds(now) + ttlSeconds,
          }),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async takePending(id: string, owner: PendingOwner): Promise<Record<string, unknown> | 'not-owner' | undefined> {
    const now = this.now();
    let attributes: Item | undefined;
    const taken = await this.conditional(async () => {
      const result = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: toItem(keys.pending(id)),
          UpdateExpression: 'SET #taken = :now',
          ConditionExpression:
            'attribute_exists(pk) AND attribute_not_exists(#taken) AND #exp > :nowSeconds AND #user = :user AND #chan = :chan',
          ExpressionAttributeNames: {
            '#taken': 'takenAt',
            '#exp': STORE_TABLE.ttlAttribute,
            '#user': 'userId',
            '#chan': 'channelId',
          },
          ExpressionAttributeValues: {
            ':now': toAttribute(now.toISOString()),
            ':nowSeconds': toAttribute(epochSeconds(now)),
            ':user': toAttribute(owner.userId),
            ':chan': toAttribute(owner.channelId),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      attributes = result.Attributes;
    });
    if (taken && attributes) return fromItem(attributes).payload as Record<string, unknown>;
    // Why not: someone else's question still waiting, or nothing to take.
    const item = await this.call(() =>
      this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: toItem(keys.pending(id)), ConsistentRead: true }),
      ),
    );
    const found = item.Item ? fromItem(item.Item) : undefined;
    const waiting = found && found.takenAt === undefined && Number(found.expiresAt) > epochSeconds(now);
    return waiting ? 'not-owner' : undefined;
  }

  /** Atomic `ADD` on two counters (the user's and the channel's), so concurrent finishes never lose bytes. */
  async addScannedBytes(day: string, userId: string, channelId: string, bytes: number): Promise<void> {
    checkDay(day);
    if (!Number.isFinite(bytes) || bytes < 0) throw new TypeError(`scanned bytes must be a non-negative number`);
    if (bytes === 0) return;
    const expiresAt = this.expiresAt(this.now());
    const add = (key: { pk: string; sk: string }) =>
      this.call(() =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: toItem(key),
            UpdateExpression: 'ADD #bytes :bytes SET #exp = :exp',
            ExpressionAttributeNames: { '#bytes': 'bytes', '#exp': STORE_TABLE.ttlAttribute },
            ExpressionAttributeValues: { ':bytes': toAttribute(bytes), ':exp': toAttribute(expiresAt) },
          }),
        ),
      );
    await Promise.all([add(keys.scannedBytesUser(day, userId)), add(keys.scannedBytesChannel(day, channelId))]);
  }

  /** One user's or one channel's bytes on a UTC day (`yyyy-MM-dd`); with neither, the day's total over all users. */
  async scannedBytes(day: string, who: { userId?: string; channelId?: string }): Promise<number> {
    checkDay(day);
    if (who.userId !== undefined && who.channelId !== undefined) {
      throw new TypeError('scannedBytes: pass userId or channelId, not both');
    }
    const nowSeconds = epochSeconds(this.now());
    const bytesOf = (item: Item | undefined) => {
      if (!item) return 0;
      const value = fromItem(item);
      return Number(value.expiresAt) > nowSeconds ? Number(value.bytes ?? 0) : 0;
    };
    if (who.userId !== undefined || who.channelId !== undefined) {
      const key =
        who.userId !== undefined
          ? keys.scannedBytesUser(day, who.userId)
          : keys.scannedBytesChannel(day, who.channelId ?? '');
      const result = await this.call(() =>
        this.client.send(new GetItemCommand({ TableName: this.tableName, Key: toItem(key), ConsistentRead: true })),
      );
      return bytesOf(result.Item);
    }
    const users = await this.queryAll({
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :user)',
      ExpressionAttributeNames: { '#pk': STORE_TABLE.partitionKey, '#sk': STORE_TABLE.sortKey },
      ExpressionAttributeValues: {
        ':pk': toAttribute(keys.scannedBytesUser(day, '').pk),
        ':user': toAttribute(keys.scannedBytesUser(day, '').sk),
      },
      ConsistentRead: true,
    });
    return users.reduce((sum, item) => sum + bytesOf(item), 0);
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────────────────────

  /** Consistent read of an execution, expired or not (create must tell "expired" from "missing"). */
  private async getItem(key: { pk: string; sk: string }): Promise<ExecutionRecord | undefined> {
    const result = await this.call(() =>
      this.client.send(new GetItemCommand({ TableName: this.tableName, Key: toItem(key), ConsistentRead: true })),
    );
    return result.Item ? toRecord(result.Item) : undefined;
  }

  private async putRequestLock(requestKey: string, executionId: string, now: Date): Promise<boolean> {
    return this.conditional(() =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem({
            ...keys.requestLock(requestKey),
            executionId,
            lockedAt: now.toISOString(),
            expiresAt: this.expiresAt(now),
          }),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': STORE_TABLE.partitionKey },
        }),
      ),
    );
  }

  private async getRequestLock(requestKey: string): Promise<RequestLock | undefined> {
    const result = await this.call(() =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: toItem(keys.requestLock(requestKey)),
          ConsistentRead: true,
        }),
      ),
    );
    if (!result.Item) return undefined;
    const value = fromItem(result.Item);
    return { executionId: String(value.executionId), expiresAt: Number(value.expiresAt) };
  }

  private async takeOverRequestLock(requestKey: string, heldBy: string, executionId: string, now: Date) {
    return this.conditional(() =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: toItem(keys.requestLock(requestKey)),
          UpdateExpression: 'SET #id = :id, #at = :at, #exp = :exp',
          ConditionExpression: '#id = :held',
          ExpressionAttributeNames: { '#id': 'executionId', '#at': 'lockedAt', '#exp': STORE_TABLE.ttlAttribute },
          ExpressionAttributeValues: toItem({
            ':id': executionId,
            ':at': now.toISOString(),
            ':exp': this.expiresAt(now),
            ':held': heldBy,
          }),
        }),
      ),
    );
  }

  /**
   * Writes execution `id` unless it exists. Returns the created record, or the existing one when another create
   * wrote it first (same request key), or undefined when the id is taken by another request (a collision the next
   * round of `create` repairs by taking the lock over).
   */
  private async writeExecution(id: string, input: NewExecution, now: Date): Promise<CreateResult | undefined> {
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
    const written = await this.conditional(() =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem(item),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': STORE_TABLE.partitionKey },
        }),
      ),
    );
    if (written) return { execution: record, created: true };
    const existing = await this.getItem(keys.execution(id));
    if (existing && existing.requestKey === input.requestKey) return { execution: existing, created: false };
    return undefined;
  }

  /** UpdateItem with ALL_NEW; undefined when the condition failed (or the item is missing). */
  private async updateExecution(
    id: string,
    update: UpdateExpression,
    condition: string,
  ): Promise<ExecutionRecord | undefined> {
    let attributes: Item | undefined;
    const applied = await this.conditional(async () => {
      const result = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: toItem(keys.execution(id)),
          UpdateExpression: update.expression(),
          // attribute_exists: UpdateItem would otherwise create a new item for a missing id.
          ConditionExpression: `attribute_exists(${update.name(STORE_TABLE.partitionKey)}) AND ${condition}`,
          ExpressionAttributeNames: update.names,
          ExpressionAttributeValues: update.values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      attributes = result.Attributes;
    });
    return applied && attributes ? toRecord(attributes) : undefined;
  }

  /** Query pages until `limit` live (non-expired) items are collected or the partition ends. */
  private async queryAll(input: Omit<QueryCommandInput, 'TableName'>, limit = Number.POSITIVE_INFINITY) {
    const items: Item[] = [];
    if (limit <= 0) return items;
    const names = { ...input.ExpressionAttributeNames, '#ttl': STORE_TABLE.ttlAttribute };
    const values = { ...input.ExpressionAttributeValues, ':ttlNow': toAttribute(epochSeconds(this.now())) };
    // Limit counts items read before the filter, so a page may return fewer; keep paging until enough are live.
    const pages = this.queryPages(
      {
        ...input,
        // Expired items linger for up to two days on AWS and forever in dynalite (DynamoDB Developer Guide, "Time to
        // Live"; dynalite has no TTL deletion).
        FilterExpression: '#ttl > :ttlNow',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
      () => (Number.isFinite(limit) ? Math.max(limit - items.length, 10) : undefined),
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) if (items.length < limit) items.push(item);
      if (items.length >= limit) break;
    }
    return items;
  }

  /** Runs a conditional write: true when applied, false on ConditionalCheckFailedException. */
}

export interface EnsureTableOptions {
  /** Give up waiting for ACTIVE after this long. Default 120 s (AWS takes seconds to tens of seconds). */
  timeoutMs?: number;
  /** Delay between DescribeTable polls. Default 250 ms. */
  pollMs?: number;
}

/**
 * Creates the table (schema.ts) if it does not exist and waits until it and its indexes are ACTIVE (dynalite answers
 * CREATING for `createTableMs`, 500 ms by default, per its README). Safe to call concurrently: a second creator's
 * ResourceInUseException just means "someone else is creating it". Fails clearly when an existing table lacks the
 * store's keys or indexes. Does not enable TTL: dynalite rejects UpdateTimeToLive; production calls `enableTimeToLive`
 * (or the CDK stack does).
 */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  options: EnsureTableOptions = {},
): Promise<{ created: boolean }> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const pollMs = options.pollMs ?? 250;
  let created = false;
  let table = await describeTable(client, tableName);
  if (!table) {
    try {
      await client.send(new CreateTableCommand(tableDefinition(tableName)));
      created = true;
    } catch (err) {
      if (!(err instanceof ResourceInUseException)) throw storeError(err, tableName);
    }
    table = await describeTable(client, tableName);
  }
  const deadline = Date.now() + timeoutMs;
  while (!table || !isActive(table)) {
    if (Date.now() > deadline) {
      throw new TrailError(
        'STORE_TABLE_NOT_READY',
        `DynamoDB table \`${tableName}\` is still ${table?.TableStatus ?? 'missing'} after ${timeoutMs / 1000} s; try again later.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    table = await describeTable(client, tableName);
  }
  checkTableShape(table, tableName);
  return { created };
}

/**
 * Turns on TTL for `expiresAt` (production setup only: dynalite answers UnknownOperationException). A second
 * UpdateTimeToLive within an hour fails with ValidationException (DynamoDB API Reference, "UpdateTimeToLive"), so
 * it asks first.
 */
export async function enableTimeToLive(
  client: DynamoDBClient,
  tableName: string,
): Promise<'enabled' | 'already-enabled'> {
  try {
    const current = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const description = current.TimeToLiveDescription;
    const status = description?.TimeToLiveStatus;
    if (status === 'ENABLED' || status === 'ENABLING') {
      if (description?.AttributeName !== STORE_TABLE.ttlAttribute) {
        throw new TrailError(
          'STORE_TTL_ATTRIBUTE',
          `DynamoDB table \`${tableName}\` expires items by \`${description?.AttributeName}\`, not \`${STORE_TABLE.ttlAttribute}\`: disable that TTL first.`,
        );
      }
      return 'already-enabled';
    }
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: STORE_TABLE.ttlAttribute, Enabled: true },
      }),
    );
    return 'enabled';
  } catch (err) {
    throw storeError(err, tableName);
  }
}

async function describeTable(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw storeError(err, tableName);
  }
}

function isActive(table: TableDescription): boolean {
  return (
    table.TableStatus === 'ACTIVE' &&
    (table.GlobalSecondaryIndexes ?? []).every(
      (index) => index.IndexStatus === undefined || index.IndexStatus === 'ACTIVE',
    )
  );
}

function checkTableShape(table: TableDescription, tableName: string): void {
  const problems: string[] = [];
  const keyOf = (schema: TableDescription['KeySchema'], type: 'HASH' | 'RANGE') =>
    schema?.find((k) => k.KeyType === type)?.AttributeName;
  if (
    keyOf(table.KeySchema, 'HASH') !== STORE_TABLE.partitionKey ||
    keyOf(table.KeySchema, 'RANGE') !== STORE_TABLE.sortKey
  ) {
    problems.push(`keys must be \`${STORE_TABLE.partitionKey}\` and \`${STORE_TABLE.sortKey}\``);
  }
  for (const wanted of Object.values(STORE_TABLE.indexes)) {
    const index = table.GlobalSecondaryIndexes?.find((i) => i.IndexName === wanted.indexName);
    if (
      !index ||
      keyOf(index.KeySchema, 'HASH') !== wanted.partitionKey ||
      keyOf(index.KeySchema, 'RANGE') !== wanted.sortKey
    ) {
      problems.push(
        `index \`${wanted.indexName}\` (${wanted.partitionKey}, ${wanted.sortKey}) is missing or different`,
      );
    }
  }
  if (problems.length > 0) {
    throw new TrailError(
      'STORE_TABLE_SCHEMA',
      `DynamoDB table \`${tableName}\` is not a trailbot table: ${problems.join('; ')}. Set TRAIL_TABLE to another name.`,
    );
  }
}

/** Builds an UpdateExpression with placeholder names and values (every attribute name goes through `#n`). */
class UpdateExpression {
  readonly names: Record<string, string> = {};
  readonly values: Item = {};
  private readonly sets: string[] = [];
  private readonly removes: string[] = [];
  private readonly nameOf = new Map<string, string>();
  private valueCount = 0;

  name(attribute: string): string {
    let placeholder = this.nameOf.get(attribute);
    if (!placeholder) {
      placeholder = `#n${this.nameOf.size}`;
      this.nameOf.set(attribute, placeholder);
      this.names[placeholder] = attribute;
    }
    return placeholder;
  }

  value(value: unknown): string {
    const placeholder = `:v${this.valueCount++}`;
    this.values[placeholder] = toAttribute(value);
    return placeholder;
  }

  set(attribute: string, value: unknown): void {
    this.sets.push(`${this.name(attribute)} = ${this.value(value)}`);
  }

  setIfNotExists(attribute: string, value: unknown): void {
    const name = this.name(attribute);
    this.sets.push(`${name} = if_not_exists(${name}, ${this.value(value)})`);
  }

  remove(attribute: string): void {
    this.removes.push(this.name(attribute));
  }

  expression(): string {
    const parts: string[] = [];
    if (this.sets.length > 0) parts.push(`SET ${this.sets.join(', ')}`);
    if (this.removes.length > 0) parts.push(`REMOVE ${this.removes.join(', ')}`);
    return parts.join(' ');
  }
}

function addPatch(update: UpdateExpression, patch: ExecutionPatch): void {
  for (const field of PATCHABLE_FIELDS) {
    const value = patch[field];
    if (value !== undefined) update.set(field, value);
  }
}

function toRecord(item: Item): ExecutionRecord {
  const value = fromItem(item);
  for (const attribute of INTERNAL_ATTRIBUTES) delete value[attribute];
  return value as unknown as ExecutionRecord;
}

function finishedWithin(record: ExecutionRecord, now: Date, windowMs: number): boolean {
  if (windowMs <= 0 || !record.finishedAt) return false;
  return now.getTime() < Date.parse(record.finishedAt) + windowMs;
}

function checkDay(day: string): void {
  if (!DAY_PATTERN.test(day)) throw new TypeError(`day must be a UTC day as yyyy-MM-dd, got ${JSON.stringify(day)}`);
}

async function mapLimited<T, R>(items: T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
