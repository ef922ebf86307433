import type { Template } from 'aws-cdk-lib/assertions';
import {
  type AccessRequest,
  allowGrants,
  type Grant,
  isAllowed,
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

describe('the request evaluator itself (it must be able to say deny)', () => {
  const grant = (conditions?: Json): Grant[] => [
    {
      holder: 'P',
      actions: ['dynamodb:PutItem'],
      resources: ['arn:aws:dynamodb:us-east-1:1:table/t'],
      negated: false,
      ...(conditions ? { conditions } : {}),
    },
  ];
  const put = (keys?: string[]): AccessRequest => ({
    action: 'dynamodb:PutItem',
    resource: 'arn:aws:dynamodb:us-east-1:1:table/t',
    ...(keys ? { context: { 'dynamodb:LeadingKeys': keys } } : {}),
  });

  test('action and resource must match, with wildcards', () => {
    expect(isAllowed(grant(), put())).toBe(true);
    expect(isAllowed(grant(), { ...put(), action: 'dynamodb:DeleteItem' })).toBe(false);
    expect(isAllowed(grant(), { ...put(), resource: 'arn:aws:dynamodb:us-east-1:1:table/other' })).toBe(false);
    const star: Grant[] = [{ holder: 'P', actions: ['dynamodb:*Item'], resources: ['arn:*:table/t?'], negated: false }];
    expect(isAllowed(star, { action: 'dynamodb:GetItem', resource: 'arn:aws:table/t1' })).toBe(true);
  });

  test('ForAllValues: every key must match, and no keys at all also passes (the documented pitfall)', () => {
    const only = grant({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } });
    expect(isAllowed(only, put(['AUDIT#C1']))).toBe(true);
    expect(isAllowed(only, put(['AUDIT#C1', 'EXEC#1']))).toBe(false);
    expect(isAllowed(only, put())).toBe(true);
    const not = grant({ 'ForAllValues:StringNotLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } });
    expect(isAllowed(not, put(['EXEC#1']))).toBe(true);
    expect(isAllowed(not, put(['EXEC#1', 'AUDIT#C1']))).toBe(false);
  });

  test('ForAnyValue, plain operators on absent keys, and Null', () => {
    const any = grant({ 'ForAnyValue:StringEquals': { 'dynamodb:LeadingKeys': ['A'] } });
    expect(isAllowed(any, put(['B', 'A']))).toBe(true);
    expect(isAllowed(any, put())).toBe(false);
    expect(isAllowed(grant({ StringEquals: { 'aws:x': 'v' } }), put())).toBe(false);
    expect(isAllowed(grant({ StringNotEquals: { 'aws:x': 'v' } }), put())).toBe(true);
    const named = grant({ Null: { 'dynamodb:LeadingKeys': 'false' } });
    expect(isAllowed(named, put(['A']))).toBe(true);
    expect(isAllowed(named, put())).toBe(false);
  });

  test('an operator it does not know is an error, not a silent allow', () => {
    expect(() => isAllowed(grant({ DateGreaterThan: { 'aws:CurrentTime': '2020-01-01' } }), put())).toThrow(
      /DateGreaterThan is not evaluated here/,
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
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        resources: [
          expect.stringMatching(/^<ExecutionStoreTable\w+\.Arn>$/),
          expect.stringMatching(/^<ExecutionStoreTable\w+\.Arn>\/index\/gsi1$/),
          expect.stringMatching(/^<ExecutionStoreTable\w+\.Arn>\/index\/gsi2$/),
        ],
      },
      AuditTrailAppendOnly: {
        actions: ['dynamodb:PutItem'],
        resources: [expect.stringMatching(/^<ExecutionStoreTable\w+\.Arn>$/)],
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

  test('the audit trail is append-only for the bot: it may add entries, never read, change or delete one', () => {
    const taskRole = logicalIdOf(synth.stack.bot.taskDefinition.taskRole.node.findChild('DefaultPolicy'));
    const grants = allowGrants(json).filter((g) => g.holder === taskRole);
    const table = logicalIdOf(synth.stack.executionTable.table);
    const tableArn = `<${table}.Arn>`;
    const request = (action: string, leadingKeys?: string[], resource = tableArn): AccessRequest => ({
      action: `dynamodb:${action}`,
      resource,
      ...(leadingKeys ? { context: { 'dynamodb:LeadingKeys': leadingKeys } } : {}),
    });
    const decide = (r: AccessRequest) => (isAllowed(grants, r) ? 'allow' : 'deny');
    const audit = ['AUDIT#C0SECOPS'];
    expect({
      put: decide(request('PutItem', audit)),
      update: decide(request('UpdateItem', audit)),
      delete: decide(request('DeleteItem', audit)),
      get: decide(request('GetItem', audit)),
      query: decide(request('Query', audit)),
      // Actions that reach items without naming them, or name several at once, are not granted at all.
      scan: decide(request('Scan')),
      batchWrite: decide(request('BatchWriteItem', audit)),
      batchGet: decide(request('BatchGetItem', audit)),
      partiqlDelete: decide(request('PartiQLDelete', audit)),
      partiqlUpdate: decide(request('PartiQLUpdate', audit)),
      // Leading keys that mix an audit entry with another item are refused as a whole (ForAllValues).
      mixedUpdate: decide(request('UpdateItem', ['EXEC#abc', 'AUDIT#C0SECOPS'])),
    }).toEqual({
      put: 'allow',
      update: 'deny',
      delete: 'deny',
      get: 'deny',
      query: 'deny',
      scan: 'deny',
      batchWrite: 'deny',
      batchGet: 'deny',
      partiqlDelete: 'deny',
      partiqlUpdate: 'deny',
      mixedUpdate: 'deny',
    });
    // What the store does to every other item still works (src/store/dynamo.ts, src/store/schedules.ts).
    expect({
      createExecution: decide(request('PutItem', ['EXEC#abc'])),
      transition: decide(request('UpdateItem', ['EXEC#abc'])),
      read: decide(request('GetItem', ['REQ#k'])),
      countBytes: decide(request('UpdateItem', ['BYTES#2026-11-30'])),
      schedules: decide(request('Query', ['SCHED#s1'])),
      history: decide(request('Query', ['CHAN#C0SECOPS'], `${tableArn}/index/gsi1`)),
      unfinished: decide(request('Query', ['UNFINISHED'], `${tableArn}/index/gsi2`)),
      // Nothing the store does deletes an item: TTL does.
      deleteExecution: decide(request('DeleteItem', ['EXEC#abc'])),
    }).toEqual({
      createExecution: 'allow',
      transition: 'allow',
      read: 'allow',
      countBytes: 'allow',
      schedules: 'allow',
      history: 'allow',
      unfinished: 'allow',
      deleteExecution: 'deny',
    });
    // The role's policy has no Deny statement, so "some Allow matches" above is the whole decision for it.
    const document = (json.Resources as Record<string, { Properties: Json }>)[taskRole]!.Properties.PolicyDocument;
    expect(asStatements(document).filter((st) => st.Effect !== 'Allow')).toEqual([]);
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

function asStatements(document: unknown): Json[] {
  if (document === null || typeof document !== 'object') return [];
  const statements = (document as Json).Statement;
  return (Array.isArray(statements) ? statements : statements === undefined ? [] : [statements]) as Json[];
}
