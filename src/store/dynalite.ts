import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { StoreConfig } from '../config';
import { TrailError } from '../core/errors';
import { DynamoExecutionStore } from './dynamo';
import { ensureTable } from './table-admin';

/** Credentials are required by the SDK's signer; dynalite does not check them. */
const DYNALITE_CREDENTIALS = { accessKeyId: 'trailbot', secretAccessKey: 'trailbot' };

export interface DynaliteOptions {
  /** LevelDB folder for persistent state (created if missing). In-memory when absent. */
  stateDir?: string;
  /** Default 0: a free port chosen by the OS. */
  port?: number;
  /** Only loopback: dynalite has no authentication. */
  host?: '127.0.0.1';
}

export interface DynaliteServer {
  /** `http://127.0.0.1:<port>`, for DynamoDBClient's `endpoint`. */
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts dynalite (the DynamoDB API over HTTP, on LevelDB) inside this process, so the embedded mode runs the same
 * DynamoDB code path as production. Tables become ACTIVE at once (`createTableMs: 0`).
 *
 * LevelDB allows one opener per folder. dynalite opens its folder lazily and, when the folder is locked, throws from
 * its request handler (an uncaught exception, and the request never answers), so the lock is checked here first by
 * opening and closing the folder: a second trailbot on the same folder fails with a message instead.
 */
export async function startDynalite(options: DynaliteOptions = {}): Promise<DynaliteServer> {
  const host = options.host ?? '127.0.0.1';
  let stateDir: string | undefined;
  if (options.stateDir !== undefined) {
    stateDir = path.resolve(options.stateDir);
    await mkdir(stateDir, { recursive: true });
    await checkStateDirFree(stateDir);
  }
  const server = dynalite({ path: stateDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new TrailError(
              'STORE_PORT_IN_USE',
              `Port ${options.port} on ${host} is in use: pick another port for dynalite.`,
              {
                cause: err,
              },
            )
          : err,
      );
    };
    server.once('error', onError);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://${host}:${port}`;
  let closing: Promise<void> | undefined;
  const running: DynaliteServer = {
    endpoint,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        // dynalite's close stops the HTTP server, then closes LevelDB (releasing the folder lock).
        server.close((err?: Error) => (err ? reject(err) : resolve()));
        // Keep-alive sockets from an SDK client would otherwise hold close() open until they time out.
        server.closeAllConnections();
      });
      return closing;
    },
  };
  if (stateDir !== undefined) {
    // LevelDB opens the folder asynchronously after dynalite is created; until it has, a second trailbot's check
    // would find the folder free. One request through dynalite waits for that open, so the folder is held on return.
    try {
      await holdFolder(endpoint);
    } catch (err) {
      await running.close();
      throw err;
    }
  }
  return running;
}

async function holdFolder(endpoint: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'local', credentials: DYNALITE_CREDENTIALS, maxAttempts: 1 });
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }));
  } finally {
    client.destroy();
  }
}

export interface OpenStoreOptions {
  /** Clock for the store (tests, scheduler). Default: the system clock. */
  now?: () => Date;
  /** Item TTL in days (TrailConfig `limits.retentionDays`). Default 30. */
  retentionDays?: number;
  /** dynalite's port; default 0 (random). */
  port?: number;
  /**
   * For `kind: 'dynamodb'`: create the table when missing. Default false: in AWS the CDK stack (or `trail setup`)
   * owns the table, and the bot's role may call only Get/Put/Update/Query. Always done for dynalite.
   */
  ensureTable?: boolean;
  /**
   * SDK attempts per call, default 5. The SDK's standard retry mode backs off exponentially with jitter and retries
   * throttling and transient network errors; what still fails becomes a TrailError (`storeError`).
   */
  maxAttempts?: number;
}

export interface OpenedStore {
  store: DynamoExecutionStore;
  /** The client and table, for other items of the same table (schedules). Destroyed by `close`. */
  client: DynamoDBClient;
  tableName: string;
  /** The dynalite endpoint in embedded mode. */
  endpoint?: string;
  close(): Promise<void>;
}

