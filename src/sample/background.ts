/**
 * Background noise: the everyday read-mostly API traffic of an AWS estate (Describe*, List*, Get*, AssumeRole,
 * KMS, S3 object reads), spread over every account, region and day.
 *
 * On purpose it contains no console sign-ins, no errors, no root activity and no security-group changes: those come
 * only from the scenarios, so the counts a reader expects for them stay small and exact whatever the volume of noise.
 */

import { type CallSpec, makeRecord } from './events';
import { type Random, WeightedPicker } from './random';
import { type CloudTrailRecord, humanTime, isoSeconds, type JsonObject, type TrailResource } from './record';
import {
  type AccountWorld,
  assumedRoleIdentity,
  CLI_AGENTS,
  ciRunnerIp,
  externalIpv4,
  type IamUser,
  iamUserIdentity,
  officeIpv4,
  officeIpv6,
  type RoleDef,
  roleIssuer,
  serviceIdentity,
  TERRAFORM_AGENT,
} from './world';

type CallerKind = 'user' | 'role' | 'service';

interface CallContext {
  rng: Random;
  account: AccountWorld;
  region: string;
  time: number;
  /** The resource the call is about (bucket, table…), chosen once so request, resources and host agree. */
  subject: string;
}

interface ApiTemplate {
  source: string;
  name: string;
  readOnly: boolean;
  weight: number;
  /** Recorded in the global region (IAM, S3 ListBuckets) rather than in every region. */
  global?: boolean;
  /** Relative weights of who makes the call. */
  callers: Partial<Record<CallerKind, number>>;
  /** For `service` callers: the service principal (`invokedBy`). */
  servicePrincipal?: string;
  subject?: (c: CallContext) => string;
  data?: boolean;
  request?: (c: CallContext) => JsonObject | null;
  response?: (c: CallContext) => JsonObject | null;
  resources?: (c: CallContext) => TrailResource[];
  additional?: (c: CallContext) => JsonObject;
  host?: (c: CallContext) => string;
  /** A service event (no caller, no request id), e.g. KMS automatic key rotation. */
  serviceEvent?: boolean;
}

