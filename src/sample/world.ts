/**
 * The fictional organisation the sample logs describe: its accounts, IAM users, roles, resources, networks and client
 * software. Built once from the seed, before any event is written.
 *
 * Every address is from a documentation range (RFC 5737 IPv4 TEST-NETs, RFC 3849 `2001:db8::/32`), so no real host
 * ever appears in the data. The office networks are the known networks trailbot is configured with; everything else
 * counts as external.
 */
import { type Random, WeightedPicker, zipfWeights } from './random';
import type { SessionIssuer, TlsDetails, UserIdentity } from './record';

/** The office networks: office console logins come from here; `logins external` means "not from here". */
export const SAMPLE_KNOWN_NETWORKS: readonly string[] = ['198.51.100.0/24', '2001:db8:100::/48'];

/** Default off-hours window used when reading the sample (ARCHITECTURE / config default: 00:00–05:00 UTC). */
export const SAMPLE_OFF_HOURS = { start: '00:00', end: '05:00', timeZone: 'UTC' } as const;

/**
 * IAM users of the first account, most active first (background activity is Zipf-distributed over this order).
 * `bobodell` is the user of the AWS article's security-group walkthrough.
 */
export const SAMPLE_USER_NAMES: readonly string[] = [
  'ci-deploy',
  'terraform',
  'alice.martin',
  'monitoring-bot',
  'bobodell',
  'carol.nguyen',
  'dave.okafor',
  'erin.schmidt',
  'frank.ito',
  'grace.kim',
  'backup-agent',
  'heidi.novak',
  'ivan.petrov',
  'judy.rossi',
  'liam.obrien',
  'mallory.quinn',
  'nina.kowalski',
  'oscar.diaz',
  'peggy.chen',
  'trent.walker',
  'victor.silva',
  'wendy.larsen',
  'xavier.dubois',
  'yara.haddad',
  'zoe.fischer',
];

/** Users that are programs: they call APIs from CI runners, never sign in to the console. */
const MACHINE_USERS = new Set(['ci-deploy', 'terraform', 'monitoring-bot', 'backup-agent']);

export interface IamUser {
  name: string;
  principalId: string;
  /** Long-term key used for API calls (`AKIA…`). */
  accessKeyId: string;
  machine: boolean;
}

export interface RoleDef {
  name: string;
  principalId: string;
  /** Who assumes it: people (session name = e-mail) or a service (session = instance id / function name). */
  assumedBy: 'people' | 'service';
  /** For service roles: the service principal that calls sts:AssumeRole. */
  servicePrincipal?: string;
  /** Sessions with their temporary key (`ASIA…`), stable per session like real credentials. */
  sessions: { name: string; accessKeyId: string }[];
}

export interface AccountWorld {
  id: string;
  /** IAM users live in the first account only; member accounts are reached through roles, as in most orgs. */
  users: IamUser[];
  roles: RoleDef[];
  instances: string[];
  volumes: string[];
  /** Background security groups (never the article's scenario groups). */
  securityGroups: string[];
  vpcs: string[];
  subnets: string[];
  buckets: string[];
  functions: string[];
  tables: string[];
  logGroups: string[];
  kmsKeys: string[];
  userPicker?: WeightedPicker<IamUser>;
  rolePicker: WeightedPicker<RoleDef>;
}

export interface SampleWorld {
  accounts: AccountWorld[];
  /** IAM (a global service) records its events in us-east-1; see `globalRegionOf`. */
  globalRegion: string;
}

/**
 * Deterministic account ids: the documentation-style ids first, then ids derived from the index. They do not depend
 * on the seed so `--accounts 3` always means the same three accounts.
 */
export function sampleAccountIds(count: number): string[] {
  const known = ['111122223333', '444455556666', '777788889999', '123456789012', '210987654321'];
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i < known.length) ids.push(known[i]!);
    else ids.push(String(100000000000 + ((i * 104729 * 1000003) % 899999999999)).padStart(12, '0'));
  }
  return ids;
}

/**
 * Where CloudTrail records events of global services (IAM, STS global endpoint, console sign-in): us-east-1
 * (docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-concepts.html#cloudtrail-concepts-global-service-events).
 * When the sample does not include us-east-1 they go to its first region, so they still land in a folder we write.
 */
export function globalRegionOf(regions: readonly string[]): string {
  return regions.includes('us-east-1') ? 'us-east-1' : regions[0]!;
}

