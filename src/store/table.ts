import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { storeError } from './errors';

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

export const epochSeconds = (d: Date): number => Math.floor(d.getTime() / 1000);

/**
 * What every store on trailbot's single table shares: the client, the clock, the TTL of new items, AWS errors turned
 * into messages that say what to do, and conditional writes that report "condition failed" instead of throwing.
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

  /** Runs a conditional write: its result when applied, undefined on ConditionalCheckFailedException. */
  protected async conditionalResult<T>(write: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.call(write);
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw err;
    }
  }

  /** Whether a conditional write was applied. */
  protected async conditional(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await this.call(write);
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
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

  protected async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      throw storeError(err, this.tableName);
    }
  }
}
