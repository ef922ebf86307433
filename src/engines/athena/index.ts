/** The Athena engine and its companions: one import for the wiring in src/main.ts and the CLI. */
export { type AthenaClientOptions, createAthenaClient } from './client';
export { AthenaEngine, type AthenaEngineOptions, clientRequestToken, type StartStatementOptions } from './engine';
export { AthenaRequestError, AthenaThrottledError, explainAthenaFailure } from './errors';
export {
  type PartitionEstimate,
  type PartitionEstimator,
  S3PartitionEstimator,
  type S3PartitionEstimatorOptions,
} from './estimate';
export {
  type CloudTrailSetupOptions,
  createDatabase,
  createTable,
  type DdlStep,
  type DdlTarget,
  runDdl,
  setupCloudTrailTable,
} from './setup';
