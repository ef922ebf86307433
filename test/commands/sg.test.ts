import { SecurityGroupChanges } from '../../commands/sg';
import { context, paramValues, queryOf, usageMessage } from '../helpers/commands';

describe('sg', () => {
  test('renders the security-group template for ids and a window (snapshot)', () => {
    const r = queryOf('sg sg-5887f224 eni-6c5ca5a8 12h');
    expect(r.query.template).toBe('security_group_changes');
    expect(r.query.partitions).toEqual(['2026/11/21']);
    expect(r.normalized).toBe('sg eni-6c5ca5a8 sg-5887f224 12h');
    expect(r.query.sql).toMatchSnapshot();
    expect(r.query.params).toMatchSnapshot();
  });

  test('defaults to 12 hours and every security-group change when no ids are given', () => {
    const r = queryOf('sg');
    expect(r.window.label).toBe('12h');
    expect(r.query.sql).not.toContain('strpos');
    expect(paramValues('sg')).toEqual([
      '2026/11/21',
      '2026/11/21',
      '2026-11-21T00:00:00.000Z',
      '2026-11-21T12:00:00.000Z',
    ]);
  });

  test('ids are lower-cased, de-duplicated and sorted; each binds twice (request and response)', () => {
    expect(paramValues('sg SG-5887F224 sg-5887f224 eni-6c5ca5a8').slice(4)).toEqual([
      'eni-6c5ca5a8',
      'eni-6c5ca5a8',
      'sg-5887f224',
      'sg-5887f224',
    ]);
  });

  test('accepts 17-digit ids', () => {
    expect(queryOf('sg sg-0123456789abcdef0').normalized).toBe('sg sg-0123456789abcdef0 12h');
  });

  test('--all adds the Describe calls', () => {
    expect(queryOf('sg sg-5887f224 --all').query.sql).toContain("'DescribeSecurityGroups'");
    expect(queryOf('sg sg-5887f224').query.sql).not.toContain('DescribeSecurityGroups');
  });

  test('a bad id names the argument and what is accepted', () => {
    expect(usageMessage('sg sg-5887f224 sg-zz')).toBe(
      '`sg`: argument 2 `sg-zz` is not a security group id or network interface id. Accepted: sg- or eni- followed by 8 or 17 hex digits (e.g. sg-5887f224, eni-6c5ca5a8).',
    );
    expect(usageMessage("sg sg-1234567' OR 1=1")).toContain("argument 1 `sg-1234567'`");
  });

  test('too many ids are refused', () => {
    const ids = Array.from({ length: 11 }, (_, i) => `sg-${String(i).padStart(8, '0')}`).join(' ');
    expect(usageMessage(`sg ${ids}`)).toBe('`sg`: 11 ids given; at most 10 per question (ask again for the rest).');
  });

  test('an unknown option is named', () => {
    expect(usageMessage('sg --everything')).toBe(
      '`sg`: unknown option `--everything`. Accepted: --all, --sql, --no-cache, --help.',
    );
  });

  test('flags a port opened to the world, with protocol, port and group', () => {
    const req = JSON.stringify({
      groupId: 'sg-5887f224',
      ipPermissions: {
        items: [
          {
            ipProtocol: 'tcp',
            fromPort: 143,
            toPort: 143,
            ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] },
            ipv6Ranges: { items: [{ cidrIpv6: '::/0' }] },
          },
        ],
      },
    });
    const row: Record<string, string | null> = {
      eventname: 'AuthorizeSecurityGroupIngress',
      requestparameters: req,
      username: 'bobodell',
      errorcode: null,
    };
    const flags = SecurityGroupChanges.annotate!((c) => row[c] ?? null, context());
    expect(flags).toEqual([
      { code: 'world-open', message: 'tcp/143 ingress opened to 0.0.0.0/0 on sg-5887f224 by bobodell' },
      { code: 'world-open', message: 'tcp/143 ingress opened to ::/0 on sg-5887f224 by bobodell' },
    ]);
    // A failed call opened nothing.
    row.errorcode = 'Client.UnauthorizedOperation';
    expect(SecurityGroupChanges.annotate!((c) => row[c] ?? null, context())).toEqual([]);
  });

  test('ModifySecurityGroupRules to 0.0.0.0/0 is flagged too; a private CIDR is not', () => {
    const modify = (cidr: string) =>
      JSON.stringify({
        ModifySecurityGroupRulesRequest: {
          GroupId: 'sg-5887f224',
          SecurityGroupRule: { SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIpv4: cidr } },
        },
      });
    const flagsFor = (cidr: string) =>
      SecurityGroupChanges.annotate!(
        (c) => ({ eventname: 'ModifySecurityGroupRules', requestparameters: modify(cidr), username: 'x' })[c] ?? null,
        context(),
      );
    // ModifySecurityGroupRules names the rule by id; its request does not record which way the rule points.
    expect(flagsFor('0.0.0.0/0').map((f) => f.message)).toEqual([
      'tcp/22 rule opened to 0.0.0.0/0 on sg-5887f224 by x (the record does not say ingress or egress: check the rule)',
    ]);
    expect(flagsFor('10.0.0.0/8')).toEqual([]);
  });

  test('world-open egress is its own lower-risk flag with the right direction word; ingress stays the finding', () => {
    const flags = (eventname: string, request: unknown) =>
      SecurityGroupChanges.annotate!(
        (c) => ({ eventname, requestparameters: JSON.stringify(request), username: 'bob', errorcode: null })[c] ?? null,
        context(),
      );
    const nested = (cidr: string) => ({
      groupId: 'sg-1',
      ipPermissions: { items: [{ ipProtocol: '-1', ipRanges: { items: [{ cidrIp: cidr }] } }] },
    });
    expect(flags('AuthorizeSecurityGroupEgress', nested('0.0.0.0/0'))).toEqual([
      {
        code: 'world-open-egress',
        message:
          'all traffic egress allowed to 0.0.0.0/0 on sg-1 by bob (lower risk: outbound to anywhere is the AWS default)',
      },
    ]);
    expect(flags('AuthorizeSecurityGroupIngress', nested('0.0.0.0/0')).map((f) => f.code)).toEqual(['world-open']);
    // The older flat shape, egress.
    const flat = { groupId: 'sg-1', ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIp: '0.0.0.0/0' };
    expect(flags('AuthorizeSecurityGroupEgress', flat).map((f) => f.code)).toEqual(['world-open-egress']);
    // ModifySecurityGroupRules with an IsEgress marker on the rule.
    const modify = (isEgress: boolean) => ({
      ModifySecurityGroupRulesRequest: {
        GroupId: 'sg-1',
        SecurityGroupRule: [
          {
            SecurityGroupRuleId: 'sgr-1',
            SecurityGroupRule: {
              IpProtocol: 'tcp',
              FromPort: 22,
              ToPort: 22,
              CidrIpv4: '0.0.0.0/0',
              IsEgress: isEgress,
            },
          },
        ],
      },
    });
    expect(flags('ModifySecurityGroupRules', modify(true))[0]!.message).toBe(
      'tcp/22 egress allowed to 0.0.0.0/0 on sg-1 by bob (lower risk: outbound to anywhere is the AWS default)',
    );
    expect(flags('ModifySecurityGroupRules', modify(false))[0]).toEqual({
      code: 'world-open',
      message: 'tcp/22 ingress opened to 0.0.0.0/0 on sg-1 by bob',
    });
  });
});
