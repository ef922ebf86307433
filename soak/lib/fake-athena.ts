/**
 * A stateful local Athena for soak runs: the real `@aws-sdk/client-athena` (inside the real AthenaEngine) talks to it
 * over HTTP on 127.0.0.1 (AWS JSON 1.1, `X-Amz-Target: AmazonAthena.<Operation>`). Unlike the scripted fake of the
 * unit tests (test/engines/athena/fake-athena.ts) it runs any number of queries at once:
 *
 * - StartQueryExecution is idempotent on `ClientRequestToken` ("repeating a token returns the same
 *   QueryExecutionId", Athena API Reference, "StartQueryExecution") and may answer `ThrottlingException: Rate exceeded`
 *   (HTTP 400).
 * - A query goes QUEUED → RUNNING → SUCCEEDED over a few GetQueryExecution calls, or ends FAILED with a
 *   `StateChangeReason` and an `AthenaError`, as Athena reports a failed query.
 * - GetQueryResults pages at most 1000 rows with `NextToken`; the first row of the first page repeats the column
 *   labels, as Athena does for a SELECT (undocumented; uber/athenadriver resources/UndocumentedAthena.md).
 *
 * Every request is kept, so a soak can check what the engine sent (ExecutionParameters, QueryString) and count the
 * distinct QueryExecutionIds per token.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { Random } from '../../src/sample/random';

export interface FakeAthenaOptions {
  seed: number;
  /** Share of StartQueryExecution calls answered with ThrottlingException (or `startRefusal`). */
  throttleStart?: number;
  /**
   * What a refused start says: the API rate limit (`ThrottlingException: Rate exceeded`) or the active-query quota
   * (`TooManyRequestsException`, Athena User Guide, "Service Quotas"). Default ThrottlingException.
   */
  startRefusal?: 'ThrottlingException' | 'TooManyRequestsException';
  /** The first this many queries end FAILED with `AthenaError.Retryable: true` (a transient engine failure). */
  retryableFailures?: number;
  /** Share of GetQueryExecution / GetQueryResults calls answered with ThrottlingException. */
  throttleRead?: number;
  /** Share of queries that end FAILED. */
  failRate?: number;
  /** GetQueryExecution calls a query stays QUEUED, then RUNNING. Default 1 and 2. */
  queuedPolls?: number;
  runningPolls?: number;
  /** Rows of a successful query: from 0 to this many (seeded per query). Default 2500. */
  maxRows?: number;
  /** Exactly this many rows for every successful query (instead of a seeded count up to maxRows). */
  rows?: number;
  /**
   * `s3://bucket/prefix/`: reported as the query's `ResultConfiguration.OutputLocation` (`<prefix><id>.csv`), where
   * Athena writes every SELECT's result; `resultCsv(id)` gives that file's content.
   */
  outputLocation?: string;
}

export interface StartRecord {
  token: string;
  queryString: string;
  executionParameters: string[] | undefined;
  workGroup: string | undefined;
  queryExecutionId: string;
}

interface Query {
  id: string;
  token: string;
  queryString: string;
  polls: number;
  fate: 'SUCCEEDED' | 'FAILED';
  retryable: boolean;
  rows: number;
  state: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
}

/** How Athena reports a query that met a file it cannot parse (AthenaError fields as in the API reference). */
export const FAILED_REASON =
  "HIVE_BAD_DATA: Error parsing field value '2026-11-2' for field 3: Unexpected end-of-input in VALUE_STRING";

export const RESULT_COLUMNS = ['eventtime', 'eventname', 'username', 'sourceipaddress', 'eventid'];

export class StatefulFakeAthena {
  readonly starts: StartRecord[] = [];
  /** Calls and throttled answers by operation. */
  readonly calls: Record<string, number> = {};
  readonly throttled: Record<string, number> = {};
  private readonly queries = new Map<string, Query>();
  private readonly byToken = new Map<string, Query>();
  private readonly rng: Random;

