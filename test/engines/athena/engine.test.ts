import type { AthenaClient } from '@aws-sdk/client-athena';
import { type ResultPage, UnknownQueryError } from '../../../src/core/engine';
import type { TrailError } from '../../../src/core/errors';
import type { BoundQuery, SqlParam } from '../../../src/core/query';
import { createAthenaClient } from '../../../src/engines/athena/client';
import { AthenaEngine, clientRequestToken } from '../../../src/engines/athena/engine';
import { AthenaRequestError, AthenaThrottledError, isRetryable } from '../../../src/engines/athena/errors';
import { FakeAthena, type FakeResponse, fixture, withExecution } from './fake-athena';

const QUERY_ID = '7f1c2e9a-3b4d-4e5f-8a9b-0c1d2e3f4a5b';

const query = (params: SqlParam[] = []): BoundQuery => ({
  template: 'security_group_changes',
  sql: 'SELECT eventtime, eventname FROM cloudtrail_logs WHERE "timestamp" BETWEEN ? AND ? AND eventname = ?',
  params,
  partitions: ['2025/11/20'],
  window: {
    start: '2025-11-20T00:00:00.000Z',
    end: '2025-11-20T12:00:00.000Z',
    label: '12h',
    partitions: ['2025/11/20'],
  },
});

const windowParams: SqlParam[] = [
  { type: 'varchar', value: '2025/11/20' },
  { type: 'varchar', value: '2025/11/20' },
  { type: 'varchar', value: 'AuthorizeSecurityGroupIngress' },
];

