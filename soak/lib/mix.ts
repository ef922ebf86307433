/**
 * The load a soak sends: who types what, where and when, from a seed. A realistic incident-channel mix: questions of
 * every query command over many windows, the same question asked again moments later in the same channel (dedupe),
 * one impatient user firing several questions at once (per-user limit), mistakes, help, `--sql`, history and status.
 */
import { COMMANDS } from '../../commands';
import { SAMPLE_USER_NAMES } from '../../src/sample/generate';
import { Random } from '../../src/sample/random';
import type { CommandKind } from './audit';

export interface PlannedCommand {
  /** ms after the start of the load. */
  at: number;
  kind: CommandKind;
  text: string;
  userId: string;
  channelId: string;
}

export interface MixOptions {
  commands: number;
  durationMs: number;
  users: number;
  channels: number;
  seed: number;
  /** Questions in one burst from one user (above the per-user limit). Default 5. */
  burstSize?: number;
}

const pad = (n: number) => String(n).padStart(2, '0');
export const userIds = (n: number) => Array.from({ length: n }, (_, i) => `U0SOAK${pad(i + 1)}`);
export const channelIds = (n: number) => Array.from({ length: n }, (_, i) => `C0SOAK${pad(i + 1)}`);

function window(r: Random): string {
  switch (r.int(5)) {
    case 0:
      return `${r.between(30, 2800)}m`;
    case 1:
      return r.pick(['today', '1d', '2d', '24h', '36h']);
    default:
      return `${r.between(1, 47)}h`;
  }
}

/** Every query command, with arguments that mean something in the sample data. */
const QUERY_FORMS: ((r: Random) => string)[] = [
  (r) => `sg sg-5887f224 ${window(r)}`,
  (r) => `sg sg-5887f224 eni-6c5ca5a8 ${window(r)}`,
  (r) => `sg ${window(r)}`,
  (r) => `logins ${r.pick(['all', 'offhours', 'external', 'nomfa', 'failed', 'mobile'])} ${window(r)}`,
  (r) => `errors top ${r.between(3, 30)} ${window(r)}`,
  (r) => `users top ${r.between(3, 25)} ${window(r)}`,
  (r) => `root ${window(r)}`,
  (r) =>
    `who ${r.pick(['sg-5887f224', 'eni-6c5ca5a8', 'AuthorizeSecurityGroupIngress', 'trailbot-sample'])} ${window(r)}`,
  (r) => `user ${r.pick(SAMPLE_USER_NAMES)} ${window(r)}`,
  (r) => `ip ${r.pick(['198.51.100.0/24', '203.0.113.0/24', '192.0.2.0/24', '2001:db8::/32'])} ${window(r)}`,
  (r) => `recent ${r.pick(['all', 'writes', 'errors'])} ${window(r)}`,
  (r) => `tamper ${window(r)}`,
  (r) => `iam ${window(r)}`,
  (r) => `exposed ${window(r)}`,
];

/** Mistakes people make, and a few that are attacks. Each must get a usage message, nothing else. */
const BAD = [
  'sg sg-zz',
  'sg sg-5887f22',
  'logins sometimes',
  'errors top 500',
  'users top -1',
  'ip 999.1.1.1',
  'ip 10.0.0.0/33',
  'user',
  'who ab',
  'recent 13x',
  'recent 400d',
  'rooot 12h',
  'nosuchcommand',
  "user alice' OR '1'='1",
  "who x'; DROP TABLE cloudtrail_logs; --",
  'sg --nope',
  'status',
  'history lots',
  'logins all since yesterday',
  `who ${'A'.repeat(2100)}`,
  'ip 203.0.113.7 /* */',
  'sg sg-5887f224 12h account:12345',
  'sg sg-5887f224 region:mars-1',
];

const HELP = ['help', 'help sg', 'help logins', 'logins --help', 'help nosuch', ''];
const SQL = (r: Random) => `${r.pick(QUERY_FORMS)(r)} --sql`;

export function planLoad(o: MixOptions): PlannedCommand[] {
  const r = new Random(o.seed, 'load-mix');
  const users = userIds(o.users);
  const channels = channelIds(o.channels);
  const home = (u: number) => channels[u % channels.length]!;
  const channelOf = (u: number) => (r.chance(0.85) ? home(u) : r.pick(channels));
  // Leave the last 2 s of the window for answers to the last commands.
  const span = Math.max(1000, o.durationMs - 2000);
  const burstSize = o.burstSize ?? 5;
  const plan: PlannedCommand[] = [];
  let groups = 0;
  while (plan.length < o.commands) {
    const u = r.int(users.length);
    const userId = users[u]!;
    const at = r.int(span);
    // The first two groups are a burst and a repeated question, so even a short load exercises both limits.
    const roll = groups === 0 ? 0 : groups === 1 ? 0.1 : r.next();
    groups++;
    if (roll < 0.05) {
      // One user fires several different questions within ~150 ms.
      const channelId = home(u);
      let t = at;
      for (let i = 0; i < burstSize; i++) {
        plan.push({ at: t, kind: 'burst', text: r.pick(QUERY_FORMS)(r), userId, channelId });
        t += r.int(40);
      }
    } else if (roll < 0.17) {
      // The same question again in the same channel, by a colleague, moments later.
      const channelId = home(u);
      const text = r.pick(QUERY_FORMS)(r);
      plan.push({ at, kind: 'query', text, userId, channelId });
      const other = users.filter((_, i) => home(i) === channelId && i !== u);
      const again = other.length ? r.pick(other) : userId;
      plan.push({ at: at + r.between(100, 3000), kind: 'duplicate', text, userId: again, channelId });
    } else if (roll < 0.57) {
      plan.push({ at, kind: 'query', text: r.pick(QUERY_FORMS)(r), userId, channelId: channelOf(u) });
    } else if (roll < 0.71) {
      plan.push({ at, kind: 'bad', text: r.pick(BAD), userId, channelId: channelOf(u) });
    } else if (roll < 0.79) {
      plan.push({ at, kind: 'help', text: r.pick(HELP), userId, channelId: channelOf(u) });
    } else if (roll < 0.85) {
      plan.push({ at, kind: 'sql', text: SQL(r), userId, channelId: channelOf(u) });
    } else if (roll < 0.93) {
      plan.push({
        at,
        kind: 'history',
        text: r.pick(['history', 'history 5', 'history 20']),
        userId,
        channelId: home(u),
      });
    } else {
      // Someone pastes an id from another channel, or mistypes one.
      plan.push({ at, kind: 'status', text: `status ${r.alnum(12).toLowerCase()}`, userId, channelId: channelOf(u) });
    }
  }
  return plan
    .slice(0, o.commands)
    .map((c) => ({ ...c, at: Math.min(c.at, span) }))
    .sort((a, b) => a.at - b.at);
}

/** The query commands in the catalog, for a check that the mix covers all of them. */
export const QUERY_COMMAND_NAMES = COMMANDS.filter((c) => c.kind === 'query').map((c) => c.name);

/** Query command names the plan uses. */
export function commandsCovered(plan: readonly PlannedCommand[]): string[] {
  const names = new Set<string>();
  for (const c of plan) {
    if (c.kind === 'query' || c.kind === 'burst' || c.kind === 'duplicate') names.add(c.text.split(' ')[0]!);
  }
  return [...names].sort();
}
