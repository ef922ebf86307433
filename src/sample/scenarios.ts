/**
 * The scenarios of the AWS article "Analyze Security, Compliance, and Operational Activity Using AWS CloudTrail and
 * Amazon Athena" (aws.amazon.com/blogs/big-data/aws-cloudtrail-and-amazon-athena-dive-deep-to-analyze-security-
 * compliance-and-operational-activity/), planted at deterministic times relative to `now`:
 *
 * - security groups (last 6 h of a 12 h window): `bobodell` attaches sg-e214609e and sg-5887f224 to eni-6c5ca5a8,
 *   then opens tcp/143 on sg-5887f224 to the world, with Describe calls around it, plus unrelated group changes;
 * - console logins (last 24 h): office, mobile, off-hours, external, without MFA, failed, and one root login;
 * - recurring errors (last 7 days): six error codes with distinct counts, so their ranking is unambiguous;
 * - root activity (last 30 days): direct, with and without MFA, and invoked by AWS Support.
 *
 * Each window is cut to the generated range when `days` is shorter. Everything here is a small, exact set of events;
 * the manifest is still computed from what is written, never restated from these tables.
 */

import { type CallSpec, makeRecord } from './events';
import type { Random } from './random';
import { type CloudTrailRecord, isoSeconds, type JsonObject, type UserIdentity } from './record';
import {
  type AccountWorld,
  assumedRoleIdentity,
  BROWSER_AGENTS,
  CLI_AGENTS,
  ciRunnerIp,
  externalIpv4,
  externalIpv6,
  type IamUser,
  iamUserIdentity,
  MOBILE_AGENT,
  officeIpv4,
  officeIpv6,
  type RoleDef,
  rootIdentity,
  TERRAFORM_AGENT,
} from './world';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The article's security-group walkthrough. */
export const SG_SCENARIO = {
  user: 'bobodell',
  networkInterfaceId: 'eni-6c5ca5a8',
  groupIds: ['sg-e214609e', 'sg-5887f224'],
  /** The group opened to the world on tcp/143 (IMAP). */
  openedGroupId: 'sg-5887f224',
  port: 143,
} as const;

/** Security-group and ENI calls that change network exposure (what `sgChanges` in the manifest lists). */
export const SG_CHANGE_EVENT_NAMES: ReadonlySet<string> = new Set([
  'AuthorizeSecurityGroupIngress',
  'AuthorizeSecurityGroupEgress',
  'RevokeSecurityGroupIngress',
  'RevokeSecurityGroupEgress',
  'CreateSecurityGroup',
  'DeleteSecurityGroup',
  'ModifySecurityGroupRules',
  'ModifyNetworkInterfaceAttribute',
]);

export interface PlannedEvent {
  /** Epoch ms (whole seconds); equals `record.eventTime`. */
  time: number;
  record: CloudTrailRecord;
}

export interface Window {
  start: string;
  end: string;
}

export interface ScenarioWindows {
  /** Every `sg` event (the article's ENI and groups) lies here; `sgChanges` also has one older, unrelated change. */
  sg: Window;
  logins: Window;
  errors: Window;
  root: Window;
}

export interface ScenarioFrame {
  /** Epoch ms. */
  now: number;
  /** Epoch ms: `now - days`. */
  start: number;
  accounts: AccountWorld[];
  regions: string[];
  globalRegion: string;
}

/**
 * CloudTrail files are named and foldered by delivery time, up to ~20 minutes after the event here. A scenario event
 * in the last minutes of a UTC day would land in the next day's folder, outside the day partitions of a window that
 * ends that day. Real trails do this too, but the scenarios are meant to be found by the window they were planted
 * in, so they stay clear of 23:40–24:00 UTC.
 */
function inLateBand(time: number): boolean {
  return time % DAY >= 23 * HOUR + 40 * MINUTE;
}

const wholeSeconds = (t: number) => Math.floor(t / 1000) * 1000;

/** Times `now - offset`, shifted earlier together (keeping their order and gaps) until none is in the late band. */
function placeGroup(now: number, offsets: number[]): number[] {
  for (let shift = 0; ; shift += 10 * MINUTE) {
    const times = offsets.map((o) => wholeSeconds(now - o - shift));
    if (!times.some(inLateBand)) return times;
  }
}

