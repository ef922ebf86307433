import type { RiskFlag } from '../src/surfaces/types';

type Flag = Omit<RiskFlag, 'row'>;

/**
 * A rule is open to the world when its prefix length is 0: `0.0.0.0/0` and `::/0`, but also any `a.b.c.d/0`, which
 * covers every address just the same (EC2 normalises it; the real stratus-red-team record keeps `208.236.235.254/0`).
 */
const isWorld = (cidr: unknown): cidr is string => typeof cidr === 'string' && /^[0-9a-fA-F:.]+\/0$/.test(cidr.trim());

interface OpenRule {
  protocol: string;
  ports: string;
  cidr: string;
}

function portText(protocol: string, from: unknown, to: unknown): string {
  if (protocol === '-1' || protocol === 'all') return 'all traffic';
  const f = from === undefined || from === null ? undefined : String(from);
  const t = to === undefined || to === null ? undefined : String(to);
  if (f === undefined) return `${protocol}/all ports`;
  if (f === '-1' || (f === '0' && t === '65535')) return `${protocol}/all ports`;
  return f === t || t === undefined ? `${protocol}/${f}` : `${protocol}/${f}-${t}`;
}

function items(v: unknown): Record<string, unknown>[] {
  if (v && typeof v === 'object' && Array.isArray((v as { items?: unknown }).items)) {
    return (v as { items: Record<string, unknown>[] }).items;
  }
  return [];
}

/**
 * Rules in an EC2 request that open a port to the whole internet. Covers the shapes CloudTrail records for
 * AuthorizeSecurityGroupIngress/Egress (`ipPermissions.items[].ipRanges.items[].cidrIp`, `ipv6Ranges…cidrIpv6`) and
 * ModifySecurityGroupRules (`ModifySecurityGroupRulesRequest.SecurityGroupRule.SecurityGroupRule.CidrIpv4/CidrIpv6`).
 */
export function worldOpenRules(requestParameters: string | null): OpenRule[] {
  if (!requestParameters) return [];
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(requestParameters) as Record<string, unknown>;
  } catch {
    return [];
  }
  const found: OpenRule[] = [];
  for (const perm of items(doc.ipPermissions)) {
    const protocol = String(perm.ipProtocol ?? '?');
    const ports = portText(protocol, perm.fromPort, perm.toPort);
    for (const r of items(perm.ipRanges)) if (isWorld(r.cidrIp)) found.push({ protocol, ports, cidr: r.cidrIp });
    for (const r of items(perm.ipv6Ranges)) if (isWorld(r.cidrIpv6)) found.push({ protocol, ports, cidr: r.cidrIpv6 });
  }
  // Single-rule shape of AuthorizeSecurityGroupIngress (cidrIp + ipProtocol + fromPort at the top level).
  if (isWorld(doc.cidrIp)) {
    const protocol = String(doc.ipProtocol ?? '?');
    found.push({ protocol, ports: portText(protocol, doc.fromPort, doc.toPort), cidr: doc.cidrIp });
  }
  const modify = (doc.ModifySecurityGroupRulesRequest ?? {}) as Record<string, unknown>;
  const wrapper = (modify.SecurityGroupRule ?? {}) as Record<string, unknown>;
  const rules = Array.isArray(wrapper) ? wrapper : [wrapper];
  for (const w of rules as Record<string, unknown>[]) {
    const rule = (w.SecurityGroupRule ?? {}) as Record<string, unknown>;
    for (const cidr of [rule.CidrIpv4, rule.CidrIpv6]) {
      if (isWorld(cidr)) {
        const protocol = String(rule.IpProtocol ?? '?');
        found.push({ protocol, ports: portText(protocol, rule.FromPort, rule.ToPort), cidr });
      }
    }
  }
  return found;
}

const GRANTING = new Set(['AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'ModifySecurityGroupRules']);

export function securityGroupFlags(
  eventName: string | null,
  requestParameters: string | null,
  who: string | null,
  errorCode: string | null,
): Flag[] {
  if (!eventName || !GRANTING.has(eventName) || errorCode) return [];
  let group = '';
  try {
    const doc = JSON.parse(requestParameters ?? '{}') as Record<string, unknown>;
    const modify = (doc.ModifySecurityGroupRulesRequest ?? {}) as Record<string, unknown>;
    group = String(doc.groupId ?? modify.GroupId ?? '');
  } catch {
    // worldOpenRules reports nothing for unparsable JSON either.
  }
  const direction = eventName.endsWith('Egress') ? 'egress' : 'ingress';
  return worldOpenRules(requestParameters).map((r) => ({
    code: 'world-open',
    message: `${r.ports} ${direction} opened to ${r.cidr}${group ? ` on ${group}` : ''}${who ? ` by ${who}` : ''}`,
  }));
}
