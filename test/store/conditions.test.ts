/**
 * Failed conditional writes become typed errors that carry the item as it was (src/store/table.ts). DynamoDB returns
 * that item with the failure when asked (`ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`); dynalite does not, so
 * the store reads it once more. Both paths are checked here: dynalite directly, and dynalite behind a small proxy
 * that answers as DynamoDB does (the `Item` member of ConditionalCheckFailedException, DynamoDB API Reference,
 * "PutItem" / "UpdateItem" errors).
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConditionalCheckFailedException, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { IllegalTransitionError } from '../../src/core/execution';
import { DynamoExecutionStore } from '../../src/store/dynamo';
import { ConditionFailedError } from '../../src/store/errors';
import { Executions } from '../../src/store/executions';
import { toItem } from '../../src/store/item';
import { keys } from '../../src/store/schema';
import { dynamoClient, type LocalDynamo, newExecution, startLocalDynamo } from './helpers';

let local: LocalDynamo;

beforeAll(async () => {
  local = await startLocalDynamo();
});

afterAll(async () => {
  await local.close();
});

test('dynalite ignores ReturnValuesOnConditionCheckFailure: the failure carries no item (hence the read-back)', async () => {
  const { tableName } = await local.newStore();
  const item = toItem({ ...keys.requestLock('k1'), executionId: 'first0000001', expiresAt: 2_000_000_000 });
  await local.client.send(new PutItemCommand({ TableName: tableName, Item: item }));
  const again = local.client.send(
    new PutItemCommand({
      TableName: tableName,
      Item: item,
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    }),
  );
  await expect(again).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  // If a dynalite release starts returning it, the read-back in TableStore becomes dead code on every backend.
  await expect(again).rejects.toMatchObject({ Item: undefined });
});

describe.each([
  ['dynalite (the item read back)', false],
  ['as DynamoDB answers (the item returned with the failure)', true],
])('%s', (_name, returnItem) => {
  let proxy: ItemProxy;
  let client: DynamoDBClient;

  beforeAll(async () => {
    proxy = await startItemProxy(local.server.endpoint, returnItem);
    client = dynamoClient(proxy.endpoint);
  });

  afterAll(async () => {
    client.destroy();
    await proxy.close();
  });

  test('a lost transition is an IllegalTransitionError carrying the execution as it is, its cause the failed check', async () => {
    const { tableName, clock } = await local.newStore();
    const store = new DynamoExecutionStore({ client, tableName, now: clock.now });
    const { execution } = await store.create(newExecution());
    const running = await store.transition(execution.id, 'SUBMITTED', 'RUNNING', { engineExecutionId: 'q-1' });

    proxy.getItems = 0;
    const attempt = store.transition(execution.id, 'SUBMITTED', 'CANCELLED', { cancelledBy: 'U9' });
    await expect(attempt).rejects.toBeInstanceOf(IllegalTransitionError);
    const err = (await attempt.catch((e: unknown) => e)) as IllegalTransitionError;
    expect(err).toMatchObject({ current: 'RUNNING', record: running });
    expect(err.cause).toBeInstanceOf(ConditionFailedError);
    expect((err.cause as ConditionFailedError).item).toMatchObject({ pk: `EXEC#${execution.id}`, state: 'RUNNING' });
    // Returned with the failure: no second read. Dropped by dynalite: one consistent read per failure.
    expect(proxy.getItems).toBe(returnItem ? 0 : 1);
  });

  test('a patch expecting another state carries the record; a patch of a missing execution is EXECUTION_NOT_FOUND', async () => {
    const { tableName, clock } = await local.newStore();
    const store = new DynamoExecutionStore({ client, tableName, now: clock.now });
    const { execution } = await store.create(newExecution());
    const attempt = store.patch(execution.id, { fileRef: 'F1' }, 'RUNNING');
    await expect(attempt).rejects.toMatchObject({ current: 'SUBMITTED', record: execution });
    const missing = (await store.patch('nosuchexec01', { error: 'x' }).catch((e: unknown) => e)) as Error;
    expect(missing).toMatchObject({ code: 'EXECUTION_NOT_FOUND' });
  });

  test('writing an execution under a taken id fails with the execution that holds it', async () => {
    const { tableName, clock } = await local.newStore();
    const executions = new Executions({ client, tableName, now: clock.now });
    const first = await executions.write('taken0000001', newExecution(), clock.now());
    const attempt = executions.write('taken0000001', newExecution(), clock.now());
    await expect(attempt).rejects.toBeInstanceOf(ConditionFailedError);
    await expect(attempt).rejects.toMatchObject({
      code: 'STORE_CONDITION_FAILED',
      guard: 'execution id is free',
      item: { ...first, pk: 'EXEC#taken0000001', sk: 'EXEC' },
    });
  });

  test('a confirmation asked for by someone else is told apart from a taken one by the item the failure carries', async () => {
    const { tableName, clock } = await local.newStore();
    const store = new DynamoExecutionStore({ client, tableName, now: clock.now });
    const owner = { userId: 'U1', channelId: 'C1' };
    await store.savePending('tok1', owner, { question: 'sg 12h' }, 600);
    expect(await store.takePending('tok1', { userId: 'U2', channelId: 'C1' })).toBe('not-owner');
    expect(await store.takePending('tok1', owner)).toEqual({ question: 'sg 12h' });
    expect(await store.takePending('tok1', owner)).toBeUndefined();
  });
});

interface ItemProxy {
  endpoint: string;
  /** GetItem requests that went through since the last reset. */
  getItems: number;
  close(): Promise<void>;
}

/**
 * Forwards every request to dynalite. With `returnItem`, a ConditionalCheckFailedException answering a request that
 * asked for ALL_OLD gets the item as DynamoDB would return it (read from dynalite, which holds it unchanged since
 * the check failed).
 */
async function startItemProxy(target: string, returnItem: boolean): Promise<ItemProxy> {
  const forward = async (url: string, headers: http.IncomingHttpHeaders, body: string) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': String(headers['content-type']),
        'x-amz-target': String(headers['x-amz-target']),
        authorization: String(headers.authorization),
        'x-amz-date': String(headers['x-amz-date']),
      },
      body,
    });
    return { status: response.status, text: await response.text() };
  };
  const state: ItemProxy = { endpoint: '', getItems: 0, close: async () => {} };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const operation = String(req.headers['x-amz-target']).split('.')[1];
    if (operation === 'GetItem') state.getItems += 1;
    const { status, text: answer } = await forward(target, req.headers, body);
    let text = answer;
    const input = JSON.parse(body) as { TableName: string; Key?: object; Item?: Record<string, object> };
    if (returnItem && status === 400 && text.includes('ConditionalCheckFailedException') && body.includes('ALL_OLD')) {
      const key = input.Key ?? { pk: input.Item?.pk, sk: input.Item?.sk };
      const read = await forward(
        target,
        { ...req.headers, 'x-amz-target': 'DynamoDB_20120810.GetItem' },
        JSON.stringify({ TableName: input.TableName, Key: key, ConsistentRead: true }),
      );
      const { Item } = JSON.parse(read.text) as { Item?: object };
      text = JSON.stringify({ ...JSON.parse(text), ...(Item ? { Item } : {}) });
    }
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(text);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  state.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
