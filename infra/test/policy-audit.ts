/**
 * Audits every IAM grant in a synthesized template: identity policies (AWS::IAM::Policy, AWS::IAM::ManagedPolicy and
 * roles' inline `Policies`) and the AWS managed policies roles attach. Resource policies (bucket and key policies)
 * are checked by their own tests: their `Principal`/`Resource: '*'` mean something else.
 */

type Json = Record<string, unknown>;

export interface Grant {
  /** Logical id of the policy or role that holds the statement. */
  holder: string;
  sid?: string;
  actions: string[];
  /** Resources as text, intrinsics rendered (`<Partition>`, `<LogicalId>`, `<LogicalId.Attr>`). */
  resources: string[];
  conditions?: Json;
  /** Allow statements written with NotAction / NotResource (grants by exclusion). */
  negated: boolean;
}

export interface Finding {
  holder: string;
  sid?: string;
  problem: string;
}

/**
 * Actions that may have `Resource: '*'`, each because AWS defines no resource type for it, so no narrower resource
 * exists (Service Authorization Reference, "Actions defined by …"). Nothing of trailbot's own is here.
 */
export const RESOURCE_STAR_ALLOWED: Readonly<Record<string, string>> = {
  // Added by CDK to the ECS task execution role to pull the image from the CDK assets repository. ECR hands out a
  // registry-wide login token; the actual image pulls (BatchGetImage, GetDownloadUrlForLayer) are scoped to the
  // repository ARN in the same policy.
  'ecr:GetAuthorizationToken': 'no resource type: an ECR login token is registry-wide',
};

/**
 * AWS managed policies a role may attach. Each is AWS's own and cannot be narrowed here; anything else is a finding.
 */
export const MANAGED_POLICIES_ALLOWED: Readonly<Record<string, string>> = {
  // CDK's provider for Custom::VpcRestrictDefaultSG (strips every rule from the VPC's default security group, CIS
  // AWS Foundations 5.4 / Security Hub EC2.2) runs as a Lambda function that writes its own logs with this policy.
  'service-role/AWSLambdaBasicExecutionRole': 'CDK custom resource provider (restrict the default security group)',
};

const PSEUDO: Record<string, string> = {
  'AWS::Partition': '<Partition>',
  'AWS::Region': '<Region>',
  'AWS::AccountId': '<AccountId>',
  'AWS::URLSuffix': '<URLSuffix>',
};

/** CloudFormation value → readable text, so ARNs built with Fn::Join can be inspected as strings. */
export function renderValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Json;
    if ('Ref' in obj) {
      const ref = String(obj.Ref);
      return PSEUDO[ref] ?? `<${ref}>`;
    }
    if ('Fn::GetAtt' in obj) {
      const att = obj['Fn::GetAtt'];
      return `<${Array.isArray(att) ? att.join('.') : String(att)}>`;
    }
    if ('Fn::Join' in obj) {
      const [sep, parts] = obj['Fn::Join'] as [string, unknown[]];
      return parts.map(renderValue).join(sep);
    }
    if ('Fn::Sub' in obj) {
      const sub = obj['Fn::Sub'];
      const text = Array.isArray(sub) ? String(sub[0]) : String(sub);
      return text.replace(/\$\{AWS::(\w+)\}/g, (_m, name: string) => `<${name}>`);
    }
  }
  return JSON.stringify(value);
}

const asList = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function statementsOf(document: unknown): Json[] {
  if (document === null || typeof document !== 'object') return [];
  return asList((document as Json).Statement) as Json[];
}

/** Every Allow statement of every identity policy in the template. */
export function allowGrants(template: Json): Grant[] {
  const resources = (template.Resources ?? {}) as Record<string, { Type: string; Properties?: Json }>;
  const grants: Grant[] = [];
  const collect = (holder: string, document: unknown) => {
    for (const s of statementsOf(document)) {
      if (s.Effect !== 'Allow') continue;
      const grant: Grant = {
        holder,
        actions: asList(s.Action ?? s.NotAction).map(renderValue),
        resources: asList(s.Resource ?? s.NotResource).map(renderValue),
        negated: 'NotAction' in s || 'NotResource' in s,
      };
      if (typeof s.Sid === 'string') grant.sid = s.Sid;
      if (s.Condition !== undefined) grant.conditions = s.Condition as Json;
      grants.push(grant);
    }
  };
  for (const [id, resource] of Object.entries(resources)) {
    const props = resource.Properties ?? {};
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      collect(id, props.PolicyDocument);
    }
    if (resource.Type === 'AWS::IAM::Role') {
      for (const inline of asList(props.Policies) as Json[]) collect(id, inline.PolicyDocument);
    }
  }
  return grants;
}

/**
 * The resource part of an ARN is everything of a kind: `*`, `table/*`, `bucket/*`, `secret:*`. (`bucket/prefix/*`
 * and `log-group:name:*` are narrower and pass.)
 */
function wholeResourceType(resource: string): boolean {
  if (resource === '*') return true;
  if (!resource.startsWith('arn:')) return false;
  const part = resource.split(':').slice(5).join(':');
  return part === '*' || /^[^/:*]*[/:]\*$/.test(part);
}

