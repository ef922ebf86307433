import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { AthenaClient } from '@aws-sdk/client-athena';
import { createAthenaClient } from '../../../src/engines/athena/client';
import { noWaitRetries } from './no-wait-retries';

/**
 * A local stand-in for the Athena endpoint: the real `@aws-sdk/client-athena` talks to it over HTTP (AWS JSON 1.1,
 * `X-Amz-Target: AmazonAthena.<Operation>`), and it answers from a per-operation script of recorded responses
 * (test/fixtures/athena/*.json). Every request is kept for assertions on what the SDK actually sent.
 */
export interface FakeResponse {
  status: number;
  body: unknown;
}

export interface RecordedRequest {
  operation: string;
  body: Record<string, unknown>;
  headers: IncomingMessage['headers'];
}

const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures', 'athena');

/** A recorded response from test/fixtures/athena/<name>.json. */
export function fixture(name: string): FakeResponse {
  return JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as FakeResponse;
}

/** A GetQueryExecution fixture with fields of its QueryExecution replaced. */
export function withExecution(response: FakeResponse, fields: Record<string, unknown>): FakeResponse {
  const body = response.body as { QueryExecution: Record<string, unknown> };
  return { status: response.status, body: { QueryExecution: { ...body.QueryExecution, ...fields } } };
}

export class FakeAthena {
  readonly requests: RecordedRequest[] = [];
  /** The retries the SDK made on clients from `client()`, by its class of the error (THROTTLING, TRANSIENT). */
  readonly retries: string[] = [];
  private readonly scripts = new Map<string, FakeResponse[]>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeAthena> {
    const server = createServer();
    const fake = new FakeAthena(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const target = String(req.headers['x-amz-target'] ?? '');
        const operation = target.replace(/^AmazonAthena\./, '');
        const text = Buffer.concat(chunks).toString('utf8');
        fake.requests.push({ operation, body: text ? JSON.parse(text) : {}, headers: req.headers });
        // An unscripted call is a test bug: answer with a non-retryable error the test will surface.
        const response = fake.scripts.get(operation)?.shift() ?? {
          status: 400,
          body: { __type: 'UnscriptedOperation', Message: `no scripted response for ${operation}` },
        };
        res.writeHead(response.status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(response.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Queue responses for an operation, answered in order. */
  reply(operation: string, ...responses: FakeResponse[]): this {
    const queue = this.scripts.get(operation) ?? [];
    queue.push(...responses);
    this.scripts.set(operation, queue);
    return this;
  }

  /** Requests for one operation, in order. */
  sent(operation: string): Record<string, unknown>[] {
    return this.requests.filter((r) => r.operation === operation).map((r) => r.body);
  }

  /** Scripted responses nobody asked for (a test expecting a call that never happened). */
  unused(): string[] {
    return [...this.scripts.entries()].filter(([, q]) => q.length > 0).map(([op, q]) => `${op} ×${q.length}`);
  }

  reset(): void {
    this.requests.length = 0;
    this.retries.length = 0;
    this.scripts.clear();
  }

  /**
   * The production client factory pointed at this server, with static test credentials; the SDK's retries happen
   * without waiting (no-wait-retries.ts) and are counted in `retries`.
   */
  client(options: { maxAttempts?: number } = {}): AthenaClient {
    return createAthenaClient({
      region: 'us-east-1',
      endpoint: this.endpoint,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
      retryStrategy: noWaitRetries(options.maxAttempts, this.retries).strategy,
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }
}
