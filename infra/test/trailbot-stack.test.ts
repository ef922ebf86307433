import fs from 'node:fs';
import path from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { loadConfig, TRAIL_SETTINGS } from '../../src/config';
import { cloudTrailTableProperties, renderCloudTrailDdl } from '../../src/ddl/render';
import { CLOUDTRAIL_COLUMNS, CLOUDTRAIL_TABLE, hiveType } from '../../src/ddl/table';
import { SLACK_SECRET_FIELDS } from '../lib/bot-service';
import { BYTES_SCANNED_CUTOFF_PARAMETER, SLACK_SECRET_PLACEHOLDER } from '../lib/trailbot-stack';
import { renderValue } from './policy-audit';
import {
  deployedEnvironment,
  logicalIdOf,
  onlyResource,
  SINGLE_TRAIL_CONTEXT,
  SLACK_SECRET_VALUES,
  type Synthesized,
  synthesize,
} from './synth';

type Json = Record<string, unknown>;

let synth: Synthesized;
let template: Template;
let id: {
  key: string;
  table: string;
  resultsBucket: string;
  secret: string;
  logGroup: string;
  securityGroup: string;
};
beforeAll(() => {
  synth = synthesize({ ...SINGLE_TRAIL_CONTEXT });
  template = synth.template;
  const s = synth.stack;
  id = {
    key: logicalIdOf(s.stateKey),
    table: logicalIdOf(s.executionTable.table),
    resultsBucket: logicalIdOf(s.queryLayer.resultsBucket),
    secret: logicalIdOf(s.slackSecret),
    logGroup: logicalIdOf(s.bot.logGroup),
    securityGroup: logicalIdOf(s.bot.securityGroup),
  };
});
afterAll(() => synth?.cleanup());

const keyArn = () => ({ 'Fn::GetAtt': [id.key, 'Arn'] });

describe('state encryption key', () => {
  test('is rotated yearly and retained with the data it protects (except when its own create rolls back)', () => {
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: 'RetainExceptOnCreate',
    });
  });
});

describe('DynamoDB execution store table', () => {
  test('has the store keys, on-demand billing, PITR, the stack key, TTL on expiresAt, and is retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyArn() },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        DeletionProtectionEnabled: true,
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('has the channel-history index gsi1 and the sparse unfinished-executions index gsi2, all keys strings', () => {
    const table = onlyResource(template, 'AWS::DynamoDB::Table');
    expect(table.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'gsi1',
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: 'gsi2',
        KeySchema: [
          { AttributeName: 'gsi2pk', KeyType: 'HASH' },
          { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(table.AttributeDefinitions).toEqual(
      ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    );
  });
});

describe('Athena workgroup', () => {
  test('enforces its configuration, runs engine v3, publishes metrics, writes encrypted results to the bucket', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'trailbot',
      State: 'ENABLED',
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        PublishCloudWatchMetricsEnabled: true,
        ResultConfiguration: {
          OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: id.resultsBucket }, '/results/']] },
          EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: keyArn() },
          ExpectedBucketOwner: { Ref: 'AWS::AccountId' },
        },
      },
    });
  });

  test('caps bytes scanned per query from a CloudFormation parameter, default 100 GB, minimum 10 MB', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: { BytesScannedCutoffPerQuery: { Ref: BYTES_SCANNED_CUTOFF_PARAMETER } },
    });
    template.hasParameter(BYTES_SCANNED_CUTOFF_PARAMETER, {
      Type: 'Number',
      Default: 100_000_000_000,
      MinValue: 10_000_000,
    });
  });
});

