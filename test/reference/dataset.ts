import fc from 'fast-check';
import type { CloudTrailEvent } from './fields';
import { type DeliveredEvent, LAYOUTS } from './files';

/**
 * fast-check arbitraries for CloudTrail-shaped events with the shapes real logs have, and a writer that lays them
 * out as a trail (or an export) would. Values come from small pools so questions hit: the same users, groups,
 * buckets and networks recur across events.
 */

export const ACCOUNTS = ['111122223333', '444455556666'];
export const REGIONS = ['us-east-1', 'eu-west-1'];
export const USERS = ['alice', 'bob', 'Deploy.Bot'];
export const ROLES = ['Admin', 'ci-runner'];
export const GROUPS = ['sg-5887f224', 'sg-0a1b2c3d', 'sg-0123456789abcdef0'];
export const ENIS = ['eni-6c5ca5a8'];
export const INSTANCES = ['i-0abc123def4567890', 'i-0fedcba9876543210'];
export const BUCKETS = ['trail-bucket-1', 'payroll-exports'];
/** The test config's known networks (test/helpers/config.ts) are 198.51.100.0/24 and 2001:db8:100::/48. */
export const SOURCES = [
  '198.51.100.7',
  '198.51.100.250',
  '203.0.113.9',
  '192.0.2.44',
  '2001:db8:100::5',
  '2001:db8:100:0:0:0:0:7',
  '2001:db8:200::9',
  '2001:DB8:100::a',
  '::ffff:198.51.100.9',
  'ec2.amazonaws.com',
  'AWS Internal',
  '253.252.51.07',
];

const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);
/** Missing, null or the empty string: three spellings of "absent" that real logs and exports use. */
const absent = fc.constantFrom<'missing' | null | ''>('missing', null, '');
const maybe = <T>(value: fc.Arbitrary<T>) => fc.oneof(absent, value);
/** An object field is missing or null when absent; "" stands for absent only in scalar fields. */
const maybeObject = <T>(value: fc.Arbitrary<T>) => fc.oneof(fc.constantFrom<'missing' | null>('missing', null), value);

const arnOfUser = (account: string, user: string) => `arn:aws:iam::${account}:user/${user}`;
const arnOfRole = (account: string, role: string) => `arn:aws:iam::${account}:role/${role}`;

const mfaAttributes = fc.record({
  mfaAuthenticated: pick(['true', 'false']),
  creationDate: fc.constant('2026-11-20T00:00:00Z'),
});

/** userIdentity shapes: IAM user, assumed role, root (directly or via a service), and service events without type. */
const identity = (account: string) =>
  fc.oneof(
    fc.record({
      type: fc.constant('IAMUser'),
      principalId: fc.constant('AIDAEXAMPLE'),
      arn: pick(USERS).map((u) => arnOfUser(account, u)),
      accountId: fc.constant(account),
      accessKeyId: fc.constant('AKIAEXAMPLE'),
      userName: pick(USERS),
      sessionContext: maybeObject(fc.record({ attributes: mfaAttributes })),
    }),
    fc.record({
      type: fc.constant('AssumedRole'),
      principalId: fc.constant('AROAEXAMPLE:session'),
      arn: pick(ROLES).map((r) => `arn:aws:sts::${account}:assumed-role/${r}/session`),
      accountId: fc.constant(account),
      userName: absent,
      sessionContext: pick(ROLES).chain((r) =>
        fc.record({
          sessionIssuer: fc.constant({
            type: 'Role',
            principalId: 'AROAEXAMPLE',
            arn: arnOfRole(account, r),
            accountId: account,
            userName: r,
          }),
          attributes: mfaAttributes,
        }),
      ),
    }),
    fc.record({
      type: fc.constant('Root'),
      principalId: fc.constant(account),
      arn: fc.constant(`arn:aws:iam::${account}:root`),
      accountId: fc.constant(account),
      invokedBy: maybe(pick(['support.amazonaws.com', 'signin.amazonaws.com'])),
      sessionContext: maybeObject(fc.record({ attributes: mfaAttributes })),
    }),
    // Service events: no type, only the account and the calling service.
    fc.record({ accountId: fc.constant(account), invokedBy: pick(['cloudtrail.amazonaws.com', 'ec2.amazonaws.com']) }),
  );

const port = pick([22, 80, 443, 3389, -1]);
const cidr4 = pick(['0.0.0.0/0', '10.0.0.0/8', '203.0.113.0/24', '208.236.235.254/0']);
const cidr6 = pick(['::/0', '2001:db8::/32']);
const isEgress = fc.constantFrom<'missing' | boolean>('missing', 'missing', true, false);

