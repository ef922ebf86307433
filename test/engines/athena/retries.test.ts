import type { AthenaClient } from '@aws-sdk/client-athena';
import { createAthenaClient } from '../../../src/engines/athena/client';
import { AthenaEngine } from '../../../src/engines/athena/engine';
import { isRetryable } from '../../../src/engines/athena/errors';
import { FakeAthena, type FakeResponse, fixture } from './fake-athena';

/**
 * Retrying is the SDK client's job (retryMode 'adaptive', client.ts). trailbot's own list of what must be retried
 * (isRetryable in errors.ts) is held against what the client really retries, error by error, over HTTP.
 */
const ERRORS: [string, FakeResponse][] = [
  ['ThrottlingException', { status: 400, body: { __type: 'ThrottlingException', Message: 'Rate exceeded' } }],
  ['TooManyRequestsException', { status: 400, body: { __type: 'TooManyRequestsException', Message: 'queue full' } }],
  ['HTTP 429', { status: 429, body: { __type: 'SomethingElse', Message: 'slow down' } }],
  ['HTTP 503', { status: 503, body: { __type: 'ServiceUnavailable', Message: 'try later' } }],
  ['InternalServerException', { status: 500, body: { __type: 'InternalServerException', Message: 'oops' } }],
  ['HTTP 502', { status: 502, body: { __type: 'BadGateway', Message: 'bad gateway' } }],
  ['HTTP 504', { status: 504, body: { __type: 'GatewayTimeout', Message: 'gateway timeout' } }],
  ['InvalidRequestException', { status: 400, body: { __type: 'InvalidRequestException', Message: 'bad request' } }],
  ['AccessDeniedException', { status: 400, body: { __type: 'AccessDeniedException', Message: 'not authorized' } }],
];

describe('the Athena client retries what trailbot counts as retryable, and nothing else', () => {
  let fake: FakeAthena;
  let client: AthenaClient;
  beforeAll(async () => {
    fake = await FakeAthena.start();
    client = fake.client();
  });
  afterAll(async () => {
    client.destroy();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  test.each(ERRORS)('%s', async (_, response) => {
    const body = response.body as { __type: string };
    const retryable = isRetryable(
      Object.assign(new Error('x'), { name: body.__type, $metadata: { httpStatusCode: response.status } }),
    );
    fake.reply('GetQueryExecution', response, fixture('get-query-execution-running'));
    const engine = new AthenaEngine({ client, workgroup: 'trailbot', database: 'trailbot' });
    const outcome = await engine.status('7f1c2e9a-3b4d-4e5f-8a9b-0c1d2e3f4a5b').then(
      (s) => s.state,
      () => 'refused',
    );
    expect({ retried: fake.retries.length, outcome }).toEqual(
      retryable ? { retried: 1, outcome: 'RUNNING' } : { retried: 0, outcome: 'refused' },
    );
  });

  test('the client is built for adaptive retries with six attempts', async () => {
    const production = createAthenaClient({ region: 'us-east-1' });
    try {
      expect(await production.config.maxAttempts()).toBe(6);
      const strategy = (await production.config.retryStrategy()) as { mode?: string };
      expect(strategy.mode).toBe('adaptive');
    } finally {
      production.destroy();
    }
  });
});