/** `n` times spread at random over `[from, to]`, each kept out of the late band, ascending. */
function spread(rng: Random, n: number, from: number, to: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    let t = from + rng.next() * (to - from);
    if (inLateBand(t)) t -= 30 * MINUTE;
    t = Math.max(t, from);
    // `from` itself may be in the band (a window that starts at 23:40): then the next midnight, where the band ends.
    if (inLateBand(t)) t = Math.min(Math.floor(t / DAY) * DAY + DAY, to);
    times.push(wholeSeconds(t));
  }
  return times.sort((a, b) => a - b);
}

/**
 * The latest time before `now - 10 min` at UTC `hh:mm`, kept at least 10 minutes inside the last 24 hours (minutes
 * 20–39 leave room to move by 20 minutes without changing the hour, which is what off-hours checks look at).
 */
function clockTimeInLastDay(now: number, hour: number, minute: number, second: number): number {
  let t = Math.floor(now / DAY) * DAY + hour * HOUR + minute * MINUTE + second * 1000;
  if (t > now - 10 * MINUTE) t -= DAY;
  if (t < now - DAY + 10 * MINUTE) t += 20 * MINUTE;
  return t;
}

function userOf(account: AccountWorld, name: string): IamUser {
  const user = account.users.find((u) => u.name === name);
  if (!user) throw new Error(`sample world has no IAM user ${name}`);
  return user;
}

function roleOf(account: AccountWorld, name: string): RoleDef {
  const role = account.roles.find((r) => r.name === name);
  if (!role) throw new Error(`sample world has no role ${name}`);
  return role;
}

export function planScenarios(rng: Random, frame: ScenarioFrame): { events: PlannedEvent[]; windows: ScenarioWindows } {
  const events: PlannedEvent[] = [
    ...securityGroups(rng.fork('sg'), frame),
    ...consoleLogins(rng.fork('logins'), frame),
    ...recurringErrors(rng.fork('errors'), frame),
    ...rootActivity(rng.fork('root'), frame),
  ];
  events.sort((a, b) => a.time - b.time);
  const { now, start } = frame;
  const window = (span: number): Window => ({
    start: new Date(Math.max(start, now - span)).toISOString(),
    end: new Date(now).toISOString(),
  });
  return {
    events,
    windows: { sg: window(12 * HOUR), logins: window(DAY), errors: window(7 * DAY), root: window(30 * DAY) },
  };
}

const planned = (rng: Random, spec: CallSpec): PlannedEvent => ({ time: spec.time, record: makeRecord(rng, spec) });

// --- 1. security groups --------------------------------------------------------------------------------------

