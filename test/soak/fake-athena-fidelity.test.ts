import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  type StartQueryExecutionCommandInput,
} from '@aws-sdk/client-athena';
import { placeholderCount, StatefulFakeAthena } from '../../soak/lib/fake-athena';
import { createAthenaClient } from '../../src/engines/athena/client';

/**
 * The soak's fake Athena refuses what Athena refuses (Athena API Reference, API_StartQueryExecution.html), so a client
 * bug shows in the tests instead of in production: token length, parameter count and size, query size, a reused token
 * with a different query; and it answers by execution id and NextToken, whatever the order of the calls.
 */
let fake: StatefulFakeAthena;
const client = () =>
  createAthenaClient({
    region: 'us-east-1',
    endpoint: fake.endpoint,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
  });
beforeAll(async () => {
  fake = await StatefulFakeAthena.start({ seed: 3, rows: 2500, queuedPolls: 0, runningPolls: 0 });
});
afterAll(() => fake.close());

const TOKEN = 'a'.repeat(64);
const start = (input: Partial<StartQueryExecutionCommandInput>) =>
  client().send(
    new StartQueryExecutionCommand({
      QueryString: 'SELECT 1 FROM t WHERE a = ?',
      ClientRequestToken: TOKEN,
      ExecutionParameters: ["'x'"],
      WorkGroup: 'trailbot',
      ...input,
    }),
  );

test('refuses a bad token, a wrong parameter count or size, and a query over 262,144 bytes', async () => {
  await expect(start({ ClientRequestToken: 'short' })).rejects.toMatchObject({ name: 'InvalidRequestException' });
  await expect(start({ ClientRequestToken: 'b'.repeat(64), ExecutionParameters: ["'x'", "'y'"] })).rejects.toThrow(
    /1 parameter markers but 2/,
  );
  await expect(start({ ClientRequestToken: 'c'.repeat(64), ExecutionParameters: ['x'.repeat(1025)] })).rejects.toThrow(
    /1 to 1024/,
  );
  await expect(
    start({
      ClientRequestToken: 'd'.repeat(64),
      QueryString: `SELECT 1 -- ${'x'.repeat(262_144)}`,
      ExecutionParameters: undefined,
    }),
  ).rejects.toThrow(/262144/);
});

test('one token, one execution id; the same token with another query is refused', async () => {
  const first = await start({});
  const again = await start({});
  expect(again.QueryExecutionId).toBe(first.QueryExecutionId);
  await expect(start({ QueryString: 'SELECT 2 FROM t WHERE a = ?' })).rejects.toMatchObject({
    name: 'IdempotentParameterMismatchException',
  });
});

test('results are keyed by execution id and NextToken, not by the order of the calls', async () => {
  const c = client();
  const ids: string[] = [];
  for (const token of ['e', 'f']) {
    const out = await start({ ClientRequestToken: token.repeat(64) });
    ids.push(out.QueryExecutionId!);
    await c.send(new GetQueryExecutionCommand({ QueryExecutionId: out.QueryExecutionId! }));
  }
  const page = (id: string, next?: string) =>
    c.send(
      new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1000, ...(next ? { NextToken: next } : {}) }),
    );
  const a1 = await page(ids[0]!);
  const b1 = await page(ids[1]!);
  // Interleaved and repeated: each answer depends only on (id, token).
  const a2 = await page(ids[0]!, a1.NextToken);
  const a2again = await page(ids[0]!, a1.NextToken);
  const b2 = await page(ids[1]!, b1.NextToken);
  expect(a2again.ResultSet).toEqual(a2.ResultSet);
  expect(a2.ResultSet?.Rows?.[0]?.Data?.[4]?.VarCharValue).toBe(`${ids[0]}-999`);
  expect(b2.ResultSet?.Rows?.[0]?.Data?.[4]?.VarCharValue).toBe(`${ids[1]}-999`);
});

test('parameter markers are counted outside literals, quoted names and comments', () => {
  expect(placeholderCount(`SELECT '?', "a?" FROM t -- why?\nWHERE x = ? /* or ? */ AND y IN (?, ?)`)).toBe(3);
});