describe('Athena results bucket', () => {
  test('is KMS-encrypted, blocks all public access, owner-enforced, and expires results after 30 days', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn() },
              BucketKeyEnabled: true,
            },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({
              Status: 'Enabled',
              ExpirationInDays: 30,
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            }),
          ],
        },
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('its policy denies every request without TLS (and TLS below 1.2), on the bucket and its objects', () => {
    const policy = onlyResource(template, 'AWS::S3::BucketPolicy');
    expect(policy.Bucket).toEqual({ Ref: id.resultsBucket });
    const statements = (policy.PolicyDocument as { Statement: Json[] }).Statement;
    const bucketAndObjects = [`<${id.resultsBucket}.Arn>`, `<${id.resultsBucket}.Arn>/*`];
    const denyPlainHttp = statements.find((s) => (s.Condition as Json | undefined)?.Bool !== undefined);
    if (denyPlainHttp === undefined) throw new Error('no aws:SecureTransport statement in the bucket policy');
    expect(denyPlainHttp).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    expect((denyPlainHttp.Resource as unknown[]).map(renderValue)).toEqual(bucketAndObjects);
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
    );
    // Nothing in the bucket policy allows anything: access comes only from IAM (the bot's role).
    expect(statements.filter((s) => s.Effect === 'Allow')).toEqual([]);
  });
});

describe('Glue database and CloudTrail table', () => {
  const location = {
    bucket: SINGLE_TRAIL_CONTEXT.trailBucket,
    prefix: '',
    accounts: [SINGLE_TRAIL_CONTEXT.accounts],
    regions: [SINGLE_TRAIL_CONTEXT.regions],
  };

  test('the database is created in this account’s catalog', () => {
    template.hasResourceProperties('AWS::Glue::Database', {
      CatalogId: { Ref: 'AWS::AccountId' },
      DatabaseInput: { Name: 'trailbot' },
    });
  });

  test('the table has exactly the CloudTrail columns of src/ddl/table.ts, in order, with their Hive types', () => {
    const table = onlyResource(template, 'AWS::Glue::Table');
    const input = table.TableInput as Json;
    expect(table.DatabaseName).toBe('trailbot');
    expect(input.Name).toBe(CLOUDTRAIL_TABLE);
    expect(input.TableType).toBe('EXTERNAL_TABLE');
    expect((input.StorageDescriptor as Json).Columns).toEqual(
      CLOUDTRAIL_COLUMNS.map((column) => ({ Name: column.name, Type: hiveType(column.type) })),
    );
  });

  test('it uses the DDL’s SerDe, input and output formats and LOCATION', () => {
    const input = onlyResource(template, 'AWS::Glue::Table').TableInput as Json;
    expect(input.StorageDescriptor).toMatchObject({
      Location: 's3://acme-cloudtrail/AWSLogs/111122223333/CloudTrail/us-east-1/',
      InputFormat: 'com.amazon.emr.cloudtrail.CloudTrailInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
      SerdeInfo: { SerializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' },
    });
    expect(input.PartitionKeys).toEqual([{ Name: 'timestamp', Type: 'string' }]);
  });

  test('its parameters are the DDL’s partition projection TBLPROPERTIES', () => {
    const parameters = (onlyResource(template, 'AWS::Glue::Table').TableInput as Json).Parameters as Record<
      string,
      string
    >;
    expect(parameters).toEqual({ EXTERNAL: 'TRUE', ...cloudTrailTableProperties(location) });
    expect(parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.timestamp.type': 'date',
      'projection.timestamp.format': 'yyyy/MM/dd',
      'projection.timestamp.range': '2020/01/01,NOW',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's storage.location.template placeholders
      'storage.location.template': 's3://acme-cloudtrail/AWSLogs/111122223333/CloudTrail/us-east-1/${timestamp}',
    });
    // Same source as the bot's own CREATE EXTERNAL TABLE: every property appears in the rendered DDL.
    const ddl = renderCloudTrailDdl(location);
    for (const [key, value] of Object.entries(cloudTrailTableProperties(location))) {
      expect(ddl).toContain(`'${key}'='${value}'`);
    }
  });

  test('projectionStart moves the projection range and reaches the bot as TRAIL_PROJECTION_START', () => {
    const other = synthesize({ ...SINGLE_TRAIL_CONTEXT, projectionStart: '2024/07/01' });
    try {
      const parameters = (onlyResource(other.template, 'AWS::Glue::Table').TableInput as Json).Parameters as Record<
        string,
        string
      >;
      expect(parameters['projection.timestamp.range']).toBe('2024/07/01,NOW');
      expect(JSON.stringify(other.template.findResources('AWS::ECS::TaskDefinition'))).toContain(
        '{"Name":"TRAIL_PROJECTION_START","Value":"2024/07/01"}',
      );
    } finally {
      other.cleanup();
    }
  });
});