function securityGroups(rng: Random, frame: ScenarioFrame): PlannedEvent[] {
  const account = frame.accounts[0]!;
  const region = frame.regions[0]!;
  const bob = userOf(account, SG_SCENARIO.user);
  const [groupA, groupB] = SG_SCENARIO.groupIds;
  const eni = SG_SCENARIO.networkInterfaceId;
  const bobIp = officeIpv4(rng);
  const bobAgent = CLI_AGENTS[0]!;
  const byBob = (time: number, name: string, readOnly: boolean, request: JsonObject, response: JsonObject | null) =>
    planned(rng, {
      time,
      accountId: account.id,
      region,
      source: 'ec2.amazonaws.com',
      name,
      identity: iamUserIdentity(account.id, bob),
      sourceIp: bobIp,
      userAgent: bobAgent,
      request,
      response,
      readOnly,
    });
  const ok = (): JsonObject => ({ requestId: rng.uuid(), _return: true });
  const groupIdSet = (...ids: string[]) => ({ items: ids.map((groupId) => ({ groupId })) });

  // The walkthrough, as one group so its order survives the late-band shift; at most ~4.5 h before now.
  // (Offsets are minutes apart; the seconds jitter keeps them in order.)
  const jitter = () => rng.between(0, 59) * 1000;
  const [lookEni, lookGroups, modify, authorize, verify] = placeGroup(frame.now, [
    220 * MINUTE + jitter(),
    214 * MINUTE + jitter(),
    205 * MINUTE + jitter(),
    197 * MINUTE + jitter(),
    195 * MINUTE + jitter(),
  ]) as [number, number, number, number, number];
  const out: PlannedEvent[] = [
    byBob(
      lookEni,
      'DescribeNetworkInterfaces',
      true,
      { networkInterfaceIdSet: { items: [{ networkInterfaceId: eni }] }, filterSet: {} },
      null,
    ),
    byBob(
      lookGroups,
      'DescribeSecurityGroups',
      true,
      { securityGroupSet: {}, securityGroupIdSet: groupIdSet(groupA, groupB), filterSet: {} },
      null,
    ),
    byBob(
      modify,
      'ModifyNetworkInterfaceAttribute',
      false,
      { networkInterfaceId: eni, groupSet: groupIdSet(groupA, groupB) },
      ok(),
    ),
    byBob(
      authorize,
      'AuthorizeSecurityGroupIngress',
      false,
      {
        groupId: groupB,
        ipPermissions: {
          items: [
            {
              ipProtocol: 'tcp',
              fromPort: SG_SCENARIO.port,
              toPort: SG_SCENARIO.port,
              groups: {},
              ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] },
              ipv6Ranges: { items: [{ cidrIpv6: '::/0' }] },
              prefixListIds: {},
            },
          ],
        },
      },
      {
        ...ok(),
        securityGroupRuleSet: {
          items: [{ cidrIpv4: '0.0.0.0/0' } as JsonObject, { cidrIpv6: '::/0' } as JsonObject].map((range) => ({
            groupOwnerId: account.id,
            groupId: groupB,
            securityGroupRuleId: `sgr-0${rng.hex(16)}`,
            isEgress: false,
            ipProtocol: 'tcp',
            fromPort: SG_SCENARIO.port,
            toPort: SG_SCENARIO.port,
            ...range,
          })),
        },
      },
    ),
    byBob(
      verify,
      'DescribeSecurityGroups',
      true,
      { securityGroupSet: {}, securityGroupIdSet: groupIdSet(groupB), filterSet: {} },
      null,
    ),
  ];

  // Later, the security team looks at which interfaces use the opened group (an assumed role, office network).
  const auditor = roleOf(account, 'SecurityAudit');
  const [audit] = placeGroup(frame.now, [70 * MINUTE + jitter()]) as [number];
  const auditSession = auditor.sessions[0]!;
  out.push(
    planned(rng, {
      time: audit,
      accountId: account.id,
      region,
      source: 'ec2.amazonaws.com',
      name: 'DescribeNetworkInterfaces',
      identity: assumedRoleIdentity(
        account.id,
        auditor,
        auditSession.name,
        auditSession.accessKeyId,
        isoSeconds(audit - 5 * MINUTE),
      ),
      sourceIp: officeIpv4(rng),
      userAgent: 'AWS Internal',
      request: {
        networkInterfaceIdSet: {},
        filterSet: { items: [{ name: 'group-id', valueSet: { items: [{ value: groupB }] } }] },
      },
      readOnly: true,
      fromConsole: true,
    }),
  );

  // Unrelated changes on other groups: two inside the 12 h window, one older (outside it, inside the range).
  const dave = userOf(account, 'dave.okafor');
  const [revoke] = placeGroup(frame.now, [545 * MINUTE + jitter()]) as [number];
  out.push(
    planned(rng, {
      time: revoke,
      accountId: account.id,
      region,
      source: 'ec2.amazonaws.com',
      name: 'RevokeSecurityGroupIngress',
      identity: iamUserIdentity(account.id, dave),
      sourceIp: officeIpv4(rng),
      userAgent: CLI_AGENTS[1]!,
      request: {
        groupId: account.securityGroups[0]!,
        ipPermissions: {
          items: [
            {
              ipProtocol: 'tcp',
              fromPort: 22,
              toPort: 22,
              groups: {},
              ipRanges: { items: [{ cidrIp: '203.0.113.0/24' }] },
              ipv6Ranges: {},
              prefixListIds: {},
            },
          ],
        },
      },
      response: ok(),
      readOnly: false,
    }),
  );
  const pipeline = roleOf(account, 'deploy-pipeline');
  const pipelineSession = pipeline.sessions[0]!;
  const lastRegion = frame.regions[frame.regions.length - 1]!;
  const [create] = placeGroup(frame.now, [620 * MINUTE + jitter()]) as [number];
  const newGroup = `sg-0${rng.hex(16)}`;
  out.push(
    planned(rng, {
      time: create,
      accountId: account.id,
      region: lastRegion,
      source: 'ec2.amazonaws.com',
      name: 'CreateSecurityGroup',
      identity: assumedRoleIdentity(
        account.id,
        pipeline,
        pipelineSession.name,
        pipelineSession.accessKeyId,
        isoSeconds(create - 2 * MINUTE),
      ),
      sourceIp: '192.0.2.77',
      userAgent: CLI_AGENTS[3]!,
      request: { groupName: 'web-tier-staging', groupDescription: 'web tier (staging)', vpcId: account.vpcs[0]! },
      response: {
        ...ok(),
        groupId: newGroup,
        securityGroupArn: `arn:aws:ec2:${lastRegion}:${account.id}:security-group/${newGroup}`,
      },
      readOnly: false,
    }),
  );
  const olderOffset = Math.min(30 * HOUR, frame.now - frame.start - HOUR);
  const [older] = placeGroup(frame.now, [olderOffset + jitter()]) as [number];
  out.push(
    planned(rng, {
      time: Math.max(older, wholeSeconds(frame.start + 1000)),
      accountId: account.id,
      region,
      source: 'ec2.amazonaws.com',
      name: 'AuthorizeSecurityGroupIngress',
      identity: iamUserIdentity(account.id, userOf(account, 'terraform')),
      sourceIp: ciRunnerIp(rng),
      userAgent: TERRAFORM_AGENT,
      request: {
        groupId: account.securityGroups[1]!,
        ipPermissions: {
          items: [
            {
              ipProtocol: 'tcp',
              fromPort: 443,
              toPort: 443,
              groups: {},
              ipRanges: { items: [{ cidrIp: '10.0.0.0/16' }] },
              ipv6Ranges: {},
              prefixListIds: {},
            },
          ],
        },
      },
      response: ok(),
      readOnly: false,
    }),
  );
  return out;
}

