/**
 * Shared pieces for tests that need the execution store: a real dynalite server over HTTP on 127.0.0.1, a real
 * DynamoDBClient pointed at it, a fresh table per test, and a clock the test moves by hand.
 */
import { randomUUID } from 'node:crypto';
import { type AttributeValue, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { NewExecution } from '../../src/core/execution';
import { type DynaliteServer, startDynalite } from '../../src/store/dynalite';
import { DynamoExecutionStore } from '../../src/store/dynamo';
import { fromItem } from '../../src/store/item';
import { ensureTable } from '../../src/store/table-admin';

export class TestClock {
  private time: number;

  constructor(start = '2026-11-20T08:00:00.000Z') {
    this.time = Date.parse(start);
  }

  readonly now = (): Date => new Date(this.time);

  advance(ms: number): void {
    this.time += ms;
  }

  set(iso: string): void {
    this.time = Date.parse(iso);
  }
}

export interface LocalDynamo {
  server: DynaliteServer;
  client: DynamoDBClient;
  /** A new, empty table and a store on it. */
  newStore(options?: { clock?: TestClock; retentionDays?: number }): Promise<{
    store: DynamoExecutionStore;
    tableName: string;
    clock: TestClock;
  }>;
  /** Every item in a table, unmarshalled (Scan: tests only, the store never scans). */
  scan(tableName: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export function dynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 2,
  });
}

export async function startLocalDynamo(): Promise<LocalDynamo> {
  const server = await startDynalite({ port: 0 });
  const client = dynamoClient(server.endpoint);
  return {
    server,
    client,
    async newStore(options = {}) {
      const tableName = `trail-${randomUUID().slice(0, 8)}`;
      await ensureTable(client, tableName, { pollMs: 10 });
      const clock = options.clock ?? new TestClock();
      const store = new DynamoExecutionStore({
        client,
        tableName,
        now: clock.now,
        retentionDays: options.retentionDays,
      });
      return { store, tableName, clock };
    },
    async scan(tableName) {
      const items: Record<string, unknown>[] = [];
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
        for (const item of page.Items ?? []) items.push(fromItem(item));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return items;
    },
    async close() {
      client.destroy();
      await server.close();
    },
  };
}

let requestCounter = 0;

/** A plausible new execution; `requestKey` is unique unless given. */
export function newExecution(overrides: Partial<NewExecution> = {}): NewExecution {
  requestCounter += 1;
  return {
    requestKey: `req-${requestCounter}-${randomUUID().slice(0, 8)}`,
    commandText: 'sg 12h',
    command: 'sg',
    request: { window: '12h', groupId: 'sg-0123456789abcdef0', nested: { list: [1, 'two', true, null] } },
    query: {
      template: 'security_group_changes',
      sql: 'SELECT eventtime FROM cloudtrail_logs WHERE eventname = ? AND readonly = ? LIMIT ?',
      params: [
        { type: 'varchar', value: "Authorize'SecurityGroupIngress" },
        { type: 'boolean', value: false },
        { type: 'bigint', value: 100 },
      ],
      partitions: ['2026/11/19', '2026/11/20'],
      window: {
        start: '2026-11-19T20:00:00.000Z',
        end: '2026-11-20T08:00:00.000Z',
        label: '12h',
        partitions: ['2026/11/19', '2026/11/20'],
      },
    },
    userId: 'U001',
    channelId: 'C001',
    surface: 'slack',
    engine: 'duckdb',
    ...overrides,
  };
}
