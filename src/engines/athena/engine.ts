import { createHash } from 'node:crypto';
import {
  type AthenaClient,
  type ColumnInfo,
  GetQueryExecutionCommand,
  type GetQueryExecutionCommandOutput,
  GetQueryResultsCommand,
  type QueryExecution,
  StartQueryExecutionCommand,
  type StartQueryExecutionCommandInput,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  type QueryEngine,
  type QueryState,
  type QueryStatus,
  type ResultPage,
  type StartOptions,
  UnknownQueryError,
} from '../../core/engine';
import { ConfigError, TrailError } from '../../core/errors';
import type { BoundQuery } from '../../core/query';
import { sqlLiteral } from '../../query/literal';
import {
  type AthenaContext,
  type AthenaFailure,
  AthenaThrottledError,
  athenaRequestError,
  explainAthenaFailure,
  isThrottling,
  isUnknownQuery,
} from './errors';
import type { PartitionEstimate, PartitionEstimator } from './estimate';
import { parseS3Url, resultFilePages } from './result-file';

export interface AthenaEngineOptions {
  /** Build it with `createAthenaClient` (client.ts): the SDK retries throttling and transient faults itself. */
  client: AthenaClient;
  workgroup: string;
  /** Database the templates' unqualified `cloudtrail_logs` resolves in. */
  database: string;
  /** Default `AwsDataCatalog`. */
  catalog?: string;
  /** `s3://…/` for results; only sent when set, so a workgroup that enforces its own location keeps working. */
  outputLocation?: string;
  /**
   * Athena result reuse max age in minutes (0–10080); 0 or undefined = off. Athena ignores it when the query overrides
   * the workgroup's result configuration (reusing-query-results.html), i.e. when `outputLocation` is sent.
   */
  reuseMaxAgeMinutes?: number;
  /**
   * Reads a SELECT's result file (`<OutputLocation>/<id>.csv`) with one streamed GetObject instead of paging
   * GetQueryResults; when the file cannot be read (no `s3:GetObject`, another account's bucket) the engine pages the
   * API as before. Build it with `createS3Client` (s3.ts).
   */
  resultsClient?: S3Client;
  /** Cost pre-flight (`estimate`); without it the engine has no `estimate`. */
  estimator?: PartitionEstimator;
}

export interface StartStatementOptions {
  executionId: string;
  /** Values for the `?` markers, already rendered as SQL literals. */
  executionParameters?: string[];
  /** `null` leaves Database out of the context (CREATE DATABASE runs before the database exists). */
  database?: string | null;
  /** Allow Athena result reuse for this statement (only SELECTs may reuse). Default false. */
  reuse?: boolean;
}

/** Athena's limits (API_StartQueryExecution.html; service-limits.html): not adjustable, so checked before calling. */
const MAX_QUERY_BYTES = 262_144;
const MAX_PARAMETER_CHARS = 1024;
const MAX_REUSE_MINUTES = 10_080;
const MAX_PAGE_ROWS = 1000;
const WORKGROUP = /^[a-zA-Z0-9._-]{1,128}$/;

/**
 * ClientRequestToken for an execution: 32 to 128 characters, and repeating a token returns the same QueryExecutionId
 * (Athena API Reference, "StartQueryExecution"). Derived from trailbot's execution id, so a start retried by this
 * engine, by the runner after a crash or by a second replica lands on the one Athena query.
 */
export function clientRequestToken(executionId: string): string {
  return createHash('sha256').update(`trailbot:${executionId}`).digest('hex');
}

/**
 * QueryEngine over Amazon Athena. Values reach Athena only as ExecutionParameters rendered by `sqlLiteral`; the
 * query text is the template's. Polling is the runner's job: `status` makes exactly one GetQueryExecution call.
 */
export class AthenaEngine implements QueryEngine {
  readonly kind = 'athena' as const;
  readonly estimate?: (query: BoundQuery) => Promise<PartitionEstimate>;

  private readonly client: AthenaClient;
  private readonly context: AthenaContext;
  private readonly outputLocation: string | undefined;
  private readonly reuseMaxAgeMinutes: number;
  private readonly resultsClient: S3Client | undefined;

  constructor(options: AthenaEngineOptions) {
    const problems: string[] = [];
    if (!WORKGROUP.test(options.workgroup)) {
      problems.push(
        `Athena workgroup \`${options.workgroup}\` is not a valid name (letters, digits, . _ -; up to 128)`,
      );
    }
    if (options.database.trim() === '') problems.push('the Athena database is empty');
    if (options.outputLocation !== undefined && !options.outputLocation.startsWith('s3://')) {
      problems.push(`Athena output location \`${options.outputLocation}\` must start with s3://`);
    }
    const reuse = options.reuseMaxAgeMinutes ?? 0;
    if (!Number.isInteger(reuse) || reuse < 0 || reuse > MAX_REUSE_MINUTES) {
      problems.push(`Athena result reuse max age must be a whole number of minutes from 0 to ${MAX_REUSE_MINUTES}`);
    }
    if (problems.length > 0) throw new ConfigError(problems);

    this.client = options.client;
    this.context = {
      workgroup: options.workgroup,
      database: options.database,
      catalog: options.catalog ?? 'AwsDataCatalog',
    };
    this.outputLocation = options.outputLocation;
    this.resultsClient = options.resultsClient;
    this.reuseMaxAgeMinutes = reuse;
    const estimator = options.estimator;
    if (estimator) this.estimate = (query) => estimator.estimate(query);
  }

