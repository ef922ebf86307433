import type { Template } from 'aws-cdk-lib/assertions';
import { compactionNames, renderLogsViewDdl } from '../../src/ddl/compact';
import { allowGrants, type Grant, isAllowed, managedPolicyFindings, wildcardFindings } from './policy-audit';
import { logicalIdOf, onlyResource, SINGLE_TRAIL_CONTEXT, type Synthesized, synthesize } from './synth';

type Json = Record<string, unknown>;

/** Athena compacted days in the stack (issue 16): `-c compaction=on`. */
describe('compaction=on', () => {
  let synth: Synthesized;
  let template: Template;
  let json: Json;
  let job: Grant[];
  let bot: Grant[];
  const compacted = 'arn:<Partition>:glue:<Region>:<AccountId>:table/trailbot/cloudtrail_compacted';
  const raw = 'arn:<Partition>:glue:<Region>:<AccountId>:table/trailbot/cloudtrail_raw';
  const view = 'arn:<Partition>:glue:<Region>:<AccountId>:table/trailbot/cloudtrail_logs';
  let compactedObjects: string;

  beforeAll(() => {
    synth = synthesize({ ...SINGLE_TRAIL_CONTEXT, compaction: 'on' });
    template = synth.template;
    json = template.toJSON() as Json;
    const c = synth.stack.compaction!;
    const jobPolicy = logicalIdOf(c.jobRole.node.findChild('DefaultPolicy'));
    const botPolicy = logicalIdOf(synth.stack.bot.taskDefinition.taskRole.node.findChild('DefaultPolicy'));
    job = allowGrants(json).filter((g) => g.holder === jobPolicy);
    bot = allowGrants(json).filter((g) => g.holder === botPolicy);
    compactedObjects = `<${logicalIdOf(c.bucket)}.Arn>/compacted/`;
  });
  afterAll(() => synth?.cleanup());

  test('the raw Glue table is renamed cloudtrail_raw; the view and Iceberg table come as named queries', () => {
    const table = onlyResource(template, 'AWS::Glue::Table') as { TableInput: { Name: string } };
    expect(table.TableInput.Name).toBe('cloudtrail_raw');
    const queries = Object.values(template.findResources('AWS::Athena::NamedQuery')).map(
      (r) => (r as { Properties: { QueryString: unknown; Database: string } }).Properties,
    );
    expect(queries).toHaveLength(2);
    expect(JSON.stringify(queries[0]!.QueryString)).toContain(
      'CREATE TABLE IF NOT EXISTS `trailbot`.`cloudtrail_compacted`',
    );
    expect(JSON.stringify(queries[0]!.QueryString)).toContain("'table_type'='ICEBERG'");
    // The view text is exactly what `npx trail ddl compacted` prints.
    expect(queries[1]!.QueryString).toBe(renderLogsViewDdl(SINGLE_TRAIL_LOCATION, compactionNames('trailbot')));
    expect(queries.every((q) => q.Database === 'trailbot')).toBe(true);
  });

  test('no wildcard grant and no managed policy, with the job role added', () => {
    expect(wildcardFindings(json)).toEqual([]);
    expect(managedPolicyFindings(json)).toEqual([]);
  });

  test('the job role holds exactly the compaction statements', () => {
    const summary = Object.fromEntries(job.map((g) => [g.sid, g.actions]));
    expect(summary).toEqual({
      AthenaQueriesInOwnWorkgroup: ['athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StartQueryExecution'],
      GlueReadRawAndCompacted: ['glue:GetDatabase', 'glue:GetPartitions', 'glue:GetTable'],
      GlueCommitCompactedOnly: ['glue:UpdateTable'],
      TrailLogObjects: ['s3:GetObject'],
      TrailLogListing: ['s3:ListBucket'],
      CompactedObjectsWrite: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:PutObject'],
      CompactedListing: ['s3:ListBucket'],
      BucketLocations: ['s3:GetBucketLocation'],
      AthenaResultObjects: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:PutObject'],
      AthenaResultsListing: ['s3:ListBucket'],
      StateKeyThroughS3: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
    });
  });

  test('the job may commit to the compacted table only, and write only under its folder', () => {
    expect(isAllowed(job, { action: 'glue:UpdateTable', resource: compacted })).toBe(true);
    expect(isAllowed(job, { action: 'glue:UpdateTable', resource: raw })).toBe(false);
    expect(isAllowed(job, { action: 'glue:UpdateTable', resource: view })).toBe(false);
    expect(isAllowed(job, { action: 'glue:DeleteTable', resource: compacted })).toBe(false);
    expect(isAllowed(job, { action: 'glue:CreateTable', resource: compacted })).toBe(false);
    expect(isAllowed(job, { action: 's3:PutObject', resource: `${compactedObjects}data/x.parquet` })).toBe(true);
    expect(isAllowed(job, { action: 's3:DeleteObject', resource: `${compactedObjects}data/x.parquet` })).toBe(false);
    const elsewhere = compactedObjects.replace('/compacted/', '/other/');
    expect(isAllowed(job, { action: 's3:PutObject', resource: `${elsewhere}x` })).toBe(false);
    const trailObject = 'arn:<Partition>:s3:::acme-cloudtrail/AWSLogs/111122223333/CloudTrail/us-east-1/x.json.gz';
    expect(isAllowed(job, { action: 's3:GetObject', resource: trailObject })).toBe(true);
    expect(isAllowed(job, { action: 's3:PutObject', resource: trailObject })).toBe(false);
    expect(isAllowed(job, { action: 'dynamodb:PutItem', resource: 'arn:aws:dynamodb:us-east-1:1:table/t' })).toBe(
      false,
    );
  });

  test('the bot reads through the view (view, raw and compacted tables, compacted files) and writes none of them', () => {
    for (const table of [view, raw, compacted]) {
      expect(isAllowed(bot, { action: 'glue:GetTable', resource: table })).toBe(true);
      expect(isAllowed(bot, { action: 'glue:UpdateTable', resource: table })).toBe(false);
    }
    expect(isAllowed(bot, { action: 's3:GetObject', resource: `${compactedObjects}metadata/v1.json` })).toBe(true);
    expect(isAllowed(bot, { action: 's3:PutObject', resource: `${compactedObjects}metadata/v1.json` })).toBe(false);
    const bucket = compactedObjects.replace('/compacted/', '');
    expect(isAllowed(bot, { action: 's3:ListBucket', resource: bucket, context: { 's3:prefix': 'compacted/' } })).toBe(
      true,
    );
    expect(isAllowed(bot, { action: 's3:ListBucket', resource: bucket, context: { 's3:prefix': 'other/' } })).toBe(
      false,
    );
  });

  test('a daily schedule runs `trail compact` as a Fargate task with the job role, and may start only that task', () => {
    const sc = synth.stack.compactionSchedule!;
    const schedule = onlyResource(template, 'AWS::Scheduler::Schedule') as {
      ScheduleExpression: string;
      Target: { EcsParameters: { TaskDefinitionArn: unknown; LaunchType: string } };
    };
    expect(schedule.ScheduleExpression).toBe('cron(30 3 * * ? *)');
    expect(schedule.Target.EcsParameters).toMatchObject({
      LaunchType: 'FARGATE',
      TaskDefinitionArn: { Ref: logicalIdOf(sc.taskDefinition) },
    });
    const task = template.toJSON().Resources[logicalIdOf(sc.taskDefinition)].Properties as {
      TaskRoleArn: unknown;
      ContainerDefinitions: { Command: string[]; Secrets?: unknown }[];
    };
    expect(task.TaskRoleArn).toEqual({ 'Fn::GetAtt': [logicalIdOf(synth.stack.compaction!.jobRole), 'Arn'] });
    expect(task.ContainerDefinitions[0]!.Command).toEqual(['node', 'dist/src/cli.js', 'compact']);
    // The job needs no Slack token.
    expect(task.ContainerDefinitions[0]!.Secrets).toBeUndefined();
    const schedulerGrants = allowGrants(json).filter((g) => g.holder.startsWith('SchedulerRoleForTarget'));
    const jobTask = `<${logicalIdOf(sc.taskDefinition)}>`;
    expect(isAllowed(schedulerGrants, { action: 'ecs:RunTask', resource: jobTask })).toBe(true);
    const botTask = `<${logicalIdOf(synth.stack.bot.taskDefinition)}>`;
    expect(isAllowed(schedulerGrants, { action: 'ecs:RunTask', resource: botTask })).toBe(false);
    const passed = { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' };
    const jobRole = `<${logicalIdOf(synth.stack.compaction!.jobRole)}.Arn>`;
    expect(isAllowed(schedulerGrants, { action: 'iam:PassRole', resource: jobRole, context: passed })).toBe(true);
    const botRole = `<${logicalIdOf(synth.stack.bot.taskDefinition.taskRole)}.Arn>`;
    expect(isAllowed(schedulerGrants, { action: 'iam:PassRole', resource: botRole, context: passed })).toBe(false);
  });
});

const SINGLE_TRAIL_LOCATION = {
  bucket: SINGLE_TRAIL_CONTEXT.trailBucket,
  prefix: '',
  accounts: [SINGLE_TRAIL_CONTEXT.accounts],
  regions: [SINGLE_TRAIL_CONTEXT.regions],
};

describe('compaction off (the default)', () => {
  test('adds nothing: no named query, no job role, the raw table keeps cloudtrail_logs', () => {
    const synth = synthesize({ ...SINGLE_TRAIL_CONTEXT });
    try {
      expect(synth.stack.compaction).toBeUndefined();
      expect(Object.keys(synth.template.findResources('AWS::Athena::NamedQuery'))).toEqual([]);
      const table = onlyResource(synth.template, 'AWS::Glue::Table') as { TableInput: { Name: string } };
      expect(table.TableInput.Name).toBe('cloudtrail_logs');
    } finally {
      synth.cleanup();
    }
  });

  test('a value other than on/off is refused with what is accepted', () => {
    expect(() => synthesize({ ...SINGLE_TRAIL_CONTEXT, compaction: 'yes' })).toThrow(
      'compaction must be `on` (Athena compacted days, infra/README.md) or `off`',
    );
  });
});
