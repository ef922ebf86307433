import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { ConditionFailedError, storeError } from './errors';
import {
  attributeIs,
  type Condition,
  epochSeconds,
  keyCondition,
  Placeholders,
  type UpdateExpression,
} from './expression';
import { fromItem, toItem } from './item';
import { STORE_TABLE } from './schema';

/** `gsi1sk` of a standing question (schedule or watch): due time first, so the due ones are a key-range query. */
export function dueKey(nextRunAt: string, id: string): string {
  return `${nextRunAt}#${id}`;
}

/** Items expire this many days after their last write unless told otherwise. */
export const DEFAULT_RETENTION_DAYS = 30;

export interface TableOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Clock for timestamps, TTL and expiry filtering (tests and the scheduler inject one). */
  now?: () => Date;
  /** Days until an item's TTL. Default 30. */
  retentionDays?: number;
}

/** An item's primary key on the single table (schema.ts). */
export interface Key {
  pk: string;
  sk: string;
}

/**
 * What every store on trailbot's single table shares: the client, the clock, the TTL of new items, AWS errors turned
 * into messages that say what to do, and conditional writes whose failure is a ConditionFailedError carrying the item.
 */
export abstract class TableStore {
  protected readonly client: DynamoDBClient;
  protected readonly tableName: string;
  protected readonly now: () => Date;
  private readonly retentionSeconds: number;

  constructor(options: TableOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.now = options.now ?? (() => new Date());
    const days = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
    if (!(days > 0)) throw new TypeError(`retentionDays must be positive, got ${days}`);
    this.retentionSeconds = Math.round(days * 86_400);
  }

  /** TTL (epoch seconds) of an item written at `at`. */
  protected expiresAt(at: Date = this.now()): number {
    return epochSeconds(at) + this.retentionSeconds;
  }

  /** Consistent read of one item, expired or not; undefined when there is none. */
  protected async readItem(key: Key): Promise<Record<string, unknown> | undefined> {
    const result = await this.call(() =>
      this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: toItem({ ...key }), ConsistentRead: true }),
      ),
    );
    return result.Item ? fromItem(result.Item) : undefined;
  }

  /**
   * PutItem when `condition` holds; otherwise a ConditionFailedError named `guard`, carrying the item there unless
   * `carryItem` is false (an item the caller may not read).
   */
  protected async putIf(
    guard: string,
    item: Key & Record<string, unknown>,
    condition: Condition,
    { carryItem = true }: { carryItem?: boolean } = {},
  ): Promise<void> {
    const x = new Placeholders();
    const ConditionExpression = condition(x);
    await this.conditionalWrite(guard, carryItem ? { pk: item.pk, sk: item.sk } : undefined, () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem(item),
          ConditionExpression,
          ...x.attributes(),
          ...(carryItem ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } : {}),
        }),
      ),
    );
  }

  /**
   * UpdateItem when `condition` holds (always, without one); returns the item as `returns` asks (after the update by
   * default). A failed condition is a ConditionFailedError named `guard`, carrying the item as it was unless
   * `carryItem` is false (a caller that only needs to know that it failed).
   */
  protected async updateIf(
    guard: string,
    key: Key,
    update: UpdateExpression,
    condition?: Condition,
    { returns = 'ALL_NEW', carryItem = true }: { returns?: 'ALL_NEW' | 'ALL_OLD' | 'NONE'; carryItem?: boolean } = {},
  ): Promise<Record<string, unknown> | undefined> {
    const ConditionExpression = condition?.(update);
    const onFailure =
      ConditionExpression && carryItem ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {};
    const result = await this.conditionalWrite(guard, carryItem ? key : undefined, () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: toItem({ ...key }),
          UpdateExpression: update.expression(),
          ...(ConditionExpression ? { ConditionExpression } : {}),
          ...onFailure,
          ...update.attributes(),
          ReturnValues: returns,
        }),
      ),
    );
    return result.Attributes ? fromItem(result.Attributes) : undefined;
  }

  /** UpdateItem with no condition (an atomic ADD, say). */
  protected async updateAlways(key: Key, update: UpdateExpression): Promise<void> {
    await this.updateIf('no condition', key, update, undefined, { returns: 'NONE' });
  }

  /** Whether a conditional write was applied: true, or false when its condition failed. */
  protected async applied(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (err) {
      if (err instanceof ConditionFailedError) return false;
      throw err;
    }
  }

  /** A Query, page after page (ExclusiveStartKey), for as long as the caller keeps reading. */
  protected async *queryPages(
    input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
    limitOf: () => number | undefined = () => undefined,
  ): AsyncGenerator<QueryCommandOutput> {
    let startKey: QueryCommandInput['ExclusiveStartKey'];
    do {
      const limit = limitOf();
      const page = await this.call(() =>
        this.client.send(
          new QueryCommand({
            ...input,
            TableName: this.tableName,
            ExclusiveStartKey: startKey,
            ...(limit !== undefined ? { Limit: limit } : {}),
          }),
        ),
      );
      yield page;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  /**
   * Every item of one partition of gsi1 (the standing questions: `SCHED#ALL`, `WATCH#ALL`, whose sort key puts the
   * due time first, see `dueKey`), soonest first, narrowed by `range` and `filter`.
   */
  protected async queryStanding(
    partition: string,
    options: { range?: Condition; filter?: Condition } = {},
  ): Promise<Record<string, unknown>[]> {
    const index = STORE_TABLE.indexes.channelHistory;
    const x = new Placeholders();
    const KeyConditionExpression = keyCondition(attributeIs(index.partitionKey, partition), options.range)(x);
    const FilterExpression = options.filter?.(x);
    const items: Record<string, unknown>[] = [];
    for await (const page of this.queryPages({
      IndexName: index.indexName,
      KeyConditionExpression,
      ...(FilterExpression ? { FilterExpression } : {}),
      ...x.attributes(),
    })) {
      for (const item of page.Items ?? []) items.push(fromItem(item));
    }
    return items;
  }

  protected async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      throw storeError(err, this.tableName);
    }
  }

  /**
   * Runs a write sent with `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'` and maps ConditionalCheckFailedException
   * to ConditionFailedError carrying the item, as the Powertools idempotency layer does
   * (aws-powertools/powertools-lambda-typescript, packages/idempotency/src/persistence/DynamoDBPersistenceLayer.ts).
   * DynamoDB returns the item when there is one; dynalite ignores the parameter and never does (pinned in
   * test/store/conditions.test.ts), so without an item the key is read once more, consistently. On DynamoDB that read
   * only happens when there was no item, and finds none.
   */
  private async conditionalWrite<T>(guard: string, key: Key | undefined, write: () => Promise<T>): Promise<T> {
    try {
      return await this.call(write);
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const item = err.Item ? fromItem(err.Item) : key && (await this.readItem(key));
      throw new ConditionFailedError(guard, item, { cause: err });
    }
  }
}
