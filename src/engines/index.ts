import os from 'node:os';
import type { TrailConfig } from '../config';
import type { QueryEngine } from '../core/engine';
import type { Logger } from '../logger';
import { AthenaEngine, createAthenaClient } from './athena';
import { S3PartitionEstimator } from './athena/estimate';
import { createS3Client } from './athena/s3';
import { DuckDbEngine } from './duckdb';
import { ColumnarCache } from './duckdb/cache';

/** The engine the configuration asks for: Athena in production, DuckDB over local files otherwise. */
export function createEngine(
  config: Pick<TrailConfig, 'engine' | 'trail' | 'chat' | 'window'>,
  logger: Logger,
): QueryEngine {
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
      ...(e.cacheDir
        ? {
            cache: new ColumnarCache({
              dir: e.cacheDir,
              dataDir: e.dataDir,
              closeAfterMinutes: config.window.deliveryLagMinutes,
              logger: (message) => logger.info(message),
            }),
          }
        : {}),
      logger: (message) => logger.warn(message),
    });
  }
  const t = config.trail;
  // The pre-flight estimate lists the trail bucket's day prefixes; without a bucket there is nothing to list.
  const estimator = t.bucket
    ? new S3PartitionEstimator({
        // The trail bucket may live in another Region than the bot: the client follows S3's redirect, and the
        // estimator switches to a client in the bucket's Region once it has looked it up.
        client: createS3Client({ region: e.region }),
        clientForRegion: (region) => createS3Client({ region }),
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
    // The results bucket is the workgroup's, in Athena's Region: large answers are streamed from its CSV file.
    resultsClient: createS3Client({ region: e.region }),
  });
}
