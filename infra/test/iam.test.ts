import type { Template } from 'aws-cdk-lib/assertions';
import {
  allowGrants,
  type Grant,
  managedPolicyFindings,
  RESOURCE_STAR_ALLOWED,
  renderValue,
  wildcardFindings,
} from './policy-audit';
import { logicalIdOf, SINGLE_TRAIL_CONTEXT, type Synthesized, synthesize } from './synth';

type Json = Record<string, unknown>;

/** A template with one identity policy holding the given statements. */
const templateWith = (...statements: Json[]): Json => ({
  Resources: {
    Policy: {
      Type: 'AWS::IAM::Policy',
      Properties: { PolicyDocument: { Version: '2012-10-17', Statement: statements } },
    },
  },
});

describe('the wildcard audit itself (it must be able to fail)', () => {
  test('flags Action "*", service-wide and partial wildcard actions', () => {
    const problems = wildcardFindings(
      templateWith(
        { Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::b/k' },
        { Effect: 'Allow', Action: ['s3:*'], Resource: 'arn:aws:s3:::b/k' },
        { Effect: 'Allow', Action: 'kms:GenerateDataKey*', Resource: 'arn:aws:kms:us-east-1:111122223333:key/k' },
      ),
    ).map((f) => f.problem);
    expect(problems).toEqual([
      'Action "*" grants every action of every service',
      'service-wide action s3:*',
      'wildcard action kms:GenerateDataKey*',
    ]);
  });

  test('flags Resource "*" unless every action is allowlisted, and whole-type resources', () => {
    const problems = wildcardFindings(
      templateWith(
        { Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: '*' },
        { Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' },
        { Effect: 'Allow', Action: ['ecr:GetAuthorizationToken', 'ecr:BatchGetImage'], Resource: '*' },
        {
          Effect: 'Allow',
          Action: 'dynamodb:Query',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:us-east-1:1:table/*']] },
        },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::*' },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*' },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/AWSLogs/1/CloudTrail/*' },
      ),
    ).map((f) => f.problem);
    expect(problems).toEqual([
      'Resource "*" for dynamodb:GetItem',
      'Resource "*" for ecr:BatchGetImage',
      'resource arn:<Partition>:dynamodb:us-east-1:1:table/* covers every resource of its type',
      'resource arn:aws:s3:::* covers every resource of its type',
      'resource arn:aws:s3:::bucket/* covers every resource of its type',
    ]);
  });

  test('flags grants by exclusion and ignores Deny statements', () => {
    const problems = wildcardFindings(
      templateWith(
        { Effect: 'Allow', NotAction: 'iam:*', Resource: 'arn:aws:s3:::b/k' },
        { Effect: 'Deny', Action: 's3:*', Resource: '*' },
      ),
    ).map((f) => f.problem);
    expect(problems).toEqual([
      'Allow with NotAction/NotResource grants everything not listed',
      'service-wide action iam:*',
    ]);
  });

  test('reads roles’ inline policies and managed policy attachments too', () => {
    const template: Json = {
      Resources: {
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: {
            ManagedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
            Policies: [
              { PolicyName: 'i', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } },
            ],
          },
        },
      },
    };
    expect(wildcardFindings(template).map((f) => f.problem)).toEqual([
      'Action "*" grants every action of every service',
      'Resource "*" for *',
    ]);
    expect(managedPolicyFindings(template)).toEqual([
      { holder: 'Role', problem: 'attaches managed policy arn:aws:iam::aws:policy/AdministratorAccess' },
    ]);
  });

  test('renders intrinsic ARNs as text', () => {
    expect(
      renderValue({
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { Ref: 'Bucket' }, '/', { 'Fn::GetAtt': ['T', 'Arn'] }],
        ],
      }),
    ).toBe('arn:<Partition>:s3:::<Bucket>/<T.Arn>');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub's own ${AWS::…} syntax, not a JS template
    expect(renderValue({ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/x' })).toBe(
      'arn:<Partition>:iam::aws:policy/x',
    );
  });
});

describe('IAM of the synthesized stack (one account, one region)', () => {
  let synth: Synthesized;
  let template: Template;
  let json: Json;
  beforeAll(() => {
    synth = synthesize({ ...SINGLE_TRAIL_CONTEXT });
    template = synth.template;
    json = template.toJSON() as Json;
  });
  afterAll(() => synth?.cleanup());

  test('no policy grants a wildcard action, and Resource "*" only where AWS has no resource type', () => {
    expect(wildcardFindings(json)).toEqual([]);
    // The allowlist is used, not decorative: the only "*" is the ECR login token of the execution role.
    const starGrants = allowGrants(json).filter((g) => g.resources.includes('*'));
    expect(starGrants.flatMap((g) => g.actions)).toEqual(Object.keys(RESOURCE_STAR_ALLOWED));
  });

  test('roles attach no AWS managed policy beyond the allowlist', () => {
    expect(managedPolicyFindings(json)).toEqual([]);
  });

  test('the bot’s task role holds exactly the least-privilege statements', () => {
    const taskRole = logicalIdOf(synth.stack.bot.taskDefinition.taskRole.node.findChild('DefaultPolicy'));
    const bySid = new Map<string, Grant>();
    for (const g of allowGrants(json).filter((g) => g.holder === taskRole)) bySid.set(g.sid ?? '?', g);
    const summary = Object.fromEntries(
      [...bySid].map(([sid, g]) => [sid, { actions: g.actions, resources: g.resources }]),
    );
    expect(summary).toEqual({
      AthenaQueriesInOwnWorkgroup: {
        actions: [
          'athena:GetQueryExecution',
          'athena:GetQueryResults',
          'athena:GetWorkGroup',
          'athena:StartQueryExecution',
          'athena:StopQueryExecution',
        ],
        resources: [
          expect.stringMatching(/^arn:<Partition>:athena:<Region>:<AccountId>:workgroup\/<AthenaWorkgroup\w+>$/),
        ],
      },
      GlueCloudTrailTable: {
        actions: ['glue:GetDatabase', 'glue:GetPartitions', 'glue:GetTable'],
        resources: [
          'arn:<Partition>:glue:<Region>:<AccountId>:catalog',
          'arn:<Partition>:glue:<Region>:<AccountId>:database/trailbot',
          'arn:<Partition>:glue:<Region>:<AccountId>:table/trailbot/cloudtrail_logs',
        ],
      },
      TrailLogObjects: {
        actions: ['s3:GetObject'],
        resources: ['arn:<Partition>:s3:::acme-cloudtrail/AWSLogs/111122223333/CloudTrail/*'],
      },
      TrailLogListing: { actions: ['s3:ListBucket'], resources: ['arn:<Partition>:s3:::acme-cloudtrail'] },
      TrailBucketLocation: { actions: ['s3:GetBucketLocation'], resources: ['arn:<Partition>:s3:::acme-cloudtrail'] },
      AthenaResultObjects: {
        actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:PutObject'],
        resources: [expect.stringMatching(/^<AthenaResultsBucket\w+\.Arn>\/results\/\*$/)],
      },
      AthenaResultsBucket: {
        actions: ['s3:GetBucketLocation', 's3:ListBucket'],
        resources: [expect.stringMatching(/^<AthenaResultsBucket\w+\.Arn>$/)],
      },
      ExecutionStoreTable: {
        actions: [
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ],
        resources: [
          expect.stringMatching(/^<ExecutionStoreTable\w+\.Arn>$/),
          expect.stringMatching(/^<ExecutionStoreTable\w+\.Arn>\/index\/gsi1$/),
          expect.stringMatching(/^<ExecutionStoreTable\w+\.Arn>\/index\/gsi2$/),
        ],
      },
      StateKeyThroughDynamoDbAndS3: {
        actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [expect.stringMatching(/^<StateKey\w+\.Arn>$/)],
      },
    });
    expect(bySid.get('TrailLogListing')?.conditions).toEqual({
      StringLike: { 's3:prefix': ['AWSLogs/111122223333/CloudTrail/*'] },
    });
    const keyConditions = bySid.get('StateKeyThroughDynamoDbAndS3')?.conditions ?? {};
    const viaService = (keyConditions.StringEquals as Json)['kms:ViaService'];
    expect((viaService as unknown[]).map(renderValue)).toEqual([
      'dynamodb.<Region>.amazonaws.com',
      's3.<Region>.amazonaws.com',
    ]);
  });

  test('the execution role may pull the image, write its log group and read only the Slack secret', () => {
    const executionRole = synth.stack.bot.taskDefinition.obtainExecutionRole();
    const holder = logicalIdOf(executionRole.node.findChild('DefaultPolicy'));
    const grants = allowGrants(json).filter((g) => g.holder === holder);
    const secret = logicalIdOf(synth.stack.slackSecret);
    const logs = logicalIdOf(synth.stack.bot.logGroup);
    expect(grants.map((g) => ({ actions: g.actions, resources: g.resources }))).toEqual([
      {
        actions: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
        resources: [expect.stringMatching(/:repository\/cdk-\w+-container-assets-<AccountId>-<Region>$/)],
      },
      { actions: ['ecr:GetAuthorizationToken'], resources: ['*'] },
      { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`<${logs}.Arn>`] },
      { actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], resources: [`<${secret}>`] },
    ]);
  });
});
