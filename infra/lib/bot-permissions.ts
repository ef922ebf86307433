import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { logsRootKey, type ValidTrailLocation } from '../../src/ddl/location';
import { AUDIT_PREFIX } from '../../src/store/schema';

/** The resources the bot touches, as ARNs (tokens are fine: they resolve in the template). */
export interface BotResources {
  workgroupArn: string;
  glue: { catalogArn: string; databaseArn: string; tableArn: string };
  trail: ValidTrailLocation;
  /** KMS key of an SSE-KMS trail, when there is one. */
  trailKmsKeyArn?: string;
  resultsBucketArn: string;
  /** Key prefix Athena writes results under, with its trailing slash (`results/`). */
  resultsPrefix: string;
  tableArn: string;
  indexNames: readonly string[];
  /** The stack's key: table, results bucket and Slack secret are encrypted with it. */
  stateKeyArn: string;
  /** Athena compacted days (infra/lib/compaction.ts): what the `cloudtrail_logs` view reads besides the raw table. */
  compaction?: CompactedReadResources;
}

export interface CompactedReadResources {
  /** Glue ARNs of the `cloudtrail_logs` view and of the Iceberg table. */
  viewArn: string;
  compactedTableArn: string;
  bucketArn: string;
  /** Key prefix of the Iceberg table's files, with its trailing slash. */
  prefix: string;
}

/**
 * Key prefixes the bot may read in the trail bucket: each configured account's `CloudTrail/` folder, nothing else.
 * A log-archive bucket usually also holds Config snapshots, VPC flow logs or ELB logs under the same `AWSLogs/<account>/`
 * (docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-find-log-files.html); the bot needs none of them.
 */
export function trailLogPrefixes(trail: ValidTrailLocation): string[] {
  return trail.accounts.map((account) => `${logsRootKey(trail)}${account}/CloudTrail/`);
}

/**
 * Everything the bot's task role may do, statement by statement. Every resource is a specific ARN; there is no
 * `Resource: '*'` and no wildcard action. Athena runs queries with the caller's credentials, so reading the logs and
 * writing the results are the bot role's S3 permissions (docs.aws.amazon.com/athena/latest/ug/access.html).
 */
export function botPolicyStatements(r: BotResources): iam.PolicyStatement[] {
  const trailBucketArn = `arn:${Aws.PARTITION}:s3:::${r.trail.bucket}`;
  const prefixes = trailLogPrefixes(r.trail);
  const statements = [
    new iam.PolicyStatement({
      sid: 'AthenaQueriesInOwnWorkgroup',
      actions: [
        'athena:StartQueryExecution',
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:StopQueryExecution',
        'athena:GetWorkGroup',
      ],
      resources: [r.workgroupArn],
    }),
    new iam.PolicyStatement({
      sid: 'GlueCloudTrailTable',
      // With partition projection Athena computes partitions from table properties; GetPartitions is still asked
      // for when a query plans (docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html).
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
      resources: [
        r.glue.catalogArn,
        r.glue.databaseArn,
        r.glue.tableArn,
        // A query of a view needs the view and every table it reads (Athena User Guide, "Fine-grained access to
        // databases and tables in the AWS Glue Data Catalog": views).
        ...(r.compaction ? [r.compaction.viewArn, r.compaction.compactedTableArn] : []),
      ],
    }),
    new iam.PolicyStatement({
      sid: 'TrailLogObjects',
      actions: ['s3:GetObject'],
      resources: prefixes.map((prefix) => `${trailBucketArn}/${prefix}*`),
    }),
    new iam.PolicyStatement({
      sid: 'TrailLogListing',
      // Athena lists each projected day's folder, and the bot's cost pre-flight lists the same day prefixes
      // (ListObjectsV2); the condition keeps listing inside the CloudTrail folders.
      actions: ['s3:ListBucket'],
      resources: [trailBucketArn],
      conditions: { StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}*`) } },
    }),
    new iam.PolicyStatement({
      sid: 'TrailBucketLocation',
      actions: ['s3:GetBucketLocation'],
      resources: [trailBucketArn],
    }),
    new iam.PolicyStatement({
      sid: 'AthenaResultObjects',
      actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      resources: [`${r.resultsBucketArn}/${r.resultsPrefix}*`],
    }),
    new iam.PolicyStatement({
      sid: 'AthenaResultsBucket',
      actions: ['s3:ListBucket', 's3:GetBucketLocation'],
      resources: [r.resultsBucketArn],
    }),
    new iam.PolicyStatement({
      sid: 'ExecutionStoreTable',
      // Everything but the audit trail. dynamodb:LeadingKeys is the partition key of each item the request names
      // (DynamoDB Developer Guide, "Using IAM policy conditions for fine-grained access control"); ForAllValues
      // requires every one of them to be outside AUDIT#. No DeleteItem (the store never deletes: TTL does) and no
      // Scan or batch action, which would reach items without naming their keys.
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
      resources: [r.tableArn, ...r.indexNames.map((name) => `${r.tableArn}/index/${name}`)],
      conditions: { 'ForAllValues:StringNotLike': { 'dynamodb:LeadingKeys': [`${AUDIT_PREFIX}*`] } },
    }),
    new iam.PolicyStatement({
      sid: 'AuditTrailAppendOnly',
      // The audit trail: PutItem only, on the table itself. No read, update or delete of an AUDIT# item, so the bot
      // cannot learn an entry's key (16 random characters, in no index) to overwrite it (src/store/schema.ts).
      actions: ['dynamodb:PutItem'],
      resources: [r.tableArn],
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${AUDIT_PREFIX}*`] },
        // ForAllValues is also true when the request has no leading keys at all (IAM User Guide, "Set operators for
        // multivalued context keys"); the Null check keeps this grant to requests that name their keys.
        Null: { 'dynamodb:LeadingKeys': 'false' },
      },
    }),
    new iam.PolicyStatement({
      sid: 'StateKeyThroughDynamoDbAndS3',
      // The table and the results bucket are encrypted with the stack's key; the key may be used only through those
      // two services (kms:ViaService), not called directly.
      actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
      resources: [r.stateKeyArn],
      conditions: {
        StringEquals: {
          'kms:ViaService': [`dynamodb.${Aws.REGION}.amazonaws.com`, `s3.${Aws.REGION}.amazonaws.com`],
        },
      },
    }),
  ];
  if (r.compaction !== undefined) {
    const c = r.compaction;
    statements.push(
      new iam.PolicyStatement({
        sid: 'CompactedDaysRead',
        // Read only: the bot's questions read the Iceberg table's data and metadata files; the job writes them.
        actions: ['s3:GetObject'],
        resources: [`${c.bucketArn}/${c.prefix}*`],
      }),
      new iam.PolicyStatement({
        sid: 'CompactedDaysListing',
        actions: ['s3:ListBucket'],
        resources: [c.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${c.prefix}*`] } },
      }),
    );
  }
  if (r.trailKmsKeyArn !== undefined) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'TrailKeyDecryptThroughS3',
        // SSE-KMS trails: reading a log file needs kms:Decrypt on the trail's key, in whatever region the bucket is.
        actions: ['kms:Decrypt'],
        resources: [r.trailKmsKeyArn],
        conditions: { StringLike: { 'kms:ViaService': 's3.*.amazonaws.com' } },
      }),
    );
  }
  return statements;
}
