/**
 * The clock's way through the front door for a watch's run (src/scheduler/watcher.ts claims it). As for a schedule
 * (scheduled.ts): the access policy is checked again with the watch's creator, the stored question is parsed again
 * with today's catalog and bound to the run's window, and it is submitted as the creator's, marked as a watch's run
 * (src/core/watch.ts) so the runner stays quiet unless there is something new.
 *
 * Routing: rows of a routed account (the watch's `route`, else TRAIL_WATCH_ROUTES) go to its channel. Each channel gets its own execution (its own thread), the
 * routed ones narrowed with `account:` (a cheaper scan: the table is partitioned by account) and the watch's own
 * channel giving those accounts away. A routed channel the policy no longer allows for the creator keeps its rows in
 * the watch's own channel, and the creator is told: a tightened policy must not make findings vanish.
 */
import { bindScheduledQuestion, ScheduledQuestionInvalid } from '../../commands/schedule-args';
import type { Command } from '../../commands/types';
import type { TrailConfig } from '../config';
import type { QueryRunner, QuerySubmission } from '../core/runner';
import type { Watch, WatchRunSpec, WithWatch } from '../core/watch';
import type { TimeWindow } from '../core/window';
import { checkAccess } from './policy';
import type { ScheduledOutcome } from './scheduled';

/** One claimed run of a watch, as the clock asks for it. */
export interface WatchRun {
  watch: Pick<Watch, 'id' | 'command' | 'commandText' | 'createdBy' | 'channelId' | 'onlyFlagged' | 'routes'>;
  window: TimeWindow;
  /** The runner's idempotency key of this run's execution for one channel. */
  requestKeyFor(channelId: string): string;
}

/** What became of the run in each channel it posts to; `notes` are for the creator (a route that was dropped). */
export interface WatchOutcome {
  channels: { channelId: string; outcome: ScheduledOutcome }[];
  notes: string[];
}

/** The front door as the clock sees it for watches (TrailDispatcher implements it). */
export interface WatchRuns {
  runWatch(run: WatchRun): Promise<WatchOutcome>;
}

interface Target {
  channelId: string;
  text: string;
  accounts?: WatchRunSpec['accounts'];
}

export async function runWatch(
  o: { config: TrailConfig; runner: Pick<QueryRunner, 'submit'>; now: Date; catalog: readonly Command[] },
  { watch, window, requestKeyFor }: WatchRun,
): Promise<WatchOutcome> {
  const notes: string[] = [];
  const may = (channelId: string) =>
    checkAccess(o.config.policy, { command: watch.command, userId: watch.createdBy, channelId });
  const byChannel = new Map<string, string[]>();
  // The watch's own routes win over TRAIL_WATCH_ROUTES for their accounts.
  const routes = { ...o.config.watchRoutes, ...watch.routes };
  for (const [account, channelId] of Object.entries(routes)) {
    if (channelId === watch.channelId) continue;
    const access = may(channelId);
    if (!access.allowed) {
      // A route the creator typed is theirs to fix; one from the configuration is the operator's (it stays quiet
      // here rather than telling the creator every few minutes), and its rows stay in the watch's channel either way.
      if (watch.routes?.[account] !== undefined) {
        notes.push(`rows of account ${account} stay in this channel: ${access.reason}`);
      }
      continue;
    }
    byChannel.set(channelId, [...(byChannel.get(channelId) ?? []), account]);
  }
  const routed = [...byChannel.values()].flat();
  const targets: Target[] = [
    {
      channelId: watch.channelId,
      text: watch.commandText,
      ...(routed.length ? { accounts: { exclude: routed } } : {}),
    },
    ...[...byChannel].map(([channelId, accounts]) => ({
      channelId,
      text: [watch.commandText, ...accounts.map((a) => `account:${a}`)].join(' '),
      accounts: { only: accounts },
    })),
  ];
  const channels: WatchOutcome['channels'] = [];
  const home = may(watch.channelId);
  if (!home.allowed) {
    const reason = `The access policy no longer allows this watch: ${home.reason}`;
    return { channels: targets.map((t) => ({ channelId: t.channelId, outcome: { kind: 'skipped', reason } })), notes };
  }
  for (const target of targets) {
    let bound: ReturnType<typeof bindScheduledQuestion>;
    try {
      bound = bindScheduledQuestion(target.text, window, { config: o.config, now: o.now, catalog: o.catalog });
    } catch (err) {
      if (!(err instanceof ScheduledQuestionInvalid)) throw err;
      const reason = `The watched question is no longer valid: ${err.userMessage}`;
      channels.push({ channelId: target.channelId, outcome: { kind: 'skipped', reason } });
      continue;
    }
    const submission: QuerySubmission & WithWatch = {
      command: bound.command.name,
      commandText: watch.commandText,
      normalized: bound.normalized,
      query: bound.query,
      userId: watch.createdBy,
      channelId: target.channelId,
      surface: 'schedule',
      requestKey: requestKeyFor(target.channelId),
      watch: {
        watchId: watch.id,
        onlyFlagged: watch.onlyFlagged,
        ...(target.accounts ? { accounts: target.accounts } : {}),
      },
    };
    channels.push({ channelId: target.channelId, outcome: await o.runner.submit(submission) });
  }
  return { channels, notes };
}
