import type { RiskFlag } from '../src/core/publisher';

type Flag = Omit<RiskFlag, 'row'>;

/**
 * A rule is open to the world when its prefix length is 0: `0.0.0.0/0` and `::/0`, but also any `a.b.c.d/0`, which
 * covers every address just the same (EC2 normalises it; the real stratus-red-team record keeps `208.236.235.254/0`).
 */
const isWorld = (cidr: unknown): cidr is string => typeof cidr === 'string' && /^[0-9a-fA-F:.]+\/0$/.test(cidr.trim());

/** `unknown`: ModifySecurityGroupRules names a rule by id, and its request does not say which way that rule points. */
export type RuleDirection = 'ingress' | 'egress' | 'unknown';

interface OpenRule {
  protocol: string;
  ports: string;
  cidr: string;
  direction: RuleDirection;
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

/** An explicit egress marker on a rule (`IsEgress` / `isEgress`, as EC2's SecurityGroupRule shape names it). */
function egressMarker(rule: Record<string, unknown>): boolean | undefined {
  const v = rule.IsEgress ?? rule.isEgress;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  return undefined;
}

/**
 * Rules in an EC2 request that open a port to the whole internet, each with its direction. Covers the shapes
 * CloudTrail records for AuthorizeSecurityGroupIngress/Egress (`ipPermissions.items[].ipRanges.items[].cidrIp`,
 * `ipv6Ranges…cidrIpv6`, and the older flat `cidrIp` + `fromPort`) and ModifySecurityGroupRules
 * (`ModifySecurityGroupRulesRequest.SecurityGroupRule[].SecurityGroupRule.CidrIpv4/CidrIpv6`). The direction comes
 * from the event name, or from an `IsEgress` marker on the rule where the record carries one.
 */
export function worldOpenRules(requestParameters: string | null, eventName?: string | null): OpenRule[] {
  if (!requestParameters) return [];
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(requestParameters) as Record<string, unknown>;
  } catch {
    return [];
  }
  const byName: RuleDirection = eventName?.endsWith('Egress')
    ? 'egress'
    : eventName?.endsWith('Ingress')
      ? 'ingress'
      : 'unknown';
  const direction = (rule: Record<string, unknown>): RuleDirection => {
    const marker = egressMarker(rule);
    return marker === undefined ? byName : marker ? 'egress' : 'ingress';
  };
  const found: OpenRule[] = [];
  for (const perm of items(doc.ipPermissions)) {
    const protocol = String(perm.ipProtocol ?? '?');
    const ports = portText(protocol, perm.fromPort, perm.toPort);
    const dir = direction(perm);
    for (const r of items(perm.ipRanges)) {
      if (isWorld(r.cidrIp)) found.push({ protocol, ports, cidr: r.cidrIp, direction: dir });
    }
    for (const r of items(perm.ipv6Ranges)) {
      if (isWorld(r.cidrIpv6)) found.push({ protocol, ports, cidr: r.cidrIpv6, direction: dir });
    }
  }
  // Single-rule shape of AuthorizeSecurityGroupIngress (cidrIp + ipProtocol + fromPort at the top level).
  if (isWorld(doc.cidrIp)) {
    const protocol = String(doc.ipProtocol ?? '?');
    found.push({
      protocol,
      ports: portText(protocol, doc.fromPort, doc.toPort),
      cidr: doc.cidrIp,
      direction: direction(doc),
    });
  }
  const modify = (doc.ModifySecurityGroupRulesRequest ?? {}) as Record<string, unknown>;
  const wrapper = (modify.SecurityGroupRule ?? {}) as Record<string, unknown>;
  const rules = Array.isArray(wrapper) ? wrapper : [wrapper];
  for (const w of rules as Record<string, unknown>[]) {
    const rule = (w.SecurityGroupRule ?? {}) as Record<string, unknown>;
    const marker = egressMarker(rule) ?? egressMarker(w);
    const dir: RuleDirection = marker === undefined ? byName : marker ? 'egress' : 'ingress';
    for (const cidr of [rule.CidrIpv4, rule.CidrIpv6]) {
      if (isWorld(cidr)) {
        const protocol = String(rule.IpProtocol ?? '?');
        found.push({ protocol, ports: portText(protocol, rule.FromPort, rule.ToPort), cidr, direction: dir });
      }
    }
  }
  return found;
}

const GRANTING = new Set(['AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'ModifySecurityGroupRules']);

/**
 * World-open *ingress* is the finding (`world-open`). World-open egress is what every new security group starts with
 * (EC2 adds an outbound rule to 0.0.0.0/0), so it gets its own lower-risk code (`world-open-egress`) and says so.
 * ModifySecurityGroupRules does not record a rule's direction; such a rule is flagged as a finding and says that the
 * direction must be checked.
 */
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
  const where = `${group ? ` on ${group}` : ''}${who ? ` by ${who}` : ''}`;
  return worldOpenRules(requestParameters, eventName).map((r) => {
    switch (r.direction) {
      case 'ingress':
        return { code: 'world-open', message: `${r.ports} ingress opened to ${r.cidr}${where}` };
      case 'egress':
        return {
          code: 'world-open-egress',
          message: `${r.ports} egress allowed to ${r.cidr}${where} (lower risk: outbound to anywhere is the AWS default)`,
        };
      default:
        return {
          code: 'world-open',
          message: `${r.ports} rule opened to ${r.cidr}${where} (the record does not say ingress or egress: check the rule)`,
        };
    }
  });
}