// --- 2. console logins ---------------------------------------------------------------------------------------

type Network = 'office4' | 'office6' | 'external4' | 'external6';

interface LoginPlan {
  /** IAM user name, or `root`. */
  who: string;
  /** UTC clock time of the login, placed within the last 24 hours. */
  at: [hour: number, minute: number];
  network: Network;
  mfa: boolean;
  mobile: boolean;
  success: boolean;
}

/**
 * Every sign-in of the last 24 hours. Office hours are 08:00–18:00 UTC; off-hours are 00:00–05:00 UTC (the article's
 * and trailbot's default). Minutes stay within 20–39 (see clockTimeInLastDay).
 */
export const LOGIN_PLANS: readonly LoginPlan[] = [
  // Ordinary: office network, office hours, MFA, desktop browser.
  { who: 'alice.martin', at: [8, 25], network: 'office4', mfa: true, mobile: false, success: true },
  { who: 'bobodell', at: [9, 32], network: 'office4', mfa: true, mobile: false, success: true },
  { who: 'carol.nguyen', at: [10, 27], network: 'office6', mfa: true, mobile: false, success: true },
  { who: 'dave.okafor', at: [13, 34], network: 'office4', mfa: true, mobile: false, success: true },
  { who: 'erin.schmidt', at: [15, 21], network: 'office4', mfa: true, mobile: false, success: true },
  // Mobile console.
  { who: 'frank.ito', at: [12, 30], network: 'office4', mfa: true, mobile: true, success: true },
  { who: 'grace.kim', at: [16, 35], network: 'external4', mfa: true, mobile: true, success: true },
  // Off-hours.
  { who: 'heidi.novak', at: [2, 24], network: 'external4', mfa: true, mobile: false, success: true },
  { who: 'ivan.petrov', at: [3, 31], network: 'office6', mfa: true, mobile: false, success: true },
  // From outside the known networks.
  { who: 'judy.rossi', at: [11, 22], network: 'external6', mfa: true, mobile: false, success: true },
  { who: 'bobodell', at: [14, 28], network: 'external4', mfa: true, mobile: false, success: true },
  // Without MFA (one also external and off-hours).
  { who: 'mallory.quinn', at: [17, 25], network: 'office4', mfa: false, mobile: false, success: true },
  { who: 'oscar.diaz', at: [1, 33], network: 'external4', mfa: false, mobile: false, success: true },
  // Failed.
  { who: 'peggy.chen', at: [9, 38], network: 'external4', mfa: false, mobile: false, success: false },
  { who: 'peggy.chen', at: [9, 39], network: 'external4', mfa: false, mobile: false, success: false },
  { who: 'trent.walker', at: [10, 21], network: 'office4', mfa: false, mobile: false, success: false },
  // Root, without MFA, at night, from outside.
  { who: 'root', at: [4, 26], network: 'external4', mfa: false, mobile: false, success: true },
];

