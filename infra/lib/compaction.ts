import { Aws, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { compactionNames, renderCompactedTableDdl, renderLogsViewDdl } from '../../src/ddl/compact';
import type { ValidTrailLocation } from '../../src/ddl/location';
import type { CompactedReadResources } from './bot-permissions';
import { trailLogPrefixes } from './bot-permissions';

/** Key prefix of the Iceberg table's data and metadata in the compacted bucket. */
export const COMPACTED_PREFIX = 'compacted/';

export interface CompactionProps {
  trail: ValidTrailLocation;
  databaseName: string;
  workgroupName: string;
  /** The workgroup as a CloudFormation reference, so the named queries are created after it. */
  workgroupRef: string;
  workgroupArn: string;
  glue: { catalogArn: string; databaseArn: string; rawTableArn: string };
  resultsBucketArn: string;
  resultsPrefix: string;
  encryptionKey: kms.IKey;
  trailKmsKeyArn?: string;
}

/**
 * Athena compacted days (issue 16) in the stack, with the least machinery that works without a Lambda function:
 * - a bucket for the Iceberg table (not the results bucket: its lifecycle rule would expire table files);
 * - the Iceberg CREATE TABLE and the `cloudtrail_logs` view as Athena named queries, rendered by src/ddl/compact.ts
 *   exactly as `npx trail ddl compacted` prints them. CloudFormation's Glue Iceberg input would need the whole nested
 *   schema restated with Iceberg field ids, and a view needs Athena's encoded view text, so the DDL stays Athena's
 *   own: run the two named queries once (console, or `npx trail setup compacted`), see infra/README.md;
 * - the job's role, assumable by ECS tasks (the bot's image runs `trail compact` with it), holding only what the
 *   daily MERGE needs: write on the compacted table and its folder, read on the raw table and the logs.
 */
export class Compaction extends Construct {
  readonly bucket: s3.Bucket;
  readonly jobRole: iam.Role;
  readonly compactedTableArn: string;
  readonly viewArn: string;
  readonly location: string;
  readonly tableQuery: athena.CfnNamedQuery;
  readonly viewQuery: athena.CfnNamedQuery;

  constructor(scope: Construct, id: string, props: CompactionProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const names = compactionNames(props.databaseName);

    this.bucket = new s3.Bucket(this, 'CompactedBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      // Evidence derived from the logs: kept when the stack goes, like the logs themselves.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.location = `s3://${this.bucket.bucketName}/${COMPACTED_PREFIX}`;

    const glueArn = (table: string) =>
      stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${props.databaseName}/${table}` });
    this.compactedTableArn = glueArn(names.compacted);
    this.viewArn = glueArn(names.view);

    // The bucket name is a token: render with a placeholder that passes validation, then put the token in its place.
    const placeholderBucket = 'trailbot-compacted-placeholder';
    const tableDdl = renderCompactedTableDdl(props.trail, {
      names,
      location: `s3://${placeholderBucket}/${COMPACTED_PREFIX}`,
    }).replace(placeholderBucket, this.bucket.bucketName);
    this.tableQuery = new athena.CfnNamedQuery(this, 'CompactedTableDdl', {
      name: 'trailbot: create the compacted table (run once)',
      description: 'Iceberg table of closed CloudTrail days (issue 16); then run the view query.',
      database: props.databaseName,
      workGroup: props.workgroupRef,
      queryString: tableDdl,
    });
    this.viewQuery = new athena.CfnNamedQuery(this, 'LogsViewDdl', {
      name: 'trailbot: create the cloudtrail_logs view (run once, after the table)',
      description: 'The view the templates query: compacted days from Iceberg, the rest from cloudtrail_raw.',
      database: props.databaseName,
      workGroup: props.workgroupRef,
      queryString: renderLogsViewDdl(props.trail, names),
    });

    this.jobRole = new iam.Role(this, 'JobRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'trailbot compaction job: MERGE closed CloudTrail days into the compacted Iceberg table',
    });
    for (const statement of compactionJobStatements({
      ...props,
      compactedTableArn: this.compactedTableArn,
      compactedBucketArn: this.bucket.bucketArn,
      stateKeyArn: props.encryptionKey.keyArn,
    })) {
      this.jobRole.addToPolicy(statement);
    }
  }

  /** What the bot's role needs to read through the view. */
  readResources(): CompactedReadResources {
    return {
      viewArn: this.viewArn,
      compactedTableArn: this.compactedTableArn,
      bucketArn: this.bucket.bucketArn,
      prefix: COMPACTED_PREFIX,
    };
  }
}

export interface CompactionJobResources extends CompactionProps {
  compactedTableArn: string;
  compactedBucketArn: string;
  stateKeyArn: string;
}

/**
 * The job role's grants, statement by statement (checked by infra/test/iam.test.ts). Athena runs the MERGE with the
 * caller's credentials, so reading the raw logs and writing the Iceberg files are this role's S3 permissions
 * (Athena User Guide, "Access control"); an Iceberg commit replaces the table's metadata pointer in Glue, which is
 * glue:UpdateTable on that one table (Athena User Guide, "Query Apache Iceberg tables": permissions). No delete:
 * the MERGE only inserts, and Iceberg writes new files rather than changing old ones; expiring snapshots (VACUUM)
 * is not part of the job.
 */
