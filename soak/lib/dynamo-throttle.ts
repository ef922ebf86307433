/**
 * A small HTTP proxy on 127.0.0.1 in front of dynalite that answers a share of DynamoDB requests the way DynamoDB
 * does when a table or partition is over its throughput: HTTP 400 with
 * `{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"}`. The AWS SDK treats
 * that as a throttling error and retries it with backoff (standard retry mode), so the store's real DynamoDBClient is
 * exercised exactly as it would be against a throttled table. Everything else is forwarded unchanged.
 */
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Random } from '../../src/sample/random';

export interface ThrottleStats {
  /** Requests seen, by DynamoDB operation (`X-Amz-Target` without the service prefix). */
  requests: Record<string, number>;
  /** Requests answered with ThrottlingException, by operation. */
  throttled: Record<string, number>;
}

export interface ThrottlingProxy {
  endpoint: string;
  /** Share of requests to throttle from now on, 0..1. */
  setRate(rate: number): void;
  stats(): ThrottleStats;
  close(): Promise<void>;
}

const THROTTLED_BODY = JSON.stringify({
  __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
  message: 'Rate exceeded',
});

/**
 * `target` is dynalite's endpoint (`http://127.0.0.1:PORT`). `burst` makes throttling come in runs, as a hot
 * partition does: once a request is throttled, the next `burst - 1` are too.
 */
export async function startThrottlingProxy(o: {
  target: string;
  rate: number;
  seed: number;
  burst?: number;
}): Promise<ThrottlingProxy> {
  const target = new URL(o.target);
  const rng = new Random(o.seed, 'dynamo-throttle');
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const stats: ThrottleStats = { requests: {}, throttled: {} };
  let rate = o.rate;
  let runLeft = 0;

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse): void => {
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${err.message}`);
    });
    upstream.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? 'unknown').replace(/^DynamoDB_\d+\./, '');
      stats.requests[operation] = (stats.requests[operation] ?? 0) + 1;
      let throttle = false;
      if (runLeft > 0) {
        runLeft--;
        throttle = true;
      } else if (rate > 0 && rng.chance(rate)) {
        runLeft = Math.max(0, (o.burst ?? 1) - 1);
        throttle = true;
      }
      if (throttle) {
        stats.throttled[operation] = (stats.throttled[operation] ?? 0) + 1;
        res.writeHead(400, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-requestid': `THROTTLED${rng.upperAlnum(20)}`,
        });
        res.end(THROTTLED_BODY);
        return;
      }
      forward(req, Buffer.concat(chunks), res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setRate(r) {
      rate = r;
      runLeft = 0;
    },
    stats: () => ({ requests: { ...stats.requests }, throttled: { ...stats.throttled } }),
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}
