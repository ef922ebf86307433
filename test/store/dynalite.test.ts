import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CreateTableCommand, DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { TrailError } from '../../src/core/errors';
import { openMemoryStore, openStore, startDynalite } from '../../src/store/dynalite';
import { ensureTable } from '../../src/store/table-admin';
import { dynamoClient, newExecution, TestClock } from './helpers';

let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'trailbot-store-'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('startDynalite', () => {
  test('serves the DynamoDB API on 127.0.0.1 at a random port, and closes despite keep-alive clients', async () => {
    const server = await startDynalite();
    expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const client = dynamoClient(server.endpoint);
    try {
      expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    } finally {
      await server.close(); // the client's socket is still open here
      client.destroy();
    }
    await expect(server.close()).resolves.toBeUndefined(); // idempotent
  });

  test('a second server on a folder in use fails with a clear message; after close the folder opens again', async () => {
    const stateDir = path.join(tmp, 'locked', 'state'); // created on demand
    const first = await startDynalite({ stateDir });
    try {
      const second = startDynalite({ stateDir });
      await expect(second).rejects.toBeInstanceOf(TrailError);
      await expect(second).rejects.toMatchObject({
        code: 'STORE_LOCKED',
        userMessage: expect.stringContaining(`Another trailbot is using ${stateDir}`),
      });
    } finally {
      await first.close();
    }
    const again = await startDynalite({ stateDir });
    await again.close();
  });

  test('the folder is held as soon as startDynalite resolves, not later when LevelDB gets round to opening it', async () => {
    // A new folder each time: LevelDB creates its files on first open, which is when the open is slowest.
    for (let i = 0; i < 10; i++) {
      const stateDir = path.join(tmp, 'held-at-once', String(i));
      const server = await startDynalite({ stateDir });
      try {
        const probe = new (levelClass())(stateDir);
        await expect(probe.open()).rejects.toMatchObject({ cause: { code: 'LEVEL_LOCKED' } });
      } finally {
        await server.close();
      }
    }
  });

  test('a folder locked by another process is refused too', async () => {
    const stateDir = path.join(tmp, 'other-process');
    const holder = await holdLevelLockInChild(stateDir);
    try {
      await expect(startDynalite({ stateDir })).rejects.toMatchObject({ code: 'STORE_LOCKED' });
    } finally {
      holder.stdin?.end();
      await new Promise((resolve) => holder.once('exit', resolve));
    }
  });
});

