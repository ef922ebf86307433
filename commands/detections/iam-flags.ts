import {
  allowStatements,
  type DetectedEvent,
  type Flag,
  type Json,
  lastPart,
  list,
  objectOf,
  outsidePrincipals,
  outsideText,
  text,
} from './common';

/**
 * Flags for `iam`: persistence through IAM. Request shapes from the real stratus-red-team records: CreateUser,
 * CreateAccessKey, CreateLoginProfile and UpdateLoginProfile name `userName`; AttachUserPolicy / AttachRolePolicy
 * `policyArn` and `userName` / `roleName`; CreateRole `assumeRolePolicyDocument` and UpdateAssumeRolePolicy
 * `policyDocument`, both policy JSON as text. PutUserPolicy / PutRolePolicy / PutGroupPolicy and AttachGroupPolicy
 * follow the IAM API Reference (`policyName`, `policyDocument`, `groupName`).
 */

/**
 * Managed policies that amount to administrator access: AdministratorAccess allows every action on every resource,
 * and IAMFullAccess lets its holder grant itself anything (IAM User Guide, "AWS managed policies for job functions").
 */
const ADMIN_POLICIES = new Set(['AdministratorAccess', 'IAMFullAccess']);

/** Actions that amount to administrator access when allowed on every resource. */
const ADMIN_ACTIONS = new Set(['*', '*:*', 'iam:*']);

const inAccount = (e: DetectedEvent) => (e.account ? ` in account ${e.account}` : '');

/** What an inline policy allows that amounts to administrator access, e.g. `* on *`, or undefined. */
export function adminGrant(doc: Json): string | undefined {
  for (const s of allowStatements(doc)) {
    const resources = list(s.Resource).map(String);
    if (!resources.includes('*')) continue;
    const action = list(s.Action)
      .map(String)
      .find((a) => ADMIN_ACTIONS.has(a.trim().toLowerCase()));
    if (action) return `${action} on *`;
    // Allow + NotAction on every resource allows every action but the few listed.
    if (s.NotAction !== undefined) return `everything but ${list(s.NotAction).map(String).join(', ')} on *`;
  }
  return undefined;
}

/** The user, role or group a call is about, e.g. `user malicious-iam-user`. */
export function iamTarget(e: DetectedEvent): string | undefined {
  const r = e.request;
  if (text(r.userName)) return `user ${text(r.userName)}`;
  if (text(r.roleName)) return `role ${text(r.roleName)}`;
  if (text(r.groupName)) return `group ${text(r.groupName)}`;
  return undefined;
}

function trustFlags(e: DetectedEvent, doc: Json, role: string, verb: string): Flag[] {
  const outside = outsidePrincipals(doc, e.account);
  if (!outside.everyone && outside.accounts.length === 0) return [];
  const who = outsideText(outside, 'Principal "*": any AWS account');
  return [{ code: 'trust-outside', message: `${e.who} ${verb} ${role}${inAccount(e)} so that ${who} can assume it` }];
}

/** The flags of one successful IAM call. */
export function iamFlags(e: DetectedEvent): Flag[] {
  const r = e.request;
  const target = iamTarget(e);
  const flag = (code: string, message: string): Flag[] => [{ code, message: `${e.who} ${message}${inAccount(e)}` }];
  switch (e.eventName) {
    case 'CreateUser':
      return flag('iam-user-created', `created IAM ${target ?? 'user'}`);
    case 'CreateAccessKey':
      // Without userName the key is for the caller's own user (IAM API Reference, "CreateAccessKey").
      return flag('access-key-created', `created an access key for ${target ?? 'their own user'}`);
    case 'CreateLoginProfile':
      return flag('login-profile-created', `gave ${target ?? 'a user'} a console password`);
    case 'UpdateLoginProfile':
      return flag('login-profile-updated', `changed the console password of ${target ?? 'a user'}`);
    case 'CreateRole': {
      const role = target ?? 'a role';
      return [
        ...flag('role-created', `created ${role}`),
        ...trustFlags(e, objectOf(r.assumeRolePolicyDocument), role, 'created'),
      ];
    }
    case 'UpdateAssumeRolePolicy':
      return trustFlags(e, objectOf(r.policyDocument), target ?? 'a role', 'changed the trust policy of');
    case 'AttachUserPolicy':
    case 'AttachRolePolicy':
    case 'AttachGroupPolicy': {
      const policy = lastPart(text(r.policyArn) ?? '');
      return ADMIN_POLICIES.has(policy) ? flag('admin-policy-attached', `attached ${policy} to ${target ?? '?'}`) : [];
    }
    case 'PutUserPolicy':
    case 'PutRolePolicy':
    case 'PutGroupPolicy': {
      const grant = adminGrant(objectOf(r.policyDocument));
      const name = text(r.policyName) ? ` ${text(r.policyName)}` : '';
      return grant
        ? flag('admin-policy-attached', `put inline policy${name} allowing ${grant} on ${target ?? '?'}`)
        : [];
    }
    default:
      return [];
  }
}
