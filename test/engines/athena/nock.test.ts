import nock from 'nock';
import type { ResultPage } from '../../../src/core/engine';
import { createAthenaClient } from '../../../src/engines/athena/client';
import { AthenaEngine } from '../../../src/engines/athena/engine';
import { queryOf } from '../../helpers/commands';
import { fixture } from './fake-athena';
import { noWaitRetries } from './no-wait-retries';

/**
 * The same recorded Athena responses, intercepted with nock at Athena's real HTTPS endpoint: the real client signs and
 * sends real requests, and nothing leaves the machine (net connect is disabled).
 */
const ATHENA = 'https://athena.us-east-1.amazonaws.com';
const JSON_11 = { 'content-type': 'application/x-amz-json-1.1' };

function athena(operation: string, name: string, seen?: Record<string, unknown>[]) {
  const { status, body } = fixture(name);
  return nock(ATHENA)
    .post('/', (requestBody) => {
      seen?.push(requestBody as Record<string, unknown>);
      return true;
    })
    .matchHeader('x-amz-target', `AmazonAthena.${operation}`)
    .reply(status, body as nock.Body, JSON_11);
}

describe('AthenaEngine over nock', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  test('a throttled start is retried with the same token, then the query runs and pages through', async () => {
    // A quote can no longer reach a parameter (the ARN grammar refuses it; quoting itself: test/query/literal.test.ts):
    // the ARN's other punctuation still arrives only as a literal.
    const q = queryOf('who arn:aws:iam::123456789012:user/o+brien,=x@y.z').query;
    const starts: Record<string, unknown>[] = [];
    athena('StartQueryExecution', 'error-throttling', starts);
    athena('StartQueryExecution', 'start-query-execution', starts);
    athena('GetQueryExecution', 'get-query-execution-running');
    athena('GetQueryExecution', 'get-query-execution-succeeded');
    athena('GetQueryExecution', 'get-query-execution-succeeded');
    athena('GetQueryResults', 'get-query-results-page1');
    athena('GetQueryResults', 'get-query-results-page2');

    const client = createAthenaClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' },
      retryStrategy: noWaitRetries().strategy,
    });
    const engine = new AthenaEngine({ client, workgroup: 'trailbot', database: 'trailbot' });
    const id = await engine.start(q, { executionId: 'nock-1' });
    expect(starts).toHaveLength(2);
    expect(starts[0]!.ClientRequestToken).toBe(starts[1]!.ClientRequestToken);
    expect(starts[1]!.ExecutionParameters).toContain("'arn:aws:iam::123456789012:user/o+brien,=x@y.z'");
    expect(String(starts[1]!.QueryString)).not.toContain('o+brien');

    expect((await engine.status(id)).state).toBe('RUNNING');
    expect((await engine.status(id)).state).toBe('SUCCEEDED');
    const pages: ResultPage[] = [];
    for await (const page of engine.results(id)) pages.push(page);
    expect(pages).toHaveLength(2);
    expect(pages[0]!.columns.length).toBeGreaterThan(0);
    expect(nock.isDone()).toBe(true);
    client.destroy();
  });
});
