import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { QueryEngine, QueryStatus, ResultPage } from '../../../src/core/engine';
import type { BoundQuery, SqlParam } from '../../../src/core/query';
import { ColumnarCache } from '../../../src/engines/duckdb/cache';
import { DuckDbEngine } from '../../../src/engines/duckdb/engine';
import { installTrinoShims } from '../../../src/engines/duckdb/trino';

/** Builders for small CloudTrail trees in a temp folder (S3 layout, org trails, flat exports). */

export type CloudTrailEvent = Record<string, unknown>;

let counter = 0;

/** A plausible management event; `overrides` replace top-level keys. */
export function event(overrides: CloudTrailEvent = {}): CloudTrailEvent {
  counter++;
  return {
    eventVersion: '1.10',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLE',
      arn: 'arn:aws:iam::111122223333:user/alice',
      accountId: '111122223333',
      accessKeyId: 'AKIAEXAMPLE',
      userName: 'alice',
    },
    eventTime: '2024-05-01T10:00:00Z',
    eventSource: 'ec2.amazonaws.com',
    eventName: 'DescribeInstances',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.10',
    userAgent: 'aws-cli/2.15.0',
    requestParameters: { maxResults: 5 },
    responseElements: null,
    requestID: `req-${counter}`,
    eventID: `evt-${String(counter).padStart(8, '0')}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
    eventCategory: 'Management',
    ...overrides,
  };
}

export class LogTree {
  readonly root: string;

  constructor(prefix = 'trailbot-duckdb-') {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  }

  /** Writes `text` at `relative`, gzipped when the name ends in .gz unless `raw`; returns the absolute path. */
  write(relative: string, text: string | Buffer, options: { raw?: boolean } = {}): string {
    const file = path.join(this.root, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const data = typeof text === 'string' ? Buffer.from(text) : text;
    fs.writeFileSync(file, relative.endsWith('.gz') && !options.raw ? zlib.gzipSync(data, { level: 1 }) : data);
    return file;
  }

  /**
   * A CloudTrail-delivered file: `[prefix/]AWSLogs/[org/]<account>/CloudTrail/<region>/<day>/<name>` holding
   * `{"Records":[…]}` on one line (as CloudTrail writes it) unless `pretty`.
   */
  s3(options: {
    account?: string;
    region?: string;
    day: string;
    events: CloudTrailEvent[];
    org?: string;
    prefix?: string;
    name?: string;
    pretty?: boolean;
  }): string {
    const account = options.account ?? '111122223333';
    const region = options.region ?? 'us-east-1';
    const stamp = options.day.replaceAll('/', '');
    const name = options.name ?? `${account}_CloudTrail_${region}_${stamp}T0000Z_${++counter}.json.gz`;
    const parts = [options.prefix, 'AWSLogs', options.org, account, 'CloudTrail', region, options.day, name];
    const body = { Records: options.events };
    return this.write(
      parts.filter((p): p is string => Boolean(p)).join('/'),
      options.pretty ? JSON.stringify(body, null, 2) : JSON.stringify(body),
    );
  }

  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * Three days (2024-05-01 to 03) × two regions of one account, one event a variant in each folder, an hour apart:
 * for the cache's differential tests, where every variant of one field must answer as from the raw files.
 */
export function writeVariantDays<T>(
  tree: LogTree,
  variants: readonly T[],
  fields: (variant: T) => CloudTrailEvent,
): void {
  for (const [d, day] of ['2024/05/01', '2024/05/02', '2024/05/03'].entries()) {
    for (const region of ['us-east-1', 'eu-west-1']) {
      const events = variants.map((variant, i) =>
        event({
          eventTime: `${day.replaceAll('/', '-')}T${String(i).padStart(2, '0')}:${String(d * 7).padStart(2, '0')}:00Z`,
          awsRegion: region,
          ...fields(variant),
        }),
      );
      tree.s3({ day, region, events });
    }
  }
}

/** `yyyy/MM/dd` of each of `count` days from `first` (UTC). */
export function days(first: string, count: number): string[] {
  const start = Date.parse(`${first.replaceAll('/', '-')}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) =>
    new Date(start + i * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '/'),
  );
}

const varchar = (value: string): SqlParam => ({ type: 'varchar', value });

/** The window partial every template includes, in Trino style (sql/README.md). */
export const WINDOW_PREDICATE =
  '"timestamp" BETWEEN ? AND ? AND from_iso8601_timestamp(eventtime) >= from_iso8601_timestamp(?) AND from_iso8601_timestamp(eventtime) < from_iso8601_timestamp(?)';

