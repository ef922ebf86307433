import { UsageError } from '../src/core/errors';
import { type Watch, WatchLimitError, type WatchRequest } from '../src/core/watch';
import { echoCommand } from '../src/util/echo';
import { shown } from './args';
import type { ControlContext, DeferredControl, QueryCommand } from './types';
import { parseWatchArgs } from './watch-args';

/** What `watch` validated: one watch, or a starter pack of them. */
type Watching = { kind: 'one'; request: WatchRequest } | { kind: 'pack'; name: string; requests: WatchRequest[] };

/**
 * The starter packs: the watches a team would set up first (issue 19, item 4), typed as a person would type them so
 * they go through the same validation. Baseline: the attacker's first moves (logging turned off, resources made
 * public), sign-ins that should never happen quietly (root, console without MFA), and persistence through IAM.
 */
export const PACKS: Record<string, { text: string; why: string }[]> = {
  baseline: [
    { text: 'tamper every 15m', why: 'logging and defences turned off or narrowed' },
    { text: 'exposed every 15m', why: 'resources made public or shared with another account' },
    { text: 'logins root every 15m', why: 'root signed in to the console' },
    { text: 'logins nomfa every 15m', why: 'console sign-ins without MFA' },
    { text: 'iam every 1h', why: 'IAM persistence: users, keys, login profiles, roles, admin policies' },
  ],
};