/** Security-group request shapes: nested ipPermissions, the older flat form, and ModifySecurityGroupRules. */
const sgRequest = (eventName: string) => {
  const groupId = pick(GROUPS);
  const nested = fc.record({
    groupId,
    ipPermissions: fc.record({
      items: fc.array(
        fc.record({
          ipProtocol: pick(['tcp', 'udp', '-1']),
          fromPort: port,
          toPort: port,
          ipRanges: fc.record({ items: fc.array(fc.record({ cidrIp: cidr4 }), { maxLength: 2 }) }),
          ipv6Ranges: fc.record({ items: fc.array(fc.record({ cidrIpv6: cidr6 }), { maxLength: 2 }) }),
        }),
        { minLength: 1, maxLength: 2 },
      ),
    }),
  });
  const flat = fc.record({ groupId, ipProtocol: pick(['tcp', 'udp']), fromPort: port, toPort: port, cidrIp: cidr4 });
  const rule = fc.record({
    SecurityGroupRuleId: fc.constant('sgr-0123456789abcdef0'),
    // The request names the rule by id; a direction marker (`IsEgress`) is recorded only in some shapes of
    // ModifySecurityGroupRules requests.
    SecurityGroupRule: fc.oneof(
      fc.record({ IpProtocol: pick(['tcp', '-1']), FromPort: port, ToPort: port, CidrIpv4: cidr4, IsEgress: isEgress }),
      fc.record({ IpProtocol: pick(['tcp', '-1']), FromPort: port, ToPort: port, CidrIpv6: cidr6, IsEgress: isEgress }),
    ),
  });
  const modify = fc.record({
    ModifySecurityGroupRulesRequest: fc.record({
      GroupId: groupId,
      SecurityGroupRule: fc.oneof(rule, fc.array(rule, { minLength: 1, maxLength: 2 })),
    }),
  });
  switch (eventName) {
    case 'ModifySecurityGroupRules':
      return modify;
    case 'AuthorizeSecurityGroupIngress':
    case 'AuthorizeSecurityGroupEgress':
    case 'RevokeSecurityGroupIngress':
    case 'RevokeSecurityGroupEgress':
      return fc.oneof(nested, flat);
    case 'ModifyNetworkInterfaceAttribute':
      return fc.record({
        networkInterfaceId: pick(ENIS),
        groupSet: fc.record({ items: fc.array(fc.record({ groupId }), { minLength: 1, maxLength: 2 }) }),
      });
    case 'DescribeSecurityGroups':
      return fc.record({
        securityGroupIdSet: fc.record({ items: fc.array(fc.record({ groupId }), { maxLength: 2 }) }),
      });
    case 'CreateSecurityGroup':
      return fc.record({
        groupName: fc.constant('web'),
        groupDescription: fc.constant('web tier'),
        vpcId: fc.constant('vpc-1a2b3c4d'),
      });
    default:
      return fc.record({ groupId });
  }
};

type Kind = 'console' | 'sg' | 'api';

const consoleLogin = (account: string) =>
  fc
    .record({
      identity: fc.oneof(
        pick(USERS).map((u) => ({
          type: 'IAMUser',
          principalId: 'AIDAEXAMPLE',
          arn: arnOfUser(account, u),
          accountId: account,
          userName: u,
        })),
        fc.constant({ type: 'Root', principalId: account, arn: `arn:aws:iam::${account}:root`, accountId: account }),
      ),
      outcome: pick(['Success', 'Failure']),
      mfa: fc.oneof(pick(['Yes', 'No']), fc.constant(undefined)),
      mobile: pick(['Yes', 'No']),
      errorMessage: maybe(fc.constant('Failed authentication')),
    })
    .map(({ identity: id, outcome, mfa, mobile, errorMessage }) => ({
      eventSource: 'signin.amazonaws.com',
      eventName: 'ConsoleLogin',
      eventType: 'AwsConsoleSignIn',
      readOnly: false,
      userIdentity: id,
      requestParameters: null,
      responseElements: { ConsoleLogin: outcome },
      additionalEventData: {
        LoginTo: 'https://console.aws.amazon.com/console/home',
        MobileVersion: mobile,
        ...(mfa === undefined ? {} : { MFAUsed: mfa }),
      },
      errorMessage: outcome === 'Failure' ? errorMessage : 'missing',
    }));

const SG_NAMES = [
  'AuthorizeSecurityGroupIngress',
  'AuthorizeSecurityGroupEgress',
  'RevokeSecurityGroupIngress',
  'ModifySecurityGroupRules',
  'CreateSecurityGroup',
  'ModifyNetworkInterfaceAttribute',
  'DescribeSecurityGroups',
];

const sgCall = pick(SG_NAMES).chain((eventName) =>
  fc.record({
    eventSource: fc.constant('ec2.amazonaws.com'),
    eventName: fc.constant(eventName),
    eventType: fc.constant('AwsApiCall'),
    readOnly: fc.constant(eventName.startsWith('Describe')),
    requestParameters: sgRequest(eventName),
    responseElements:
      eventName === 'CreateSecurityGroup'
        ? pick(GROUPS).map((groupId) => ({ _return: true, groupId }))
        : fc.constant(eventName.startsWith('Describe') ? null : { _return: true }),
  }),
);