  get workgroup(): string {
    return this.context.workgroup;
  }

  get database(): string {
    return this.context.database;
  }

  async start(query: BoundQuery, options: StartOptions): Promise<string> {
    return this.startStatement(query.sql, {
      executionId: options.executionId,
      executionParameters: query.params.map(sqlLiteral),
      reuse: true,
    });
  }

  /** StartQueryExecution for any statement (queries, and the DDL in setup.ts). */
  async startStatement(sql: string, options: StartStatementOptions): Promise<string> {
    if (options.executionId === '') throw new RangeError('an execution id is required');
    const parameters = options.executionParameters ?? [];
    for (const literal of parameters) {
      if (literal.length > MAX_PARAMETER_CHARS) {
        throw new TrailError(
          'ATHENA_PARAMETER_TOO_LONG',
          `A value is too long for Athena (at most ${MAX_PARAMETER_CHARS} characters per parameter): shorten it.`,
        );
      }
    }
    const reuse = options.reuse === true && this.reuseMaxAgeMinutes > 0;
    const queryString = reuse && parameters.length > 0 ? withParameterDigest(sql, parameters) : sql;
    if (Buffer.byteLength(queryString, 'utf8') > MAX_QUERY_BYTES) {
      throw new TrailError(
        'ATHENA_QUERY_TOO_LONG',
        `The query is longer than Athena accepts (${MAX_QUERY_BYTES} bytes): ask for fewer values at once.`,
      );
    }
    const database = options.database === undefined ? this.context.database : options.database;
    const input: StartQueryExecutionCommandInput = {
      QueryString: queryString,
      ClientRequestToken: clientRequestToken(options.executionId),
      WorkGroup: this.context.workgroup,
      QueryExecutionContext: {
        ...(database !== null ? { Database: database } : {}),
        Catalog: this.context.catalog,
      },
    };
    // "ExecutionParameters: at least one item" (API_StartQueryExecution): an empty list is a validation error.
    if (parameters.length > 0) input.ExecutionParameters = parameters;
    if (this.outputLocation !== undefined) input.ResultConfiguration = { OutputLocation: this.outputLocation };
    if (reuse) {
      input.ResultReuseConfiguration = {
        ResultReuseByAgeConfiguration: { Enabled: true, MaxAgeInMinutes: this.reuseMaxAgeMinutes },
      };
    }
    const out = await this.call('StartQueryExecution', () => this.client.send(new StartQueryExecutionCommand(input)));
    if (!out.QueryExecutionId) {
      throw athenaRequestError(new Error('no QueryExecutionId'), 'StartQueryExecution', this.context);
    }
    return out.QueryExecutionId;
  }

  async status(engineId: string): Promise<QueryStatus> {
    const execution = await this.execution(engineId);
    const state = execution.Status?.State as QueryState | undefined;
    if (state === undefined) {
      throw athenaRequestError(new Error(`no state for query ${engineId}`), 'GetQueryExecution', this.context);
    }
    const statistics = execution.Statistics;
    const status: QueryStatus = {
      state,
      stats: {
        bytesScanned: statistics?.DataScannedInBytes ?? 0,
        elapsedMs: statistics?.TotalExecutionTimeInMillis ?? statistics?.EngineExecutionTimeInMillis ?? 0,
      },
    };
    const reused = statistics?.ResultReuseInformation?.ReusedPreviousResult;
    if (reused !== undefined) status.stats.reusedResult = reused;
    if (state === 'FAILED' || state === 'CANCELLED') {
      const failure: AthenaFailure = { state };
      const { StateChangeReason, AthenaError } = execution.Status ?? {};
      if (StateChangeReason !== undefined) failure.stateChangeReason = StateChangeReason;
      if (AthenaError !== undefined) failure.error = AthenaError;
      status.reason = explainAthenaFailure(failure, this.context);
      // "FAILED is always terminal with no automatic retry" (API_QueryExecutionStatus): Athena marks transient
      // failures Retryable and leaves the retry to the caller.
      if (state === 'FAILED' && AthenaError?.Retryable === true) status.retryable = true;
    }
    return status;
  }