  private constructor(
    private readonly server: Server,
    private readonly o: FakeAthenaOptions,
  ) {
    this.rng = new Random(o.seed, 'fake-athena');
  }

  static async start(o: FakeAthenaOptions): Promise<StatefulFakeAthena> {
    const server = createServer();
    const fake = new StatefulFakeAthena(server, o);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const operation = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonAthena\./, '');
        const text = Buffer.concat(chunks).toString('utf8');
        let body: Record<string, unknown> = {};
        try {
          body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        } catch {
          send(res, 400, { __type: 'SerializationException', Message: 'body is not JSON' });
          return;
        }
        fake.calls[operation] = (fake.calls[operation] ?? 0) + 1;
        const [status, answer] = fake.handle(operation, body);
        send(res, status, answer);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Queries by final (or current) state. */
  states(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const q of this.queries.values()) out[q.state] = (out[q.state] ?? 0) + 1;
    return out;
  }

  /** The QueryExecutionIds of the queries now in `state`. */
  idsIn(state: string): string[] {
    return [...this.queries.entries()].filter(([, q]) => q.state === state).map(([id]) => id);
  }

  /** Tokens that were given more than one QueryExecutionId (never, if idempotency holds). */
  tokensWithSeveralIds(): number {
    const ids = new Map<string, Set<string>>();
    for (const s of this.starts) {
      const set = ids.get(s.token) ?? new Set<string>();
      set.add(s.queryExecutionId);
      ids.set(s.token, set);
    }
    return [...ids.values()].filter((s) => s.size > 1).length;
  }

  /** Set the throttling rates while running (e.g. off for a warm-up). */
  setThrottling(rates: { start?: number; read?: number }): void {
    if (rates.start !== undefined) this.o.throttleStart = rates.start;
    if (rates.read !== undefined) this.o.throttleRead = rates.read;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * The result file Athena writes for a finished SELECT: a header row, then every row, each value double-quoted and
   * NULL as an empty unquoted field. Undefined for a query that has not SUCCEEDED.
   */
  resultCsv(id: string): string | undefined {
    const q = this.queries.get(id);
    if (q?.state !== 'SUCCEEDED') return undefined;
    return [...this.resultCsvChunks(q)].join('');
  }

  /**
   * The same file as a stream of 1,000-row chunks, so a large one is served without blocking the event loop;
   * `chunkDelayMs` paces it like a slow download.
   */
  resultCsvStream(id: string, chunkDelayMs = 0): Readable | undefined {
    const q = this.queries.get(id);
    if (q?.state !== 'SUCCEEDED') return undefined;
    const chunks = this.resultCsvChunks(q);
    return Readable.from(
      (async function* () {
        for (const chunk of chunks) {
          if (chunkDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, chunkDelayMs));
          yield chunk;
        }
      })(),
    );
  }

  private *resultCsvChunks(q: Query): Generator<string> {
    const quote = (v: string | null) => (v === null ? '' : `"${v.replaceAll('"', '""')}"`);
    yield `${RESULT_COLUMNS.map(quote).join(',')}\n`;
    for (let start = 0; start < q.rows; start += 1000) {
      const lines: string[] = [];
      for (let i = start; i < Math.min(q.rows, start + 1000); i++) lines.push(resultRow(q.id, i).map(quote).join(','));
      yield `${lines.join('\n')}\n`;
    }
  }

  private throttle(
    operation: string,
    rate: number | undefined,
    type: 'ThrottlingException' | 'TooManyRequestsException' = 'ThrottlingException',
  ): [number, unknown] | undefined {
    if (!rate || !this.rng.chance(rate)) return undefined;
    this.throttled[operation] = (this.throttled[operation] ?? 0) + 1;
    if (type === 'TooManyRequestsException') {
      return [
        400,
        { __type: type, Message: 'You have exceeded the limit for the number of queries you can run concurrently.' },
      ];
    }
    return [400, { __type: 'ThrottlingException', message: 'Rate exceeded' }];
  }

  private handle(operation: string, body: Record<string, unknown>): [number, unknown] {
    switch (operation) {
      case 'StartQueryExecution':
        return this.throttle(operation, this.o.throttleStart, this.o.startRefusal) ?? this.startQuery(body);
      case 'GetQueryExecution':
        return this.throttle(operation, this.o.throttleRead) ?? this.getExecution(String(body.QueryExecutionId));
      case 'GetQueryResults':
        return this.throttle(operation, this.o.throttleRead) ?? this.getResults(body);
      case 'StopQueryExecution': {
        const q = this.queries.get(String(body.QueryExecutionId));
        if (!q) return notFound(String(body.QueryExecutionId));
        if (q.state === 'QUEUED' || q.state === 'RUNNING') q.state = 'CANCELLED';
        return [200, {}];
      }
      default:
        return [400, { __type: 'UnknownOperationException', Message: `${operation} is not faked` }];
    }
  }

  private startQuery(body: Record<string, unknown>): [number, unknown] {
    const token = String(body.ClientRequestToken ?? '');
    const queryString = String(body.QueryString ?? '');
    if (token.length < 32 || token.length > 128) {
      return [400, { __type: 'InvalidRequestException', Message: 'ClientRequestToken must be 32 to 128 characters' }];
    }
    // The query string may be at most 262144 bytes, not adjustable (Athena User Guide, service-limits.html).
    if (Buffer.byteLength(queryString, 'utf8') > 262_144) {
      return [400, { __type: 'InvalidRequestException', Message: 'Query string exceeds the 262144 byte limit' }];
    }
    const params = body.ExecutionParameters as string[] | undefined;
    if (params !== undefined && (params.length === 0 || params.some((p) => p.length < 1 || p.length > 1024))) {
      return [400, { __type: 'InvalidRequestException', Message: 'ExecutionParameters: 1 to 1024 characters each' }];
    }
    // "The values are applied sequentially to the parameters in the query" (API_StartQueryExecution): one value per
    // `?` marker, so a count that differs is refused, as the engine refuses a prepared statement's wrong arity.
    const markers = placeholderCount(queryString);
    if ((params?.length ?? 0) !== markers) {
      return [
        400,
        {
          __type: 'InvalidRequestException',
          AthenaErrorCode: 'INVALID_INPUT',
          Message: `Query has ${markers} parameter markers but ${params?.length ?? 0} ExecutionParameters were given`,
        },
      ];
    }
    let q = this.byToken.get(token);
    if (q && q.queryString !== queryString) {
      return [
        400,
        { __type: 'IdempotentParameterMismatchException', Message: 'token reused with a different query string' },
      ];
    }
    if (!q) {
      const h = createHash('sha256').update(token).digest('hex');
      const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
      q = {
        id,
        token,
        queryString,
        polls: 0,
        fate:
          this.queries.size < (this.o.retryableFailures ?? 0) || this.rng.chance(this.o.failRate ?? 0)
            ? 'FAILED'
            : 'SUCCEEDED',
        retryable: this.queries.size < (this.o.retryableFailures ?? 0),
        rows: this.o.rows ?? this.rng.int((this.o.maxRows ?? 2500) + 1),
        state: 'QUEUED',
      };
      this.queries.set(id, q);
      this.byToken.set(token, q);
    }
    this.starts.push({
      token,
      queryString,
      executionParameters: params,
      workGroup: body.WorkGroup as string | undefined,
      queryExecutionId: q.id,
    });
    return [200, { QueryExecutionId: q.id }];
  }

  private getExecution(id: string): [number, unknown] {
    const q = this.queries.get(id);
    if (!q) return notFound(id);
    q.polls++;
    const queued = this.o.queuedPolls ?? 1;
    const running = this.o.runningPolls ?? 2;
    if (q.state === 'QUEUED' || q.state === 'RUNNING') {
      if (q.polls > queued + running) q.state = q.fate;
      else if (q.polls > queued) q.state = 'RUNNING';
    }
    const status: Record<string, unknown> = { State: q.state, SubmissionDateTime: 1763640000.123 };
    if (q.state === 'FAILED') {
      status.StateChangeReason = FAILED_REASON;
      status.AthenaError = q.retryable
        ? {
            ErrorCategory: 1,
            ErrorType: 401,
            Retryable: true,
            ErrorMessage: 'Query exhausted resources at this scale factor',
          }
        : { ErrorCategory: 2, ErrorType: 1002, Retryable: false, ErrorMessage: FAILED_REASON };
    }
    if (q.state === 'CANCELLED') status.StateChangeReason = 'Query was cancelled by the user';
    return [
      200,
      {
        QueryExecution: {
          QueryExecutionId: q.id,
          Query: q.queryString,
          StatementType: 'DML',
          SubstatementType: 'SELECT',
          Status: status,
          Statistics: {
            DataScannedInBytes: 1_048_576 + q.rows * 512,
            EngineExecutionTimeInMillis: 900,
            TotalExecutionTimeInMillis: 1000,
          },
          WorkGroup: 'trailbot',
          ...(this.o.outputLocation !== undefined
            ? { ResultConfiguration: { OutputLocation: `${this.o.outputLocation}${q.id}.csv` } }
            : {}),
        },
      },
    ];
  }

  private getResults(body: Record<string, unknown>): [number, unknown] {
    const q = this.queries.get(String(body.QueryExecutionId));
    if (!q) return notFound(String(body.QueryExecutionId));
    if (q.state !== 'SUCCEEDED') {
      return [
        400,
        { __type: 'InvalidRequestException', Message: `Query has not yet finished. Current state: ${q.state}` },
      ];
    }
    const max = Math.min(1000, Number(body.MaxResults ?? 1000));
    const offset = body.NextToken === undefined ? 0 : Number(String(body.NextToken).replace(/^page-/, ''));
    const rows: { Data: { VarCharValue?: string }[] }[] = [];
    // Row i of the result is row i + 1 of the stream: the header takes the first slot of the first page.
    for (let i = offset; i < Math.min(q.rows + 1, offset + max); i++) {
      if (i === 0) rows.push({ Data: RESULT_COLUMNS.map((c) => ({ VarCharValue: c })) });
      else rows.push({ Data: resultRow(q.id, i - 1).map((v) => (v === null ? {} : { VarCharValue: v })) });
    }
    const next = offset + max < q.rows + 1 ? `page-${offset + max}` : undefined;
    return [
      200,
      {
        UpdateCount: 0,
        ResultSet: {
          Rows: rows,
          ResultSetMetadata: {
            ColumnInfo: RESULT_COLUMNS.map((c) => ({ Name: c, Label: c, Type: 'varchar', CatalogName: 'hive' })),
          },
        },
        ...(next !== undefined ? { NextToken: next } : {}),
      },
    ];
  }
}

/** Row `i` of query `id`'s result: deterministic, so a soak could recompute it. */
export function resultRow(id: string, i: number): (string | null)[] {
  const t = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString().replace('.000', '');
  return [
    t,
    i % 7 === 0 ? 'ConsoleLogin' : 'DescribeInstances',
    `user-${i % 13}`,
    `203.0.113.${i % 250}`,
    `${id}-${i}`,
  ];
}

/** `?` markers outside string literals, quoted identifiers and comments. */
export function placeholderCount(sql: string): number {
  let count = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      i = end < 0 ? sql.length : end;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === '?') count++;
  }
  return count;
}

function notFound(id: string): [number, unknown] {
  return [
    400,
    {
      __type: 'InvalidRequestException',
      AthenaErrorCode: 'INVALID_INPUT',
      Message: `QueryExecution ${id} was not found`,
    },
  ];
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
  res.end(JSON.stringify(body));
}
