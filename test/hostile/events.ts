import * as fs from 'node:fs';
import * as path from 'node:path';
import { type CloudTrailEvent, event, LogTree } from '../engines/duckdb/fixtures';
import type { HostileValue } from './values';

/**
 * Real-shaped CloudTrail events whose every attacker-settable string holds a hostile value.
 *
 * The shapes come from the project's record builders (one per question trailbot answers: console sign-ins, a
 * world-open ingress rule, root calls, an errored assumed-role call, a resource call, a named user's call) and, when
 * ../shared/data exists, from the real stratus-red-team records (see its README). Fields that AWS itself sets and that
 * the questions select on (event name and source, time, region, account, error code, identity type, the source
 * address, the security-group rule's shape and ids) keep their values, so every command finds the events; every
 * other string leaf, at any depth, gets a hostile value.
 */
export const REAL_LOGS = path.resolve(__dirname, '../../../shared/data/stratus-red-team/docs/detonation-logs');

/** Keys whose values AWS sets and the questions select or group on. */
const ANCHORS = new Set([
  'eventVersion',
  'eventTime',
  'eventSource',
  'eventName',
  'awsRegion',
  'sourceIPAddress',
  'requestID',
  'eventID',
  'eventType',
  'recipientAccountId',
  'accountId',
  'errorCode',
  'eventCategory',
  'type',
  'principalId',
  'accessKeyId',
  'creationDate',
  'mfaAuthenticated',
  'MFAUsed',
  'ConsoleLogin',
  'groupId',
  'instanceId',
  'cidrIp',
  'cidrIpv6',
  'ipProtocol',
  'fromPort',
  'toPort',
]);

/** The address every hostile event comes from (outside the test configuration's known networks). */
export const HOSTILE_IP = '203.0.113.66';
export const HOSTILE_SG = 'sg-0a1b2c3d';
export const HOSTILE_INSTANCE = 'i-0123456789abcdef0';
/** The one IAM user whose identity is kept, so `user trail-target` finds calls with hostile values elsewhere. */
export const NAMED_USER = 'trail-target';

const identity = (type: string, name: string, extra: Record<string, unknown> = {}) => ({
  type,
  principalId: 'AIDAHOSTILE',
  arn: `arn:aws:iam::111122223333:user/${name}`,
  accountId: '111122223333',
  userName: name,
  ...extra,
});

/** One builder per kind of answer; `v` is the placeholder every hostile field starts from. */
const SHAPES: { name: string; build: (v: string) => CloudTrailEvent; keep?: string[] }[] = [
  {
    name: 'console sign-in without MFA',
    build: (v) =>
      event({
        eventSource: 'signin.amazonaws.com',
        eventName: 'ConsoleLogin',
        eventType: 'AwsConsoleSignIn',
        readOnly: false,
        userIdentity: identity('IAMUser', v),
        requestParameters: null,
        responseElements: { ConsoleLogin: 'Success' },
        additionalEventData: { LoginTo: v, MobileVersion: 'No', MFAUsed: 'No' },
      }),
  },
  {
    name: 'failed federated console sign-in',
    build: (v) =>
      event({
        eventSource: 'signin.amazonaws.com',
        eventName: 'ConsoleLogin',
        eventType: 'AwsConsoleSignIn',
        readOnly: false,
        userIdentity: {
          type: 'FederatedUser',
          principalId: 'AIDAHOSTILE',
          arn: v,
          accountId: '111122223333',
          userName: v,
        },
        requestParameters: null,
        responseElements: { ConsoleLogin: 'Failure' },
        errorMessage: v,
        additionalEventData: { LoginTo: v, MobileVersion: 'No', MFAUsed: 'No' },
      }),
  },
  {
    name: 'ingress opened to the world',
    build: (v) =>
      event({
        eventName: 'AuthorizeSecurityGroupIngress',
        readOnly: false,
        userIdentity: identity('IAMUser', v),
        requestParameters: {
          groupId: HOSTILE_SG,
          ipPermissions: {
            items: [
              {
                ipProtocol: 'tcp',
                fromPort: 22,
                toPort: 22,
                ipRanges: { items: [{ cidrIp: '0.0.0.0/0', description: v }] },
                ipv6Ranges: { items: [{ cidrIpv6: '::/0', description: v }] },
              },
            ],
          },
        },
        responseElements: { _return: true, securityGroupRuleSet: { items: [{ description: v, groupOwnerId: v }] } },
      }),
  },
  {
    name: 'root call without MFA',
    build: (v) =>
      event({
        eventSource: 'iam.amazonaws.com',
        eventName: 'CreateAccessKey',
        readOnly: false,
        userIdentity: { type: 'Root', principalId: '111122223333', arn: v, accountId: '111122223333' },
        requestParameters: { userName: v },
      }),
  },
  {
    name: 'root call through a service',
    build: (v) =>
      event({
        eventSource: 's3.amazonaws.com',
        eventName: 'PutBucketPolicy',
        readOnly: false,
        userIdentity: { type: 'Root', principalId: '111122223333', arn: v, accountId: '111122223333', invokedBy: v },
        requestParameters: { bucketName: v, policy: v },
      }),
  },
  {
    name: 'denied assumed-role call',
    build: (v) =>
      event({
        eventSource: 'iam.amazonaws.com',
        eventName: 'CreateUser',
        readOnly: false,
        errorCode: 'AccessDenied',
        errorMessage: v,
        userIdentity: {
          type: 'AssumedRole',
          principalId: 'AROAHOSTILE:session',
          arn: v,
          accountId: '111122223333',
          sessionContext: {
            sessionIssuer: { type: 'Role', principalId: 'AROAHOSTILE', arn: v, accountId: '111122223333', userName: v },
            attributes: { creationDate: '2026-01-01T00:00:00Z', mfaAuthenticated: 'false' },
          },
        },
        requestParameters: { userName: v, tags: [{ key: v, value: v }] },
      }),
  },
  {
    name: 'call naming an instance',
    build: (v) =>
      event({
        eventName: 'CreateTags',
        readOnly: false,
        userIdentity: identity('IAMUser', v),
        requestParameters: {
          resourcesSet: { items: [{ resourceId: HOSTILE_INSTANCE }] },
          tagSet: { items: [{ key: v, value: v }] },
        },
        resources: [{ ARN: v, accountId: '111122223333', type: 'AWS::EC2::Instance' }],
      }),
    keep: ['requestParameters.resourcesSet.items[].resourceId'],
  },
  {
    name: 'a named user’s call',
    build: (v) =>
      event({
        eventSource: 'ssm.amazonaws.com',
        eventName: 'GetParameter',
        errorCode: 'ParameterNotFound',
        errorMessage: v,
        userIdentity: identity('IAMUser', NAMED_USER),
        requestParameters: { name: v, withDecryption: true },
      }),
    keep: ['userIdentity.userName', 'userIdentity.arn'],
  },
];