describe('openStore (dynalite)', () => {
  test('state survives a restart with the same stateDir', async () => {
    const stateDir = path.join(tmp, 'persist');
    const config = { kind: 'dynalite' as const, stateDir, tableName: 'trailbot' };
    const clock = new TestClock();

    const first = await openStore(config, { now: clock.now });
    let id: string;
    let finishedId: string;
    try {
      id = (await first.store.create(newExecution({ requestKey: 'persisted' }))).execution.id;
      await first.store.transition(id, 'SUBMITTED', 'RUNNING', { engineExecutionId: 'duck-1' });
      finishedId = (await first.store.create(newExecution())).execution.id;
      await first.store.transition(finishedId, 'SUBMITTED', 'FAILED', { error: 'boom' });
      await first.store.transition(finishedId, 'FAILED', 'PUBLISHED');
      await first.store.audit({
        at: clock.now().toISOString(),
        userId: 'U1',
        channelId: 'C1',
        action: 'run',
        command: 'sg',
      });
      await first.store.addScannedBytes('2026-11-20', 'U1', 'C1', 4096);
    } finally {
      await first.close();
    }

    const second = await openStore(config, { now: clock.now });
    try {
      expect(await second.store.get(id)).toMatchObject({ state: 'RUNNING', engineExecutionId: 'duck-1' });
      expect((await second.store.listUnfinished()).map((r) => r.id)).toEqual([id]);
      expect(await second.store.get(finishedId)).toMatchObject({ state: 'PUBLISHED', error: 'boom' });
      expect(await second.store.listAudit()).toHaveLength(1);
      expect(await second.store.scannedBytes('2026-11-20', { userId: 'U1' })).toBe(4096);
      // The request lock survived too: the same request still points at the unfinished execution.
      const again = await second.store.create(newExecution({ requestKey: 'persisted' }));
      expect(again).toMatchObject({ created: false, execution: { id } });
    } finally {
      await second.close();
    }
  });

  test('startDynalite without a stateDir keeps nothing: a new server starts empty', async () => {
    const server = await startDynalite();
    const client = dynamoClient(server.endpoint);
    try {
      expect(await ensureTable(client, 'memory-table', { pollMs: 10 })).toEqual({ created: true });
    } finally {
      client.destroy();
      await server.close();
    }
    const fresh = await startDynalite();
    const freshClient = dynamoClient(fresh.endpoint);
    try {
      expect((await freshClient.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    } finally {
      freshClient.destroy();
      await fresh.close();
    }
  });
});

describe('openStore (dynamodb)', () => {
  const savedEnv = { ...process.env };
  let server: Awaited<ReturnType<typeof startDynalite>>;

  beforeAll(async () => {
    server = await startDynalite();
    // The default credential chain reads these first; DynamoDB Local or dynalite accept any keys.
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
  });

  afterAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = savedEnv.AWS_ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = savedEnv.AWS_SECRET_ACCESS_KEY;
    if (savedEnv.AWS_ACCESS_KEY_ID === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    if (savedEnv.AWS_SECRET_ACCESS_KEY === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    await server.close();
  });

  test('does not create the table unless asked: operations then say how to create it', async () => {
    const opened = await openStore({
      kind: 'dynamodb',
      tableName: 'absent',
      region: 'eu-west-1',
      endpoint: server.endpoint,
    });
    try {
      await expect(opened.store.listUnfinished()).rejects.toMatchObject({ code: 'STORE_TABLE_NOT_FOUND' });
    } finally {
      await opened.close();
    }
  });

  test('with ensureTable it creates the table and works', async () => {
    const config = { kind: 'dynamodb' as const, tableName: 'ensured', region: 'eu-west-1', endpoint: server.endpoint };
    const opened = await openStore(config, { ensureTable: true });
    try {
      const { execution, created } = await opened.store.create(newExecution());
      expect(created).toBe(true);
      expect(await opened.store.get(execution.id)).toEqual(execution);
    } finally {
      await opened.close();
    }
  });

  test('an unreachable endpoint is a TrailError, not a stack trace', async () => {
    const config = {
      kind: 'dynamodb' as const,
      tableName: 'x-table',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:1',
    };
    const attempt = openStore(config, { ensureTable: true, maxAttempts: 1 });
    await expect(attempt).rejects.toBeInstanceOf(TrailError);
    await expect(attempt).rejects.toMatchObject({ code: 'STORE_UNREACHABLE' });
    // On this machine it is the embedded store or a local endpoint, not AWS: no region or network advice.
    await expect(attempt).rejects.toMatchObject({
      userMessage: expect.stringMatching(/on this machine \(ECONNREFUSED\): the embedded store has stopped/),
    });
  });
});

describe('ensureTable', () => {
  let server: Awaited<ReturnType<typeof startDynalite>>;
  let client: ReturnType<typeof dynamoClient>;

  beforeAll(async () => {
    server = await startDynalite();
    client = dynamoClient(server.endpoint);
  });

  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  test('concurrent callers: one creates, all succeed; calling again changes nothing', async () => {
    const results = await Promise.all(
      Array.from({ length: 4 }, () => ensureTable(client, 'concurrent', { pollMs: 10 })),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await ensureTable(client, 'concurrent')).toEqual({ created: false });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'concurrent' }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort()).toEqual(['gsi1', 'gsi2']);
  });

  test('a table with other keys is refused with a message', async () => {
    await client.send(
      new CreateTableCommand({
        TableName: 'foreign',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
    await expect(ensureTable(client, 'foreign', { pollMs: 10 })).rejects.toMatchObject({
      code: 'STORE_TABLE_SCHEMA',
      userMessage: expect.stringContaining('is not a trailbot table'),
    });
  });

  test('waits while dynalite reports CREATING', async () => {
    // A raw dynalite with its default-like delay, to see the CREATING phase (startDynalite uses 0).
    const slow = dynalite({ createTableMs: 300 });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const slowClient = dynamoClient(`http://127.0.0.1:${(slow.address() as AddressInfo).port}`);
    try {
      await ensureTable(slowClient, 'slow-table', { pollMs: 20 });
      const { Table } = await slowClient.send(new DescribeTableCommand({ TableName: 'slow-table' }));
      expect(Table?.TableStatus).toBe('ACTIVE');
    } finally {
      slowClient.destroy();
      await new Promise((resolve) => {
        slow.close(resolve);
        slow.closeAllConnections();
      });
    }
  });

  test('gives up with a TrailError when the table never becomes ACTIVE in time', async () => {
    const slow = dynalite({ createTableMs: 1_000 });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const slowClient = dynamoClient(`http://127.0.0.1:${(slow.address() as AddressInfo).port}`);
    try {
      await expect(ensureTable(slowClient, 'never-table', { pollMs: 20, timeoutMs: 100 })).rejects.toMatchObject({
        code: 'STORE_TABLE_NOT_READY',
      });
    } finally {
      slowClient.destroy();
      await new Promise((resolve) => {
        slow.close(resolve);
        slow.closeAllConnections();
      });
    }
  });
});

/** The `level` package dynalite uses, to open its folder as a second opener would. */
function levelClass(): new (location: string) => { open(): Promise<void>; close(): Promise<void> } {
  return require(levelPath()).Level;
}

function levelPath(): string {
  return require.resolve('level', { paths: [path.dirname(require.resolve('dynalite/package.json'))] });
}

/** A child process that opens the LevelDB folder (as another trailbot's dynalite would) and holds it until stdin ends. */
async function holdLevelLockInChild(stateDir: string): Promise<ChildProcess> {
  const script = `
    const { Level } = require(${JSON.stringify(levelPath())});
    const db = new Level(${JSON.stringify(stateDir)});
    db.open().then(() => {
      process.stdout.write('locked\\n');
      process.stdin.resume();
      process.stdin.on('end', () => db.close().then(() => process.exit(0)));
    });
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`lock holder exited early with ${code}`)));
    child.stdout?.once('data', () => resolve());
  });
  child.removeAllListeners('exit');
  return child;
}

describe('openMemoryStore', () => {
  test('a working store with its table, and nothing written to the working folder', async () => {
    const before = readdirSync(process.cwd()).sort();
    const opened = await openMemoryStore('trail-memory');
    try {
      expect(opened.tableName).toBe('trail-memory');
      const { execution, created } = await opened.store.create({
        requestKey: 'k',
        commandText: 'recent',
        command: 'recent',
        request: {},
        query: {
          template: 'recent_events',
          sql: 'SELECT 1',
          params: [],
          partitions: [],
          window: { start: '', end: '', label: '', partitions: [] },
        },
        userId: 'U1',
        channelId: 'C1',
        surface: 'terminal',
        engine: 'duckdb',
      });
      expect(created).toBe(true);
      expect((await opened.store.get(execution.id))?.state).toBe('SUBMITTED');
    } finally {
      await opened.close();
    }
    expect(readdirSync(process.cwd()).sort()).toEqual(before);
  });
});