export function compactionJobStatements(r: CompactionJobResources): iam.PolicyStatement[] {
  const trailBucketArn = `arn:${Aws.PARTITION}:s3:::${r.trail.bucket}`;
  const prefixes = trailLogPrefixes(r.trail);
  const statements = [
    new iam.PolicyStatement({
      sid: 'AthenaQueriesInOwnWorkgroup',
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults'],
      resources: [r.workgroupArn],
    }),
    new iam.PolicyStatement({
      sid: 'GlueReadRawAndCompacted',
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
      resources: [r.glue.catalogArn, r.glue.databaseArn, r.glue.rawTableArn, r.compactedTableArn],
    }),
    new iam.PolicyStatement({
      sid: 'GlueCommitCompactedOnly',
      actions: ['glue:UpdateTable'],
      resources: [r.glue.catalogArn, r.glue.databaseArn, r.compactedTableArn],
    }),
    new iam.PolicyStatement({
      sid: 'TrailLogObjects',
      actions: ['s3:GetObject'],
      resources: prefixes.map((prefix) => `${trailBucketArn}/${prefix}*`),
    }),
    new iam.PolicyStatement({
      sid: 'TrailLogListing',
      actions: ['s3:ListBucket'],
      resources: [trailBucketArn],
      conditions: { StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}*`) } },
    }),
    new iam.PolicyStatement({
      sid: 'CompactedObjectsWrite',
      actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      resources: [`${r.compactedBucketArn}/${COMPACTED_PREFIX}*`],
    }),
    new iam.PolicyStatement({
      sid: 'CompactedListing',
      actions: ['s3:ListBucket'],
      resources: [r.compactedBucketArn],
      conditions: { StringLike: { 's3:prefix': [`${COMPACTED_PREFIX}*`] } },
    }),
    new iam.PolicyStatement({
      sid: 'BucketLocations',
      actions: ['s3:GetBucketLocation'],
      resources: [trailBucketArn, r.compactedBucketArn, r.resultsBucketArn],
    }),
    new iam.PolicyStatement({
      sid: 'AthenaResultObjects',
      actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      resources: [`${r.resultsBucketArn}/${r.resultsPrefix}*`],
    }),
    new iam.PolicyStatement({
      sid: 'AthenaResultsListing',
      actions: ['s3:ListBucket'],
      resources: [r.resultsBucketArn],
    }),
    new iam.PolicyStatement({
      sid: 'StateKeyThroughS3',
      // The compacted and the results bucket are encrypted with the stack's key, usable only through S3.
      actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
      resources: [r.stateKeyArn],
      conditions: { StringEquals: { 'kms:ViaService': [`s3.${Aws.REGION}.amazonaws.com`] } },
    }),
  ];
  if (r.trailKmsKeyArn !== undefined) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'TrailKeyDecryptThroughS3',
        actions: ['kms:Decrypt'],
        resources: [r.trailKmsKeyArn],
        conditions: { StringLike: { 'kms:ViaService': 's3.*.amazonaws.com' } },
      }),
    );
  }
  return statements;
}

export interface CompactionScheduleProps {
  jobRole: iam.IRole;
  cluster: ecs.ICluster;
  securityGroup: ec2.ISecurityGroup;
  network: 'private' | 'public';
  imageDirectory: string;
  environment: Record<string, string>;
  logGroup: logs.ILogGroup;
}

/**
 * The daily trigger: an EventBridge Scheduler schedule that runs a one-off Fargate task of the bot's image, with the
 * job role as its task role and `trail compact` as its command. UTC 03:30 leaves the previous day's next day closed
 * for any TRAIL_DELIVERY_LAG under 3.5 h; a missed or failed day is picked up by the next run (the job continues from
 * the last compacted day). Turn it off by disabling the schedule (infra/README.md).
 */
export class CompactionSchedule extends Construct {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: CompactionScheduleProps) {
    super(scope, id);
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      // The job only starts queries and waits: Athena does the work.
      cpu: 256,
      memoryLimitMiB: 512,
      taskRole: props.jobRole,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
      volumes: [{ name: 'tmp' }],
    });
    const container = this.taskDefinition.addContainer('compact', {
      // The same asset as the bot (same folder, same hash): one image.
      image: ecs.ContainerImage.fromAsset(props.imageDirectory, { platform: Platform.LINUX_AMD64 }),
      command: ['node', 'dist/src/cli.js', 'compact'],
      environment: props.environment,
      logging: ecs.LogDrivers.awsLogs({ logGroup: props.logGroup, streamPrefix: 'compact' }),
      readonlyRootFilesystem: true,
    });
    container.addMountPoints({ sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false });

    this.schedule = new scheduler.Schedule(this, 'Daily', {
      description: 'trailbot: copy closed CloudTrail days into the compacted Iceberg table',
      schedule: scheduler.ScheduleExpression.cron({ minute: '30', hour: '3' }),
      target: new targets.EcsRunFargateTask(props.cluster, {
        taskDefinition: this.taskDefinition,
        securityGroups: [props.securityGroup],
        vpcSubnets: {
          subnetType: props.network === 'private' ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC,
        },
        assignPublicIp: props.network === 'public',
        // A start that fails is retried twice; after that the next day's run catches up (it continues from the watermark).
        retryAttempts: 2,
      }),
    });
  }
}