const PEOPLE_ROLES = ['AdminAccess', 'ReadOnlyAccess', 'SecurityAudit', 'DeveloperAccess'];
const SERVICE_ROLES: { name: string; principal: string; session: (rng: Random) => string }[] = [
  { name: 'orders-processor-lambda', principal: 'lambda.amazonaws.com', session: () => 'orders-processor' },
  { name: 'web-tier-instance-role', principal: 'ec2.amazonaws.com', session: (rng) => `i-0${rng.hex(16)}` },
  { name: 'ecsTaskExecutionRole', principal: 'ecs-tasks.amazonaws.com', session: (rng) => rng.hex(32) },
  { name: 'deploy-pipeline', principal: 'codebuild.amazonaws.com', session: (rng) => `AWSCodeBuild-${rng.uuid()}` },
];

export function buildWorld(rng: Random, accountIds: readonly string[], regions: readonly string[]): SampleWorld {
  const accounts = accountIds.map((id, index) => buildAccount(rng.fork(`account-${id}`), id, index === 0));
  return { accounts, globalRegion: globalRegionOf(regions) };
}

function buildAccount(rng: Random, id: string, primary: boolean): AccountWorld {
  const users: IamUser[] = primary
    ? SAMPLE_USER_NAMES.map((name) => ({
        name,
        principalId: `AIDA${rng.upperAlnum(17)}`,
        accessKeyId: `AKIA${rng.upperAlnum(16)}`,
        machine: MACHINE_USERS.has(name),
      }))
    : [];
  const humans = SAMPLE_USER_NAMES.filter((n) => !MACHINE_USERS.has(n));
  const roles: RoleDef[] = [
    ...PEOPLE_ROLES.map(
      (name): RoleDef => ({
        name,
        principalId: `AROA${rng.upperAlnum(17)}`,
        assumedBy: 'people',
        sessions: Array.from({ length: 4 }, () => ({
          name: `${rng.pick(humans)}@example.com`,
          accessKeyId: `ASIA${rng.upperAlnum(16)}`,
        })),
      }),
    ),
    ...SERVICE_ROLES.map(
      (r): RoleDef => ({
        name: r.name,
        principalId: `AROA${rng.upperAlnum(17)}`,
        assumedBy: 'service',
        servicePrincipal: r.principal,
        sessions: Array.from({ length: 3 }, () => ({ name: r.session(rng), accessKeyId: `ASIA${rng.upperAlnum(16)}` })),
      }),
    ),
  ];
  const many = (n: number, make: () => string) => Array.from({ length: n }, make);
  const world: AccountWorld = {
    id,
    users,
    roles,
    instances: many(12, () => `i-0${rng.hex(16)}`),
    volumes: many(10, () => `vol-0${rng.hex(16)}`),
    // 17 hex digits: the long id format, so they can never equal the article's 8-digit scenario group ids.
    securityGroups: many(8, () => `sg-0${rng.hex(16)}`),
    vpcs: many(2, () => `vpc-0${rng.hex(16)}`),
    subnets: many(6, () => `subnet-0${rng.hex(16)}`),
    buckets: ['app-assets', 'build-artifacts', 'customer-uploads', 'data-lake-raw', 'backups'].map((b) => `${b}-${id}`),
    functions: ['orders-processor', 'thumbnailer', 'nightly-report', 'slack-notifier', 'auth-hook'],
    tables: ['orders', 'customers', 'sessions', 'inventory'],
    logGroups: ['/aws/lambda/orders-processor', '/aws/lambda/thumbnailer', '/ecs/web', '/ecs/worker', 'app/audit'],
    kmsKeys: many(3, () => rng.uuid()),
    rolePicker: new WeightedPicker(roles.map((r, i) => ({ item: r, weight: i < PEOPLE_ROLES.length ? 1 : 2 }))),
  };
  if (users.length > 0) {
    const weights = zipfWeights(users.length);
    world.userPicker = new WeightedPicker(users.map((u, i) => ({ item: u, weight: weights[i]! })));
  }
  return world;
}

// --- identities ----------------------------------------------------------------------------------------------

export function iamUserIdentity(accountId: string, user: IamUser, accessKeyId = user.accessKeyId): UserIdentity {
  return {
    type: 'IAMUser',
    principalId: user.principalId,
    arn: `arn:aws:iam::${accountId}:user/${user.name}`,
    accountId,
    accessKeyId,
    userName: user.name,
  };
}

