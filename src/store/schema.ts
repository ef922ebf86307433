/**
 * The single DynamoDB table behind the ExecutionStore (single-table design). The same definition is created in
 * dynalite for the embedded mode (`ensureTable`) and in AWS by the CDK stack (infra/lib/execution-table.ts).
 *
 * Keys: `pk` (S, partition) and `sk` (S, sort). Every item carries `expiresAt`, the TTL attribute: a Number in epoch
 * seconds (DynamoDB API Reference, "UpdateTimeToLive"). DynamoDB deletes expired items up to two days late and dynalite
 * never does, so every read also filters `expiresAt > now`.
 *
 * | item                | pk                         | sk                   | other attributes                                   |
 * |---------------------|----------------------------|----------------------|----------------------------------------------------|
 * | execution           | `EXEC#<id>`                | `EXEC`               | the ExecutionRecord fields; `gsi1pk`/`gsi1sk`;     |
 * |                     |                            |                      | `gsi2pk`/`gsi2sk` only while not PUBLISHED         |
 * | request lock        | `REQ#<requestKey>`         | `REQ`                | `executionId`, `lockedAt`                          |
 * | audit entry         | `AUDIT#<channelId>`        | `<at>#<rand>`        | the AuditEntry fields; in no index (append-only,   |
 * |                     |                            |                      | below)                                             |
 * | scanned bytes       | `BYTES#<yyyy-MM-dd>`       | `USER#<userId>` or   | `bytes` (Number, atomic `ADD`)                     |
 * |                     |                            | `CHAN#<channelId>`   |                                                    |
 * | schedule            | `SCHED#<scheduleId>`       | `SCHED`              | the Schedule; while active `gsi1pk = SCHED#ALL`,   |
 * |                     |                            |                      | `gsi1sk = <nextRunAt ISO>#<id>` (what is due)      |
 * | claimed run         | `SCHED#<scheduleId>`       | `RUN#<slot ISO>`     | window, request key, result; TTL                   |
 * | pending question    | `PEND#<token>`             | `PEND`               | `payload` (the submission), `takenAt`; TTL         |
 * (Schedules and how a run is claimed: src/store/schedules.ts.) An execution also carries `leaseOwner`/`leaseUntil`
 * while a runner drives it (ExecutionStore.claim).
 *
 * Indexes (both projection ALL, so a listed item needs no second read):
 * - `gsi1` (`gsi1pk`, `gsi1sk`): a channel's history. Executions: `gsi1pk = CHAN#<channelId>`,
 *   `gsi1sk = <createdAt ISO>#<id>`, queried newest first.
 * - `gsi2` (`gsi2pk`, `gsi2sk`): sparse index of unfinished executions. `gsi2pk = UNFINISHED`,
 *   `gsi2sk = <createdAt ISO>#<id>`, present from creation until the execution enters PUBLISHED, then REMOVEd, so
 *   the index holds only what a restarted bot must resume (a GSI holds only items that carry its keys: DynamoDB
 *   Developer Guide, "Take advantage of sparse indexes"). GSI reads are eventually consistent, so the store confirms
 *   each listed item with a consistent GetItem.
 *
 * The request lock makes `create` idempotent without transactions (dynalite has no TransactWriteItems, per the
 * operations in its README): `PutItem` with `attribute_not_exists(pk)` takes it; a lock whose execution is done
 * (PUBLISHED and outside the dedupe window), expired or belongs to another request is taken over with `UpdateItem`
 * conditioned on the old `executionId`. Whether a lock still dedupes is decided from the execution it points to (read
 * consistently), never from a copy on the lock, so there is no window in which the two disagree.
 *
 * Audit entries are append-only for the bot. Its IAM role (infra/lib/bot-permissions.ts) may only PutItem under the
 * `AUDIT#` partition keys: no GetItem, Query, UpdateItem or DeleteItem there (`dynamodb:LeadingKeys`), and no Scan at
 * all. IAM cannot require a condition expression on PutItem, so a put could still overwrite an entry whose key it
 * knows; the keys are therefore unknowable to the role: entries are in no index it can query, and the sort key ends
 * in 16 random characters (about 83 bits). The store's own put is conditional (`attribute_not_exists`), so trailbot
 * never overwrites one either. People read the trail with their own credentials (README, "How it works"; src/store/audit.ts).
 *
 * ISO timestamps from `Date#toISOString` have a fixed width, so `<ISO>#<id>` sort keys sort by time.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const STORE_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  indexes: {
    channelHistory: { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    unfinished: { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
  },
} as const;

/** Value of `gsi2pk` on every unfinished execution. */
export const UNFINISHED = 'UNFINISHED';
/** Partition-key prefix of audit entries; the bot's role may only PutItem under it (infra/lib/bot-permissions.ts). */
export const AUDIT_PREFIX = 'AUDIT#';
/** Random characters ending an audit entry's sort key: 36^16 ≈ 8·10^24, too many to guess an existing key. */
export const AUDIT_SUFFIX_CHARS = 16;

export const keys = {
  execution: (id: string) => ({ pk: `EXEC#${id}`, sk: 'EXEC' }),
  requestLock: (requestKey: string) => ({ pk: `REQ#${requestKey}`, sk: 'REQ' }),
  channelHistory: (channelId: string) => `CHAN#${channelId}`,
  timeOrdered: (isoTime: string, id: string) => `${isoTime}#${id}`,
  audit: (channelId: string, isoTime: string, suffix: string) => ({
    pk: `${AUDIT_PREFIX}${channelId}`,
    sk: `${isoTime}#${suffix}`,
  }),
  scannedBytesUser: (day: string, userId: string) => ({ pk: `BYTES#${day}`, sk: `USER#${userId}` }),
  scannedBytesChannel: (day: string, channelId: string) => ({ pk: `BYTES#${day}`, sk: `CHAN#${channelId}` }),
  /** A question waiting for confirmation (cost pre-flight). */
  pending: (id: string) => ({ pk: `PEND#${id}`, sk: 'PEND' }),
  /** Reserved for src/scheduler. */
  schedule: (scheduleId: string) => ({ pk: `SCHED#${scheduleId}`, sk: 'SCHED' }),
  /** Reserved for src/scheduler: one item per claimed run slot. */
  scheduleRun: (scheduleId: string, slotIso: string) => ({ pk: `SCHED#${scheduleId}`, sk: `RUN#${slotIso}` }),
} as const;

/** Attributes the store adds to items; stripped before a record is handed out. */
export const INTERNAL_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'] as const;

/** The table as `CreateTable` wants it (PAY_PER_REQUEST, both indexes). TTL is enabled separately. */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  const { channelHistory, unfinished } = STORE_TABLE.indexes;
  const attributes = [
    STORE_TABLE.partitionKey,
    STORE_TABLE.sortKey,
    channelHistory.partitionKey,
    channelHistory.sortKey,
    unfinished.partitionKey,
    unfinished.sortKey,
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attributes.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: STORE_TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: STORE_TABLE.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [channelHistory, unfinished].map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}
