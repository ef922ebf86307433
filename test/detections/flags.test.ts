import { ExposedResources } from '../../commands/exposed';
import { IamPersistence } from '../../commands/iam';
import { TamperEvents } from '../../commands/tamper';
import type { QueryCommand } from '../../commands/types';
import { testConfig } from '../helpers/config';

/**
 * Risk flags for request shapes the real detonation logs do not hold, built as the services document them (the
 * sources are cited beside each rule in commands/detections/). The real shapes are covered by stratus.test.ts.
 */

const ctx = { config: testConfig(), now: new Date('2026-11-21T12:00:00Z') };
const ACCOUNT = '111122223333';

function flags(command: QueryCommand, eventname: string, request: unknown, over: Record<string, string | null> = {}) {
  const row: Record<string, string | null> = {
    username: 'mallory',
    principal_arn: `arn:aws:iam::${ACCOUNT}:user/mallory`,
    eventname,
    recipientaccountid: ACCOUNT,
    errorcode: null,
    requestparameters: typeof request === 'string' ? request : JSON.stringify(request),
    ...over,
  };
  return command.annotate!((c) => row[c] ?? null, ctx);
}
const codes = (f: { code: string }[]) => f.map((x) => x.code);

describe('exposed', () => {
  test('an EBS snapshot or AMI shared with group all is public; the owner account itself is no outside party', () => {
    const snapshot = {
      snapshotId: 'snap-1',
      attributeType: 'CREATE_VOLUME_PERMISSION',
      createVolumePermission: { add: { items: [{ group: 'all' }, { userId: ACCOUNT }] } },
    };
    expect(flags(ExposedResources, 'ModifySnapshotAttribute', snapshot)).toEqual([
      {
        code: 'snapshot-public',
        message: `mallory made EBS snapshot snap-1 public (shared with all) in account ${ACCOUNT}`,
      },
    ]);
    const ami = {
      imageId: 'ami-1',
      launchPermission: {
        add: { items: [{ userId: '444455556666' }, { organizationArn: 'arn:aws:organizations::1:organization/o-1' }] },
      },
    };
    expect(flags(ExposedResources, 'ModifyImageAttribute', ami)[0]!.message).toBe(
      `mallory shared AMI ami-1 in account ${ACCOUNT} with account 444455556666, arn:aws:organizations::1:organization/o-1`,
    );
    // Taking a permission away exposes nothing.
    const removal = { snapshotId: 'snap-1', createVolumePermission: { remove: { items: [{ group: 'all' }] } } };
    expect(flags(ExposedResources, 'ModifySnapshotAttribute', removal)).toEqual([]);
  });

  test('an RDS snapshot restorable by all is public; other attributes are not sharing', () => {
    const request = { dBClusterSnapshotIdentifier: 'c1', attributeName: 'restore', valuesToAdd: ['all'] };
    expect(codes(flags(ExposedResources, 'ModifyDBClusterSnapshotAttribute', request))).toEqual([
      'rds-snapshot-public',
    ]);
    expect(
      flags(ExposedResources, 'ModifyDBSnapshotAttribute', { attributeName: 'other', valuesToAdd: ['all'] }),
    ).toEqual([]);
  });

  test('a bucket policy open to "*" is public, another account is named, a condition is pointed out', () => {
    const policy = (statement: unknown) => ({ bucketName: 'payroll', bucketPolicy: { Statement: statement } });
    expect(
      flags(ExposedResources, 'PutBucketPolicy', policy([{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject' }])),
    ).toEqual([
      {
        code: 'bucket-public',
        message: `mallory gave all (Principal "*") access to bucket payroll in account ${ACCOUNT} in its policy`,
      },
    ]);
    const shared = flags(
      ExposedResources,
      'PutBucketPolicy',
      policy({
        Effect: 'Allow',
        Principal: { AWS: ['arn:aws:iam::999988887777:root', `arn:aws:iam::${ACCOUNT}:role/x`] },
      }),
    );
    expect(shared.map((f) => f.message)).toEqual([
      `mallory gave account 999988887777 access to bucket payroll in account ${ACCOUNT} in its policy`,
    ]);
    const conditional = flags(
      ExposedResources,
      'PutBucketPolicy',
      policy([
        { Effect: 'Allow', Principal: { AWS: '*' }, Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-1' } } },
      ]),
    );
    expect(conditional[0]!.message).toMatch(/\(with a condition: check it\)$/);
    // Deny statements and service principals are no exposure.
    expect(
      flags(
        ExposedResources,
        'PutBucketPolicy',
        policy([
          { Effect: 'Deny', Principal: '*', Action: 's3:*' },
          { Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:PutObject' },
        ]),
      ),
    ).toEqual([]);
  });

  test('a bucket ACL granting AllUsers or AuthenticatedUsers, or a public canned ACL, is public', () => {
    const grant = (uri: string) => ({
      bucketName: 'web',
      AccessControlPolicy: {
        AccessControlList: { Grant: { Grantee: { 'xsi:type': 'Group', URI: uri }, Permission: 'READ' } },
      },
    });
    expect(
      flags(ExposedResources, 'PutBucketAcl', grant('http://acs.amazonaws.com/groups/global/AllUsers'))[0]!.message,
    ).toBe(`mallory opened bucket web in account ${ACCOUNT} to all (anyone, without signing in) with its ACL`);
    expect(
      flags(ExposedResources, 'PutBucketAcl', grant('http://acs.amazonaws.com/groups/global/AuthenticatedUsers')),
    ).toHaveLength(1);
    expect(codes(flags(ExposedResources, 'PutBucketAcl', { bucketName: 'web', 'x-amz-acl': ['public-read'] }))).toEqual(
      ['bucket-public'],
    );
    expect(flags(ExposedResources, 'PutBucketAcl', { bucketName: 'web', 'x-amz-acl': ['private'] })).toEqual([]);
  });

  test('Block Public Access removed or turned off in part is flagged, naming the settings', () => {
    expect(flags(ExposedResources, 'DeleteBucketPublicAccessBlock', { bucketName: 'web' })[0]!.message).toBe(
      `mallory removed S3 Block Public Access from bucket web in account ${ACCOUNT}`,
    );
    expect(flags(ExposedResources, 'DeleteAccountPublicAccessBlock', {})[0]!.message).toBe(
      `mallory removed S3 Block Public Access from account ${ACCOUNT}`,
    );
    const put = (config: Record<string, boolean>) => ({ bucketName: 'web', PublicAccessBlockConfiguration: config });
    const all = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
    expect(flags(ExposedResources, 'PutBucketPublicAccessBlock', put(all))).toEqual([]);
    expect(
      flags(ExposedResources, 'PutBucketPublicAccessBlock', put({ ...all, BlockPublicPolicy: false }))[0]!.message,
    ).toBe(`mallory turned off BlockPublicPolicy in S3 Block Public Access of bucket web in account ${ACCOUNT}`);
  });
});

describe('tamper', () => {
  test('event selectors that still log every management event are no finding; any narrowing is named', () => {
    const put = (request: Record<string, unknown>) =>
      flags(TamperEvents, 'PutEventSelectors', { trailName: 't', ...request });
    expect(put({ eventSelectors: [{ readWriteType: 'All', includeManagementEvents: true }] })).toEqual([]);
    expect(put({ eventSelectors: [{ dataResources: [] }] })).toEqual([]);
    expect(put({ eventSelectors: [{ readWriteType: 'WriteOnly' }] })[0]!.message).toBe(
      `mallory narrowed what trail t logs in account ${ACCOUNT}: only WriteOnly management events`,
    );
    expect(put({ eventSelectors: [{ excludeManagementEventSources: ['kms.amazonaws.com'] }] })[0]!.message).toMatch(
      /management events of kms\.amazonaws\.com excluded$/,
    );
    const field = (f: string, values: Record<string, string[]>) => ({ field: f, ...values });
    const advanced = (...fieldSelectors: unknown[]) => put({ advancedEventSelectors: [{ fieldSelectors }] });
    expect(advanced(field('eventCategory', { equals: ['Management'] }))).toEqual([]);
    expect(
      advanced(field('eventCategory', { equals: ['Management'] }), field('readOnly', { equals: ['true'] }))[0]!.message,
    ).toMatch(/management events filtered by readOnly$/);
    expect(codes(advanced(field('eventCategory', { equals: ['Data'] })))).toEqual(['trail-narrowed']);
  });

  test('UpdateTrail names what it changed; Insights turned off; GuardDuty, Security Hub, Config, organizations', () => {
    expect(
      flags(TamperEvents, 'UpdateTrail', { name: 'main', isMultiRegionTrail: false, s3BucketName: 'elsewhere' })[0]!
        .message,
    ).toBe(
      `mallory updated trail main in account ${ACCOUNT}: now logs one region only; logs now go to bucket elsewhere`,
    );
    expect(flags(TamperEvents, 'UpdateTrail', { name: 'main', snsTopicName: 'alerts' })[0]!.message).toBe(
      `mallory updated trail main in account ${ACCOUNT}: changed snsTopicName`,
    );
    expect(codes(flags(TamperEvents, 'PutInsightSelectors', { trailName: 'main', insightSelectors: [] }))).toEqual([
      'insights-off',
    ]);
    expect(
      flags(TamperEvents, 'PutInsightSelectors', { insightSelectors: [{ InsightType: 'ApiCallRateInsight' }] }),
    ).toEqual([]);
    expect(flags(TamperEvents, 'UpdateDetector', { detectorId: 'd1', enable: false })[0]!.message).toBe(
      `mallory disabled GuardDuty detector d1 in account ${ACCOUNT}`,
    );
    expect(codes(flags(TamperEvents, 'DeleteDetector', { detectorId: 'd1' }))).toEqual(['guardduty-deleted']);
    expect(codes(flags(TamperEvents, 'DisableSecurityHub', {}))).toEqual(['securityhub-disabled']);
    expect(flags(TamperEvents, 'StopConfigurationRecorder', { configurationRecorderName: 'default' })[0]!.message).toBe(
      `mallory stopped AWS Config configuration recorder default in account ${ACCOUNT}`,
    );
    expect(codes(flags(TamperEvents, 'DeleteDeliveryChannel', { deliveryChannelName: 'default' }))).toEqual([
      'config-delivery-deleted',
    ]);
    expect(flags(TamperEvents, 'RemoveAccountFromOrganization', { accountId: '444455556666' })[0]!.message).toBe(
      `mallory removed account 444455556666 from the organization in account ${ACCOUNT}`,
    );
    expect(
      flags(TamperEvents, 'DisassociateResolverQueryLogConfig', {
        resolverQueryLogConfigId: 'rqlc-1',
        resourceId: 'vpc-1',
      })[0]!.message,
    ).toBe(`mallory detached Route 53 Resolver query logging config rqlc-1 from vpc-1 in account ${ACCOUNT}`);
  });

  test('a refused call is an attempt worth a look; a call that failed otherwise is not flagged', () => {
    const stop = (errorcode: string) => flags(TamperEvents, 'StopLogging', { name: 'main' }, { errorcode });
    expect(stop('AccessDenied')).toEqual([
      {
        code: 'denied-attempt',
        message: `mallory tried StopLogging on trail main in account ${ACCOUNT} and was refused (AccessDenied)`,
      },
    ]);
    expect(codes(stop('Client.UnauthorizedOperation'))).toEqual(['denied-attempt']);
    expect(stop('TrailNotFoundException')).toEqual([]);
  });
});

describe('iam', () => {
  test('inline policies allowing * (or iam:*, or NotAction) on * are admin; narrower ones are not', () => {
    const put = (statement: unknown) =>
      flags(IamPersistence, 'PutRolePolicy', {
        roleName: 'ci',
        policyName: 'p',
        policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statement }),
      });
    expect(put({ Effect: 'Allow', Action: '*', Resource: '*' })).toEqual([
      {
        code: 'admin-policy-attached',
        message: `mallory put inline policy p allowing * on * on role ci in account ${ACCOUNT}`,
      },
    ]);
    expect(codes(put([{ Effect: 'Allow', Action: ['s3:GetObject', 'iam:*'], Resource: ['*'] }]))).toEqual([
      'admin-policy-attached',
    ]);
    expect(codes(put({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }))).toEqual(['admin-policy-attached']);
    expect(put({ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::bucket/*' })).toEqual([]);
    expect(put({ Effect: 'Deny', Action: '*', Resource: '*' })).toEqual([]);
  });

  test('managed admin policies are flagged by name; others are listed unflagged', () => {
    const attach = (arn: string) => flags(IamPersistence, 'AttachGroupPolicy', { groupName: 'ops', policyArn: arn });
    expect(attach('arn:aws:iam::aws:policy/IAMFullAccess')[0]!.message).toBe(
      `mallory attached IAMFullAccess to group ops in account ${ACCOUNT}`,
    );
    expect(attach('arn:aws:iam::aws:policy/ReadOnlyAccess')).toEqual([]);
  });

  test('a trust policy open to "*" or another account is named; the own account and services are not', () => {
    const trust = (principal: unknown) =>
      flags(IamPersistence, 'UpdateAssumeRolePolicy', {
        roleName: 'r',
        policyDocument: JSON.stringify({
          Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }],
        }),
      });
    expect(trust({ AWS: '*' })[0]!.message).toBe(
      `mallory changed the trust policy of role r in account ${ACCOUNT} so that all (Principal "*": any AWS account) can assume it`,
    );
    expect(trust({ AWS: ['999988887777', '444455556666'] })[0]!.message).toMatch(
      /so that accounts 444455556666, 999988887777 can assume it$/,
    );
    expect(trust({ AWS: `arn:aws:iam::${ACCOUNT}:root` })).toEqual([]);
    expect(trust({ Service: 'lambda.amazonaws.com' })).toEqual([]);
  });

  test('an access key without userName is for the caller; login profiles name the user', () => {
    expect(flags(IamPersistence, 'CreateAccessKey', {})[0]!.message).toBe(
      `mallory created an access key for their own user in account ${ACCOUNT}`,
    );
    expect(flags(IamPersistence, 'UpdateLoginProfile', { userName: 'bob' })[0]!.message).toBe(
      `mallory changed the console password of user bob in account ${ACCOUNT}`,
    );
  });
});

describe('hostile or broken requests', () => {
  test('a request value far longer than AWS allows is quoted cut, not whole', () => {
    const name = 'x'.repeat(5000);
    const [flag] = flags(TamperEvents, 'StopLogging', { name }, { errorcode: 'AccessDenied' });
    expect(flag!.message).toBe(
      `mallory tried StopLogging on trail ${'x'.repeat(200)}… in account ${ACCOUNT} and was refused (AccessDenied)`,
    );
  });

  test.each([
    ['not json', '{"bucketName":'],
    ['an array', '[1,2]'],
    ['null', null],
    ['deep nonsense', { createVolumePermission: { add: { items: 'x' } }, bucketPolicy: 7, policyDocument: '%E0%A4%A' }],
  ])('%s: no flag and no exception', (_name, request) => {
    for (const [command, names] of [
      [ExposedResources, ['ModifySnapshotAttribute', 'ModifyImageAttribute', 'PutBucketPolicy', 'PutBucketAcl']],
      [IamPersistence, ['UpdateAssumeRolePolicy', 'PutUserPolicy', 'AttachUserPolicy']],
      [TamperEvents, ['PutEventSelectors', 'PutInsightSelectors']],
    ] as const) {
      for (const name of names) {
        const row = {
          requestparameters: request === null ? null : typeof request === 'string' ? request : JSON.stringify(request),
        };
        expect(command.annotate!((c) => ({ eventname: name, ...row })[c as 'eventname'] ?? null, ctx)).toEqual([]);
      }
    }
  });
});
