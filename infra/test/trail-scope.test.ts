import { loadConfig } from '../../src/config';
import { BYTES_SCANNED_CUTOFF_PARAMETER } from '../lib/trailbot-stack';
import { allowGrants, managedPolicyFindings, wildcardFindings } from './policy-audit';
import {
  deployedEnvironment,
  logicalIdOf,
  onlyResource,
  SLACK_SECRET_VALUES,
  type Synthesized,
  synthesize,
} from './synth';

type Json = Record<string, unknown>;

const glueTableInput = (s: Synthesized): Json => onlyResource(s.template, 'AWS::Glue::Table').TableInput as Json;

const taskRoleGrants = (s: Synthesized) => {
  const holder = logicalIdOf(s.stack.bot.taskDefinition.taskRole.node.findChild('DefaultPolicy'));
  const json = s.template.toJSON() as Json;
  return new Map(
    allowGrants(json)
      .filter((g) => g.holder === holder)
      .map((g) => [g.sid, g]),
  );
};

describe('one account, several regions, a key prefix', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize({
      trailBucket: 'acme-cloudtrail',
      // A trailing slash as people type it; the prefix contract has none.
      trailPrefix: 'security/',
      accounts: '111122223333',
      regions: 'us-east-1,eu-west-1',
      accessPolicy: 'open',
    });
  });
  afterAll(() => synth?.cleanup());

  test('the table projects a region enum under the account’s CloudTrail folder', () => {
    const input = glueTableInput(synth);
    expect(input.PartitionKeys).toEqual([
      { Name: 'region', Type: 'string' },
      { Name: 'timestamp', Type: 'string' },
    ]);
    expect((input.StorageDescriptor as Json).Location).toBe(
      's3://acme-cloudtrail/security/AWSLogs/111122223333/CloudTrail/',
    );
    expect(input.Parameters).toMatchObject({
      'projection.region.type': 'enum',
      'projection.region.values': 'us-east-1,eu-west-1',
      'storage.location.template':
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's storage.location.template placeholders
        's3://acme-cloudtrail/security/AWSLogs/111122223333/CloudTrail/${region}/${timestamp}',
    });
    expect(input.Parameters).not.toHaveProperty('projection.account.type');
  });

  test('the bot reads only that account’s CloudTrail folder under the prefix', () => {
    const grants = taskRoleGrants(synth);
    expect(grants.get('TrailLogObjects')?.resources).toEqual([
      'arn:<Partition>:s3:::acme-cloudtrail/security/AWSLogs/111122223333/CloudTrail/*',
    ]);
    expect(grants.get('TrailLogListing')?.conditions).toEqual({
      StringLike: { 's3:prefix': ['security/AWSLogs/111122223333/CloudTrail/*'] },
    });
    expect(wildcardFindings(synth.template.toJSON() as Json)).toEqual([]);
  });
});

describe('an organization trail: several accounts and regions, public network, SSE-KMS logs, lower cutoff', () => {
  const trailKey = 'arn:aws:kms:us-east-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize({
      trailBucket: 'acme-org-trail',
      trailPrefix: 'org',
      // As written in cdk.json: a JSON list.
      accounts: ['111122223333', '444455556666'],
      regions: 'us-east-1, eu-west-1',
      organizationId: 'o-abcd123456',
      trailKmsKeyArn: trailKey,
      network: 'public',
      bytesScannedCutoffMb: '500',
      timeZone: 'Europe/Berlin',
      accessPolicy: { default: {}, commands: { root: { channels: ['C0123456789'] } } },
    });
  });
  afterAll(() => synth?.cleanup());

  test('LOCATION is the organization folder; account and region are enum projections', () => {
    const input = glueTableInput(synth);
    expect((input.StorageDescriptor as Json).Location).toBe('s3://acme-org-trail/org/AWSLogs/o-abcd123456/');
    expect(input.PartitionKeys).toEqual([
      { Name: 'account', Type: 'string' },
      { Name: 'region', Type: 'string' },
      { Name: 'timestamp', Type: 'string' },
    ]);
    expect(input.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.account.type': 'enum',
      'projection.account.values': '111122223333,444455556666',
      'projection.region.type': 'enum',
      'projection.region.values': 'us-east-1,eu-west-1',
      'storage.location.template':
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's storage.location.template placeholders
        's3://acme-org-trail/org/AWSLogs/o-abcd123456/${account}/CloudTrail/${region}/${timestamp}',
    });
  });

  test('the bot reads each account’s CloudTrail folder in the organization tree, and decrypts with the trail key only', () => {
    const grants = taskRoleGrants(synth);
    expect(grants.get('TrailLogObjects')?.resources).toEqual([
      'arn:<Partition>:s3:::acme-org-trail/org/AWSLogs/o-abcd123456/111122223333/CloudTrail/*',
      'arn:<Partition>:s3:::acme-org-trail/org/AWSLogs/o-abcd123456/444455556666/CloudTrail/*',
    ]);
    expect(grants.get('TrailLogListing')?.conditions).toEqual({
      StringLike: {
        's3:prefix': [
          'org/AWSLogs/o-abcd123456/111122223333/CloudTrail/*',
          'org/AWSLogs/o-abcd123456/444455556666/CloudTrail/*',
        ],
      },
    });
    expect(grants.get('TrailKeyDecryptThroughS3')).toMatchObject({
      actions: ['kms:Decrypt'],
      resources: [trailKey],
      conditions: { StringLike: { 'kms:ViaService': 's3.*.amazonaws.com' } },
    });
    const json = synth.template.toJSON() as Json;
    expect(wildcardFindings(json)).toEqual([]);
    expect(managedPolicyFindings(json)).toEqual([]);
  });

  test('the bot learns the organization, zone and access policy from its environment', () => {
    const env = deployedEnvironment(synth.template, {
      region: 'us-east-1',
      tableName: 'Trailbot-ExecutionStoreTable-1',
    });
    expect(env).toMatchObject({
      TRAIL_ORG_ID: 'o-abcd123456',
      TRAIL_ACCOUNTS: '111122223333,444455556666',
      TRAIL_REGIONS: 'us-east-1,eu-west-1',
      TRAIL_PREFIX: 'org',
      TRAIL_TIME_ZONE: 'Europe/Berlin',
      TRAIL_ACCESS_POLICY: '{"default":{},"commands":{"root":{"channels":["C0123456789"]}}}',
    });
    // And src/config reads them back as this trail and this policy.
    const config = loadConfig({ ...env, ...SLACK_SECRET_VALUES });
    expect(config.trail).toEqual({
      bucket: 'acme-org-trail',
      prefix: 'org',
      accounts: ['111122223333', '444455556666'],
      regions: ['us-east-1', 'eu-west-1'],
      organizationId: 'o-abcd123456',
    });
    expect(config.timeZone).toBe('Europe/Berlin');
    expect(config.policy.commands.root).toEqual({ channels: ['C0123456789'] });
  });

  test('network=public: no NAT gateway, a public IP, still no inbound rule', () => {
    synth.template.resourceCountIs('AWS::EC2::NatGateway', 0);
    synth.template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'ENABLED' } },
    });
    expect(onlyResource(synth.template, 'AWS::EC2::SecurityGroup').SecurityGroupIngress).toBeUndefined();
    synth.template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('bytesScannedCutoffMb sets the parameter default (MB = 1,000,000 bytes)', () => {
    synth.template.hasParameter(BYTES_SCANNED_CUTOFF_PARAMETER, { Default: 500_000_000 });
  });
});
