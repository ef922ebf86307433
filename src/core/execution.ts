import type { QueryStats } from './engine';
import type { PivotOrigin } from './input';
import type { BoundQuery } from './query';

/**
 * Lifecycle of one question. Legal transitions:
 *   SUBMITTED → RUNNING | FAILED | CANCELLED
 *   RUNNING   → SUCCEEDED | FAILED | CANCELLED
 *   SUCCEEDED → PUBLISHED
 *   FAILED | CANCELLED → PUBLISHED   (the failure / cancellation notice was posted)
 * PUBLISHED is final. "Unfinished" = every state but PUBLISHED.
 */
export type ExecutionState = 'SUBMITTED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'PUBLISHED';

export const LEGAL_TRANSITIONS: Record<ExecutionState, readonly ExecutionState[]> = {
  SUBMITTED: ['RUNNING', 'FAILED', 'CANCELLED'],
  RUNNING: ['SUCCEEDED', 'FAILED', 'CANCELLED'],
  SUCCEEDED: ['PUBLISHED'],
  FAILED: ['PUBLISHED'],
  CANCELLED: ['PUBLISHED'],
  PUBLISHED: [],
};

export interface ExecutionStats extends Partial<QueryStats> {
  rows?: number;
  /** USD, Athena pricing (see src/cost.ts); 0 for the embedded engine. */
  costUsd?: number;
}

export interface NewExecution {
  /**
   * Idempotency / dedupe key: hash of the channel and the normalised request. A second create with the same key
   * while the first is unfinished, or finished less than `dedupeSeconds` ago, returns the first.
   */
  requestKey: string;
  /** Exactly what the user typed after `/trail`. */
  commandText: string;
  /** Subcommand name, e.g. `sg`. */
  command: string;
  /** The validated request (JSON). */
  request: Record<string, unknown>;
  query: BoundQuery;
  userId: string;
  channelId: string;
  surface: 'slack' | 'terminal' | 'schedule';
  engine: 'athena' | 'duckdb';
  scheduleId?: string;
  /** Slack thread the question was asked in (a mention): the parent and the answer are replies in it. */
  threadTs?: string;
  /** A pivot: the row of an earlier answer it came from. */
  origin?: PivotOrigin;
}

export interface ExecutionRecord extends NewExecution {
  id: string;
  state: ExecutionState;
  createdAt: string;
  updatedAt: string;
  /** Slack ts of the in-channel parent message (thread root), or a terminal reference. */
  parentRef?: string;
  /** Slack ts of the results reply, recorded as soon as it is posted (publish is resumable step by step). */
  resultRef?: string;
  /** Uploaded CSV file id. */
  fileRef?: string;
  engineExecutionId?: string;
  startedAt?: string;
  finishedAt?: string;
  publishedAt?: string;
  stats?: ExecutionStats;
  error?: string;
  cancelledBy?: string;
  /** Number of publish attempts that failed (Slack down); the runner retries while below its limit. */
  publishAttempts?: number;
  /** Why the last publish attempt failed, in words for the asker (said in the note when the runner gives up). */
  lastPublishError?: string;
  /** Worker currently driving it and until when (epoch ms); see ExecutionStore.claim. */
  leaseOwner?: string;
  leaseUntil?: number;
  /** DynamoDB TTL, epoch seconds. */
  expiresAt: number;
}

/** Fields that may be patched alongside a transition or on their own. */
export type ExecutionPatch = Partial<
  Pick<
    ExecutionRecord,
    | 'parentRef'
    | 'resultRef'
    | 'fileRef'
    | 'engineExecutionId'
    | 'startedAt'
    | 'finishedAt'
    | 'publishedAt'
    | 'stats'
    | 'error'
    | 'cancelledBy'
    | 'publishAttempts'
    | 'lastPublishError'
  >
>;

/** Who may confirm a pending question: its asker, in the channel where it was asked. */
export interface PendingOwner {
  userId: string;
  channelId: string;
}

