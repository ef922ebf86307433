import {
  allowStatements,
  at,
  type DetectedEvent,
  type Flag,
  itemsOf,
  type Json,
  list,
  objectOf,
  outsidePrincipals,
  outsideText,
  principalsOf,
  text,
} from './common';

/**
 * Flags for `exposed`: resources made public or shared with another account, naming that account or `all`.
 * Shapes from the real stratus-red-team records: ModifySnapshotAttribute `createVolumePermission.add.items[].userId`,
 * ModifyImageAttribute `launchPermission.add.items[].userId`, ModifyDBSnapshotAttribute `attributeName: restore` with
 * `valuesToAdd`. Documented only: `group: all` in the EC2 permission lists (EC2 API Reference,
 * "CreateVolumePermission" and "LaunchPermission"), `all` in `valuesToAdd` (RDS API Reference,
 * "ModifyDBSnapshotAttribute"), S3's `bucketPolicy`, the ACL grants and canned `x-amz-acl` (Amazon S3 API Reference,
 * "PutBucketPolicy", "PutBucketAcl"), and the Block Public Access events, whose CloudTrail names differ from the API's
 * (Amazon S3 User Guide, "Amazon S3 CloudTrail events": DeletePublicAccessBlock is recorded as
 * DeleteBucketPublicAccessBlock).
 */

const inAccount = (e: DetectedEvent) => (e.account ? ` in account ${e.account}` : '');

/** The S3 groups that make a grant public (Amazon S3 User Guide, "Access control list (ACL) overview"). */
const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
const PUBLIC_CANNED = new Map([
  ['public-read', 'all (anyone, without signing in)'],
  ['public-read-write', 'all (anyone, without signing in)'],
  ['authenticated-read', 'all (any AWS account)'],
]);

/** Who an EC2 `add` list shares with: `all`, outside accounts, organizations and OUs. */
function ec2Added(permission: unknown, account: string | undefined): { everyone: boolean; others: string[] } {
  let everyone = false;
  const others = new Set<string>();
  for (const item of itemsOf(at(permission, 'add'))) {
    if (text(item.group) === 'all') everyone = true;
    const user = text(item.userId);
    if (user && user !== account) others.add(`account ${user}`);
    for (const org of [text(item.organizationArn), text(item.organizationalUnitArn)]) if (org) others.add(org);
  }
  return { everyone, others: [...others].sort() };
}

function shareFlags(e: DetectedEvent, what: string, code: string, added: { everyone: boolean; others: string[] }) {
  const flags: Flag[] = [];
  if (added.everyone) {
    flags.push({ code: `${code}-public`, message: `${e.who} made ${what} public (shared with all)${inAccount(e)}` });
  }
  if (added.others.length) {
    flags.push({
      code: `${code}-shared`,
      message: `${e.who} shared ${what}${inAccount(e)} with ${added.others.join(', ')}`,
    });
  }
  return flags;
}

/** Strings anywhere inside a value: where an ACL names a grantee group, whichever shape the record uses. */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) strings(x, out);
  return out;
}

function bucketAclFlags(e: DetectedEvent, bucket: string): Flag[] {
  const all = strings(e.request);
  const who = new Set<string>();
  if (all.some((s) => s.includes(ALL_USERS))) who.add('all (anyone, without signing in)');
  if (all.some((s) => s.includes(AUTHENTICATED_USERS))) who.add('all (any AWS account)');
  for (const canned of list(e.request['x-amz-acl']).map(String)) {
    const granted = PUBLIC_CANNED.get(canned.trim().toLowerCase());
    if (granted) who.add(granted);
  }
  return [...who].map((w) => ({
    code: 'bucket-public',
    message: `${e.who} opened bucket ${bucket}${inAccount(e)} to ${w} with its ACL`,
  }));
}

