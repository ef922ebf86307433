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
