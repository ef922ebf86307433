import path from 'node:path';
import { Aws, CfnOutput, CfnParameter, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { RAW_TABLE_WHEN_COMPACTED } from '../../src/ddl/compact';
import { SLACK_TOKEN_PLACEHOLDER } from '../../src/first-deploy';
import { botPolicyStatements } from './bot-permissions';
import { BotService, SLACK_SECRET_FIELDS } from './bot-service';
import { Compaction, CompactionSchedule } from './compaction';
import { MIN_BYTES_SCANNED_CUTOFF, type TrailbotDeployment } from './context';
import { ExecutionTable } from './execution-table';
import { ATHENA_CATALOG, QueryLayer, RESULTS_PREFIX } from './query-layer';

export interface TrailbotStackProps extends StackProps {
  deployment: TrailbotDeployment;
  /** Folder with the bot's Dockerfile; default the repository root. */
  imageDirectory?: string;
}

/** Repository root: the Dockerfile and the bot's sources. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The CloudFormation parameter that caps each query's scan; its default comes from `bytesScannedCutoffMb`. */
export const BYTES_SCANNED_CUTOFF_PARAMETER = 'BytesScannedCutoffPerQuery';

/**
 * Value the stack writes into each Slack secret field until the real tokens are put (see infra/README.md). The bot
 * recognises it and waits instead of exiting (src/first-deploy.ts), so the first deploy completes.
 */
export const SLACK_SECRET_PLACEHOLDER = SLACK_TOKEN_PLACEHOLDER;

/**
 * trailbot in one stack: the ExecutionStore table, the Athena workgroup and results bucket, the Glue CloudTrail table,
 * the Slack token secret and the bot's Fargate service. Env-agnostic (no account or region at synth), so `cdk synth`
 * needs neither AWS credentials nor network; the deploy's credentials pick the account and region.
 */
export class TrailbotStack extends Stack {
  readonly stateKey: kms.Key;
  readonly slackSecret: secretsmanager.Secret;
  readonly executionTable: ExecutionTable;
  readonly queryLayer: QueryLayer;
  readonly bot: BotService;
  /** Athena compacted days, when the `compaction` context is `on`. */
  readonly compaction?: Compaction;
  /** The daily `trail compact` run, with compaction on. */
  readonly compactionSchedule?: CompactionSchedule;

  constructor(scope: Construct, id: string, props: TrailbotStackProps) {
    super(scope, id, props);
    const d = props.deployment;

    this.stateKey = new kms.Key(this, 'StateKey', {
      description: 'trailbot: execution table, Athena results and Slack tokens',
      enableKeyRotation: true,
      // Retained on update and delete; a first create that rolls back removes it (RetainExceptOnCreate, CloudFormation
      // "DeletionPolicy attribute"), so a failed first deploy leaves nothing behind to block or bill the next one.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });

    const cutoff = new CfnParameter(this, BYTES_SCANNED_CUTOFF_PARAMETER, {
      type: 'Number',
      default: d.bytesScannedCutoffMb * 1_000_000,
      minValue: MIN_BYTES_SCANNED_CUTOFF,
      description:
        'Athena cancels any query of the trailbot workgroup that would scan more than this many bytes ' +
        '(USD 5 per TB scanned: 100,000,000,000 bytes is about USD 0.50 per query).',
    });

    this.executionTable = new ExecutionTable(this, 'ExecutionStore', { encryptionKey: this.stateKey });

    this.queryLayer = new QueryLayer(this, 'Athena', {
      trail: d.trail,
      projectionStart: d.projectionStart,
      workgroupName: d.workgroupName,
      databaseName: d.databaseName,
      bytesScannedCutoffPerQuery: cutoff.valueAsNumber,
      resultsRetentionDays: d.resultsRetentionDays,
      encryptionKey: this.stateKey,
      ...(d.compaction ? { tableName: RAW_TABLE_WHEN_COMPACTED } : {}),
    });
    if (d.compaction) {
      const q = this.queryLayer;
      this.compaction = new Compaction(this, 'Compaction', {
        trail: d.trail,
        databaseName: d.databaseName,
        workgroupName: d.workgroupName,
        workgroupRef: q.workgroup.ref,
        workgroupArn: q.workgroupArn,
        glue: { catalogArn: q.catalogArn, databaseArn: q.databaseArn, rawTableArn: q.tableArn },
        resultsBucketArn: q.resultsBucket.bucketArn,
        resultsPrefix: RESULTS_PREFIX,
        encryptionKey: this.stateKey,
        ...(d.trailKmsKeyArn !== undefined ? { trailKmsKeyArn: d.trailKmsKeyArn } : {}),
      });
      this.compaction.node.addDependency(q.database);
    }

    // Placeholders so the secret has the three JSON keys ECS reads; the real tokens replace the whole value with
    // `aws secretsmanager put-secret-value`. Tokens never pass through context, the template or an env file.
    const placeholders = Object.fromEntries(SLACK_SECRET_FIELDS.map((field) => [field, SLACK_SECRET_PLACEHOLDER]));
    const slackSecretName = `${this.stackName}/slack`;
    this.slackSecret = new secretsmanager.Secret(this, 'SlackTokens', {
      secretName: slackSecretName,
      description: 'trailbot Slack app: SLACK_BOT_TOKEN (xoxb-), SLACK_APP_TOKEN (xapp-), SLACK_SIGNING_SECRET',
      encryptionKey: this.stateKey,
      generateSecretString: {
        secretStringTemplate: JSON.stringify(placeholders),
        // generateSecretString must generate one key; it is unused and disappears when the real value is put.
        generateStringKey: 'unused',
        excludePunctuation: true,
      },
      // The name is fixed: a secret retained by a rolled-back first create made every later create fail "already
      // exists". RetainExceptOnCreate deletes it in that rollback and keeps it on every later update or delete.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });

    const q = this.queryLayer;
    this.bot = new BotService(this, 'Bot', {
      imageDirectory: props.imageDirectory ?? REPO_ROOT,
      environment: botEnvironment(d, { tableName: this.executionTable.table.tableName, region: Aws.REGION }),
      slackSecret: this.slackSecret,
      policyStatements: botPolicyStatements({
        workgroupArn: q.workgroupArn,
        glue: { catalogArn: q.catalogArn, databaseArn: q.databaseArn, tableArn: q.tableArn },
        trail: d.trail,
        ...(d.trailKmsKeyArn !== undefined ? { trailKmsKeyArn: d.trailKmsKeyArn } : {}),
        resultsBucketArn: q.resultsBucket.bucketArn,
        resultsPrefix: RESULTS_PREFIX,
        tableArn: this.executionTable.table.tableArn,
        indexNames: this.executionTable.indexNames,
        stateKeyArn: this.stateKey.keyArn,
        ...(this.compaction ? { compaction: this.compaction.readResources() } : {}),
      }),
      desiredCount: d.desiredCount,
      network: d.network,
      logRetention: d.logRetentionDays as logs.RetentionDays,
    });
    // The bot's first question must find the workgroup and the table.
    this.bot.service.node.addDependency(q.workgroup, q.table);
    if (this.compaction) {
      this.compactionSchedule = new CompactionSchedule(this, 'CompactionSchedule', {
        jobRole: this.compaction.jobRole,
        cluster: this.bot.cluster,
        securityGroup: this.bot.securityGroup,
        network: d.network,
        imageDirectory: props.imageDirectory ?? REPO_ROOT,
        environment: botEnvironment(d, { tableName: this.executionTable.table.tableName, region: Aws.REGION }),
        logGroup: this.bot.logGroup,
      });
    }

    new CfnOutput(this, 'SlackSecretName', {
      // The literal name: Secret.secretName of a generated ARN is an Fn::Split that breaks on names with a `-`.
      value: slackSecretName,
      description: 'Put the Slack tokens here (infra/README.md, "Store the Slack tokens")',
    });
    new CfnOutput(this, 'ExecutionTableName', { value: this.executionTable.table.tableName });
    new CfnOutput(this, 'AthenaWorkgroup', { value: q.workgroup.ref });
    new CfnOutput(this, 'ResultsBucketName', { value: q.resultsBucket.bucketName });
    new CfnOutput(this, 'BotLogGroup', { value: this.bot.logGroup.logGroupName });
    if (this.compaction) {
      new CfnOutput(this, 'CompactionJobRoleArn', {
        value: this.compaction.jobRole.roleArn,
        description: 'Task role for `trail compact` (infra/README.md, "Athena compacted days")',
      });
      new CfnOutput(this, 'CompactedTableLocation', { value: this.compaction.location });
    }
    new CfnOutput(this, 'BotTaskRoleArn', {
      value: this.bot.taskDefinition.taskRole.roleArn,
      description: 'Grant this role read access in the trail bucket policy when the bucket is in another account',
    });
  }
}

/**
 * The bot's plain settings (read by src/config). TRAIL_ATHENA_OUTPUT is left out: the workgroup enforces its own
 * results location and encryption.
 */
export function botEnvironment(
  d: TrailbotDeployment,
  runtime: { tableName: string; region: string },
): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: runtime.region,
    TRAIL_ATHENA_WORKGROUP: d.workgroupName,
    TRAIL_ATHENA_DATABASE: d.databaseName,
    TRAIL_ATHENA_CATALOG: ATHENA_CATALOG,
    TRAIL_TABLE: runtime.tableName,
    TRAIL_BUCKET: d.trail.bucket,
    TRAIL_PREFIX: d.trail.prefix,
    TRAIL_ACCOUNTS: d.trail.accounts.join(','),
    TRAIL_REGIONS: d.trail.regions.join(','),
    TRAIL_TIME_ZONE: d.timeZone,
    TRAIL_PROJECTION_START: d.projectionStart,
  };
  if (d.trail.organizationId !== undefined) env.TRAIL_ORG_ID = d.trail.organizationId;
  if (d.accessPolicy !== undefined) env.TRAIL_ACCESS_POLICY = d.accessPolicy;
  return env;
}
