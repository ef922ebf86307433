import { COMMANDS, renderHelp } from '../../commands';
import { context, parse, queryOf, usageMessage } from '../helpers/commands';

describe('parseRequest', () => {
  test('an unknown subcommand gets "did you mean" and the usage list', () => {
    expect(usageMessage('sgg')).toBe('`sgg` is not a trailbot command. Did you mean `sg`?');
    expect(usageMessage('loginz offhours')).toBe('`loginz` is not a trailbot command. Did you mean `logins`?');
    expect(usageMessage('frobnicate')).toBe('`frobnicate` is not a trailbot command.');
  });

  test('the `/trail` prefix, extra spaces and case are tolerated', () => {
    expect(queryOf('/trail  SG   sg-5887f224  12h').normalized).toBe('sg sg-5887f224 12h');
    expect(queryOf('\u00a0recent\u2003writes ').normalized).toBe('recent writes 1h');
  });

  test('--sql is a flag on every query command, not part of the arguments', () => {
    const r = queryOf('sg sg-5887f224 eni-6c5ca5a8 12h --sql');
    expect(r.showSql).toBe(true);
    expect(r.normalized).toBe('sg eni-6c5ca5a8 sg-5887f224 12h');
  });

  test('window errors are prefixed with the command', () => {
    expect(usageMessage('sg 200d')).toBe(
      '`sg`: `200d` is longer than the 90-day maximum; narrow the window or set TRAIL_MAX_WINDOW_DAYS',
    );
  });

  test('a configured default window replaces the built-in one', () => {
    expect(
      queryOf(
        'sg',
        context({
          window: { maxDays: 90, defaults: { sg: '6h' }, deliveryLagMinutes: 15, projectionStart: '2020/01/01' },
        }),
      ).window.label,
    ).toBe('6h');
  });

  test('account: and region: narrow the query, validated against the trail', () => {
    const r = queryOf('recent account:111122223333 region:eu-west-1');
    expect(r.query.scope).toEqual({ accounts: ['111122223333'], regions: ['eu-west-1'] });
    expect(r.query.sql).toContain('AND recipientaccountid IN (?)');
    expect(r.query.sql).toContain('AND awsregion IN (?)');
    expect(r.normalized).toBe('recent all account:111122223333 region:eu-west-1 1h');
    expect(usageMessage('recent account:12')).toBe(
      '`recent`: `account:12` is not an account. Accepted: account:<12 digits>.',
    );
    const ctx = context({ trail: { prefix: '', accounts: ['111122223333'], regions: ['us-east-1'] } });
    expect(usageMessage('recent region:eu-west-1', ctx)).toBe(
      "`recent`: region eu-west-1 is not one of this trail's regions (us-east-1).",
    );
  });

  test('overlong text is refused before anything else', () => {
    expect(usageMessage(`sg ${'x'.repeat(3000)}`)).toBe(
      'That command is 3003 characters long; trailbot accepts up to 2000.',
    );
  });

  test('help lists every subcommand with its usage; help <command> shows examples and the default window', () => {
    const all = renderHelp();
    for (const c of COMMANDS) {
      expect(all).toContain(`/trail ${c.usage}`);
      expect(all).toContain(`e.g. /trail ${c.examples[0]}`);
    }
    const sg = renderHelp('sg', context());
    expect(sg).toContain('(default 12h)');
    expect(sg).toContain('/trail sg sg-5887f224 eni-6c5ca5a8 12h');
    expect(() => renderHelp('sgg')).toThrow('there is no command `sgg`. Did you mean `sg`?');
  });

  test('every example in the catalog parses', () => {
    for (const c of COMMANDS) for (const e of c.examples) expect(() => parse(e)).not.toThrow();
  });
});
