import { createServer, type Server, type Socket } from 'node:net';
import { GetQueryExecutionCommand } from '@aws-sdk/client-athena';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createAthenaClient } from '../../../src/engines/athena/client';
import { createS3Client } from '../../../src/engines/athena/s3';

const CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

/** A TCP server that accepts connections and never answers: a stalled socket. */
async function silentServer(): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('request timeouts', () => {
  test('a stalled Athena or S3 socket fails the call instead of hanging the question', async () => {
    const stalled = await silentServer();
    try {
      const athena = createAthenaClient({
        region: 'us-east-1',
        endpoint: stalled.endpoint,
        credentials: CREDENTIALS,
        requestTimeoutMs: 200,
      });
      await expect(athena.send(new GetQueryExecutionCommand({ QueryExecutionId: 'q-1' }))).rejects.toMatchObject({
        name: 'TimeoutError',
      });
      athena.destroy();
      const s3 = createS3Client({
        region: 'us-east-1',
        endpoint: stalled.endpoint,
        credentials: CREDENTIALS,
        maxAttempts: 1,
        requestTimeoutMs: 200,
      });
      await expect(s3.send(new ListObjectsV2Command({ Bucket: 'trail-bucket' }))).rejects.toMatchObject({
        name: 'TimeoutError',
      });
      s3.destroy();
    } finally {
      await stalled.close();
    }
  }, 10_000);

  test('the defaults: 5 s to connect, 30 s to the response headers, 30 s of inactivity while the body streams', async () => {
    const athena = createAthenaClient({ region: 'us-east-1', credentials: CREDENTIALS });
    const s3 = createS3Client({ region: 'us-east-1', credentials: CREDENTIALS });
    for (const client of [athena, s3]) {
      const handler = client.config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> };
      expect(await handler.configProvider).toMatchObject({
        connectionTimeout: 5000,
        requestTimeout: 30_000,
        throwOnRequestTimeout: true,
        socketTimeout: 30_000,
      });
      client.destroy();
    }
  });
});