const items = <T extends JsonObject>(list: T[]) => ({ items: list });
const ec2Response = (c: CallContext): JsonObject => ({ requestId: c.rng.uuid(), _return: true });
const kmsKeyArn = (c: CallContext, key: string) => `arn:aws:kms:${c.region}:${c.account.id}:key/${key}`;
const bucketHost = (c: CallContext) => `${c.subject}.s3.${c.region}.amazonaws.com`;
const bucketResource = (c: CallContext): TrailResource => ({
  accountId: c.account.id,
  type: 'AWS::S3::Bucket',
  ARN: `arn:aws:s3:::${c.subject}`,
});
/** Object-level S3 events list the object (no account id: CloudTrail omits it) and its bucket. */
const objectResources = (c: CallContext, prefix: string): TrailResource[] => [
  { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${c.subject}/${prefix}` },
  bucketResource(c),
];
const s3Extra = (c: CallContext, bytesOut: number): JsonObject => ({
  SignatureVersion: 'SigV4',
  CipherSuite: 'TLS_AES_128_GCM_SHA256',
  bytesTransferredIn: 0,
  AuthenticationMethod: 'AuthHeader',
  'x-amz-id-2': c.rng.alnum(76),
  bytesTransferredOut: bytesOut,
});

const TEMPLATES: ApiTemplate[] = [
  // EC2 reads dominate real trails (consoles, Terraform plans, autoscalers polling).
  {
    source: 'ec2.amazonaws.com',
    name: 'DescribeInstances',
    readOnly: true,
    weight: 12,
    callers: { user: 5, role: 4, service: 1 },
    servicePrincipal: 'autoscaling.amazonaws.com',
    request: (c) =>
      c.rng.chance(0.4)
        ? { instancesSet: items([{ instanceId: c.rng.pick(c.account.instances) }]), filterSet: {} }
        : { instancesSet: {}, filterSet: {} },
  },
  {
    source: 'ec2.amazonaws.com',
    name: 'DescribeInstanceStatus',
    readOnly: true,
    weight: 4,
    callers: { role: 2, service: 3 },
    servicePrincipal: 'autoscaling.amazonaws.com',
    request: () => ({ instancesSet: {}, filterSet: {}, includeAllInstances: false }),
  },
  {
    source: 'ec2.amazonaws.com',
    name: 'DescribeSecurityGroups',
    readOnly: true,
    weight: 4,
    callers: { user: 3, role: 2 },
    request: (c) => ({
      securityGroupSet: {},
      securityGroupIdSet: c.rng.chance(0.5) ? items([{ groupId: c.rng.pick(c.account.securityGroups) }]) : {},
      filterSet: {},
    }),
  },
  {
    source: 'ec2.amazonaws.com',
    name: 'DescribeNetworkInterfaces',
    readOnly: true,
    weight: 2,
    callers: { user: 1, role: 2 },
    request: (c) => ({
      networkInterfaceIdSet: {},
      filterSet: items([{ name: 'vpc-id', valueSet: items([{ value: c.rng.pick(c.account.vpcs) }]) }]),
    }),
  },
  {
    source: 'ec2.amazonaws.com',
    name: 'DescribeVolumes',
    readOnly: true,
    weight: 4,
    callers: { user: 2, role: 2, service: 1 },
    servicePrincipal: 'backup.amazonaws.com',
    request: () => ({ volumeSet: {}, filterSet: {} }),
  },
  {
    source: 'ec2.amazonaws.com',
    name: 'DescribeSubnets',
    readOnly: true,
    weight: 3,
    callers: { user: 2, role: 2 },
    request: (c) => ({ subnetSet: items([{ subnetId: c.rng.pick(c.account.subnets) }]), filterSet: {} }),
  },
  {
    source: 'ec2.amazonaws.com',
    name: 'DescribeVpcs',
    readOnly: true,
    weight: 2,
    callers: { user: 2, role: 1 },
    request: () => ({ vpcSet: {}, filterSet: {} }),
  },
  {
    source: 'ec2.amazonaws.com',
    name: 'CreateTags',
    readOnly: false,
    weight: 1,
    callers: { user: 1, role: 2 },
    request: (c) => ({
      resourcesSet: items([{ resourceId: c.rng.pick(c.account.instances) }]),
      tagSet: items([{ key: 'CostCenter', value: String(c.rng.between(1000, 1099)) }]),
    }),
    response: ec2Response,
  },
  // S3: bucket-level management calls, and object reads/writes (data events, as on trails that log them).
  {
    source: 's3.amazonaws.com',
    name: 'ListBuckets',
    readOnly: true,
    weight: 3,
    global: true,
    callers: { user: 3, role: 1 },
    request: () => ({ Host: 's3.amazonaws.com' }),
    additional: (c) => s3Extra(c, 2048),
    host: () => 's3.amazonaws.com',
  },
  {
    source: 's3.amazonaws.com',
    name: 'GetBucketLocation',
    readOnly: true,
    weight: 2,
    callers: { user: 1, role: 2 },
    subject: (c) => c.rng.pick(c.account.buckets),
    request: (c) => ({ bucketName: c.subject, Host: bucketHost(c), location: '' }),
    resources: (c) => [bucketResource(c)],
    additional: (c) => s3Extra(c, 137),
    host: bucketHost,
  },
  {
    source: 's3.amazonaws.com',
    name: 'GetObject',
    readOnly: true,
    weight: 5,
    data: true,
    callers: { role: 4, user: 1 },
    subject: (c) => c.rng.pick(c.account.buckets),
    request: (c) => ({
      bucketName: c.subject,
      Host: bucketHost(c),
      key: `reports/${c.rng.between(2024, 2026)}/${c.rng.hex(8)}.parquet`,
    }),
    resources: (c) => objectResources(c, 'reports/'),
    additional: (c) => s3Extra(c, c.rng.between(1_000, 5_000_000)),
    host: bucketHost,
  },
  {
    source: 's3.amazonaws.com',
    name: 'PutObject',
    readOnly: false,
    weight: 2,
    data: true,
    callers: { role: 3, user: 1 },
    subject: (c) => c.rng.pick(c.account.buckets),
    request: (c) => ({ bucketName: c.subject, Host: bucketHost(c), key: `uploads/${c.rng.hex(12)}.json` }),
    resources: (c) => objectResources(c, 'uploads/'),
    host: bucketHost,
    response: (c) => ({ 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-version-id': c.rng.alnum(32) }),
    additional: (c) => s3Extra(c, 0),
  },
  // IAM is global: CloudTrail records it in us-east-1.
  {
    source: 'iam.amazonaws.com',
    name: 'ListUsers',
    readOnly: true,
    weight: 2,
    global: true,
    callers: { user: 2, role: 1 },
    request: () => null,
  },
  {
    source: 'iam.amazonaws.com',
    name: 'GetUser',
    readOnly: true,
    weight: 2,
    global: true,
    callers: { user: 2 },
    request: (c) => ({ userName: c.account.users.length ? c.rng.pick(c.account.users).name : 'admin' }),
  },
  {
    source: 'iam.amazonaws.com',
    name: 'ListRoles',
    readOnly: true,
    weight: 2,
    global: true,
    callers: { user: 1, role: 2 },
    request: () => null,
  },
  {
    source: 'iam.amazonaws.com',
    name: 'GetRole',
    readOnly: true,
    weight: 2,
    global: true,
    callers: { user: 1, role: 2 },
    request: (c) => ({ roleName: c.rng.pick(c.account.roles).name }),
  },
  {
    source: 'iam.amazonaws.com',
    name: 'ListAttachedRolePolicies',
    readOnly: true,
    weight: 2,
    global: true,
    callers: { user: 1, role: 2 },
    request: (c) => ({ roleName: c.rng.pick(c.account.roles).name }),
  },
  // STS
  {
    source: 'sts.amazonaws.com',
    name: 'AssumeRole',
    readOnly: true,
    weight: 7,
    // People in the first account switch roles; workloads get their role from their service.
    callers: { user: 3, service: 4 },
    // servicePrincipal comes from the role (lambda, ec2, ecs-tasks, codebuild): see assumeRole().
  },
  {
    source: 'sts.amazonaws.com',
    name: 'GetCallerIdentity',
    readOnly: true,
    weight: 3,
    callers: { user: 2, role: 2 },
    request: () => null,
  },
  // KMS: most calls come from services acting for a principal, or from roles of applications.
  {
    source: 'kms.amazonaws.com',
    name: 'Decrypt',
    readOnly: true,
    weight: 6,
    callers: { role: 3, service: 2 },
    servicePrincipal: 's3.amazonaws.com',
    request: () => ({ encryptionAlgorithm: 'SYMMETRIC_DEFAULT' }),
    resources: (c) => [
      { accountId: c.account.id, type: 'AWS::KMS::Key', ARN: kmsKeyArn(c, c.rng.pick(c.account.kmsKeys)) },
    ],
  },
  {
    source: 'kms.amazonaws.com',
    name: 'GenerateDataKey',
    readOnly: true,
    weight: 4,
    callers: { role: 2, service: 3 },
    servicePrincipal: 'cloudtrail.amazonaws.com',
    request: (c) => ({ keyId: kmsKeyArn(c, c.account.kmsKeys[0]!), keySpec: 'AES_256' }),
    resources: (c) => [{ accountId: c.account.id, type: 'AWS::KMS::Key', ARN: kmsKeyArn(c, c.account.kmsKeys[0]!) }],
  },
  {
    source: 'kms.amazonaws.com',
    name: 'RotateKey',
    readOnly: false,
    weight: 0.05,
    callers: {},
    serviceEvent: true,
    resources: (c) => [
      { accountId: c.account.id, type: 'AWS::KMS::Key', ARN: kmsKeyArn(c, c.rng.pick(c.account.kmsKeys)) },
    ],
  },
  // Lambda, CloudWatch, Logs, DynamoDB, SSM, CloudTrail, ELB, Auto Scaling.
  {
    source: 'lambda.amazonaws.com',
    name: 'ListFunctions20150331',
    readOnly: true,
    weight: 2,
    callers: { user: 2, role: 1 },
    request: () => null,
  },
  {
    source: 'lambda.amazonaws.com',
    name: 'GetFunction20150331v2',
    readOnly: true,
    weight: 2,
    callers: { user: 2, role: 2 },
    request: (c) => ({ functionName: c.rng.pick(c.account.functions) }),
  },
  {
    source: 'monitoring.amazonaws.com',
    name: 'DescribeAlarms',
    readOnly: true,
    weight: 3,
    callers: { user: 2, role: 2 },
    request: () => ({ maxRecords: 100 }),
  },
  {
    source: 'monitoring.amazonaws.com',
    name: 'GetMetricData',
    readOnly: true,
    weight: 3,
    callers: { user: 1, role: 3 },
    request: (c) => ({
      startTime: isoSeconds(c.time - 3_600_000),
      endTime: isoSeconds(c.time),
      scanBy: 'TimestampDescending',
    }),
  },
  {
    source: 'logs.amazonaws.com',
    name: 'DescribeLogGroups',
    readOnly: true,
    weight: 2,
    callers: { user: 2, role: 1 },
    request: () => ({ logGroupNamePrefix: '/aws/lambda/' }),
  },
  {
    source: 'logs.amazonaws.com',
    name: 'CreateLogStream',
    readOnly: false,
    weight: 2,
    callers: { role: 1 },
    request: (c) => ({
      logGroupName: c.rng.pick(c.account.logGroups),
      logStreamName: `${isoSeconds(c.time).slice(0, 10).replace(/-/g, '/')}/[$LATEST]${c.rng.hex(32)}`,
    }),
  },
  {
    source: 'dynamodb.amazonaws.com',
    name: 'DescribeTable',
    readOnly: true,
    weight: 2,
    callers: { user: 1, role: 3 },
    subject: (c) => c.rng.pick(c.account.tables),
    request: (c) => ({ tableName: c.subject }),
    resources: (c) => [
      {
        accountId: c.account.id,
        type: 'AWS::DynamoDB::Table',
        ARN: `arn:aws:dynamodb:${c.region}:${c.account.id}:table/${c.subject}`,
      },
    ],
  },
  {
    source: 'dynamodb.amazonaws.com',
    name: 'ListTables',
    readOnly: true,
    weight: 1,
    callers: { user: 1, role: 1 },
    request: () => null,
  },
  {
    source: 'ssm.amazonaws.com',
    name: 'GetParameter',
    readOnly: true,
    weight: 3,
    callers: { role: 3, user: 1 },
    request: (c) => ({
      name: c.rng.pick(['/app/prod/db-host', '/app/prod/feature-flags', '/app/staging/db-host']),
      withDecryption: false,
    }),
  },
  {
    source: 'ssm.amazonaws.com',
    name: 'UpdateInstanceInformation',
    readOnly: false,
    weight: 3,
    callers: { role: 1 },
    request: (c) => ({
      instanceId: c.rng.pick(c.account.instances),
      agentVersion: '3.3.1142.0',
      platformType: 'Linux',
      platformName: 'Amazon Linux',
      platformVersion: '2023',
    }),
  },
  {
    source: 'cloudtrail.amazonaws.com',
    name: 'DescribeTrails',
    readOnly: true,
    weight: 1,
    callers: { user: 1, role: 1 },
    request: () => ({ includeShadowTrails: true }),
  },
  {
    source: 'cloudtrail.amazonaws.com',
    name: 'LookupEvents',
    readOnly: true,
    weight: 1,
    callers: { user: 1, role: 1 },
    request: () => ({ maxResults: 50 }),
  },
  {
    source: 'elasticloadbalancing.amazonaws.com',
    name: 'DescribeTargetHealth',
    readOnly: true,
    weight: 2,
    callers: { role: 1, service: 2 },
    servicePrincipal: 'ecs.amazonaws.com',
    request: (c) => ({
      targetGroupArn: `arn:aws:elasticloadbalancing:${c.region}:${c.account.id}:targetgroup/web/${c.rng.hex(16)}`,
    }),
  },
  {
    source: 'autoscaling.amazonaws.com',
    name: 'DescribeAutoScalingGroups',
    readOnly: true,
    weight: 1,
    callers: { user: 1, role: 2 },
    request: () => ({ maxRecords: 50 }),
  },
];

/** Event names the background can produce (none of them a sign-in or a security-group change). */
export const BACKGROUND_EVENT_NAMES: ReadonlySet<string> = new Set(TEMPLATES.map((t) => t.name));

/** Picks templates for one (account, region) stream: global services only in the global region. */
export function templatePicker(global: boolean): WeightedPicker<ApiTemplate> {
  return new WeightedPicker(TEMPLATES.filter((t) => global || !t.global).map((t) => ({ item: t, weight: t.weight })));
}

function pickCaller(rng: Random, template: ApiTemplate, account: AccountWorld): CallerKind {
  const user = account.userPicker ? (template.callers.user ?? 0) : 0;
  const role = template.callers.role ?? 0;
  const service = template.callers.service ?? 0;
  const total = user + role + service;
  if (total === 0) return 'role';
  const x = rng.next() * total;
  if (x < user) return 'user';
  if (x < user + role) return 'role';
  return 'service';
}

type Caller = Pick<CallSpec, 'identity' | 'sourceIp' | 'userAgent' | 'fromConsole'>;

function userCaller(c: CallContext, user: IamUser): Caller {
  const { rng } = c;
  if (user.machine) {
    return {
      identity: iamUserIdentity(c.account.id, user),
      sourceIp: ciRunnerIp(rng),
      userAgent: user.name === 'terraform' ? TERRAFORM_AGENT : rng.pick(CLI_AGENTS),
    };
  }
  const sourceIp = rng.chance(0.8) ? (rng.chance(0.85) ? officeIpv4(rng) : officeIpv6(rng)) : externalIpv4(rng);
  if (rng.chance(0.3)) {
    // A click in the console: console session credentials, MFA was used at sign-in.
    const identity = iamUserIdentity(c.account.id, user, `ASIA${rng.upperAlnum(16)}`);
    identity.sessionContext = {
      sessionIssuer: {},
      webIdFederationData: {},
      attributes: { creationDate: isoSeconds(c.time - rng.between(60, 7200) * 1000), mfaAuthenticated: 'true' },
    };
    return { identity, sourceIp, userAgent: 'AWS Internal', fromConsole: true };
  }
  return { identity: iamUserIdentity(c.account.id, user), sourceIp, userAgent: rng.pick(CLI_AGENTS) };
}

function roleCaller(c: CallContext, role: RoleDef): Caller {
  const { rng } = c;
  const session = rng.pick(role.sessions);
  const identity = assumedRoleIdentity(
    c.account.id,
    role,
    session.name,
    session.accessKeyId,
    isoSeconds(c.time - rng.between(30, 3500) * 1000),
  );
  if (role.servicePrincipal === 'ec2.amazonaws.com' && identity.sessionContext) {
    identity.sessionContext.ec2RoleDelivery = '2.0';
  }
  if (role.assumedBy === 'service') {
    // Workloads run inside AWS: their addresses are outside the office networks.
    return { identity, sourceIp: `192.0.2.${rng.between(1, 254)}`, userAgent: rng.pick(CLI_AGENTS.slice(2)) };
  }
  const sourceIp = rng.chance(0.85) ? officeIpv4(rng) : officeIpv6(rng);
  return { identity, sourceIp, userAgent: rng.chance(0.5) ? 'AWS Internal' : rng.pick(CLI_AGENTS) };
}

/**
 * sts:AssumeRole with the real response shape. A person assumes a people role with their own name as the session
 * name (so the later calls of that session point back to them); a service assumes its workload's role.
 */
function assumeRole(c: CallContext, kind: CallerKind): CallSpec {
  const { rng, account } = c;
  let caller: Caller;
  let role: RoleDef;
  let session: RoleDef['sessions'][number];
  if (kind === 'user') {
    role = rng.pick(account.roles.filter((r) => r.assumedBy === 'people'));
    session = rng.pick(role.sessions);
    const person = session.name.slice(0, session.name.indexOf('@'));
    caller = userCaller(c, account.users.find((u) => u.name === person) ?? account.userPicker!.pick(rng));
  } else {
    role = rng.pick(account.roles.filter((r) => r.assumedBy === 'service'));
    session = rng.pick(role.sessions);
    caller = {
      identity: serviceIdentity(role.servicePrincipal!),
      sourceIp: role.servicePrincipal!,
      userAgent: role.servicePrincipal!,
    };
  }
  const roleArn = roleIssuer(account.id, role).arn;
  return {
    time: c.time,
    accountId: account.id,
    region: c.region,
    source: 'sts.amazonaws.com',
    name: 'AssumeRole',
    ...caller,
    request: { roleArn, roleSessionName: session.name, durationSeconds: 3600 },
    response: {
      credentials: {
        accessKeyId: session.accessKeyId,
        sessionToken: `IQoJb3JpZ2luX2Vj${rng.alnum(48)}`,
        expiration: humanTime(c.time + 3_600_000),
      },
      assumedRoleUser: {
        assumedRoleId: `${role.principalId}:${session.name}`,
        arn: `arn:aws:sts::${account.id}:assumed-role/${role.name}/${session.name}`,
      },
    },
    resources: [{ accountId: account.id, type: 'AWS::IAM::Role', ARN: roleArn }],
    readOnly: true,
    tlsHost: kind === 'service' ? null : undefined,
  };
}

/** One background record for the stream's account and region at `time`. */
export function backgroundEvent(
  rng: Random,
  templates: WeightedPicker<ApiTemplate>,
  account: AccountWorld,
  region: string,
  time: number,
): CloudTrailRecord {
  const template = templates.pick(rng);
  const c: CallContext = { rng, account, region, time, subject: '' };
  if (template.subject) c.subject = template.subject(c);
  if (template.serviceEvent) {
    return makeRecord(rng, {
      time,
      accountId: account.id,
      region,
      source: template.source,
      name: template.name,
      identity: { accountId: account.id, invokedBy: 'AWS Internal' },
      sourceIp: 'AWS Internal',
      userAgent: 'AWS Internal',
      request: null,
      resources: template.resources?.(c),
      readOnly: template.readOnly,
      eventType: 'AwsServiceEvent',
      tlsHost: null,
      withRequestId: false,
    });
  }
  const kind = pickCaller(rng, template, account);
  if (template.name === 'AssumeRole') return makeRecord(rng, assumeRole(c, kind));
  let caller: Caller;
  if (kind === 'user') caller = userCaller(c, account.userPicker!.pick(rng));
  else if (kind === 'service') {
    const principal = template.servicePrincipal ?? 'cloudformation.amazonaws.com';
    caller = { identity: serviceIdentity(principal), sourceIp: principal, userAgent: principal };
  } else caller = roleCaller(c, account.rolePicker.pick(rng));
  return makeRecord(rng, {
    time,
    accountId: account.id,
    region,
    source: template.source,
    name: template.name,
    ...caller,
    request: template.request ? template.request(c) : null,
    response: template.response?.(c) ?? null,
    additional: template.additional?.(c),
    resources: template.resources?.(c),
    readOnly: template.readOnly,
    data: template.data,
    tlsHost: kind === 'service' ? null : template.host?.(c),
  });
}
