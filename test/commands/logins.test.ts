import { ConsoleLogins } from '../../commands/logins';
import { context, paramValues, queryOf, usageMessage } from '../helpers/commands';

describe('logins', () => {
  test.each(['all', 'offhours', 'mobile', 'external', 'nomfa', 'failed'])('renders `logins %s` (snapshot)', (mode) => {
    const r = queryOf(`logins ${mode}`);
    expect(r.query.template).toBe('console_logins');
    expect(r.query.sql).toMatchSnapshot();
    expect(r.query.params).toMatchSnapshot();
  });

  test('defaults to all sign-ins over 24 hours', () => {
    const r = queryOf('logins');
    expect(r.normalized).toBe('logins all 24h');
    expect(r.query.partitions).toEqual(['2026/11/20', '2026/11/21']);
  });

  test('off-hours follow the configured zone and hours; a range over midnight wraps', () => {
    const ctx = context({ timeZone: 'Europe/Berlin', offHours: { start: '22:00', end: '06:00', weekends: true } });
    const r = queryOf('logins offhours', ctx);
    expect(r.query.sql).toContain(') >= ?\n       OR (');
    expect(r.query.sql).toContain('day_of_week');
    expect(paramValues('logins offhours', ctx)).toEqual(expect.arrayContaining(['Europe/Berlin', 1320, 360]));
  });

  test('external binds every known network (twice: the family check, then contains); with none it says what to set', () => {
    expect(paramValues('logins external').slice(4)).toEqual([
      '198.51.100.0/24',
      '198.51.100.0/24',
      '2001:db8:100::/48',
      '2001:db8:100::/48',
    ]);
    const message = usageMessage('logins external', context({ knownNetworks: [] }));
    expect(message).toContain('no known networks are configured');
    expect(message).toContain('TRAIL_KNOWN_NETWORKS=');
  });

  test('bad modes and extra words are named', () => {
    expect(usageMessage('logins weird')).toBe(
      '`logins`: `weird` is not a kind of sign-in. Accepted: all, offhours, mobile, external, nomfa, failed, root.',
    );
    expect(usageMessage('logins nomfa failed')).toBe('`logins`: unexpected argument `failed`.');
  });

  test('annotates sign-ins without MFA, from outside, at off-hours', () => {
    const row: Record<string, string> = {
      result: 'Success',
      mfa_used: 'No',
      used_mfa: 'false',
      username: 'alice',
      sourceipaddress: '203.0.113.9',
      eventtime: '2026-11-21T02:10:00Z',
      identity_type: 'IAMUser',
    };
    const codes = ConsoleLogins.annotate!((c) => row[c] ?? null, context()).map((f) => f.code);
    expect(codes).toEqual(['login-no-mfa', 'login-external', 'login-offhours']);
    Object.assign(row, {
      mfa_used: 'Yes',
      used_mfa: 'true',
      sourceipaddress: '198.51.100.20',
      eventtime: '2026-11-21T10:00:00Z',
    });
    expect(ConsoleLogins.annotate!((c) => row[c] ?? null, context())).toEqual([]);
    Object.assign(row, { identity_type: 'Root', mfa_used: 'No', used_mfa: 'false' });
    expect(ConsoleLogins.annotate!((c) => row[c] ?? null, context()).map((f) => f.code)).toEqual(['root-no-mfa']);
  });
});