/** `every 15m, only flagged rows, routed …`: a watch's options in words. */
export function describeWatch(w: Pick<Watch, 'everyMinutes' | 'onlyFlagged' | 'quietDaily' | 'routes'>): string {
  const every = w.everyMinutes % 60 === 0 ? `${w.everyMinutes / 60}h` : `${w.everyMinutes}m`;
  const parts = [`every ${every}`];
  if (w.onlyFlagged) parts.push('only rows with a risk flag');
  if (w.quietDaily) parts.push('a daily line when all is quiet');
  const routes = Object.entries(w.routes ?? {});
  if (routes.length) parts.push(`account ${routes.map(([a, c]) => `${a} → <#${c}>`).join(', ')}`);
  return parts.join(', ');
}

/**
 * `/trail watch tamper every 15m`: a standing question that speaks up only when something new happens. The front door
 * has checked the policy for `watch`; the watched question's policy is checked here with the asker, in this channel
 * and in every routed channel: watching `root` is allowed exactly where running `root` is.
 */
export const watchCommand = (questions: readonly QueryCommand[]): DeferredControl<Watching> => ({
  kind: 'control',
  name: 'watch',
  summary: 'post what is new in this channel every few minutes: only events no earlier run posted, nothing when quiet',
  usage: `watch <question> every <interval> [only-flagged] [quiet-daily] [route <account>:<channel>…] | watch pack baseline`,
  examples: [
    'watch tamper every 15m',
    'watch logins nomfa every 15m quiet-daily',
    'watch exposed every 30m only-flagged route 111122223333:C0PROD 444455556666:C0DEV',
    'watch pack baseline',
  ],
  flags: Object.fromEntries(
    questions.flatMap((q) =>
      Object.entries(q.flags ?? {}).map(([f, what]) => [f, `passed on to \`${q.name}\`: ${what}`]),
    ),
  ),
  requires: ['watches'],
  parse(args, ctx) {
    if (args.words[0]?.toLowerCase() === 'pack') {
      const name = args.words[1]?.toLowerCase();
      const packs = Object.keys(PACKS).join(', ');
      if (!name || !PACKS[name]) {
        throw new UsageError(
          `\`watch pack\`: ${name ? `there is no pack \`${shown(name)}\`` : 'which pack?'}. Accepted: ${packs}.`,
          this.usage,
        );
      }
      if (args.words.length > 2)
        throw new UsageError(`\`watch pack\`: unexpected \`${shown(args.words[2]!)}\`.`, this.usage);
      const requests = PACKS[name]!.map(({ text }) =>
        parseWatchArgs(this, { words: text.split(' '), flags: new Set() }, ctx),
      );
      return { kind: 'pack', name, requests };
    }
    return { kind: 'one', request: parseWatchArgs(this, args, ctx) };
  },
  async handle(watching, ctx) {
    if (!ctx.watches) throw new Error('watch: the watch store was not handed in');
    if (watching.kind === 'one') return watchOne(watching.request, ctx);
    return watchPack(watching.name, watching.requests, ctx);
  },
});

/** Why the asker may not watch this here (this channel, then each routed one), or undefined. */
function refusal(request: WatchRequest, ctx: ControlContext): string | undefined {
  const here = ctx.mayRun(request.command);
  if (!here.allowed) return here.reason;
  for (const channelId of new Set(Object.values(request.routes ?? {}))) {
    const there = ctx.watches!.mayRunIn(request.command, channelId);
    if (!there.allowed) return `findings cannot be routed to <#${channelId}>: ${there.reason}`;
  }
  return undefined;
}

async function create(request: WatchRequest, ctx: ControlContext, pack?: string) {
  const { store, maxPerChannel } = ctx.watches!;
  // The first slot after now: slots are multiples of the interval since the epoch (src/scheduler/watcher.ts).
  const every = request.everyMinutes * 60_000;
  const nextRunAt = new Date((Math.floor(ctx.now.getTime() / every) + 1) * every).toISOString();
  const { asker } = ctx;
  return store.create(
    { ...request, channelId: asker.channelId, createdBy: asker.userId, nextRunAt, ...(pack ? { pack } : {}) },
    { maxPerChannel },
  );
}

async function watchOne(request: WatchRequest, ctx: ControlContext): Promise<string> {
  const denied = refusal(request, ctx);
  if (denied) {
    await ctx.audit({ action: 'denied', command: request.command, detail: `watch ${request.commandText}` });
    return `You cannot watch that here: ${denied}`;
  }
  let made: Awaited<ReturnType<typeof create>>;
  try {
    made = await create(request, ctx);
  } catch (err) {
    if (!(err instanceof WatchLimitError)) throw err;
    return `This channel already has ${err.limit} watches, the most it may have. Stop one with \`/trail unwatch <id>\` (\`/trail watches\` lists them).`;
  }
  const { watch, created } = made;
  if (!created) {
    return `This channel already watches ${echoCommand(watch.commandText)} ${describeWatch(watch)} as \`${watch.id}\`. Stop it with \`/trail unwatch ${watch.id}\`.`;
  }
  await ctx.audit({
    action: 'watch',
    command: watch.command,
    detail: `${watch.id} ${watch.commandText} ${describeWatch(watch)}`,
  });
  const lag = ctx.config.window.deliveryLagMinutes;
  return [
    `Watching ${echoCommand(watch.commandText)} ${describeWatch(watch)} as \`${watch.id}\`.`,
    `Each run looks at the time since the previous one${lag > 0 ? ` plus ${lag} minutes for late CloudTrail deliveries` : ''} and posts ${
      // The terminal bot runs watches only while it runs (as schedules): say so.
      ctx.asker.surface === 'terminal' ? 'here, while trailbot runs in a terminal on this machine,' : 'a thread'
    } only for events no earlier run posted; when there is nothing new, it posts nothing.`,
    `Stop it with \`/trail unwatch ${watch.id}\`.`,
  ].join(' ');
}

async function watchPack(name: string, requests: WatchRequest[], ctx: ControlContext): Promise<string> {
  const lines: string[] = [];
  let added = 0;
  for (const [i, request] of requests.entries()) {
    const why = PACKS[name]![i]!.why;
    const denied = refusal(request, ctx);
    if (denied) {
      await ctx.audit({
        action: 'denied',
        command: request.command,
        detail: `watch pack ${name}: ${request.commandText}`,
      });
      lines.push(`• ${echoCommand(request.commandText)}: not added, ${denied}`);
      continue;
    }
    let made: Awaited<ReturnType<typeof create>>;
    try {
      made = await create(request, ctx, name);
    } catch (err) {
      if (!(err instanceof WatchLimitError)) throw err;
      lines.push(`• ${echoCommand(request.commandText)}: not added, this channel has ${err.limit} watches already`);
      continue;
    }
    const { watch, created } = made;
    if (created) {
      added++;
      await ctx.audit({
        action: 'watch',
        command: watch.command,
        detail: `${watch.id} ${watch.commandText} ${describeWatch(watch)} (pack ${name})`,
      });
    }
    lines.push(
      `• \`${watch.id}\` ${echoCommand(watch.commandText)} ${describeWatch(watch)}: ${why}${created ? '' : ' (already watched)'}`,
    );
  }
  const ids = lines.length ? 'each with `/trail unwatch <id>`' : '';
  return [
    `Starter pack \`${name}\`: ${added === 0 ? 'nothing new added' : `${added} watch${added === 1 ? '' : 'es'} added`} in this channel.`,
    ...lines,
    `Each posts only events not posted before, and nothing when all is quiet. Remove them ${ids} (\`/trail watches\` lists them).`,
  ].join('\n');
}