/** API errors, each with whether trailbot counts it as worth another attempt (isRetryable in errors.ts). */
const API_ERRORS: [string, FakeResponse][] = [
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

async function collect(pages: AsyncIterable<ResultPage>): Promise<ResultPage[]> {
  const out: ResultPage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

describe('AthenaEngine against a local Athena endpoint', () => {
  let fake: FakeAthena;
  let client: AthenaClient;
  // The SDK's retries on this fake's clients (each one a backoff the SDK would have slept; here it does not wait).
  let sleeps: string[];

  const engine = (overrides: Partial<ConstructorParameters<typeof AthenaEngine>[0]> = {}) =>
    new AthenaEngine({
      client,
      workgroup: 'trailbot',
      database: 'trailbot',
      ...overrides,
    });

  beforeAll(async () => {
    fake = await FakeAthena.start();
    client = fake.client();
  });
  afterAll(async () => {
    client.destroy();
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    sleeps = fake.retries;
  });
  afterEach(() => {
    expect(fake.unused()).toEqual([]);
  });

  test('QUEUED → RUNNING → SUCCEEDED, then two result pages with the header row dropped from the first only', async () => {
    fake
      .reply('StartQueryExecution', fixture('start-query-execution'))
      .reply(
        'GetQueryExecution',
        fixture('get-query-execution-queued'),
        fixture('get-query-execution-running'),
        fixture('get-query-execution-succeeded'),
        fixture('get-query-execution-succeeded'),
      )
      .reply('GetQueryResults', fixture('get-query-results-page1'), fixture('get-query-results-page2'));
    const athena = engine();

    const id = await athena.start(query(windowParams), { executionId: 'exec-1' });
    expect(id).toBe(QUERY_ID);

    const queued = await athena.status(id);
    expect(queued).toEqual({ state: 'QUEUED', stats: { bytesScanned: 0, elapsedMs: 0 } });
    const running = await athena.status(id);
    expect(running.state).toBe('RUNNING');
    expect(running.stats.elapsedMs).toBe(590);
    const done = await athena.status(id);
    expect(done).toEqual({
      state: 'SUCCEEDED',
      stats: { bytesScanned: 48211734, elapsedMs: 4102, reusedResult: false },
    });

    const pages = await collect(athena.results(id));
    expect(pages).toEqual([
      {
        columns: ['eventtime', 'eventname', 'actor'],
        rows: [
          ['2025-11-20T08:14:03Z', 'AuthorizeSecurityGroupIngress', 'arn:aws:iam::111122223333:user/alice'],
          ['2025-11-20T09:02:44Z', 'RevokeSecurityGroupIngress', 'arn:aws:sts::111122223333:assumed-role/Admin/bob'],
        ],
      },
      // A data row equal to a label on a later page is data, and a missing VarCharValue is NULL.
      { columns: ['eventtime', 'eventname', 'actor'], rows: [['2025-11-20T11:47:10Z', 'eventname', null]] },
    ]);

    const [first, second] = fake.sent('GetQueryResults');
    expect(first).toEqual({ QueryExecutionId: QUERY_ID, MaxResults: 1000 });
    expect(second).toEqual({
      QueryExecutionId: QUERY_ID,
      MaxResults: 1000,
      NextToken: 'AYADeJ7oFQUxRkUHpZEq1Dt1n2sAXwABABVhd3MtY3J5cHRvLXB1YmxpYy1rZXkAREFvWmNqS0E5',
    });
  });

  test('pages are fetched only as the consumer asks for them', async () => {
    fake
      .reply('GetQueryExecution', fixture('get-query-execution-succeeded'))
      .reply('GetQueryResults', fixture('get-query-results-page1'), fixture('get-query-results-page2'));
    const iterator = engine().results(QUERY_ID, { pageSize: 2 })[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    expect(fake.sent('GetQueryResults')).toHaveLength(1);
    expect(fake.sent('GetQueryResults')[0]).toMatchObject({ MaxResults: 2 });
    await iterator.next();
    expect((await iterator.next()).done).toBe(true);
    expect(fake.sent('GetQueryResults')).toHaveLength(2);
  });

  test('a row that repeats the labels on a later page is data, not a header', async () => {
    const labels = [{ VarCharValue: 'eventtime' }, { VarCharValue: 'eventname' }, { VarCharValue: 'actor' }];
    const page2 = fixture('get-query-results-page2');
    const body = page2.body as { ResultSet: { Rows: unknown[] } };
    body.ResultSet.Rows.unshift({ Data: labels });
    fake
      .reply('GetQueryExecution', fixture('get-query-execution-succeeded'))
      .reply('GetQueryResults', fixture('get-query-results-page1'), page2);
    const pages = await collect(engine().results(QUERY_ID));
    expect(pages.map((p) => p.rows.length)).toEqual([2, 2]);
    expect(pages[1]!.rows[0]).toEqual(['eventtime', 'eventname', 'actor']);
  });

  test('an empty SELECT yields one page with the columns and no rows', async () => {
    fake
      .reply('GetQueryExecution', fixture('get-query-execution-succeeded'))
      .reply('GetQueryResults', fixture('get-query-results-empty'));
    expect(await collect(engine().results(QUERY_ID))).toEqual([
      { columns: ['eventtime', 'eventname', 'actor'], rows: [] },
    ]);
  });

  test('a statement that is not a SELECT keeps its first row', async () => {
    fake
      .reply(
        'GetQueryExecution',
        withExecution(fixture('get-query-execution-succeeded'), {
          StatementType: 'UTILITY',
          SubstatementType: 'SHOW_TABLES',
          Query: 'SHOW TABLES',
        }),
      )
      .reply('GetQueryResults', fixture('get-query-results-empty'));
    const [page] = await collect(engine().results(QUERY_ID));
    expect(page!.rows).toEqual([['eventtime', 'eventname', 'actor']]);
  });

  test('results before SUCCEEDED is a clear error, not an empty result', async () => {
    fake.reply('GetQueryExecution', fixture('get-query-execution-running'));
    await expect(collect(engine().results(QUERY_ID))).rejects.toMatchObject({
      code: 'ATHENA_RESULTS_NOT_READY',
      userMessage: expect.stringContaining('RUNNING'),
    });
  });

  test('the start request: parameters as literals, workgroup, context, token; optional fields only when set', async () => {
    fake.reply('StartQueryExecution', fixture('start-query-execution'), fixture('start-query-execution'));
    await engine().start(query(windowParams), { executionId: 'exec-2' });
    await engine({ catalog: 'other_catalog', outputLocation: 's3://results-bucket/trailbot/' }).start(query(), {
      executionId: 'exec-3',
    });

    const [withParams, bare] = fake.sent('StartQueryExecution');
    expect(withParams).toEqual({
      QueryString: query().sql,
      ClientRequestToken: clientRequestToken('exec-2'),
      WorkGroup: 'trailbot',
      QueryExecutionContext: { Database: 'trailbot', Catalog: 'AwsDataCatalog' },
      ExecutionParameters: ["'2025/11/20'", "'2025/11/20'", "'AuthorizeSecurityGroupIngress'"],
    });
    // Athena rejects an empty ExecutionParameters list, so without parameters the field is absent.
    expect(bare).toEqual({
      QueryString: query().sql,
      ClientRequestToken: clientRequestToken('exec-3'),
      WorkGroup: 'trailbot',
      QueryExecutionContext: { Database: 'trailbot', Catalog: 'other_catalog' },
      ResultConfiguration: { OutputLocation: 's3://results-bucket/trailbot/' },
    });
    expect(fake.requests[0]!.headers['x-amz-target']).toBe('AmazonAthena.StartQueryExecution');
  });

  test('hostile values reach Athena as correctly quoted literals, never as SQL text', async () => {
    fake.reply('StartQueryExecution', fixture('start-query-execution'));
    const hostile: SqlParam[] = [
      { type: 'varchar', value: "x' OR '1'='1" },
      { type: 'varchar', value: "a'';--" },
      { type: 'varchar', value: 'Ünïcødé ✓ 日本語 \u{1F512} back\\slash' },
      { type: 'bigint', value: 42 },
      { type: 'boolean', value: false },
    ];
    await engine().start(
      { ...query(hostile), sql: 'SELECT 1 FROM cloudtrail_logs WHERE a = ? AND b = ? AND c = ? AND d = ? AND e = ?' },
      {
        executionId: 'exec-hostile',
      },
    );
    const [sent] = fake.sent('StartQueryExecution');
    expect(sent!.QueryString).toBe('SELECT 1 FROM cloudtrail_logs WHERE a = ? AND b = ? AND c = ? AND d = ? AND e = ?');
    expect(sent!.ExecutionParameters).toEqual([
      "'x'' OR ''1''=''1'",
      "'a'''';--'",
      "'Ünïcødé ✓ 日本語 \u{1F512} back\\slash'",
      '42',
      'false',
    ]);
  });

  test('a value too long for one ExecutionParameter is refused before calling Athena', async () => {
    await expect(
      engine().start(query([{ type: 'varchar', value: 'x'.repeat(1023) }]), { executionId: 'exec-long' }),
    ).rejects.toMatchObject({ code: 'ATHENA_PARAMETER_TOO_LONG' });
    expect(fake.requests).toHaveLength(0);
  });

  test('ClientRequestToken: derived from the execution id, 32–128 characters, distinct per execution', () => {
    const token = clientRequestToken('exec-1');
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(clientRequestToken('exec-1')).toBe(token);
    expect(clientRequestToken('exec-2')).not.toBe(token);
  });

  test('a throttled start is retried with backoff and the same token, then succeeds', async () => {
    fake.reply(
      'StartQueryExecution',
      fixture('error-throttling'),
      fixture('error-too-many-requests'),
      fixture('start-query-execution'),
    );
    const id = await engine().start(query(windowParams), { executionId: 'exec-throttled' });
    expect(id).toBe(QUERY_ID);
    const starts = fake.sent('StartQueryExecution');
    expect(starts).toHaveLength(3);
    expect(new Set(starts.map((s) => s.ClientRequestToken))).toEqual(new Set([clientRequestToken('exec-throttled')]));
    // The SDK's schedule (full jitter, 1 s base for throttling) is its own: two retries, both for throttling.
    expect(sleeps).toEqual(['THROTTLING', 'THROTTLING']);
  });

  test('HTTP 429 and 503 are throttling too, whatever the error name', async () => {
    fake.reply(
      'GetQueryExecution',
      { status: 429, body: { __type: 'SomethingElse', Message: 'slow down' } },
      { status: 503, body: { __type: 'ServiceUnavailable', Message: 'try later' } },
      fixture('get-query-execution-running'),
    );
    expect((await engine().status(QUERY_ID)).state).toBe('RUNNING');
    expect(sleeps).toHaveLength(2);
  });

  test('throttling that never stops gives up after the cap with a clear error; delays are capped', async () => {
    const throttled = Array.from({ length: 5 }, () => fixture('error-throttling'));
    fake.reply('StartQueryExecution', ...throttled);
    const fiveAttempts = fake.client({ maxAttempts: 5 });
    const error = await engine({ client: fiveAttempts })
      .start(query(windowParams), { executionId: 'exec-busy' })
      .catch((e: unknown) => e);
    fiveAttempts.destroy();
    expect(error).toBeInstanceOf(AthenaThrottledError);
    expect((error as TrailError).code).toBe('ATHENA_THROTTLED');
    expect((error as TrailError).userMessage).toMatch(/Athena is busy.*5 times.*Try again/);
    expect(fake.sent('StartQueryExecution')).toHaveLength(5);
    // The delays and their cap are the SDK's (20 s); four retries between the five attempts.
    expect(sleeps).toHaveLength(4);
  });

  test('FAILED: table not found says to run the DDL / setup', async () => {
    fake.reply('GetQueryExecution', fixture('get-query-execution-failed-table-not-found'));
    const status = await engine().status(QUERY_ID);
    expect(status.state).toBe('FAILED');
    expect(status.reason).toContain('`awsdatacatalog.trailbot.cloudtrail_logs` does not exist');
    expect(status.reason).toContain('npx trail ddl');
    expect(status.reason).toContain('npx trail setup');
  });

  test('FAILED: S3 access denied names the path and the permissions to grant', async () => {
    fake.reply('GetQueryExecution', fixture('get-query-execution-failed-s3-access-denied'));
    const status = await engine().status(QUERY_ID);
    expect(status.reason).toContain(
      '`s3://trailbot-logs-111122223333/AWSLogs/111122223333/CloudTrail/us-east-1/2025/11/20/111122223333_CloudTrail_us-east-1_20251120T0005Z_abc.json.gz`',
    );
    expect(status.reason).toContain('s3:GetObject');
    expect(status.reason).not.toContain('Please post the error message');
  });

  test('FAILED: an IAM denial names the missing action', async () => {
    fake.reply('GetQueryExecution', fixture('get-query-execution-failed-glue-access-denied'));
    const status = await engine().status(QUERY_ID);
    expect(status.reason).toMatch(
      /not allowed `glue:GetTable` on `arn:aws:glue:us-east-1:111122223333:table\/trailbot\/cloudtrail_logs`/,
    );
  });

  test('CANCELLED by the workgroup bytes-scanned cutoff says to narrow the window, with the bytes billed', async () => {
    fake.reply('GetQueryExecution', fixture('get-query-execution-cancelled-cutoff'));
    const status = await engine().status(QUERY_ID);
    expect(status.state).toBe('CANCELLED');
    expect(status.reason).toMatch(/workgroup `trailbot` allows per query.*Narrow the window/);
    expect(status.stats.bytesScanned).toBe(10485760000);
  });

  test('cancel sends StopQueryExecution, and the query then reports CANCELLED', async () => {
    fake
      .reply('StopQueryExecution', fixture('stop-query-execution'), fixture('stop-query-execution'))
      .reply('GetQueryExecution', fixture('get-query-execution-cancelled'));
    const athena = engine();
    await athena.cancel(QUERY_ID);
    await athena.cancel(QUERY_ID); // idempotent
    expect(fake.sent('StopQueryExecution')).toEqual([{ QueryExecutionId: QUERY_ID }, { QueryExecutionId: QUERY_ID }]);
    const status = await athena.status(QUERY_ID);
    expect(status).toEqual({
      state: 'CANCELLED',
      reason: 'The query was cancelled before it finished.',
      stats: { bytesScanned: 3170304, elapsedMs: 1690 },
    });
  });

  test('result reuse: requested with the configured max age, and a hit is reported in stats', async () => {
    fake
      .reply('StartQueryExecution', fixture('start-query-execution'))
      .reply('GetQueryExecution', fixture('get-query-execution-succeeded-reused'));
    const athena = engine({ reuseMaxAgeMinutes: 60 });
    await athena.start(query(windowParams), { executionId: 'exec-reuse' });
    const [sent] = fake.sent('StartQueryExecution');
    expect(sent!.ResultReuseConfiguration).toEqual({
      ResultReuseByAgeConfiguration: { Enabled: true, MaxAgeInMinutes: 60 },
    });
    // The query text carries a digest of the values, so a result is reused only for the same values.
    expect(sent!.QueryString).toMatch(/^SELECT .*\n-- trailbot parameters sha256:[0-9a-f]{64}$/s);
    expect((await athena.status(QUERY_ID)).stats).toEqual({ bytesScanned: 0, elapsedMs: 296, reusedResult: true });
  });

  test('different values give different reusable query strings; without reuse the text is the template', async () => {
    fake.reply('StartQueryExecution', ...Array.from({ length: 3 }, () => fixture('start-query-execution')));
    const reuse = engine({ reuseMaxAgeMinutes: 5 });
    await reuse.start(query(windowParams), { executionId: 'a' });
    await reuse.start(query([...windowParams.slice(0, 2), { type: 'varchar', value: 'CreateUser' }]), {
      executionId: 'b',
    });
    await engine().start(query(windowParams), { executionId: 'c' });
    const [a, b, c] = fake.sent('StartQueryExecution');
    expect(a!.QueryString).not.toBe(b!.QueryString);
    expect(c!.QueryString).toBe(query().sql);
    expect(c!.ResultReuseConfiguration).toBeUndefined();
  });

  test('an unknown query id is UnknownQueryError (status, results and cancel)', async () => {
    fake.reply('GetQueryExecution', fixture('error-query-not-found'), fixture('error-query-not-found'));
    fake.reply('StopQueryExecution', fixture('error-query-not-found'));
    const id = '00000000-0000-4000-8000-000000000000';
    await expect(engine().status(id)).rejects.toBeInstanceOf(UnknownQueryError);
    await expect(collect(engine().results(id))).rejects.toBeInstanceOf(UnknownQueryError);
    await expect(engine().cancel(id)).rejects.toBeInstanceOf(UnknownQueryError);
  });

  test('results the role may not read point at s3:GetObject on the results bucket', async () => {
    fake.reply('GetQueryExecution', fixture('get-query-execution-succeeded')).reply('GetQueryResults', {
      status: 400,
      body: {
        __type: 'InvalidRequestException',
        AthenaErrorCode: 'INVALID_INPUT',
        Message: 'Access Denied (Service: Amazon S3; Status Code: 403; Error Code: AccessDenied; Request ID: 8A3F)',
      },
    });
    await expect(collect(engine().results(QUERY_ID))).rejects.toMatchObject({
      code: 'ATHENA_REQUEST',
      userMessage: expect.stringContaining("`s3:GetObject` on the workgroup's results bucket"),
    });
  });

  test('an IAM denial on StartQueryExecution becomes a message naming the action, without retrying', async () => {
    fake.reply('StartQueryExecution', fixture('error-start-access-denied'));
    const error = await engine()
      .start(query(windowParams), { executionId: 'exec-denied' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AthenaRequestError);
    expect((error as TrailError).userMessage).toContain('`athena:StartQueryExecution`');
    expect(sleeps).toEqual([]);
  });

  // Retrying is the SDK client's job (retryMode 'adaptive', client.ts): it must retry exactly what trailbot counts as
  // retryable, error by error, over HTTP.
  test.each(API_ERRORS)('the client retries %s exactly when trailbot counts it retryable', async (_, response) => {
    const { __type: name } = response.body as { __type: string };
    const retryable = isRetryable(
      Object.assign(new Error('x'), { name, $metadata: { httpStatusCode: response.status } }),
    );
    fake.reply('GetQueryExecution', response, ...(retryable ? [fixture('get-query-execution-running')] : []));
    const outcome = await engine()
      .status(QUERY_ID)
      .then(
        (s) => s.state,
        () => 'refused',
      );
    expect({ retried: sleeps.length, outcome }).toEqual(
      retryable ? { retried: 1, outcome: 'RUNNING' } : { retried: 0, outcome: 'refused' },
    );
  });

  test('the production client is built for adaptive retries with six attempts', async () => {
    const production = createAthenaClient({ region: 'us-east-1' });
    try {
      expect(await production.config.maxAttempts()).toBe(6);
      const strategy = (await production.config.retryStrategy()) as { mode?: string };
      expect(strategy.mode).toBe('adaptive');
    } finally {
      production.destroy();
    }
  });

  test('estimate exists only with an estimator, and delegates to it', async () => {
    expect(engine().estimate).toBeUndefined();
    const seen: BoundQuery[] = [];
    const withEstimator = engine({
      estimator: {
        estimate: async (q) => {
          seen.push(q);
          return { bytes: 1234, objects: 2 };
        },
      },
    });
    expect(await withEstimator.estimate!(query())).toEqual({ bytes: 1234, objects: 2 });
    expect(seen).toHaveLength(1);
  });

  test('configuration problems are reported together', () => {
    expect(() => engine({ workgroup: 'bad name!', outputLocation: 'results/', reuseMaxAgeMinutes: 20_000 })).toThrow(
      expect.objectContaining({
        problems: [
          expect.stringContaining('workgroup'),
          expect.stringContaining('s3://'),
          expect.stringContaining('reuse'),
        ],
      }),
    );
  });
});
