import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ValidTrailLocation } from '../../src/ddl/location';
import { cloudTrailTableSpec } from '../../src/ddl/render';

export interface QueryLayerProps {
  trail: ValidTrailLocation;
  /** First projected day (`yyyy/MM/dd`), the same TRAIL_PROJECTION_START the bot is given. */
  projectionStart: string;
  workgroupName: string;
  databaseName: string;
  /** BytesScannedCutoffPerQuery, in bytes (a CloudFormation parameter's value). */
  bytesScannedCutoffPerQuery: number;
  resultsRetentionDays: number;
  encryptionKey: kms.IKey;
  /** Name of the raw CloudTrail table; default `cloudtrail_logs` (`cloudtrail_raw` when compaction is on). */
  tableName?: string;
}

/** Key prefix Athena writes results under (one folder, so the bot's S3 grant can name it). */
export const RESULTS_PREFIX = 'results/';

/** Athena's catalog for Glue tables; every template runs against it. */
export const ATHENA_CATALOG = 'AwsDataCatalog';

/**
 * Everything Athena needs to answer the bot: the results bucket, a workgroup whose settings the bot cannot override,
 * and the Glue database with the CloudTrail table. The table comes from `cloudTrailTableSpec` (src/ddl/render.ts), the
 * same data the bot's `CREATE EXTERNAL TABLE` DDL is rendered from, so the Glue definition and the DDL cannot drift.
 */
export class QueryLayer extends Construct {
  readonly resultsBucket: s3.Bucket;
  readonly workgroup: athena.CfnWorkGroup;
  readonly database: glue.CfnDatabase;
  readonly table: glue.CfnTable;
  readonly workgroupArn: string;
  readonly catalogArn: string;
  readonly databaseArn: string;
  readonly tableArn: string;

  constructor(scope: Construct, id: string, props: QueryLayerProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.resultsBucket = new s3.Bucket(this, 'ResultsBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      // One data key per bucket instead of a KMS call per object: same protection, far fewer KMS requests.
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: false,
      lifecycleRules: [
        {
          id: 'expire-athena-results',
          // Results are re-creatable (re-run the query) and hold log excerpts: keep them only as long as needed.
          expiration: Duration.days(props.resultsRetentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.workgroup = new athena.CfnWorkGroup(this, 'Workgroup', {
      name: props.workgroupName,
      description: 'trailbot: CloudTrail forensics from Slack. Settings are enforced; clients cannot override them.',
      state: 'ENABLED',
      // Lets the stack delete the workgroup with its saved queries; query results stay in the (retained) bucket.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        publishCloudWatchMetricsEnabled: true,
        requesterPaysEnabled: false,
        // A query that would scan more is cancelled by Athena (Athena User Guide,
        // workgroups-setting-control-limits-cloudwatch.html).
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery,
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/${RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.encryptionKey.keyArn },
          expectedBucketOwner: stack.account,
        },
      },
    });

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: {
        name: props.databaseName,
        description: 'trailbot: the CloudTrail table (partition projection, no crawler).',
      },
    });

    const spec = cloudTrailTableSpec(props.trail, {
      database: props.databaseName,
      projectionStart: props.projectionStart,
      ...(props.tableName !== undefined ? { table: props.tableName } : {}),
    });
    this.table = new glue.CfnTable(this, 'CloudTrailTable', {
      catalogId: stack.account,
      databaseName: props.databaseName,
      tableInput: {
        name: spec.name,
        description: 'CloudTrail logs; partitions are projected from the table properties, never crawled.',
        tableType: 'EXTERNAL_TABLE',
        // What Athena's CREATE EXTERNAL TABLE stores, plus the DDL's TBLPROPERTIES.
        parameters: { EXTERNAL: 'TRUE', ...spec.parameters },
        partitionKeys: spec.partitionKeys.map((key) => ({ name: key.name, type: key.type })),
        storageDescriptor: {
          columns: spec.columns.map((column) => ({ name: column.name, type: column.type })),
          location: spec.location,
          inputFormat: spec.inputFormat,
          outputFormat: spec.outputFormat,
          serdeInfo: { serializationLibrary: spec.serde },
        },
      },
    });
    this.table.node.addDependency(this.database);

    this.workgroupArn = stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workgroup.ref });
    this.catalogArn = stack.formatArn({ service: 'glue', resource: 'catalog' });
    this.databaseArn = stack.formatArn({ service: 'glue', resource: 'database', resourceName: props.databaseName });
    this.tableArn = stack.formatArn({
      service: 'glue',
      resource: 'table',
      resourceName: `${props.databaseName}/${spec.name}`,
    });
  }
}