  /**
   * One ResultPage per GetQueryResults page (at most 1000 rows), fetched as the consumer asks for it, so a large
   * result is never held in memory. For a SELECT the first row of the first page repeats the column names
   * (undocumented by AWS; described in uber/athenadriver's resources/UndocumentedAthena.md), so it is dropped there
   * and only there. One GetQueryExecution comes first: it refuses early when the query has not SUCCEEDED and tells
   * whether the statement is a SELECT.
   */
  async *results(engineId: string, options: { pageSize?: number } = {}): AsyncIterable<ResultPage> {
    const maxResults = Math.min(MAX_PAGE_ROWS, Math.max(1, Math.floor(options.pageSize ?? MAX_PAGE_ROWS)));
    const execution = await this.execution(engineId);
    const state = execution.Status?.State;
    if (state !== 'SUCCEEDED') {
      throw new TrailError(
        'ATHENA_RESULTS_NOT_READY',
        `The results of Athena query ${engineId} are not available: it is ${state ?? 'in an unknown state'}.`,
      );
    }
    const headerExpected = returnsHeaderRow(execution);
    const file = parseS3Url(execution.ResultConfiguration?.OutputLocation ?? '');
    if (this.resultsClient && headerExpected && file?.key.endsWith('.csv')) {
      let yielded = false;
      try {
        for await (const page of resultFilePages(this.resultsClient, file, maxResults)) {
          yielded = true;
          yield page;
        }
        return;
      } catch (err) {
        // Before the first page nothing is lost: fall back to GetQueryResults. After it, the caller has rows already.
        if (yielded) throw err;
      }
    }
    let columns: string[] | undefined;
    let nextToken: string | undefined;
    let firstPage = true;
    do {
      const token = nextToken;
      const out = await this.call(
        'GetQueryResults',
        () =>
          this.client.send(
            new GetQueryResultsCommand({
              QueryExecutionId: engineId,
              MaxResults: maxResults,
              ...(token !== undefined ? { NextToken: token } : {}),
            }),
          ),
        { engineId, where: 'results' },
      );
      const info = out.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
      columns ??= info.map((c) => c.Name ?? c.Label ?? '');
      const width = columns.length;
      let rows = (out.ResultSet?.Rows ?? []).map((row) => {
        const cells = (row.Data ?? []).map((datum) => datum.VarCharValue ?? null);
        while (cells.length < width) cells.push(null);
        return cells;
      });
      if (firstPage && headerExpected && rows.length > 0 && isHeaderRow(rows[0]!, info)) rows = rows.slice(1);
      firstPage = false;
      yield { columns, rows };
      nextToken = out.NextToken;
    } while (nextToken !== undefined && nextToken !== '');
  }

  /** StopQueryExecution: idempotent in the service model; stopping a finished query changes nothing. */
  async cancel(engineId: string): Promise<void> {
    await this.call(
      'StopQueryExecution',
      () => this.client.send(new StopQueryExecutionCommand({ QueryExecutionId: engineId })),
      { engineId },
    );
  }

  private async execution(engineId: string): Promise<QueryExecution> {
    const out: GetQueryExecutionCommandOutput = await this.call(
      'GetQueryExecution',
      () => this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: engineId })),
      { engineId },
    );
    if (!out.QueryExecution) throw new UnknownQueryError(engineId);
    return out.QueryExecution;
  }

  /**
   * One API call (the client retries throttling and transient faults, client.ts); what still fails becomes an error
   * that says what to fix: throttling the SDK gave up on says how often it tried.
   */
  private async call<T>(
    operation: string,
    send: () => Promise<T>,
    about: { engineId?: string; where?: 'query' | 'results' } = {},
  ): Promise<T> {
    try {
      return await send();
    } catch (err) {
      if (err instanceof TrailError) throw err;
      if (isThrottling(err)) throw new AthenaThrottledError(operation, attemptsOf(err), { cause: err });
      if (about.engineId !== undefined && isUnknownQuery(err)) throw new UnknownQueryError(about.engineId);
      throw athenaRequestError(err, operation, this.context, about.where);
    }
  }
}

/**
 * Athena matches reusable results by "query strings" (reusing-query-results.html) and does not say whether
 * ExecutionParameters take part. Two windows of the same template differ only in their parameters, so the query
 * string carries a digest of them: results are then reused only for the same text *and* the same values.
 */
function withParameterDigest(sql: string, parameters: string[]): string {
  const digest = createHash('sha256').update(JSON.stringify(parameters)).digest('hex');
  return `${sql}\n-- trailbot parameters sha256:${digest}`;
}

/** A SELECT's results start with a header row; DDL and other statements' do not. */
function returnsHeaderRow(execution: QueryExecution): boolean {
  if (execution.SubstatementType !== undefined) return execution.SubstatementType.toUpperCase() === 'SELECT';
  if (execution.StatementType !== 'DML') return false;
  const text = (execution.Query ?? '').replace(/^(\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/)+/, '');
  return /^(SELECT|WITH|VALUES|\()/i.test(text);
}

/** The header row holds each column's label; anything else is data and is kept. */
function isHeaderRow(row: (string | null)[], info: ColumnInfo[]): boolean {
  return info.length > 0 && info.every((c, i) => row[i] === (c.Label ?? c.Name));
}

/** How many attempts the SDK made before it gave up (its retry middleware records them on the error). */
function attemptsOf(err: unknown): number {
  const attempts = (err as { $metadata?: { attempts?: number } }).$metadata?.attempts;
  return typeof attempts === 'number' && attempts > 0 ? attempts : 1;
}
