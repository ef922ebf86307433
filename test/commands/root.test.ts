import { RootActivity } from '../../commands/root';
import { context, queryOf, usageMessage } from '../helpers/commands';

describe('root', () => {
  test('renders over the default 30 days (snapshot)', () => {
    const r = queryOf('root');
    expect(r.normalized).toBe('root 30d');
    expect(r.query.partitions).toHaveLength(31);
    expect(r.query.sql).toMatchSnapshot();
  });

  test('takes no arguments', () => {
    expect(usageMessage('root admin')).toBe('`root`: unexpected argument `admin`.');
  });

  test('flags direct root calls without MFA, not calls a service made for root', () => {
    const row = (r: Record<string, string | null>) => (c: string) => r[c] ?? null;
    expect(
      RootActivity.annotate!(row({ eventname: 'CreateAccessKey', invoked_by: null, without_mfa: '2' }), context()),
    ).toEqual([{ code: 'root-no-mfa', message: 'root called CreateAccessKey 2 times without MFA' }]);
    expect(
      RootActivity.annotate!(
        row({ eventname: 'DescribeCases', invoked_by: 'support.amazonaws.com', without_mfa: '3' }),
        context(),
      ),
    ).toEqual([]);
    expect(
      RootActivity.annotate!(row({ eventname: 'GetAccountSummary', invoked_by: null, without_mfa: '0' }), context()),
    ).toEqual([]);
  });
});
