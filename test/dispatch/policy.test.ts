import type { AccessPolicy } from '../../src/config';
import { checkAccess, checkOwnership, OPEN_POLICY, ruleFor, unknownPolicyCommands } from '../../src/dispatch/policy';

const policy: AccessPolicy = {
  default: { channels: ['CSECOPS', 'CINCIDENT'] },
  commands: {
    root: { channels: ['C0COMPLIANCE'] },
    logins: {},
    iam: { users: ['UALICE', 'WBOB'] },
    purge: { channels: ['CADMIN'], users: ['UALICE'] },
  },
};

const req = (command: string, channelId: string, userId = 'UCAROL') => ({ command, channelId, userId });

describe('checkAccess', () => {
  test('the open policy allows everyone everywhere', () => {
    expect(checkAccess(OPEN_POLICY, req('root', 'CANY', 'UANY'))).toEqual({ allowed: true });
  });

  test('the default applies to commands without their own rule', () => {
    expect(checkAccess(policy, req('sg', 'CSECOPS'))).toEqual({ allowed: true });
    expect(checkAccess(policy, req('sg', 'CRANDOM'))).toEqual({
      allowed: false,
      reason: '`sg` may only run in <#CSECOPS> or <#CINCIDENT>.',
    });
  });

  test('a command rule replaces the default rather than adding to it', () => {
    expect(checkAccess(policy, req('root', 'C0COMPLIANCE'))).toEqual({ allowed: true });
    expect(checkAccess(policy, req('root', 'CSECOPS'))).toEqual({
      allowed: false,
      reason: '`root` may only run in <#C0COMPLIANCE>.',
    });
  });

  test('an empty rule means anyone, anywhere, even when the default is narrower', () => {
    expect(checkAccess(policy, req('logins', 'CRANDOM'))).toEqual({ allowed: true });
  });

  test('user lists', () => {
    expect(checkAccess(policy, req('iam', 'CRANDOM', 'WBOB'))).toEqual({ allowed: true });
    expect(checkAccess(policy, req('iam', 'CRANDOM', 'UCAROL'))).toEqual({
      allowed: false,
      reason: '`iam` may only be run by <@UALICE> or <@WBOB>.',
    });
  });

  test('a rule with both lists needs both to match, and says which failed', () => {
    expect(checkAccess(policy, req('purge', 'CADMIN', 'UALICE'))).toEqual({ allowed: true });
    expect(checkAccess(policy, req('purge', 'CADMIN', 'UCAROL'))).toEqual({
      allowed: false,
      reason: '`purge` may only be run by <@UALICE>.',
    });
    expect(checkAccess(policy, req('purge', 'CSECOPS', 'UALICE'))).toEqual({
      allowed: false,
      reason: '`purge` may only run in <#CADMIN>.',
    });
    expect(checkAccess(policy, req('purge', 'CSECOPS', 'UCAROL'))).toEqual({
      allowed: false,
      reason: '`purge` may only be run by <@UALICE>, and only run in <#CADMIN>.',
    });
  });

  test('command names are matched case-insensitively', () => {
    expect(checkAccess(policy, req('ROOT', 'CSECOPS')).allowed).toBe(false);
  });

  test('names of Object.prototype members fall back to the default rule', () => {
    expect(checkAccess(policy, req('constructor', 'CSECOPS'))).toEqual({ allowed: true });
    expect(checkAccess(policy, req('toString', 'CRANDOM')).allowed).toBe(false);
    expect(ruleFor(policy, '__proto__')).toBe(policy.default);
  });

  test('long lists are shortened', () => {
    const many = Array.from({ length: 13 }, (_, i) => `C${String(i).padStart(3, '0')}`);
    const decision = checkAccess({ default: { channels: many }, commands: {} }, req('sg', 'CNOPE'));
    expect(decision).toEqual({
      allowed: false,
      reason: `\`sg\` may only run in ${many
        .slice(0, 10)
        .map((c) => `<#${c}>`)
        .join(', ')} or 3 more.`,
    });
  });
});

describe('unknownPolicyCommands', () => {
  test('names rules for commands the catalog does not have', () => {
    expect(unknownPolicyCommands(policy, ['root', 'sg', 'logins', 'iam'])).toEqual([
      'TRAIL_ACCESS_POLICY: commands.purge is not a trailbot command; use one of iam, logins, root, sg',
    ]);
    expect(unknownPolicyCommands(policy, ['root', 'logins', 'iam', 'purge'])).toEqual([]);
  });
});

describe('checkOwnership', () => {
  const own = (userId: string, admins?: string[]) =>
    checkOwnership(
      { default: {}, commands: {}, ...(admins ? { admins } : {}) },
      { command: 'cancel', userId, ownerId: 'UALICE', what: 'question' },
    );

  test('the asker may, anyone else may not, and the refusal names who may', () => {
    expect(own('UALICE')).toEqual({ allowed: true });
    expect(own('UCAROL')).toEqual({
      allowed: false,
      reason: 'Only <@UALICE>, who asked that question, may cancel it.',
    });
  });

  test('admins may stop what anyone started', () => {
    expect(own('WBOB', ['WBOB'])).toEqual({ allowed: true });
    expect(own('UCAROL', ['WBOB', 'UDAVE'])).toEqual({
      allowed: false,
      reason: 'Only <@UALICE>, who asked that question, or a trailbot admin (<@WBOB> or <@UDAVE>) may cancel it.',
    });
  });

  test('schedules say so', () => {
    expect(
      checkOwnership(OPEN_POLICY, { command: 'unschedule', userId: 'UCAROL', ownerId: 'UALICE', what: 'schedule' }),
    ).toEqual({ allowed: false, reason: 'Only <@UALICE>, who set up that schedule, may stop it.' });
  });
});