export function roleIssuer(accountId: string, role: RoleDef): SessionIssuer {
  return {
    type: 'Role',
    principalId: role.principalId,
    arn: `arn:aws:iam::${accountId}:role/${role.name}`,
    accountId,
    userName: role.name,
  };
}

export function assumedRoleIdentity(
  accountId: string,
  role: RoleDef,
  sessionName: string,
  accessKeyId: string,
  creationDate: string,
): UserIdentity {
  return {
    type: 'AssumedRole',
    principalId: `${role.principalId}:${sessionName}`,
    arn: `arn:aws:sts::${accountId}:assumed-role/${role.name}/${sessionName}`,
    accountId,
    accessKeyId,
    sessionContext: {
      sessionIssuer: roleIssuer(accountId, role),
      webIdFederationData: {},
      attributes: { creationDate, mfaAuthenticated: 'false' },
    },
  };
}

export function rootIdentity(
  accountId: string,
  options: { accessKeyId?: string; session?: { creationDate: string; mfa: boolean }; invokedBy?: string } = {},
): UserIdentity {
  const identity: UserIdentity = {
    type: 'Root',
    principalId: accountId,
    arn: `arn:aws:iam::${accountId}:root`,
    accountId,
  };
  if (options.accessKeyId) identity.accessKeyId = options.accessKeyId;
  if (options.session) {
    identity.sessionContext = {
      sessionIssuer: {},
      webIdFederationData: {},
      attributes: {
        creationDate: options.session.creationDate,
        mfaAuthenticated: options.session.mfa ? 'true' : 'false',
      },
    };
  }
  if (options.invokedBy) identity.invokedBy = options.invokedBy;
  return identity;
}

export function serviceIdentity(servicePrincipal: string): UserIdentity {
  return { type: 'AWSService', invokedBy: servicePrincipal };
}

// --- networks and clients --------------------------------------------------------------------------------------

export function officeIpv4(rng: Random): string {
  return `198.51.100.${rng.between(10, 250)}`;
}

export function officeIpv6(rng: Random): string {
  return `2001:db8:100:${rng.between(1, 0xfff).toString(16)}::${rng.between(1, 0xffff).toString(16)}`;
}

/** Outside the known networks: RFC 5737 TEST-NET-1/3 and a `2001:db8::/32` prefix outside `2001:db8:100::/48`. */
export function externalIpv4(rng: Random): string {
  return rng.chance(0.5) ? `203.0.113.${rng.between(1, 254)}` : `192.0.2.${rng.between(1, 254)}`;
}

export function externalIpv6(rng: Random): string {
  return `2001:db8:bad:${rng.between(1, 0xfff).toString(16)}::${rng.between(1, 0xffff).toString(16)}`;
}

/** CI runners that machine users call from (outside the office). */
export function ciRunnerIp(rng: Random): string {
  return `203.0.113.${rng.between(200, 220)}`;
}

export const CLI_AGENTS: readonly string[] = [
  'aws-cli/2.22.35 md/awscrt#0.23.8 ua/2.1 os/linux#6.1.119 md/arch#x86_64 lang/python#3.12.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#amzn.2023 prompt/off',
  'aws-cli/2.22.12 md/awscrt#0.22.0 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source prompt/off',
  'Boto3/1.35.90 md/Botocore#1.35.90 ua/2.0 os/linux#6.1.119 md/arch#x86_64 lang/python#3.11.10 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.90',
  'aws-sdk-js/3.723.0 ua/2.1 os/linux#6.1.119 lang/js md/nodejs#20.18.1 m/E',
  'aws-sdk-go-v2/1.32.7 ua/2.1 os/linux lang/go#1.23.4 md/GOOS#linux md/GOARCH#amd64',
];

export const TERRAFORM_AGENT =
  'APN/1.0 HashiCorp/1.0 Terraform/1.10.3 (+https://www.terraform.io) terraform-provider-aws/5.82.2 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.7 ua/2.1 os/linux lang/go#1.23.3 md/GOOS#linux md/GOARCH#amd64';

export const BROWSER_AGENTS: readonly string[] = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
];

export const MOBILE_AGENT =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Mobile/15E148 Safari/604.1';

/** Host header the client sent: regional endpoint for regional services, the global one for IAM and S3 list. */
export function tlsFor(host: string, rng: Random): TlsDetails {
  return {
    tlsVersion: 'TLSv1.3',
    cipherSuite: rng.chance(0.8) ? 'TLS_AES_128_GCM_SHA256' : 'TLS_AES_256_GCM_SHA384',
    clientProvidedHostHeader: host,
  };
}