describe('Slack tokens', () => {
  test('live in a Secrets Manager secret encrypted with the stack key, with one field per token', () => {
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: {
        Name: 'Trailbot/slack',
        KmsKeyId: keyArn(),
        GenerateSecretString: {
          SecretStringTemplate: JSON.stringify(
            Object.fromEntries(SLACK_SECRET_FIELDS.map((field) => [field, SLACK_SECRET_PLACEHOLDER])),
          ),
        },
      },
      DeletionPolicy: 'RetainExceptOnCreate',
    });
    template.hasOutput('SlackSecretName', { Value: 'Trailbot/slack' });
  });
});

describe('the bot service', () => {
  const container = (): Json => {
    const definitions = onlyResource(template, 'AWS::ECS::TaskDefinition').ContainerDefinitions as Json[];
    expect(definitions).toHaveLength(1);
    return definitions[0]!;
  };

  test('injects each Slack token from Secrets Manager and never as a plain environment value', () => {
    const c = container();
    expect(c.Secrets).toEqual(
      SLACK_SECRET_FIELDS.map((field) => ({
        Name: field,
        ValueFrom: { 'Fn::Join': ['', [{ Ref: id.secret }, `:${field}::`]] },
      })),
    );
    const names = (c.Environment as { Name: string }[]).map((e) => e.Name);
    expect(names.filter((name) => name.startsWith('SLACK_'))).toEqual([]);
    expect(JSON.stringify(c.Environment)).not.toMatch(/xox[abp]-|xapp-/);
  });

  test('gets the TRAIL_* settings src/config reads, with the workgroup enforcing the output location', () => {
    // src/config treats an unknown TRAIL_* variable as a typo and refuses to start.
    const names = (container().Environment as { Name: string }[])
      .map((e) => e.Name)
      .filter((n) => n.startsWith('TRAIL_'));
    for (const name of names) expect(TRAIL_SETTINGS).toContain(name);

    const env = Object.fromEntries(
      (container().Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]),
    );
    expect(env).toEqual({
      AWS_REGION: { Ref: 'AWS::Region' },
      TRAIL_ATHENA_WORKGROUP: 'trailbot',
      TRAIL_ATHENA_DATABASE: 'trailbot',
      TRAIL_ATHENA_CATALOG: 'AwsDataCatalog',
      TRAIL_TABLE: { Ref: id.table },
      TRAIL_BUCKET: 'acme-cloudtrail',
      TRAIL_PREFIX: '',
      TRAIL_ACCOUNTS: '111122223333',
      TRAIL_REGIONS: 'us-east-1',
      TRAIL_TIME_ZONE: 'UTC',
      TRAIL_PROJECTION_START: '2020/01/01',
      TRAIL_ACCESS_POLICY: 'open',
    });
  });

  test('that environment plus the secret’s fields is a valid bot configuration: Athena, DynamoDB, Socket Mode', () => {
    const env = {
      ...deployedEnvironment(template, { region: 'eu-central-1', tableName: 'Trailbot-ExecutionStoreTable-1X2Y3Z' }),
      ...SLACK_SECRET_VALUES,
    };
    const config = loadConfig(env);
    expect(config.engine).toEqual({
      kind: 'athena',
      region: 'eu-central-1',
      workgroup: 'trailbot',
      database: 'trailbot',
      catalog: 'AwsDataCatalog',
    });
    expect(config.store).toEqual({
      kind: 'dynamodb',
      tableName: 'Trailbot-ExecutionStoreTable-1X2Y3Z',
      region: 'eu-central-1',
    });
    expect(config.chat).toMatchObject({ kind: 'slack', appToken: SLACK_SECRET_VALUES.SLACK_APP_TOKEN });
    expect(config.trail).toEqual({
      bucket: 'acme-cloudtrail',
      prefix: '',
      accounts: ['111122223333'],
      regions: ['us-east-1'],
    });
  });

  test('runs read-only as one Fargate task with its logs in a log group kept 90 days', () => {
    const c = container();
    expect(c).toMatchObject({
      Essential: true,
      ReadonlyRootFilesystem: true,
      LinuxParameters: { InitProcessEnabled: true },
      LogConfiguration: { LogDriver: 'awslogs', Options: { 'awslogs-group': { Ref: id.logGroup } } },
    });
    // Socket Mode: nothing listens.
    expect(c.PortMappings).toBeUndefined();
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 90 },
      DeletionPolicy: 'RetainExceptOnCreate',
    });
    // Every log group of the stack (bot and VPC flow logs) has a retention.
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect((group as { Properties: Json }).Properties.RetentionInDays).toBe(90);
    }
  });

  test('the service keeps one task in private subnets, without a public IP, and rolls back a failed deploy', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      DesiredCount: 1,
      EnableExecuteCommand: false,
      DeploymentConfiguration: { DeploymentCircuitBreaker: { Enable: true, Rollback: true } },
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          AssignPublicIp: 'DISABLED',
          SecurityGroups: [{ 'Fn::GetAtt': [id.securityGroup, 'GroupId'] }],
        },
      },
    });
    const subnets = (
      (onlyResource(template, 'AWS::ECS::Service').NetworkConfiguration as Json).AwsvpcConfiguration as Json
    ).Subnets as { Ref: string }[];
    const privateSubnets = Object.keys(
      template.findResources('AWS::EC2::Subnet', { Properties: { MapPublicIpOnLaunch: false } }),
    );
    expect(subnets.map((s) => s.Ref).sort()).toEqual(privateSubnets.sort());
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  test('its security group admits nothing in and lets only HTTPS out', () => {
    const sg = onlyResource(template, 'AWS::EC2::SecurityGroup');
    expect(sg.SecurityGroupIngress).toBeUndefined();
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    expect(sg.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
    ]);
  });

  test('the VPC logs its traffic, strips its default security group and reaches S3/DynamoDB via gateway endpoints', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((e) =>
      renderValue((e as { Properties: Json }).Properties.ServiceName),
    );
    expect(endpoints.sort()).toEqual(['com.amazonaws.<Region>.dynamodb', 'com.amazonaws.<Region>.s3']);
  });

  test('its image is built from the repository Dockerfile; synth only stages the allow-listed sources', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(synth.outdir, 'Trailbot.assets.json'), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string; platform?: string } }>;
    };
    const images = Object.values(manifest.dockerImages);
    expect(images).toHaveLength(1);
    expect(images[0]!.source.platform).toBe('linux/amd64');
    const staged = path.join(synth.outdir, images[0]!.source.directory);
    const top = fs.readdirSync(staged).sort();
    expect(top).toEqual(
      expect.arrayContaining(['Dockerfile', 'package.json', 'package-lock.json', 'src', 'sql', 'commands', 'infra']),
    );
    for (const excluded of ['node_modules', 'test', '.git', 'bench', 'data', 'results'])
      expect(top).not.toContain(excluded);
    expect(fs.readdirSync(path.join(staged, 'infra'))).toEqual(['package.json']);
  });
});

describe('outputs', () => {
  test('name what an operator needs after deploy', () => {
    for (const output of [
      'SlackSecretName',
      'ExecutionTableName',
      'AthenaWorkgroup',
      'ResultsBucketName',
      'BotLogGroup',
      'BotTaskRoleArn',
    ]) {
      template.hasOutput(output, {});
    }
  });
});