export interface AuditEntry {
  at: string;
  userId: string;
  channelId: string;
  /** e.g. `denied`, `cancel`, `schedule`, `unschedule`, `run`. */
  action: string;
  command: string;
  detail?: string;
  executionId?: string;
}

export interface CreateResult {
  execution: ExecutionRecord;
  /** false when an existing execution was returned (idempotent retry or dedupe). */
  created: boolean;
}

/** What taking concurrency slots came to: all taken, or the first scope that was full and how many hold it. */
export type SlotOutcome = { ok: true } | { ok: false; scope: string; limit: number; holders: number };

export interface ExecutionStore {
  create(input: NewExecution, options?: { dedupeSeconds?: number }): Promise<CreateResult>;
  get(id: string): Promise<ExecutionRecord | undefined>;
  /** Conditional update `state = from` → `to`. Throws IllegalTransitionError if `from → to` is not legal or the item is no longer in `from`. */
  transition(id: string, from: ExecutionState, to: ExecutionState, patch?: ExecutionPatch): Promise<ExecutionRecord>;
  /** Patch fields without changing state; with `expectedState`, only if the item is still in it. */
  patch(id: string, patch: ExecutionPatch, expectedState?: ExecutionState): Promise<ExecutionRecord>;
  /** Every execution not yet PUBLISHED (sparse index), TTL-expired items excluded. */
  listUnfinished(): Promise<ExecutionRecord[]>;
  /** Most recent first. */
  listByChannel(channelId: string, limit: number): Promise<ExecutionRecord[]>;
  countActive(filter: { userId?: string; channelId?: string }): Promise<number>;
  /**
   * Concurrency limits held as conditional counter items (src/store/slots.ts), exact across replicas: takes a slot
   * for the request in every scope, or none. Optional so a store without them falls back to `countActive`.
   */
  acquireSlots?(requestKey: string, limits: { scope: string; limit: number }[]): Promise<SlotOutcome>;
  /** Gives the request's slots back (idempotent). */
  releaseSlots?(requestKey: string, scopes: string[]): Promise<void>;
  audit(entry: AuditEntry): Promise<void>;
  listAudit(options?: { channelId?: string; limit?: number }): Promise<AuditEntry[]>;
  /**
   * Takes (or renews) the right to drive an execution for `leaseMs`: a conditional write that succeeds when nobody
   * holds it, the holder's lease ran out, or `owner` already holds it. Two workers (replicas, or a resume racing a
   * live runner) can therefore never both publish one answer.
   */
  claim(id: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Gives a lease back early (only if `owner` holds it). */
  release(id: string, owner: string): Promise<void>;
  /**
   * A question waiting for its asker's confirmation (cost pre-flight), kept `ttlSeconds`. `takePending` hands it out
   * once: a conditional update marks it taken, so a double click runs one query.
   */
  savePending(id: string, owner: PendingOwner, payload: Record<string, unknown>, ttlSeconds: number): Promise<void>;
  /** The payload, `'not-owner'` when someone else asks for it (it stays waiting), or undefined (taken or expired). */
  takePending(id: string, owner: PendingOwner): Promise<Record<string, unknown> | 'not-owner' | undefined>;
  /** Bytes scanned per UTC day per user and per channel (cost budget). */
  addScannedBytes(day: string, userId: string, channelId: string, bytes: number): Promise<void>;
  scannedBytes(day: string, who: { userId?: string; channelId?: string }): Promise<number>;
  close?(): Promise<void>;
}

export class IllegalTransitionError extends Error {
  readonly code = 'ILLEGAL_TRANSITION';
  constructor(
    readonly executionId: string,
    readonly from: ExecutionState,
    readonly to: ExecutionState,
    readonly current?: ExecutionState,
    /** The execution as the store found it when the conditional write failed (absent when missing or expired). */
    readonly record?: ExecutionRecord,
    options?: { cause?: unknown },
  ) {
    super(`execution ${executionId}: cannot move ${from} → ${to} (it is ${current ?? 'missing'})`, options);
  }
}