function addressOn(rng: Random, network: Network): string {
  switch (network) {
    case 'office4':
      return officeIpv4(rng);
    case 'office6':
      return officeIpv6(rng);
    case 'external4':
      return externalIpv4(rng);
    case 'external6':
      return externalIpv6(rng);
  }
}

function consoleLogins(rng: Random, frame: ScenarioFrame): PlannedEvent[] {
  const account = frame.accounts[0]!;
  return LOGIN_PLANS.map((plan) => {
    const time = clockTimeInLastDay(frame.now, plan.at[0], plan.at[1], rng.between(0, 59));
    let identity: UserIdentity;
    if (plan.who === 'root') {
      // A failed or successful root sign-in carries an empty accessKeyId, like the real record.
      identity = { ...rootIdentity(account.id), accessKeyId: '' };
    } else {
      const user = userOf(account, plan.who);
      identity = plan.success
        ? {
            type: 'IAMUser',
            principalId: user.principalId,
            arn: `arn:aws:iam::${account.id}:user/${user.name}`,
            accountId: account.id,
            userName: user.name,
          }
        : // Failed sign-ins name the user but not its ARN (CloudTrail does not confirm the user exists).
          {
            type: 'IAMUser',
            principalId: user.principalId,
            accountId: account.id,
            accessKeyId: '',
            userName: user.name,
          };
    }
    const additional: JsonObject = {
      LoginTo: 'https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true',
      MobileVersion: plan.mobile ? 'Yes' : 'No',
    };
    if (plan.mfa) {
      additional.MFAIdentifier = `arn:aws:iam::${account.id}:mfa/${plan.who}`;
    }
    additional.MFAUsed = plan.mfa ? 'Yes' : 'No';
    return planned(rng, {
      time,
      accountId: account.id,
      region: frame.globalRegion,
      source: 'signin.amazonaws.com',
      name: 'ConsoleLogin',
      identity,
      sourceIp: addressOn(rng, plan.network),
      userAgent: plan.mobile ? MOBILE_AGENT : rng.pick(BROWSER_AGENTS),
      errorMessage: plan.success ? undefined : 'Failed authentication',
      request: null,
      response: { ConsoleLogin: plan.success ? 'Success' : 'Failure' },
      additional,
      readOnly: false,
      eventType: 'AwsConsoleSignIn',
      withRequestId: false,
    });
  });
}

// --- 3. recurring errors -------------------------------------------------------------------------------------

interface ErrorPlan {
  errorCode: string;
  count: number;
  source: string;
  name: string;
  /** IAM user name or role name (`role:`). */
  who: string;
  global?: boolean;
  readOnly: boolean;
  message: (accountId: string, region: string) => string;
  request: (accountId: string, region: string, rng: Random) => JsonObject | null;
}

