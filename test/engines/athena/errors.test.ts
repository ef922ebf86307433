import {
  athenaRequestError,
  describePermissionProblem,
  errorTypeDescription,
  explainAthenaFailure,
  isRetryable,
  isThrottling,
  isUnknownQuery,
} from '../../../src/engines/athena/errors';

const context = { workgroup: 'trailbot', database: 'trailbot', catalog: 'AwsDataCatalog' };
const failed = (
  ErrorMessage: string,
  ErrorType?: number,
  extra: { Retryable?: boolean; ErrorCategory?: number } = {},
) =>
  explainAthenaFailure(
    {
      state: 'FAILED',
      stateChangeReason: ErrorMessage,
      error: { ErrorMessage, ErrorCategory: extra.ErrorCategory ?? 2, Retryable: extra.Retryable ?? false, ErrorType },
    },
    context,
  );

describe('explainAthenaFailure', () => {
  test('a missing database says to run setup', () => {
    const reason = failed("SCHEMA_NOT_FOUND: line 1:15: Schema 'trailbot' does not exist", 1301);
    expect(reason).toBe(
      'Athena database `trailbot` does not exist in catalog `AwsDataCatalog`. Run `npx trail setup` to create it and ' +
        'the CloudTrail table, or set TRAIL_ATHENA_DATABASE to the database that holds it.',
    );
  });

  test('the older "Table not found" wording is recognised too', () => {
    expect(failed("SemanticException [Error 10001]: Line 1:14 Table not found 'cloudtrail_logs'")).toContain(
      'npx trail ddl',
    );
  });

  test('a denied results write names the bucket and s3:PutObject', () => {
    const reason = failed(
      'Access denied when writing output to url: s3://trailbot-results/7f1c.csv. Please ensure you are allowed to ' +
        'access the S3 bucket. If you are encrypting query results with KMS key, please ensure you are allowed to ' +
        'access your KMS key',
      401,
    );
    expect(reason).toContain('`s3://trailbot-results/7f1c.csv`');
    expect(reason).toContain('s3:PutObject');
  });

  test('a KMS denial says kms:Decrypt', () => {
    expect(
      failed('Access denied (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException) on kms key', 1500),
    ).toContain('kms:Decrypt');
  });

  test('throttling inside the query names what throttled and says to re-run', () => {
    expect(failed('Slow Down (Service: Amazon S3; Status Code: 503)', 1403)).toBe(
      'Athena was too busy to finish the query (Amazon S3 throttling). Run it again in a minute.',
    );
  });

  test('the concurrency quota is busy, not a scan cutoff', () => {
    expect(failed('You have exceeded the limit for the number of queries you can run concurrently.', 1406)).toMatch(
      /too busy .* Run it again/,
    );
    expect(
      explainAthenaFailure(
        { state: 'CANCELLED', stateChangeReason: 'Query cancelled! : it exceeded the limit' },
        context,
      ),
    ).toMatch(/Narrow the window/);
  });

  test('resource exhaustion and timeouts say to narrow the window', () => {
    expect(failed('Query exhausted resources at this scale factor', 4)).toMatch(/narrow the window/);
    expect(failed('Query exceeded maximum time limit of 30.00m', 206)).toMatch(/time limit: narrow the window/);
  });

  test('an unreadable file under the prefix says to keep only CloudTrail logs there', () => {
    expect(
      failed(
        'HIVE_CURSOR_ERROR: Row is not a valid JSON Object - JSONException: A JSONObject text must begin with',
        1001,
      ),
    ).toMatch(/could not read a file .* only CloudTrail log files/);
  });

  test("a syntax error is trailbot's bug, said plainly", () => {
    expect(failed("line 1:8: mismatched input 'FORM'. Expecting: ','", 1006)).toMatch(/bug in a trailbot template/);
  });

  test("anything else gives Athena's own message with category and type in words, and whether to retry", () => {
    expect(
      failed(
        'GENERIC_INTERNAL_ERROR: something odd. This query ran against the "trailbot" database, unless qualified',
        213,
        {
          ErrorCategory: 1,
          Retryable: true,
        },
      ),
    ).toBe(
      'The Athena query failed (system error: query engine had an internal error): GENERIC_INTERNAL_ERROR: something ' +
        'odd. Running it again may work.',
    );
  });

  test('a FAILED query with no detail at all still says something', () => {
    expect(explainAthenaFailure({ state: 'FAILED' }, context)).toBe('The Athena query failed.');
  });
});