/** Other API calls that name instances, buckets and users in their request, response or resources list. */
const apiCall = (account: string) =>
  fc.oneof(
    fc.record({
      eventSource: fc.constant('ec2.amazonaws.com'),
      eventName: pick(['RunInstances', 'StopInstances', 'DescribeInstances']),
      readOnly: fc.boolean(),
      requestParameters: fc.record({
        instancesSet: fc.record({ items: fc.array(fc.record({ instanceId: pick(INSTANCES) }), { maxLength: 2 }) }),
      }),
      // Not a security-group event even though its request names a group.
      responseElements: maybeObject(
        fc.record({ groupSet: fc.record({ items: fc.array(fc.record({ groupId: pick(GROUPS) }), { maxLength: 1 }) }) }),
      ),
    }),
    fc.record({
      eventSource: fc.constant('s3.amazonaws.com'),
      eventName: pick(['GetObject', 'PutObject', 'GetBucketAcl']),
      readOnly: fc.boolean(),
      requestParameters: fc.record({ bucketName: pick(BUCKETS), key: pick(['a.csv', 'reports/q3.pdf']) }),
      responseElements: fc.constant(null),
      resources: fc.array(
        pick(BUCKETS).map((b) => ({ accountId: account, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${b}` })),
        { maxLength: 1 },
      ),
    }),
    fc.record({
      eventSource: fc.constant('iam.amazonaws.com'),
      eventName: pick(['CreateUser', 'AttachUserPolicy', 'ListUsers', 'GetUser']),
      readOnly: fc.boolean(),
      requestParameters: maybeObject(fc.record({ userName: pick(USERS) })),
      responseElements: fc.constant(null),
    }),
  );

const errorPair = fc.oneof(
  fc.record({ errorCode: absent, errorMessage: absent }),
  fc.record({
    errorCode: pick(['AccessDenied', 'Client.UnauthorizedOperation', 'ThrottlingException']),
    errorMessage: maybe(pick(['User is not authorized', 'Rate exceeded'])),
  }),
);

/** Seconds from an anchor (window start, window end, the midnight in between): events cluster at the edges. */
export interface EventSeed {
  kind: Kind;
  anchor: number;
  offsetSeconds: number;
  /** How long after the event its file was delivered, in seconds (below the default 15-minute lag). */
  lagSeconds: number;
  layout: number;
  account: string;
  region: string;
  source: string;
  body: Record<string, unknown>;
}

export const eventSeed: fc.Arbitrary<EventSeed> = fc
  .record({
    kind: pick<Kind>(['console', 'sg', 'api', 'api']),
    anchor: fc.nat(3),
    // Multiples of 30 s: ties in eventTime are common, so the eventID tie-break is exercised.
    offsetSeconds: fc.integer({ min: -40, max: 40 }).map((n) => n * 30),
    lagSeconds: fc.integer({ min: 0, max: 899 }),
    layout: fc.nat(LAYOUTS.length - 1),
    account: pick(ACCOUNTS),
    region: pick(REGIONS),
    source: pick(SOURCES),
  })
  .chain((s) => {
    const body =
      s.kind === 'console'
        ? consoleLogin(s.account)
        : fc
            .tuple(s.kind === 'sg' ? sgCall : apiCall(s.account), identity(s.account), errorPair)
            .map(([call, userIdentity, error]) => ({ ...call, userIdentity, ...error }));
    return body.map((b) => ({ ...s, body: b as Record<string, unknown> }));
  });

/** Drops `'missing'` markers: the field is then absent from the record, as CloudTrail leaves it out. */
function withoutMissing(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutMissing);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== 'missing')
        .map(([k, x]) => [k, withoutMissing(x)]),
    );
  }
  return v;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Events from seeds, with eventTime around the anchors and unique eventIDs. */
export function eventsOf(seeds: EventSeed[], anchors: number[]): DeliveredEvent[] {
  return seeds.map((s, i) => {
    const time = anchors[s.anchor % anchors.length]! + s.offsetSeconds * 1000;
    // eventIDs sort in an order unrelated to generation order (the hex part) and never collide (the index).
    const id = `${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const record = withoutMissing({
      eventVersion: '1.09',
      eventTime: iso(time),
      awsRegion: s.region,
      sourceIPAddress: s.source,
      userAgent: 'aws-cli/2.15.0',
      ...s.body,
      eventID: id,
      requestID: `req-${i}`,
      recipientAccountId: s.account,
      eventCategory: 'Management',
    }) as CloudTrailEvent;
    return Object.assign(record, { deliveredAt: time + s.lagSeconds * 1000, layout: s.layout });
  });
}
