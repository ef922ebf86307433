import type {
  AuditEntry,
  CreateResult,
  ExecutionPatch,
  ExecutionRecord,
  ExecutionState,
  ExecutionStore,
  NewExecution,
  PendingOwner,
  SlotOutcome,
} from '../core/execution';
import { AuditTrail } from './audit';
import { ByteBudgets } from './byte-budgets';
import { ExecutionLists } from './execution-lists';
import { Executions } from './executions';
import { Leases } from './leases';
import { PendingConfirmations } from './pending';
import { RequestLocks } from './request-locks';
import { SlotCounters, type SlotLimit } from './slots';
import type { TableOptions } from './table';

/** A configured client (region, endpoint, retries: see `openStore`); the store never creates or destroys it. */
export type DynamoExecutionStoreOptions = TableOptions;

/**
 * ExecutionStore on one DynamoDB table (layout: src/store/schema.ts), composed of one part per kind of item:
 * executions, request locks (idempotent create), leases, channel and unfinished lists, audit entries, pending
 * confirmations, byte budgets and concurrency slots. Runs unchanged against AWS and against dynalite, so it uses
 * only what both support: conditional Put/Update, GetItem, Query (dynalite has no transactions, per the operations
 * in its README). At runtime it needs only dynamodb:GetItem, PutItem, UpdateItem and Query, the permissions the CDK
 * stack grants. Creating the table is table-admin.ts's job.
 */
export class DynamoExecutionStore implements ExecutionStore {
  private readonly executions: Executions;
  private readonly locks: RequestLocks;
  private readonly lists: ExecutionLists;
  private readonly leases: Leases;
  private readonly auditTrail: AuditTrail;
  private readonly pending: PendingConfirmations;
  private readonly bytes: ByteBudgets;
  private readonly slots: SlotCounters;

  constructor(options: DynamoExecutionStoreOptions) {
    this.executions = new Executions(options);
    this.locks = new RequestLocks(options, this.executions);
    this.lists = new ExecutionLists(options, this.executions);
    this.leases = new Leases(options);
    this.auditTrail = new AuditTrail(options);
    this.pending = new PendingConfirmations(options);
    this.bytes = new ByteBudgets(options);
    this.slots = new SlotCounters(options);
  }

  /** Idempotent on `requestKey`, deduplicating within `dedupeSeconds` of finishing (request-locks.ts). */
  create(input: NewExecution, options: { dedupeSeconds?: number } = {}): Promise<CreateResult> {
    return this.locks.create(input, options);
  }

  get(id: string): Promise<ExecutionRecord | undefined> {
    return this.executions.get(id);
  }

  transition(id: string, from: ExecutionState, to: ExecutionState, patch?: ExecutionPatch): Promise<ExecutionRecord> {
    return this.executions.transition(id, from, to, patch);
  }

  patch(id: string, patch: ExecutionPatch, expectedState?: ExecutionState): Promise<ExecutionRecord> {
    return this.executions.patch(id, patch, expectedState);
  }

  claim(id: string, owner: string, leaseMs: number): Promise<boolean> {
    return this.leases.claim(id, owner, leaseMs);
  }

  release(id: string, owner: string): Promise<void> {
    return this.leases.release(id, owner);
  }

  listUnfinished(): Promise<ExecutionRecord[]> {
    return this.lists.unfinished();
  }

  listByChannel(channelId: string, limit: number): Promise<ExecutionRecord[]> {
    return this.lists.byChannel(channelId, limit);
  }

  countActive(filter: { userId?: string; channelId?: string }): Promise<number> {
    return this.lists.countActive(filter);
  }

  /** Per-user and per-channel limits (slots.ts); a holder is a request key, active while unpublished. */
  acquireSlots(requestKey: string, limits: SlotLimit[]): Promise<SlotOutcome> {
    return this.slots.acquire(requestKey, limits, async (key) => {
      const lock = await this.locks.get(key);
      const execution = lock ? await this.executions.get(lock.executionId) : undefined;
      return execution !== undefined && execution.requestKey === key && execution.state !== 'PUBLISHED';
    });
  }

  releaseSlots(requestKey: string, scopes: string[]): Promise<void> {
    return this.slots.release(requestKey, scopes);
  }

  /** Appends an audit entry (audit.ts: append-only, never replaced). */
  audit(entry: AuditEntry): Promise<void> {
    return this.auditTrail.append(entry);
  }

  /** Newest first, one channel's or all (audit.ts); for people with their own credentials, not the bot. */
  listAudit(options: { channelId?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    return this.auditTrail.list(options);
  }

  savePending(id: string, owner: PendingOwner, payload: Record<string, unknown>, ttlSeconds: number): Promise<void> {
    return this.pending.save(id, owner, payload, ttlSeconds);
  }

  takePending(id: string, owner: PendingOwner): Promise<Record<string, unknown> | 'not-owner' | undefined> {
    return this.pending.take(id, owner);
  }

  addScannedBytes(day: string, userId: string, channelId: string, bytes: number): Promise<void> {
    return this.bytes.add(day, userId, channelId, bytes);
  }

  scannedBytes(day: string, who: { userId?: string; channelId?: string }): Promise<number> {
    return this.bytes.scanned(day, who);
  }
}