describe('describePermissionProblem', () => {
  test('an IAM message without a resource still names the action', () => {
    expect(
      describePermissionProblem('User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: s3:ListBucket'),
    ).toBe(
      "trailbot's AWS role is not allowed `s3:ListBucket`. Grant it in the role's IAM policy (the stack in infra/ " +
        'grants everything trailbot needs).',
    );
  });

  test('a bare "Access Denied" while reading results points at the results bucket', () => {
    expect(describePermissionProblem('Access Denied', 'results')).toContain('s3:GetObject` on the workgroup');
  });

  test('text without any denial is not a permission problem', () => {
    expect(describePermissionProblem('line 1:8: mismatched input')).toBeUndefined();
  });
});

describe('errorTypeDescription', () => {
  test.each([
    [0, 'query exhausted resources at this scale factor'],
    [205, 'query engine had an internal error'],
    [301, 'internal service error'],
    [1110, 'table or view does not exist'],
    [1305, 'query engine had an internal error'],
    [1501, 'Amazon S3 permission error'],
    [5000, undefined],
  ])('type %i', (type, description) => {
    expect(errorTypeDescription(type)).toBe(description);
  });
});

describe('classifying API errors', () => {
  const serviceError = (name: string, status: number, message = 'x') =>
    Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

  test('throttling by name or by status', () => {
    expect(isThrottling(serviceError('ThrottlingException', 400))).toBe(true);
    expect(isThrottling(serviceError('TooManyRequestsException', 400))).toBe(true);
    expect(isThrottling(serviceError('Whatever', 429))).toBe(true);
    expect(isThrottling(serviceError('Whatever', 503))).toBe(true);
    expect(isThrottling(serviceError('InvalidRequestException', 400))).toBe(false);
  });

  test('transient server faults and dropped connections are retryable; client errors are not', () => {
    expect(isRetryable(serviceError('InternalServerException', 500))).toBe(true);
    expect(isRetryable(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryable(serviceError('InvalidRequestException', 400))).toBe(false);
    expect(isRetryable(serviceError('AccessDeniedException', 400))).toBe(false);
  });

  test('an unknown query id is recognised from InvalidRequestException only', () => {
    expect(isUnknownQuery(serviceError('InvalidRequestException', 400, 'QueryExecution abc was not found'))).toBe(true);
    expect(
      isUnknownQuery(
        serviceError(
          'InvalidRequestException',
          400,
          "1 validation error detected: Value 'x' at 'queryExecutionId' failed to satisfy constraint",
        ),
      ),
    ).toBe(true);
    expect(isUnknownQuery(serviceError('InvalidRequestException', 400, 'Query has not yet finished'))).toBe(false);
    expect(isUnknownQuery(serviceError('ResourceNotFoundException', 400, 'QueryExecution abc was not found'))).toBe(
      false,
    );
  });

  test('refused calls become messages that say what to fix', () => {
    const workgroup = athenaRequestError(
      serviceError('InvalidRequestException', 400, 'WorkGroup trailbot is not found.'),
      'StartQueryExecution',
      context,
    );
    expect(workgroup.userMessage).toContain('set TRAIL_ATHENA_WORKGROUP');
    const output = athenaRequestError(
      serviceError(
        'InvalidRequestException',
        400,
        'No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input.',
      ),
      'StartQueryExecution',
      context,
    );
    expect(output.userMessage).toMatch(/nowhere to write results.*TRAIL_ATHENA_OUTPUT/);
    const mismatch = athenaRequestError(
      serviceError('InvalidRequestException', 400, 'Idempotent parameters do not match'),
      'StartQueryExecution',
      context,
    );
    expect(mismatch.userMessage).toMatch(/different query.*run the command again/);
    const credentials = athenaRequestError(
      serviceError('UnrecognizedClientException', 400, 'The security token included in the request is invalid.'),
      'StartQueryExecution',
      context,
    );
    expect(credentials.userMessage).toMatch(/credentials/);
    expect(credentials.code).toBe('ATHENA_REQUEST');
    expect(credentials.cause).toBeInstanceOf(Error);
  });
});
