import { randomUUID } from 'node:crypto';
import type { AthenaClient } from '@aws-sdk/client-athena';
import type { TrailLocation } from '../../config';
import type { QueryStatus } from '../../core/engine';
import { TrailError } from '../../core/errors';
import { compactionNames, renderCompactedTableDdl, renderLogsViewDdl } from '../../ddl/compact';
import {
  type CloudTrailDdlOptions,
  renderCloudTrailDdl,
  renderCreateDatabaseDdl,
  renderDropTableDdl,
} from '../../ddl/render';
import { AthenaEngine } from './engine';

/** Where DDL runs: an AthenaEngine, or a bare client plus the workgroup (and optional results location). */
export type DdlTarget =
  | AthenaEngine
  | { client: AthenaClient; workgroup: string; database?: string; catalog?: string; outputLocation?: string };

export interface DdlWaitOptions {
  /** Between status checks. Default 1000 ms. */
  pollMs?: number;
  /** Give up waiting after this much polling. Default 5 minutes. */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface DdlStep {
  statement: string;
  engineId: string;
  status: QueryStatus;
}

function engineFor(target: DdlTarget): AthenaEngine {
  if (target instanceof AthenaEngine) return target;
  return new AthenaEngine({
    client: target.client,
    workgroup: target.workgroup,
    database: target.database ?? 'default',
    ...(target.catalog !== undefined ? { catalog: target.catalog } : {}),
    ...(target.outputLocation !== undefined ? { outputLocation: target.outputLocation } : {}),
  });
}

/**
 * Runs one DDL statement through StartQueryExecution (no ExecutionParameters: they are for DML only) and waits for
 * it to finish. Each run gets a fresh execution id, so its ClientRequestToken never returns an old execution of the
 * same statement (re-running setup after the table was dropped must really create it again).
 */
export async function runDdl(
  target: DdlTarget,
  statement: string,
  options: DdlWaitOptions & { database?: string | null; what?: string } = {},
): Promise<DdlStep> {
  const engine = engineFor(target);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const pollMs = options.pollMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  const what = options.what ?? 'The DDL statement';
  const engineId = await engine.startStatement(statement, {
    executionId: `setup:${randomUUID()}`,
    ...(options.database !== undefined ? { database: options.database } : {}),
  });
  let waited = 0;
  for (;;) {
    const status = await engine.status(engineId);
    if (status.state === 'SUCCEEDED') return { statement, engineId, status };
    if (status.state === 'FAILED' || status.state === 'CANCELLED') {
      throw new TrailError('ATHENA_DDL_FAILED', `${what} did not succeed (Athena query ${engineId}): ${status.reason}`);
    }
    if (waited >= timeoutMs) {
      throw new TrailError(
        'ATHENA_DDL_TIMEOUT',
        `${what} was still ${status.state} after ${Math.round(timeoutMs / 1000)} s (Athena query ${engineId}); check it in the Athena console.`,
      );
    }
    await sleep(pollMs);
    waited += pollMs;
  }
}

/** `CREATE DATABASE IF NOT EXISTS`, run without a database in the query context (it may not exist yet). */
export async function createDatabase(
  target: DdlTarget,
  database: string,
  options: DdlWaitOptions = {},
): Promise<DdlStep> {
  return runDdl(target, renderCreateDatabaseDdl(database), {
    ...options,
    database: null,
    what: `Creating Athena database \`${database}\``,
  });
}

/** Runs a CREATE TABLE statement (normally `renderCloudTrailDdl(…)`) and waits for it. */
export async function createTable(target: DdlTarget, ddl: string, options: DdlWaitOptions = {}): Promise<DdlStep> {
  return runDdl(target, ddl, { ...options, what: 'Creating the CloudTrail table' });
}

export interface CloudTrailSetupOptions extends DdlWaitOptions {
  database: string;
  table?: string;
  projectionStart?: string;
  /**
   * Drop the table definition first, so a changed location or region/account list takes effect
   * (`CREATE … IF NOT EXISTS` keeps an existing table as it is). The logs are untouched: the table is EXTERNAL.
   */
  replace?: boolean;
}

/** `npx trail setup`: the database, then (optionally dropping the old definition) the CloudTrail table. */
export async function setupCloudTrailTable(
  target: DdlTarget,
  location: TrailLocation,
  options: CloudTrailSetupOptions,
): Promise<DdlStep[]> {
  const ddlOptions: CloudTrailDdlOptions = { database: options.database };
  if (options.table !== undefined) ddlOptions.table = options.table;
  if (options.projectionStart !== undefined) ddlOptions.projectionStart = options.projectionStart;
  // Render first: a bad location fails before anything is created.
  const tableDdl = renderCloudTrailDdl(location, ddlOptions);
  const wait: DdlWaitOptions = {};
  if (options.pollMs !== undefined) wait.pollMs = options.pollMs;
  if (options.timeoutMs !== undefined) wait.timeoutMs = options.timeoutMs;
  if (options.sleep !== undefined) wait.sleep = options.sleep;

  const steps = [await createDatabase(target, options.database, wait)];
  if (options.replace) {
    steps.push(
      await runDdl(target, renderDropTableDdl(ddlOptions), { ...wait, what: 'Dropping the old CloudTrail table' }),
    );
  }
  steps.push(await createTable(target, tableDdl, wait));
  return steps;
}

export interface CompactionSetupOptions extends DdlWaitOptions {
  database: string;
  /** The compacted table's S3 folder (s3://bucket/prefix/). */
  location: string;
  projectionStart?: string;
}

/**
 * `npx trail setup compacted <s3-folder>` (issue 16): the database, the raw table under `cloudtrail_raw`, the Iceberg
 * table, then the `cloudtrail_logs` view over both. Everything is rendered before the first statement runs. A
 * `cloudtrail_logs` *table* from a setup without compaction must be dropped first (DROP TABLE: metadata only), or
 * CREATE OR REPLACE VIEW fails on the name; that step is left to the operator on purpose (infra/README.md).
 */
export async function setupCompaction(
  target: DdlTarget,
  location: TrailLocation,
  options: CompactionSetupOptions,
): Promise<DdlStep[]> {
  const names = compactionNames(options.database);
  const raw = renderCloudTrailDdl(location, {
    database: options.database,
    table: names.raw,
    ...(options.projectionStart !== undefined ? { projectionStart: options.projectionStart } : {}),
  });
  const compacted = renderCompactedTableDdl(location, { names, location: options.location });
  const view = renderLogsViewDdl(location, names);
  const wait: DdlWaitOptions = {};
  if (options.pollMs !== undefined) wait.pollMs = options.pollMs;
  if (options.timeoutMs !== undefined) wait.timeoutMs = options.timeoutMs;
  if (options.sleep !== undefined) wait.sleep = options.sleep;
  return [
    await createDatabase(target, options.database, wait),
    await runDdl(target, raw, { ...wait, what: `Creating the raw CloudTrail table \`${names.raw}\`` }),
    await runDdl(target, compacted, { ...wait, what: `Creating the compacted table \`${names.compacted}\`` }),
    await runDdl(target, view, { ...wait, what: `Creating the view \`${names.view}\`` }),
  ];
}