/** Replaces every non-anchor string leaf with the next value; returns the field paths it set. */
function hostify(node: unknown, at: string, keep: readonly string[], next: () => string, fields: string[]): unknown {
  if (typeof node === 'string') {
    const key = at.slice(at.lastIndexOf('.') + 1).replace('[]', '');
    if (ANCHORS.has(key) || keep.includes(at)) return node;
    fields.push(at);
    return next();
  }
  if (Array.isArray(node)) return node.map((x) => hostify(x, `${at}[]`, keep, next, fields));
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node).map(([k, x]) => [k, hostify(x, at ? `${at}.${k}` : k, keep, next, fields)]),
    );
  }
  return node;
}

export interface HostileDataset {
  root: string;
  events: number;
  /** Distinct field paths that held a hostile value. */
  fields: Set<string>;
  /** (value, field) pairs placed. */
  placements: number;
  realRecords: number;
  shapes: number;
  remove(): void;
}

function realRecords(): CloudTrailEvent[] | undefined {
  if (!fs.existsSync(REAL_LOGS)) return undefined;
  return fs
    .readdirSync(REAL_LOGS)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => JSON.parse(fs.readFileSync(path.join(REAL_LOGS, f), 'utf8')) as CloudTrailEvent[]);
}

/**
 * Writes the events under a temporary S3-layout folder, each in the folder of its own day, with event times spread
 * over `[now - spanMinutes, now - 5 min)`. Each builder shape gets one copy per value, rotated so that field `j` of
 * copy `c` holds value `c + j` (every value reaches every field of every shape); each real record gets one copy,
 * rotated by its index.
 */
export function writeHostileDataset(
  values: readonly HostileValue[],
  o: { now: Date; spanMinutes?: number; copiesPerShape?: number; real?: boolean },
): HostileDataset {
  const tree = new LogTree('trail-hostile-data-');
  const n = values.length;
  const fields = new Set<string>();
  let placements = 0;
  const made: CloudTrailEvent[] = [];
  const place = (shape: CloudTrailEvent, keep: readonly string[], offset: number) => {
    let j = 0;
    const set: string[] = [];
    const e = hostify(shape, '', keep, () => values[(offset + j++) % n]!.value, set) as CloudTrailEvent;
    for (const f of set) fields.add(f);
    placements += set.length;
    made.push({ ...e, sourceIPAddress: HOSTILE_IP });
  };
  const copies = o.copiesPerShape ?? n;
  for (const shape of SHAPES) for (let c = 0; c < copies; c++) place(shape.build('placeholder'), shape.keep ?? [], c);
  const real = o.real === false ? undefined : realRecords();
  for (const [i, r] of (real ?? []).entries()) place(r, [], i);

  const span = (o.spanMinutes ?? 300) * 60_000;
  const end = o.now.getTime() - 5 * 60_000;
  const byDay = new Map<string, CloudTrailEvent[]>();
  for (const [i, e] of made.entries()) {
    const at = new Date(end - Math.floor(((i + 1) * span) / (made.length + 1)));
    const time = at.toISOString().replace(/\.\d+Z$/, 'Z');
    const day = time.slice(0, 10).replaceAll('-', '/');
    const list = byDay.get(day) ?? [];
    list.push({
      ...e,
      eventTime: time,
      eventID: `hostile-${String(i).padStart(6, '0')}`,
      recipientAccountId: '111122223333',
    });
    byDay.set(day, list);
  }
  for (const [day, events] of byDay)
    for (let i = 0; i < events.length; i += 500) tree.s3({ day, events: events.slice(i, i + 500) });
  return {
    root: tree.root,
    events: made.length,
    fields,
    placements,
    realRecords: real?.length ?? 0,
    shapes: SHAPES.length,
    remove: () => tree.remove(),
  };
}
