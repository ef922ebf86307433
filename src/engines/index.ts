import os from 'node:os';
import { S3Client } from '@aws-sdk/client-s3';
import type { TrailConfig } from '../config';
import type { Logger } from '../logger';
import { AthenaEngine, createAthenaClient } from './athena';
import { S3PartitionEstimator } from './athena/estimate';
import { DuckDbEngine } from './duckdb';
import type { QueryEngine } from './types';

/** The engine the configuration asks for: Athena in production, DuckDB over local files otherwise. */
export function createEngine(config: Pick<TrailConfig, 'engine' | 'trail' | 'chat'>, logger: Logger): QueryEngine {
  const e = config.engine;
  if (e.kind === 'duckdb') {
    // Serving Slack, the bot must acknowledge commands within 3 s while queries run: keep one core for that
    // (the Slack benchmark's ack p99 went from 10× to 1.9× the no-op app with one core left free).
    const cores = os.availableParallelism?.() ?? os.cpus().length;
    const threads = config.chat.kind === 'slack' && cores > 1 ? cores - 1 : undefined;
    return new DuckDbEngine({
      dataDir: e.dataDir,
      strict: e.strict,
      threads,
      logger: (message) => logger.warn(message),
    });
  }
  const t = config.trail;
  // The pre-flight estimate lists the trail bucket's day prefixes; without a bucket there is nothing to list.
  const estimator = t.bucket
    ? new S3PartitionEstimator({
        client: new S3Client({ region: e.region }),
        bucket: t.bucket,
        prefix: t.prefix,
        accounts: t.accounts,
        regions: t.regions,
        organizationId: t.organizationId,
      })
    : undefined;
  return new AthenaEngine({
    client: createAthenaClient({ region: e.region }),
    workgroup: e.workgroup,
    database: e.database,
    catalog: e.catalog,
    outputLocation: e.outputLocation,
    reuseMaxAgeMinutes: e.reuseMaxAgeMinutes,
    estimator,
  });
}