/** Distinct counts (34 > 21 > 13 > 8 > 5 > 3): the "top errors" ranking has exactly one right answer. */
export const ERROR_PLANS: readonly ErrorPlan[] = [
  {
    errorCode: 'Client.UnauthorizedOperation',
    count: 34,
    source: 'ec2.amazonaws.com',
    name: 'RunInstances',
    who: 'ci-deploy',
    readOnly: false,
    message: (acct, region) =>
      `You are not authorized to perform this operation. User: arn:aws:iam::${acct}:user/ci-deploy is not authorized to perform: ec2:RunInstances on resource: arn:aws:ec2:${region}:${acct}:instance/* because no identity-based policy allows the ec2:RunInstances action.`,
    request: (_a, _r, rng) => ({
      instancesSet: { items: [{ imageId: `ami-0${rng.hex(16)}`, minCount: 1, maxCount: 1 }] },
      instanceType: 't3.large',
      blockDeviceMapping: {},
      monitoring: { enabled: false },
      disableApiTermination: false,
      clientToken: rng.uuid(),
    }),
  },
  {
    errorCode: 'AccessDenied',
    count: 21,
    source: 's3.amazonaws.com',
    name: 'GetBucketPolicy',
    who: 'monitoring-bot',
    readOnly: true,
    message: () => 'Access Denied',
    request: (acct, region) => ({
      bucketName: `customer-uploads-${acct}`,
      Host: `customer-uploads-${acct}.s3.${region}.amazonaws.com`,
      policy: '',
    }),
  },
  {
    errorCode: 'ThrottlingException',
    count: 13,
    source: 'logs.amazonaws.com',
    name: 'DescribeLogGroups',
    who: 'role:orders-processor-lambda',
    readOnly: true,
    message: () => 'Rate exceeded',
    request: () => ({ logGroupNamePrefix: '/aws/lambda/orders' }),
  },
  {
    errorCode: 'Client.InvalidInstanceID.NotFound',
    count: 8,
    source: 'ec2.amazonaws.com',
    name: 'DescribeInstances',
    who: 'terraform',
    readOnly: true,
    message: () => "The instance ID 'i-0d1e2a3d4b5e6e7f8' does not exist",
    request: () => ({ instancesSet: { items: [{ instanceId: 'i-0d1e2a3d4b5e6e7f8' }] }, filterSet: {} }),
  },
  {
    errorCode: 'NoSuchEntityException',
    count: 5,
    source: 'iam.amazonaws.com',
    name: 'GetRole',
    who: 'terraform',
    global: true,
    readOnly: true,
    message: () => 'The role with name legacy-batch-role cannot be found.',
    request: () => ({ roleName: 'legacy-batch-role' }),
  },
  {
    errorCode: 'InvalidParameterValueException',
    count: 3,
    source: 'lambda.amazonaws.com',
    name: 'UpdateFunctionConfiguration20150331v2',
    who: 'ci-deploy',
    readOnly: false,
    message: () =>
      'The runtime parameter of nodejs16.x is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.',
    request: () => ({ functionName: 'thumbnailer', runtime: 'nodejs16.x' }),
  },
];

function recurringErrors(rng: Random, frame: ScenarioFrame): PlannedEvent[] {
  const account = frame.accounts[0]!;
  const from = Math.max(frame.start + HOUR, frame.now - 7 * DAY + HOUR);
  const to = frame.now - 15 * MINUTE;
  const out: PlannedEvent[] = [];
  for (const plan of ERROR_PLANS) {
    const region = plan.global ? frame.globalRegion : frame.regions[0]!;
    for (const time of spread(rng, plan.count, from, to)) {
      let caller: Pick<CallSpec, 'identity' | 'sourceIp' | 'userAgent'>;
      if (plan.who.startsWith('role:')) {
        const role = roleOf(account, plan.who.slice('role:'.length));
        const session = role.sessions[0]!;
        caller = {
          identity: assumedRoleIdentity(
            account.id,
            role,
            session.name,
            session.accessKeyId,
            isoSeconds(time - HOUR / 2),
          ),
          sourceIp: '192.0.2.40',
          userAgent: CLI_AGENTS[3]!,
        };
      } else {
        const user = userOf(account, plan.who);
        caller = {
          identity: iamUserIdentity(account.id, user),
          sourceIp: ciRunnerIp(rng),
          userAgent: user.name === 'terraform' ? TERRAFORM_AGENT : CLI_AGENTS[2]!,
        };
      }
      out.push(
        planned(rng, {
          time,
          accountId: account.id,
          region,
          source: plan.source,
          name: plan.name,
          ...caller,
          errorCode: plan.errorCode,
          errorMessage: plan.message(account.id, region),
          request: plan.request(account.id, region, rng),
          readOnly: plan.readOnly,
        }),
      );
    }
  }
  return out;
}

