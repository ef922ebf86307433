/**
 * Table administration: creating the store's table (schema.ts) and waiting for it, checking an existing table's
 * shape, turning on TTL. Setup only (`trail setup`, the embedded store, tests): the bot's own role may not call these.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  type TableDescription,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { TrailError } from '../core/errors';
import { storeError } from './errors';
import { STORE_TABLE, tableDefinition } from './schema';

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
