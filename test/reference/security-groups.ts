import { at, type CloudTrailEvent, objectOf, present } from './fields';

/** Security-group events of `sg`, and the world-open rules they add, for the reference evaluator. */

export const SG_CHANGES = [
  'AuthorizeSecurityGroupIngress',
  'AuthorizeSecurityGroupEgress',
  'RevokeSecurityGroupIngress',
  'RevokeSecurityGroupEgress',
  'CreateSecurityGroup',
  'DeleteSecurityGroup',
  'ModifySecurityGroupRules',
  'UpdateSecurityGroupRuleDescriptionsIngress',
  'UpdateSecurityGroupRuleDescriptionsEgress',
  'ModifyNetworkInterfaceAttribute',
];
export const SG_DESCRIBES = ['DescribeSecurityGroups', 'DescribeSecurityGroupRules', 'DescribeNetworkInterfaces'];

/** Open to the world: a CIDR whose prefix length is 0 covers every address of its family, whatever the address part. */
const isWorld = (cidr: unknown): boolean => typeof cidr === 'string' && /\/0$/.test(cidr.trim());

const itemsOf = (v: unknown): Record<string, unknown>[] => {
  const items = at(v, 'items');
  return Array.isArray(items) ? (items as Record<string, unknown>[]) : [];
};

/**
 * World-open rules a successful Authorize… or ModifySecurityGroupRules call added, by direction. A security group is
 * created with an egress rule to 0.0.0.0/0, so world-open egress is the default and only world-open ingress is the
 * finding (Amazon VPC User Guide, "Security group rules"). Shapes: nested `ipPermissions.items[].ipRanges.items[]
 * .cidrIp` / `ipv6Ranges.items[].cidrIpv6`, flat `cidrIp` (older API), and ModifySecurityGroupRules'
 * `SecurityGroupRule` entries (one or a list), whose direction is the rule's `IsEgress` when recorded.
 */
export function worldOpen(e: CloudTrailEvent): { ingress: number; egress: number } {
  const found = { ingress: 0, egress: 0 };
  const name = String(e.eventName);
  if (present(e.errorCode)) return found;
  const request = objectOf(e.requestParameters);
  if (name === 'AuthorizeSecurityGroupIngress' || name === 'AuthorizeSecurityGroupEgress') {
    const direction = name.endsWith('Egress') ? 'egress' : 'ingress';
    for (const perm of itemsOf(at(request, 'ipPermissions'))) {
      for (const r of itemsOf(perm.ipRanges)) if (isWorld(r.cidrIp)) found[direction] += 1;
      for (const r of itemsOf(perm.ipv6Ranges)) if (isWorld(r.cidrIpv6)) found[direction] += 1;
    }
    if (isWorld(at(request, 'cidrIp'))) found[direction] += 1;
  } else if (name === 'ModifySecurityGroupRules') {
    const wrapper = at(request, 'ModifySecurityGroupRulesRequest', 'SecurityGroupRule');
    for (const w of Array.isArray(wrapper) ? wrapper : [wrapper]) {
      const rule = at(w, 'SecurityGroupRule');
      // No marker: the request names an existing rule by id and does not say its direction; reported as ingress
      // (the finding), the safe reading.
      const egress = String(at(rule, 'IsEgress') ?? at(w, 'IsEgress')) === 'true';
      for (const cidr of [at(rule, 'CidrIpv4'), at(rule, 'CidrIpv6')]) {
        if (isWorld(cidr)) found[egress ? 'egress' : 'ingress'] += 1;
      }
    }
  }
  return found;
}