function bucketPolicyFlags(e: DetectedEvent, bucket: string): Flag[] {
  const doc = objectOf(e.request.bucketPolicy ?? e.request.policy);
  const outside = outsidePrincipals(doc, e.account);
  const flags: Flag[] = [];
  if (outside.everyone) {
    // A condition (source VPC, organization id, …) may keep a "*" statement from being public: say so.
    const conditional = allowStatements(doc).some((s) => principalsOf(s).everyone && s.Condition !== undefined);
    flags.push({
      code: 'bucket-public',
      message: `${e.who} gave ${outsideText(outside, 'Principal "*"')} access to bucket ${bucket}${inAccount(e)} in its policy${conditional ? ' (with a condition: check it)' : ''}`,
    });
  }
  if (outside.accounts.length) {
    flags.push({
      code: 'bucket-shared',
      message: `${e.who} gave ${outsideText({ everyone: false, accounts: outside.accounts }, '')} access to bucket ${bucket}${inAccount(e)} in its policy`,
    });
  }
  return flags;
}

/** The four Block Public Access settings a Put…PublicAccessBlock turned off (S3 API Reference, "PublicAccessBlockConfiguration"). */
function blockSettingsOff(request: Json): string[] {
  const config = (request.PublicAccessBlockConfiguration ?? {}) as Json;
  return ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'].filter(
    (k) => String(config[k]) === 'false',
  );
}

/** What an exposing call was aimed at, for its flags and for a refused attempt. */
export function exposedTarget(e: DetectedEvent): string | undefined {
  const r = e.request;
  switch (e.eventName) {
    case 'ModifySnapshotAttribute':
      return text(r.snapshotId) && `EBS snapshot ${text(r.snapshotId)}`;
    case 'ModifyImageAttribute':
      return text(r.imageId) && `AMI ${text(r.imageId)}`;
    case 'ModifyDBSnapshotAttribute':
      return text(r.dBSnapshotIdentifier) && `RDS snapshot ${text(r.dBSnapshotIdentifier)}`;
    case 'ModifyDBClusterSnapshotAttribute':
      return text(r.dBClusterSnapshotIdentifier) && `RDS cluster snapshot ${text(r.dBClusterSnapshotIdentifier)}`;
    case 'DeleteAccountPublicAccessBlock':
    case 'PutAccountPublicAccessBlock':
      return e.account && `account ${e.account}`;
    default:
      return text(r.bucketName) && `bucket ${text(r.bucketName)}`;
  }
}

/** The flags of one successful exposing call. */
export function exposedFlags(e: DetectedEvent): Flag[] {
  const r = e.request;
  const target = exposedTarget(e);
  const bucket = text(r.bucketName) ?? '(unnamed)';
  switch (e.eventName) {
    case 'ModifySnapshotAttribute':
      return shareFlags(e, target ?? 'an EBS snapshot', 'snapshot', ec2Added(r.createVolumePermission, e.account));
    case 'ModifyImageAttribute':
      return shareFlags(e, target ?? 'an AMI', 'ami', ec2Added(r.launchPermission, e.account));
    case 'ModifyDBSnapshotAttribute':
    case 'ModifyDBClusterSnapshotAttribute': {
      if (text(r.attributeName) !== 'restore') return [];
      const values = list(r.valuesToAdd).map((v) => String(v).trim());
      const others = values.filter((v) => v !== 'all' && v !== e.account).map((v) => `account ${v}`);
      return shareFlags(e, target ?? 'an RDS snapshot', 'rds-snapshot', { everyone: values.includes('all'), others });
    }
    case 'PutBucketPolicy':
      return bucketPolicyFlags(e, bucket);
    case 'PutBucketAcl':
      return bucketAclFlags(e, bucket);
    case 'DeleteBucketPublicAccessBlock':
    case 'DeletePublicAccessBlock':
    case 'DeleteAccountPublicAccessBlock':
      return [
        {
          code: 'public-access-block-removed',
          message: `${e.who} removed S3 Block Public Access from ${target ?? 'a bucket'}${e.eventName.includes('Account') ? '' : inAccount(e)}`,
        },
      ];
    case 'PutBucketPublicAccessBlock':
    case 'PutPublicAccessBlock':
    case 'PutAccountPublicAccessBlock': {
      const off = blockSettingsOff(r);
      if (off.length === 0) return [];
      return [
        {
          code: 'public-access-block-weakened',
          message: `${e.who} turned off ${off.join(', ')} in S3 Block Public Access of ${target ?? 'a bucket'}${e.eventName.includes('Account') ? '' : inAccount(e)}`,
        },
      ];
    }
    default:
      return [];
  }
}
