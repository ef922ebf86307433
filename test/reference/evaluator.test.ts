import {
  type CloudTrailEvent,
  evaluate,
  inNetwork,
  type Question,
  type QuestionSpec,
  usedMfa,
  worldOpen,
} from './evaluator';

/**
 * The evaluator's own rules, on hand-written records: the property test trusts it, so what it means is pinned here
 * (issue 12: presence, the MFA rule, world-open direction, same-family networks, the window and tie-breaks).
 */

const window = { start: new Date('2026-11-20T00:00:00Z'), end: new Date('2026-11-21T00:00:00Z') };
let n = 0;
const event = (fields: Partial<CloudTrailEvent>): CloudTrailEvent => ({
  eventTime: '2026-11-20T10:00:00Z',
  eventID: `e${++n}`,
  eventName: 'GetObject',
  eventSource: 's3.amazonaws.com',
  awsRegion: 'us-east-1',
  recipientAccountId: '111122223333',
  userIdentity: { type: 'IAMUser', userName: 'alice', arn: 'arn:aws:iam::111122223333:user/alice' },
  ...fields,
});
const ids = (q: QuestionSpec, events: CloudTrailEvent[]) => {
  const a = evaluate(events, { ...q, window } as Question);
  return a.kind === 'listing' ? a.ids : a.rows;
};

test('an empty string is absent: no error, no invoking service', () => {
  const failed = event({ errorCode: 'AccessDenied' });
  const events = [event({ errorCode: '' }), event({ errorCode: null }), failed];
  expect(ids({ command: 'recent', mode: 'errors' }, events)).toEqual([failed.eventID]);
  const root = event({ userIdentity: { type: 'Root', invokedBy: '' }, errorCode: '' });
  expect(ids({ command: 'root' }, [root])).toEqual([
    expect.objectContaining({ invoked_by: null, error_events: 0, total_events: 1 }),
  ]);
});

test('used MFA: MFAUsed for console sign-ins, mfaAuthenticated for everything else', () => {
  const signIn = (mfa?: string) =>
    event({ eventName: 'ConsoleLogin', additionalEventData: mfa === undefined ? {} : { MFAUsed: mfa } });
  expect(usedMfa(signIn('Yes'))).toBe(true);
  expect(usedMfa(signIn('No'))).toBe(false);
  expect(usedMfa(signIn())).toBe(false);
  // A sign-in's own sessionContext does not count; an API call's does.
  const withSession = { userIdentity: { sessionContext: { attributes: { mfaAuthenticated: 'true' } } } };
  expect(usedMfa({ ...signIn('No'), ...withSession })).toBe(false);
  expect(usedMfa(event(withSession))).toBe(true);
  expect(usedMfa(event({}))).toBe(false);
});

test('world-open ingress is the finding, egress counted apart, failed calls and revokes never', () => {
  const rule = (eventName: string, cidrIp: string, errorCode?: string) =>
    event({ eventName, eventSource: 'ec2.amazonaws.com', requestParameters: { groupId: 'sg-1', cidrIp }, errorCode });
  expect(worldOpen(rule('AuthorizeSecurityGroupIngress', '0.0.0.0/0'))).toEqual({ ingress: 1, egress: 0 });
  expect(worldOpen(rule('AuthorizeSecurityGroupIngress', '208.236.235.254/0'))).toEqual({ ingress: 1, egress: 0 });
  expect(worldOpen(rule('AuthorizeSecurityGroupEgress', '0.0.0.0/0'))).toEqual({ ingress: 0, egress: 1 });
  expect(worldOpen(rule('AuthorizeSecurityGroupIngress', '10.0.0.0/8'))).toEqual({ ingress: 0, egress: 0 });
  expect(worldOpen(rule('AuthorizeSecurityGroupIngress', '0.0.0.0/0', 'Client.InvalidPermission.Duplicate'))).toEqual({
    ingress: 0,
    egress: 0,
  });
  expect(worldOpen(rule('RevokeSecurityGroupIngress', '0.0.0.0/0'))).toEqual({ ingress: 0, egress: 0 });
  const nested = event({
    eventName: 'AuthorizeSecurityGroupIngress',
    requestParameters: {
      ipPermissions: {
        items: [{ ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] }, ipv6Ranges: { items: [{ cidrIpv6: '::/0' }] } }],
      },
    },
  });
  expect(worldOpen(nested)).toEqual({ ingress: 2, egress: 0 });
});

test('networks compare within one family; IPv4-mapped IPv6 sources are IPv4', () => {
  expect(inNetwork('198.51.100.7', '198.51.100.0/24')).toBe(true);
  expect(inNetwork('198.51.100.7', '::/0')).toBe(false);
  expect(inNetwork('2001:db8::1', '0.0.0.0/0')).toBe(false);
  expect(inNetwork('::ffff:198.51.100.7', '198.51.100.0/24')).toBe(true);
  expect(inNetwork('2001:DB8:100::a', '2001:db8:100::/48')).toBe(true);
  expect(inNetwork('253.252.51.07', '0.0.0.0/0')).toBe(false);
  expect(inNetwork('ec2.amazonaws.com', '0.0.0.0/0')).toBe(false);
});

test('the window is [start, end) on eventTime; listings break time ties by eventID', () => {
  const atStart = event({ eventTime: '2026-11-20T00:00:00Z', eventID: 'b' });
  const tie = event({ eventTime: '2026-11-20T00:00:00Z', eventID: 'a' });
  const atEnd = event({ eventTime: '2026-11-21T00:00:00Z' });
  expect(ids({ command: 'recent', mode: 'all' }, [atStart, atEnd, tie])).toEqual(['a', 'b']);
  expect(ids({ command: 'ip', network: '0.0.0.0/0' }, [atStart])).toEqual([]);
});

test('top N: count first, then the stated tie-breaks', () => {
  const err = (eventName: string, errorCode: string) => event({ eventName, errorCode });
  const rows = ids({ command: 'errors', top: 2 }, [
    err('PutObject', 'AccessDenied'),
    err('GetObject', 'AccessDenied'),
    err('GetObject', 'Throttling'),
    err('GetObject', 'Throttling'),
  ]) as { eventname: string; errorcode: string }[];
  expect(rows.map((r) => `${r.errorcode} ${r.eventname}`)).toEqual(['Throttling GetObject', 'AccessDenied GetObject']);
});