/** Wildcard actions, `Resource: '*'` outside the allowlist, whole-type resources and grants by exclusion. */
export function wildcardFindings(template: Json): Finding[] {
  const findings: Finding[] = [];
  for (const g of allowGrants(template)) {
    const at = (problem: string): Finding =>
      g.sid ? { holder: g.holder, sid: g.sid, problem } : { holder: g.holder, problem };
    if (g.negated) findings.push(at('Allow with NotAction/NotResource grants everything not listed'));
    for (const action of g.actions) {
      if (action === '*') findings.push(at('Action "*" grants every action of every service'));
      else if (/^[A-Za-z0-9-]+:\*$/.test(action)) findings.push(at(`service-wide action ${action}`));
      else if (action.includes('*')) findings.push(at(`wildcard action ${action}`));
    }
    for (const resource of g.resources) {
      if (resource === '*') {
        const notAllowed = g.actions.filter((a) => !Object.hasOwn(RESOURCE_STAR_ALLOWED, a));
        if (notAllowed.length > 0) findings.push(at(`Resource "*" for ${notAllowed.join(', ')}`));
      } else if (wholeResourceType(resource)) {
        findings.push(at(`resource ${resource} covers every resource of its type`));
      }
    }
  }
  return findings;
}

/** AWS managed policies attached to roles that are not in MANAGED_POLICIES_ALLOWED. */
export function managedPolicyFindings(template: Json): Finding[] {
  const resources = (template.Resources ?? {}) as Record<string, { Type: string; Properties?: Json }>;
  const findings: Finding[] = [];
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::IAM::Role') continue;
    for (const arn of asList(resource.Properties?.ManagedPolicyArns).map(renderValue)) {
      const name = /:iam::aws:policy\/(.+)$/.exec(arn)?.[1];
      if (name === undefined || !Object.hasOwn(MANAGED_POLICIES_ALLOWED, name)) {
        findings.push({ holder: id, problem: `attaches managed policy ${arn}` });
      }
    }
  }
  return findings;
}

/** A request as IAM evaluates it: an action on a resource, with its request context (multivalued keys as lists). */
export interface AccessRequest {
  action: string;
  /** As rendered in the template (`<Table.Arn>`, `<Table.Arn>/index/gsi1`). */
  resource: string;
  /** Context keys present in the request; a key left out is absent. */
  context?: Record<string, string | string[]>;
}

/**
 * Whether any Allow statement among `grants` allows the request: the action and resource match (with `*` and `?`
 * wildcards) and every condition holds. Only what trailbot's templates use is implemented, and anything else throws,
 * so a new condition cannot pass unexamined. There are no Deny statements in trailbot's identity policies (checked by
 * the caller), so "some Allow matches" is the whole decision (IAM User Guide, "Policy evaluation logic").
 */
export function isAllowed(grants: readonly Grant[], request: AccessRequest): boolean {
  return grants.some((g) => {
    if (g.negated) throw new Error(`${g.sid ?? g.holder}: NotAction/NotResource is not evaluated here`);
    const actionOk = g.actions.some((a) => wildcardMatch(a.toLowerCase(), request.action.toLowerCase()));
    const resourceOk = g.resources.some((r) => wildcardMatch(r, request.resource));
    return actionOk && resourceOk && conditionsHold(g.conditions ?? {}, request.context ?? {});
  });
}

/** Every operator block, and every key within it, must hold (IAM: conditions are ANDed, values within a key ORed). */
function conditionsHold(conditions: Json, context: Record<string, string | string[]>): boolean {
  return Object.entries(conditions).every(([operator, block]) =>
    Object.entries(block as Json).every(([key, expected]) => {
      const patterns = asList(expected).map(renderValue);
      const present = Object.hasOwn(context, key);
      const values = present ? asList(context[key]).map(String) : [];
      return operatorHolds(operator, patterns, present, values);
    }),
  );
}

/**
 * IAM User Guide, "IAM JSON policy elements: Condition operators" and "Set operators for multivalued context keys":
 * - a plain operator on an absent key is false, except the negated ones (`…Not…`), which are true;
 * - `ForAllValues:` is true when every value satisfies the operator, and also when there are no values at all;
 * - `ForAnyValue:` is true when at least one value does, so never when there are none;
 * - `Null` is true when the key's absence is what the policy says (`"true"` = absent).
 */
function operatorHolds(operator: string, patterns: string[], present: boolean, values: string[]): boolean {
  if (operator === 'Null') return patterns.every((p) => (p === 'true') === !present);
  const [set, base] = operator.includes(':') ? operator.split(':', 2) : [undefined, operator];
  const matchers: Record<string, (pattern: string, value: string) => boolean> = {
    StringEquals: (p, v) => p === v,
    StringLike: wildcardMatch,
  };
  const negated = base!.startsWith('StringNot');
  const match = matchers[negated ? base!.replace('StringNot', 'String') : base!];
  if (match === undefined) throw new Error(`condition operator ${operator} is not evaluated here`);
  const satisfies = (v: string) => (negated ? !patterns.some((p) => match(p, v)) : patterns.some((p) => match(p, v)));
  if (set === 'ForAllValues') return values.every(satisfies);
  if (set === 'ForAnyValue') return values.some(satisfies);
  if (set !== undefined) throw new Error(`condition set operator ${set} is not evaluated here`);
  if (!present) return negated;
  return values.every(satisfies);
}

/** IAM's `*` (any run of characters) and `?` (one character), case-sensitive, over the whole string. */
function wildcardMatch(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(value);
}
