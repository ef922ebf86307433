import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { enableTimeToLive } from '../../src/store/table-admin';
import { dynamoClient } from './helpers';

/**
 * dynalite has no UpdateTimeToLive (it answers UnknownOperationException), so this speaks the two TTL operations of the
 * DynamoDB JSON protocol (`X-Amz-Target: DynamoDB_20120810.<Operation>`) from a tiny local server, to the real SDK
 * client.
 */
function fakeTtlServer(description: Record<string, string>) {
  const calls: { operation: string; body: Record<string, unknown> }[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target']).split('.')[1];
      const body = JSON.parse(text) as Record<string, unknown>;
      calls.push({ operation, body });
      const reply =
        operation === 'DescribeTimeToLive'
          ? { TimeToLiveDescription: description }
          : { TimeToLiveSpecification: body.TimeToLiveSpecification };
      res.setHeader('Content-Type', 'application/x-amz-json-1.0');
      res.end(JSON.stringify(reply));
    });
  });
  return { server, calls };
}

async function withServer(description: Record<string, string>, run: (endpoint: string) => Promise<void>) {
  const fake = fakeTtlServer(description);
  await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
  try {
    await run(`http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`);
  } finally {
    fake.server.closeAllConnections();
    await new Promise((resolve) => fake.server.close(resolve));
  }
  return fake.calls;
}

describe('enableTimeToLive', () => {
  test('turns TTL on for expiresAt when it is off', async () => {
    const calls = await withServer({ TimeToLiveStatus: 'DISABLED' }, async (endpoint) => {
      const client = dynamoClient(endpoint);
      await expect(enableTimeToLive(client, 'trailbot')).resolves.toBe('enabled');
      client.destroy();
    });
    expect(calls.map((c) => c.operation)).toEqual(['DescribeTimeToLive', 'UpdateTimeToLive']);
    expect(calls[1].body).toEqual({
      TableName: 'trailbot',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  test('does not call UpdateTimeToLive again when it is already on (a second call within an hour fails)', async () => {
    const calls = await withServer({ TimeToLiveStatus: 'ENABLING', AttributeName: 'expiresAt' }, async (endpoint) => {
      const client = dynamoClient(endpoint);
      await expect(enableTimeToLive(client, 'trailbot')).resolves.toBe('already-enabled');
      client.destroy();
    });
    expect(calls.map((c) => c.operation)).toEqual(['DescribeTimeToLive']);
  });

  test('refuses a table whose TTL uses another attribute', async () => {
    await withServer({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' }, async (endpoint) => {
      const client = dynamoClient(endpoint);
      await expect(enableTimeToLive(client, 'trailbot')).rejects.toMatchObject({
        code: 'STORE_TTL_ATTRIBUTE',
        userMessage: expect.stringContaining('`ttl`, not `expiresAt`'),
      });
      client.destroy();
    });
  });
});