// --- 4. root activity ----------------------------------------------------------------------------------------

interface RootPlan {
  name: string;
  source: string;
  count: number;
  global: boolean;
  /** `console`: console session (MFA as given); `key`: root access key, no MFA; `service`: invoked by AWS Support. */
  how: 'console' | 'key' | 'service';
  mfa: boolean;
  request: JsonObject | null;
}

/** Root's API calls (its console sign-in is one of LOGIN_PLANS). */
export const ROOT_PLANS: readonly RootPlan[] = [
  {
    name: 'DescribeVolumes',
    source: 'ec2.amazonaws.com',
    count: 6,
    global: false,
    how: 'service',
    mfa: true,
    request: { volumeSet: {}, filterSet: {} },
  },
  {
    name: 'GetAccountSummary',
    source: 'iam.amazonaws.com',
    count: 5,
    global: true,
    how: 'console',
    mfa: true,
    request: null,
  },
  {
    name: 'ListBuckets',
    source: 's3.amazonaws.com',
    count: 4,
    global: true,
    how: 'service',
    mfa: true,
    request: { Host: 's3.amazonaws.com' },
  },
  {
    name: 'ListAccessKeys',
    source: 'iam.amazonaws.com',
    count: 3,
    global: true,
    how: 'key',
    mfa: false,
    request: null,
  },
  {
    name: 'UpdateAccountPasswordPolicy',
    source: 'iam.amazonaws.com',
    count: 2,
    global: true,
    how: 'console',
    mfa: true,
    request: {
      minimumPasswordLength: 14,
      requireSymbols: true,
      requireNumbers: true,
      requireUppercaseCharacters: true,
      requireLowercaseCharacters: true,
      allowUsersToChangePassword: true,
      maxPasswordAge: 90,
      passwordReusePrevention: 24,
    },
  },
];

/** AWS Support acting in the console for the root user. */
export const ROOT_INVOKED_BY = 'support.amazonaws.com';

function rootActivity(rng: Random, frame: ScenarioFrame): PlannedEvent[] {
  const account = frame.accounts[0]!;
  const rootKey = `AKIA${rng.upperAlnum(16)}`;
  const from = Math.max(frame.start + HOUR, frame.now - 30 * DAY + HOUR);
  const to = frame.now - 30 * MINUTE;
  const out: PlannedEvent[] = [];
  for (const plan of ROOT_PLANS) {
    const region = plan.global ? frame.globalRegion : frame.regions[0]!;
    for (const time of spread(rng, plan.count, from, to)) {
      const session = { creationDate: isoSeconds(time - rng.between(2, 40) * MINUTE), mfa: plan.mfa };
      let caller: Pick<CallSpec, 'identity' | 'sourceIp' | 'userAgent' | 'fromConsole'>;
      if (plan.how === 'service') {
        caller = {
          identity: rootIdentity(account.id, {
            accessKeyId: `ASIA${rng.upperAlnum(16)}`,
            session,
            invokedBy: ROOT_INVOKED_BY,
          }),
          sourceIp: ROOT_INVOKED_BY,
          userAgent: ROOT_INVOKED_BY,
        };
      } else if (plan.how === 'console') {
        caller = {
          identity: rootIdentity(account.id, { accessKeyId: `ASIA${rng.upperAlnum(16)}`, session }),
          sourceIp: officeIpv4(rng),
          userAgent: 'AWS Internal',
          fromConsole: true,
        };
      } else {
        caller = {
          identity: rootIdentity(account.id, { accessKeyId: rootKey }),
          sourceIp: externalIpv4(rng),
          userAgent: CLI_AGENTS[1]!,
        };
      }
      out.push(
        planned(rng, {
          time,
          accountId: account.id,
          region,
          source: plan.source,
          name: plan.name,
          ...caller,
          request: plan.request,
          readOnly: plan.name !== 'UpdateAccountPasswordPolicy',
          tlsHost: plan.how === 'service' ? null : plan.name === 'ListBuckets' ? 's3.amazonaws.com' : undefined,
        }),
      );
    }
  }
  return out;
}
