import { UsageError } from '../src/core/errors';
import { isOffHours, minutesOf } from '../src/time/window';
import { inNetworks } from '../src/util/ip';
import { shown } from './args';
import type { QueryCommand } from './types';

const MODES = ['all', 'offhours', 'mobile', 'external', 'nomfa', 'failed', 'root'] as const;
type Mode = (typeof MODES)[number];

const varchar = (value: string) => ({ type: 'varchar' as const, value });
const bigint = (value: number) => ({ type: 'bigint' as const, value });

/** `/trail logins offhours`: console sign-ins, filtered by what makes them interesting. */
export const ConsoleLogins: QueryCommand = {
  kind: 'query',
  name: 'logins',
  summary: 'console sign-ins: all, off-hours, mobile, from outside the known networks, without MFA, failed, or by root',
  usage: `logins [${MODES.join('|')}] [window]`,
  examples: ['logins offhours', 'logins external 7d', 'logins nomfa yesterday'],
  defaultWindow: '24h',
  chart: { timeColumn: 'eventtime', bucket: 'hour', rows: 'sign-ins', markOffHours: true },
  columns: {
    order: [
      'username',
      'result',
      'eventtime',
      'sourceipaddress',
      'used_mfa',
      'mfa_used',
      'mobile',
      'identity_type',
      'errormessage',
      'principal_arn',
      'awsregion',
      'recipientaccountid',
    ],
  },
  plan(args, ctx) {
    const [word, extra] = args.words;
    const mode = (word?.toLowerCase() ?? 'all') as Mode;
    if (!MODES.includes(mode)) {
      throw new UsageError(
        `\`logins\`: \`${shown(word ?? '')}\` is not a kind of sign-in. Accepted: ${MODES.join(', ')}.`,
        this.usage,
      );
    }
    if (extra !== undefined) throw new UsageError(`\`logins\`: unexpected argument \`${shown(extra)}\`.`, this.usage);
    const { offHours, timeZone, knownNetworks } = ctx.config;
    if (mode === 'external' && knownNetworks.length === 0) {
      throw new UsageError(
        '`logins external`: no known networks are configured, so every sign-in would count as external. ' +
          'Set TRAIL_KNOWN_NETWORKS to your networks (e.g. TRAIL_KNOWN_NETWORKS=203.0.113.0/24,2001:db8::/32), ' +
          'or ask `logins all`.',
        this.usage,
      );
    }
    const start = minutesOf(offHours.start);
    const end = minutesOf(offHours.end);
    const offhours = mode === 'offhours';
    return {
      template: 'console_logins',
      values: {
        mobile: mode === 'mobile',
        nomfa: mode === 'nomfa',
        failed: mode === 'failed',
        root: mode === 'root',
        known_networks: mode === 'external' ? knownNetworks.map(varchar) : undefined,
        offhours,
        offhours_within: offhours && start <= end,
        offhours_wrapping: offhours && start > end,
        offhours_weekends: offhours && offHours.weekends,
        time_zone: offhours ? varchar(timeZone) : undefined,
        offhours_start: offhours ? bigint(start) : undefined,
        offhours_end: offhours ? bigint(end) : undefined,
      },
      normalized: mode,
    };
  },
  annotate(row, ctx) {
    const flags = [];
    const who = row('identity_type') === 'Root' ? 'root' : (row('username') ?? row('principal_arn') ?? 'someone');
    const success = row('result') === 'Success';
    const time = row('eventtime');
    // used_mfa is the templates' one definition of "used MFA" (sql/_used_mfa.sql): MFAUsed for sign-ins.
    if (success && row('used_mfa') !== 'true') {
      const root = row('identity_type') === 'Root';
      flags.push({
        code: root ? 'root-no-mfa' : 'login-no-mfa',
        message: `${root ? 'root' : who} signed in without MFA`,
      });
    }
    const ip = row('sourceipaddress');
    if (ctx.config.knownNetworks.length > 0 && ip && !inNetworks(ip, ctx.config.knownNetworks)) {
      flags.push({ code: 'login-external', message: `${who} signed in from ${ip}, outside the known networks` });
    }
    if (time && isOffHours(new Date(time), ctx.config.offHours, ctx.config.timeZone)) {
      flags.push({ code: 'login-offhours', message: `${who} signed in at off-hours (${time})` });
    }
    return flags;
  },
};