/**
 * The store for a configuration: dynalite in-process for `kind: 'dynalite'` (persisted under `stateDir`), or
 * DynamoDB in `region` (optionally at `endpoint`, e.g. DynamoDB Local) for `kind: 'dynamodb'`.
 */
export async function openStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<OpenedStore> {
  return openStoreAt(config.kind === 'dynalite' ? { ...config, persisted: true } : config, options);
}

/**
 * dynalite in memory, nothing written to disk: a throwaway store for the one-shot `trail` command and for tests,
 * built exactly like the embedded bot's.
 */
export function openMemoryStore(tableName = 'trailbot', options: OpenStoreOptions = {}): Promise<OpenedStore> {
  return openStoreAt({ kind: 'dynalite', stateDir: '', tableName, persisted: false }, options);
}

async function openStoreAt(
  config:
    | Extract<StoreConfig, { kind: 'dynamodb' }>
    | (Extract<StoreConfig, { kind: 'dynalite' }> & { persisted: boolean }),
  options: OpenStoreOptions,
): Promise<OpenedStore> {
  const maxAttempts = options.maxAttempts ?? 5;
  // A local server answers in milliseconds; AWS gets the SDK's defaults plus a ceiling so a hung socket surfaces.
  // @smithy/node-http-handler only logs a warning when requestTimeout passes unless throwOnRequestTimeout is set.
  const requestHandler = {
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    throwOnRequestTimeout: true,
    socketTimeout: 30_000,
  };
  let server: DynaliteServer | undefined;
  let client: DynamoDBClient;
  if (config.kind === 'dynalite') {
    server = await startDynalite({ stateDir: config.persisted ? config.stateDir : undefined, port: options.port });
    client = new DynamoDBClient({
      endpoint: server.endpoint,
      region: 'local',
      credentials: DYNALITE_CREDENTIALS,
      maxAttempts,
      requestHandler,
    });
  } else {
    client = new DynamoDBClient({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      maxAttempts,
      requestHandler,
    });
  }
  const close = async () => {
    client.destroy();
    await server?.close();
  };
  try {
    if (config.kind === 'dynalite' || options.ensureTable) await ensureTable(client, config.tableName);
  } catch (err) {
    await close();
    throw err;
  }
  const store = new DynamoExecutionStore({
    client,
    tableName: config.tableName,
    now: options.now,
    retentionDays: options.retentionDays,
  });
  return { store, client, tableName: config.tableName, endpoint: server?.endpoint, close };
}

interface LevelDatabase {
  open(): Promise<void>;
  close(): Promise<void>;
}

/** The `level` package dynalite itself uses (a dependency of dynalite, so resolved from its folder). */
function loadLevel(): (new (location: string) => LevelDatabase) | undefined {
  try {
    const dynaliteDir = path.dirname(require.resolve('dynalite/package.json'));
    const level = require(require.resolve('level', { paths: [dynaliteDir] })) as {
      Level?: new (location: string) => LevelDatabase;
    };
    return level.Level;
  } catch {
    return undefined; // a different dynalite layout: skip the early check, dynalite still refuses a locked folder
  }
}

async function checkStateDirFree(stateDir: string): Promise<void> {
  const Level = loadLevel();
  if (!Level) return;
  const db = new Level(stateDir);
  try {
    await db.open();
  } catch (err) {
    const code = (err as { code?: string; cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
    if (code === 'LEVEL_LOCKED') {
      throw new TrailError(
        'STORE_LOCKED',
        `Another trailbot is using ${stateDir}: stop it first, or give this one its own state folder.`,
        { cause: err },
      );
    }
    throw new TrailError('STORE_STATE_UNREADABLE', `Cannot open the local state in ${stateDir} (${code ?? err}).`, {
      cause: err,
    });
  }
  await db.close();
}