/** A BoundQuery over `[start, end)`: partitions from the window, the four window parameters first. */
export function windowQuery(
  sql: string,
  start: string,
  end: string,
  extra: SqlParam[] = [],
  scope?: BoundQuery['scope'],
): BoundQuery {
  const first = start.slice(0, 10).replaceAll('-', '/');
  const lastInstant = new Date(Date.parse(end) - 1).toISOString();
  const last = lastInstant.slice(0, 10).replaceAll('-', '/');
  const count =
    Math.round(
      (Date.parse(`${last.replaceAll('/', '-')}T00:00:00Z`) - Date.parse(`${first.replaceAll('/', '-')}T00:00:00Z`)) /
        86_400_000,
    ) + 1;
  const partitions = days(first, count);
  return {
    template: 'test',
    sql,
    params: [varchar(first), varchar(last), varchar(start), varchar(end), ...extra],
    partitions,
    window: { start, end, label: 'test', partitions },
    ...(scope ? { scope } : {}),
  };
}

/** A query with no window parameters over the given partitions. */
export function plainQuery(sql: string, partitions: string[] = [], params: SqlParam[] = []): BoundQuery {
  return {
    template: 'test',
    sql,
    params,
    partitions,
    window: { start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z', label: 'test', partitions },
  };
}

/** Polls until the query leaves QUEUED/RUNNING. */
export async function settle(engine: QueryEngine, id: string): Promise<QueryStatus> {
  for (;;) {
    const status = await engine.status(id);
    if (status.state !== 'QUEUED' && status.state !== 'RUNNING') return status;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function allPages(engine: QueryEngine, id: string, pageSize?: number): Promise<ResultPage[]> {
  const pages: ResultPage[] = [];
  for await (const page of engine.results(id, pageSize ? { pageSize } : {})) pages.push(page);
  return pages;
}

/** Runs a query to the end; fails the test with DuckDB's reason when it does not succeed. */
export async function run(
  engine: QueryEngine,
  query: BoundQuery,
): Promise<{ status: QueryStatus; columns: string[]; rows: (string | null)[][] }> {
  const id = await engine.start(query, { executionId: `exec-${++counter}` });
  const status = await settle(engine, id);
  if (status.state !== 'SUCCEEDED') throw new Error(`query ${status.state}: ${status.reason}`);
  const pages = await allPages(engine, id);
  return { status, columns: pages[0]?.columns ?? [], rows: pages.flatMap((p) => p.rows) };
}

/** Rows as objects keyed by column name, for readable assertions. */
export function records(result: { columns: string[]; rows: (string | null)[][] }): Record<string, string | null>[] {
  return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i] ?? null])));
}

/**
 * An in-memory DuckDB connection for the enclosing `describe` (opened in its beforeAll, closed in its afterAll), with
 * the Trino shims installed the way the engine installs them unless `shims: false`.
 */
export function memoryDuckDb(options: { shims?: boolean } = {}): { readonly connection: DuckDBConnection } {
  let instance: DuckDBInstance | undefined;
  let connection: DuckDBConnection | undefined;
  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
    if (options.shims !== false) await installTrinoShims(connection);
  });
  afterAll(() => {
    connection?.closeSync();
    instance?.closeSync();
  });
  return {
    get connection(): DuckDBConnection {
      if (!connection) throw new Error('memoryDuckDb: the connection opens in beforeAll');
      return connection;
    },
  };
}

/** DuckDB's parse tree of a SQL text (`json_serialize_sql`), as the engine reads it (pruning.ts, newest.ts). */
export async function parseTree(connection: DuckDBConnection, sql: string): Promise<string> {
  const reader = await connection.runAndReadAll('SELECT json_serialize_sql(CAST($1 AS VARCHAR))', [sql]);
  return String(reader.getRows()[0]![0]);
}

/**
 * The three trees of the cache's differential tests, made before a describe's tests and removed after them: the logs
 * (`write` fills them), a state folder for the caches, and an engine over the raw files that gives the expected
 * answers. Its fields are set in `beforeAll`: read them inside tests.
 */
export function differentialTrees(
  statePrefix: string,
  write: (tree: LogTree) => void,
): { tree: LogTree; state: LogTree; raw: DuckDbEngine } {
  const trees = {} as { tree: LogTree; state: LogTree; raw: DuckDbEngine };
  beforeAll(() => {
    trees.tree = new LogTree();
    trees.state = new LogTree(statePrefix);
    write(trees.tree);
    trees.raw = new DuckDbEngine({ dataDir: trees.tree.root, logger: () => {} });
  });
  afterAll(async () => {
    await trees.raw.close();
    trees.tree.remove();
    trees.state.remove();
  });
  return trees;
}

/** A DuckDB engine over `dataDir` with a columnar cache in `stateDir` whose clock stands at `now`. */
export function cachedEngine(
  dataDir: string,
  stateDir: string,
  now: Date,
): { cache: ColumnarCache; engine: DuckDbEngine } {
  const cache = new ColumnarCache({ dir: stateDir, dataDir, now: () => now, logger: () => {} });
  return { cache, engine: new DuckDbEngine({ dataDir, logger: () => {}, cache }) };
}
