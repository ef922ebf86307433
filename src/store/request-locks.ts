/**
 * Request locks (`REQ#<requestKey>`, schema.ts): what makes `create` idempotent and deduplicating without
 * transactions. The lock points at an execution id; whether it still dedupes is decided from that execution, read
 * consistently, never from a copy on the lock.
 */
import { TrailError } from '../core/errors';
import type { CreateResult, ExecutionRecord, NewExecution } from '../core/execution';
import { ConditionFailedError } from './errors';
import { type Executions, toRecord } from './executions';
import { attributeIs, epochSeconds, itemIsNew, UpdateExpression } from './expression';
import { newExecutionId } from './ids';
import { keys, STORE_TABLE } from './schema';
import { type TableOptions, TableStore } from './table';

interface RequestLock {
  executionId: string;
  expiresAt: number;
}

/**
 * `create` loops only when another writer changed the request lock between two of its steps; each round either
 * returns or observes a newer lock, so a handful of rounds is plenty even under a burst of retries.
 */
const MAX_CREATE_ROUNDS = 10;

export class RequestLocks extends TableStore {
  constructor(
    options: TableOptions,
    private readonly executions: Executions,
  ) {
    super(options);
  }

  /**
   * Idempotent on `requestKey`. One round:
   * 1. take the free lock with a conditional put, pointing it at a fresh id, then write that execution;
   * 2. otherwise look at the lock the failed put found and the execution it points to (both read consistently) and
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
      const lock = await this.take(input.requestKey, id, now);
      if (lock === 'ours') {
        const written = await this.writeExecution(id, input, now);
        if (written) return written;
        continue;
      }
      if (lock === 'gone') continue; // expired and deleted between our put and the read of it
      const existing = await this.executions.read(lock.executionId);
      const nowSeconds = epochSeconds(now);
      const takeOver =
        lock.expiresAt <= nowSeconds ||
        (existing !== undefined &&
          (existing.expiresAt <= nowSeconds ||
            existing.requestKey !== input.requestKey ||
            (existing.state === 'PUBLISHED' && !finishedWithin(existing, now, dedupeMs))));
      if (takeOver) {
        if (await this.takeOver(input.requestKey, lock.executionId, id, now)) {
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

  /** The execution id a request key's lock points to (consistent read), expired or not. */
  async get(requestKey: string): Promise<RequestLock | undefined> {
    return asLock(await this.readItem(keys.requestLock(requestKey)));
  }

  /**
   * Takes the free lock for `executionId` ('ours'), or returns the lock that holds the key, carried by the failed
   * condition ('gone' when it expired and was deleted before it could be read).
   */
  private async take(requestKey: string, executionId: string, now: Date): Promise<RequestLock | 'ours' | 'gone'> {
    const item = {
      ...keys.requestLock(requestKey),
      executionId,
      lockedAt: now.toISOString(),
      expiresAt: this.expiresAt(now),
    };
    try {
      await this.putIf('request lock is free', item, itemIsNew());
      return 'ours';
    } catch (err) {
      if (!(err instanceof ConditionFailedError)) throw err;
      return asLock(err.item) ?? 'gone';
    }
  }

  /** Moves the lock from the execution it held to `executionId`; false when someone else moved it first. */
  private takeOver(requestKey: string, heldBy: string, executionId: string, now: Date): Promise<boolean> {
    const update = new UpdateExpression()
      .set('executionId', executionId)
      .set('lockedAt', now.toISOString())
      .set(STORE_TABLE.ttlAttribute, this.expiresAt(now));
    return this.applied(() =>
      this.updateIf(
        'request lock still held by the same execution',
        keys.requestLock(requestKey),
        update,
        attributeIs('executionId', heldBy),
        { returns: 'NONE', carryItem: false },
      ),
    );
  }

  /**
   * Writes execution `id`. Returns it created, or the existing one when another create wrote it first (same request
   * key), or undefined when the id is taken by another request (a collision the next round repairs by taking the
   * lock over).
   */
  private async writeExecution(id: string, input: NewExecution, now: Date): Promise<CreateResult | undefined> {
    try {
      return { execution: await this.executions.write(id, input, now), created: true };
    } catch (err) {
      if (!(err instanceof ConditionFailedError)) throw err;
      const existing = err.item ? toRecord(err.item) : undefined;
      if (existing && existing.requestKey === input.requestKey) return { execution: existing, created: false };
      return undefined;
    }
  }
}

function asLock(item: Record<string, unknown> | undefined): RequestLock | undefined {
  return item ? { executionId: String(item.executionId), expiresAt: Number(item.expiresAt) } : undefined;
}

function finishedWithin(record: ExecutionRecord, now: Date, windowMs: number): boolean {
  if (windowMs <= 0 || !record.finishedAt) return false;
  return now.getTime() < Date.parse(record.finishedAt) + windowMs;
}
