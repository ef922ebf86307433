import { COMMANDS, parseRequest, type TrailRequest } from '../../commands';
import { cancelAs } from '../../commands/cancel';
import { MAX_SCHEDULES_PER_CHANNEL } from '../../commands/schedule';
import type { Command, ControlContext, ControlPort } from '../../commands/types';
import type { TrailConfig } from '../config';
import { UsageError, userMessageOf } from '../core/errors';
import type { ExecutionRecord, ExecutionStore } from '../core/execution';
import type { ActionInput, CommandInput, Dispatcher, PivotInput, Prepared } from '../core/input';
import type { Publisher, Recipient } from '../core/publisher';
import { type QueryRunner, type QuerySubmission, requestKeyOf } from '../core/runner';
import { DEFAULT_DELIVERY_DELAY_MS, type ScheduleStore } from '../core/schedule';
import { MAX_WATCHES_PER_CHANNEL, type WatchStore } from '../core/watch';
import { type Logger, silentLogger } from '../logger';
import { fencedQueryText } from '../query/show';
import { echoCommand, escapeEntities } from '../util/echo';
import { type AliasBook, mayChangeAliases } from './aliases';
import { showNextRows } from './page';
import { PIVOT_COMMAND, PIVOT_MEANING } from './pivots';
import { type AccessDecision, checkAccess, checkOwnership } from './policy';
import { runScheduled, type ScheduledOutcome, type ScheduledRun, type ScheduledRuns } from './scheduled';
import { runWatch, type WatchOutcome, type WatchRun, type WatchRuns } from './watch-runs';

export interface DispatcherOptions {
  config: TrailConfig;
  runner: QueryRunner;
  store: ExecutionStore;
  publisher: Publisher;
  now?: () => Date;
  logger?: Logger;
  /** Standing questions; without them `schedule`, `schedules` and `unschedule` are not available. */
  schedules?: {
    store: ScheduleStore;
    /** Default 20 (commands/schedule.ts). */
    maxPerChannel?: number;
    /** The scheduler's delivery delay, so `schedule` says when results arrive. Default 15 min. */
    deliveryDelayMs?: number;
  };
  /** Watches (issue 19); without them `watch`, `watches` and `unwatch` are not available. */
  watches?: { store: WatchStore; maxPerChannel?: number };
  /** The engine's columnar cache, for `cache status`; without it `cache` is not available. */
  cache?: ControlContext['cache'];
  /** Saved questions (issue 17 item 6); without them `alias`, `aliases` and `unalias` are not available. */
  aliases?: AliasBook;
  /** The commands it answers. Default: the whole catalog (commands/index.ts). */
  catalog?: readonly Command[];
}

/**
 * Turns what a surface received into an immediate answer (`prepare`, no I/O, so Slack can be acknowledged in
 * milliseconds) plus the slow part to run after the acknowledgement. Nothing thrown here reaches a channel: usage
 * errors become their message, anything else a generic line while the details go to the log.
 */
export class TrailDispatcher implements Dispatcher, ScheduledRuns, WatchRuns {
  private readonly now: () => Date;
  private readonly log: Logger;
  private readonly catalog: readonly Command[];

  constructor(private readonly o: DispatcherOptions) {
    this.now = o.now ?? (() => new Date());
    this.log = o.logger ?? silentLogger;
    this.catalog = o.catalog ?? COMMANDS;
  }

  prepare(input: CommandInput): Prepared {
    return this.prepareWith(input);
  }

  /** `prepare`, with an optional dedupe key for the submission (Re-run must not be deduplicated to its original). */
  private prepareWith(typed: CommandInput, requestKey?: string): Prepared {
    // An alias is its question from here on (src/dispatch/aliases.ts): parsed, policy-checked (by the question's own
    // command), deduplicated, recorded and re-run as the expanded text.
    const expanded = this.o.aliases?.expand(typed.text, this.catalog);
    const input = expanded ? { ...typed, text: expanded.text } : typed;
    let request: TrailRequest;
    const ctx = { config: this.o.config, now: this.now() };
    try {
      request = parseRequest(input.text, ctx, { catalog: this.catalog });
    } catch (err) {
      // A usage message quotes what was typed (and a Re-run shows someone's typing to the person who clicked): in chat,
      // `<…>` in it must not become a link or a mention (issue 13 item 4). The terminal shows it as typed.
      if (err instanceof UsageError)
        return {
          kind: 'reply',
          text: input.surface === 'terminal' ? usageReply(err) : escapeEntities(usageReply(err)),
        };
      this.log.error('parse failed', { error: String(err), stack: (err as Error).stack });
      return { kind: 'reply', text: userMessageOf(err) };
    }
    const access = checkAccess(this.o.config.policy, {
      command: request.command.name,
      userId: input.userId,
      channelId: input.channelId,
    });
    if (!access.allowed) {
      const detail = input.origin
        ? `pivot from ${input.origin.executionId} row ${input.origin.row + 1}: ${input.text}`
        : expanded
          ? `${input.text} (alias ${expanded.alias.name})`
          : input.text;
      return {
        kind: 'run',
        ackText: access.reason,
        run: () => this.safely(input, () => this.auditAs(input, 'denied', request.command.name, detail)),
      };
    }
    if (request.kind === 'control') return this.control(request, input, ctx);
    if (request.showSql) return { kind: 'reply', text: fencedQueryText(request.query, input.surface) };
    const submission: QuerySubmission = {
      command: request.command.name,
      commandText: input.text.trim().replace(/^\/trail\s+/i, ''),
      normalized: request.normalized,
      query: request.query,
      userId: input.userId,
      channelId: input.channelId,
      surface: input.surface,
      responseUrl: input.responseUrl,
      ...(input.threadTs ? { threadTs: input.threadTs } : {}),
      ...(input.origin ? { origin: input.origin } : {}),
      // In a thread, dedupe is per thread: the same question in two threads is two questions (issue 17 item 1).
      ...(requestKey
        ? { requestKey }
        : input.threadTs
          ? { requestKey: requestKeyOf(input.channelId, `thread ${input.threadTs}\n${request.normalized}`) }
          : {}),
    };
    return { kind: 'run', run: () => this.safely(input, () => this.o.runner.submit(submission)) };
  }

  /**
   * A button is the command it stands for, under the same policy (src/dispatch/policy.ts): a click may do no more than typing
   * would. Cancel is `cancel`, Confirm is `confirm`, Show SQL is the question's own command (as `--sql` is), and
   * Re-run goes through `prepare` like the typed command.
   */
  async action(input: ActionInput): Promise<string | undefined> {
    // Confirm carries a pending question's token, not an execution id.
    if (input.action === 'confirm') {
      const denied = await this.refuse(input, 'confirm', `button confirm ${input.executionId}`);
      return denied ?? this.o.runner.confirm(input.executionId, input);
    }
    // "Show next 20 rows" carries `<execution id>@<row>`, read and policy-checked in src/dispatch/page.ts.
    if (input.action === 'page') {
      const { store, runner, publisher } = this.o;
      return showNextRows(input, { store, runner, publisher, refuse: (c, detail) => this.refuse(input, c, detail) });
    }
    const e = await this.o.store.get(input.executionId);
    if (!e) return `There is no execution \`${input.executionId}\`.`;
    if (e.channelId !== input.channelId) return 'That execution belongs to another channel.';
    switch (input.action) {
      case 'cancel': {
        // The Cancel button is the `cancel` command (commands/cancel.ts) for an execution it has already looked up.
        const { userId, channelId, responseUrl } = input;
        const asker: CommandInput = { text: `cancel ${e.id}`, userId, channelId, surface: 'slack', responseUrl };
        return (await this.refuse(input, 'cancel', `button cancel ${e.id}`)) ?? cancelAs(e, this.controlContext(asker));
      }
      case 'show_sql':
        return (await this.refuse(input, e.command, `button show_sql ${e.id}`)) ?? fencedQueryText(e.query, 'slack');
      case 'rerun': {
        const prepared = this.prepareRerun(e, input);
        if (prepared.kind === 'reply') return prepared.text;
        void prepared.run();
        return prepared.ackText;
      }
    }
  }

  /**
   * A pivot (issue 17 item 2) is the question it stands for, asked by the person who clicked, in the thread of the
   * answer it came from: parsed, policy-checked, deduplicated (per thread) and audited like typed text. Its parent names
   * the row and the question it came from.
   */
  async pivot(input: PivotInput): Promise<string | undefined> {
    const e = await this.o.store.get(input.executionId);
    if (!e) return `There is no execution \`${input.executionId}\`.`;
    if (e.channelId !== input.channelId) return 'That execution belongs to another channel.';
    // A pivot asks its own command and nothing else; its parent will say so ("what else this principal did").
    if (input.question.split(' ')[0] !== PIVOT_COMMAND[input.kind]) return 'That is not a pivot trailbot offered.';
    const thread = e.threadTs ?? e.parentRef;
    const prepared = this.prepareWith({
      text: input.question,
      userId: input.userId,
      channelId: e.channelId,
      surface: 'slack',
      responseUrl: input.responseUrl,
      ...(thread ? { threadTs: thread } : {}),
      origin: { executionId: e.id, row: input.row, kind: input.kind, commandText: e.commandText },
    });
    if (prepared.kind === 'reply') return prepared.text;
    if (prepared.ackText !== undefined) {
      await prepared.run(); // a denial: audited before the clicker is told
      return prepared.ackText;
    }
    void prepared.run();
    return `Asking ${echoCommand(input.question)} in the thread: ${PIVOT_MEANING[input.kind]}.`;
  }

  /**
   * Re-run: the same text through `prepare` again now (relative windows move, today's access policy applies), never
   * deduplicated against the original; a double click within the same minute is still one re-run.
   */
  private prepareRerun(e: ExecutionRecord, input: ActionInput): Prepared {
    const minute = Math.floor(this.now().getTime() / 60_000);
    const prepared = this.prepareWith(
      {
        text: e.commandText,
        userId: input.userId,
        channelId: e.channelId,
        surface: 'slack',
        responseUrl: input.responseUrl,
        // A question asked in a thread is re-run in that thread.
        ...(e.threadTs ? { threadTs: e.threadTs } : {}),
      },
      requestKeyOf(e.channelId, `rerun ${e.id} ${minute}`),
    );
    // A reply (the command no longer parses) or a denial (it carries its own text) is passed on as it is.
    if (prepared.kind === 'reply' || prepared.ackText) return prepared;
    return { ...prepared, ackText: `Re-running ${echoCommand(e.commandText)}…` };
  }

  /**
   * A control command answers with its own handler (commands/<name>.ts): at once when it needs no I/O (`help`),
   * otherwise after the acknowledgement, told to the asker alone.
   */
  private control(
    request: Extract<TrailRequest, { kind: 'control' }>,
    input: CommandInput,
    ctx: { config: TrailConfig; now: Date },
  ): Prepared {
    const { command, args } = request;
    if ('reply' in command) {
      try {
        return { kind: 'reply', text: command.reply(args, { ...ctx, catalog: this.catalog }) };
      } catch (err) {
        return { kind: 'reply', text: err instanceof UsageError ? usageReply(err) : userMessageOf(err) };
      }
    }
    const ports: Record<ControlPort, unknown> = {
      schedules: this.o.schedules,
      cache: this.o.cache,
      watches: this.o.watches,
      aliases: this.o.aliases,
    };
    if ((command.requires ?? []).some((port) => ports[port] === undefined))
      return { kind: 'reply', text: `\`${command.name}\` is not available in this setup.` };
    return {
      kind: 'run',
      run: () =>
        this.safely(input, async () =>
          this.o.publisher.notify(this.recipient(input), await command.handle(args, this.controlContext(input))),
        ),
    };
  }

  /** What a control handler may use: the ports, and the policy bound to this asker (commands/types.ts). */
  private controlContext(asker: CommandInput): ControlContext {
    const { config, schedules } = this.o;
    const { userId, channelId } = asker;
    return {
      config,
      now: this.now(),
      catalog: this.catalog,
      asker,
      executions: this.o.store,
      runner: this.o.runner,
      schedules: schedules && {
        store: schedules.store,
        maxPerChannel: schedules.maxPerChannel ?? MAX_SCHEDULES_PER_CHANNEL,
        deliveryDelayMs: schedules.deliveryDelayMs ?? DEFAULT_DELIVERY_DELAY_MS,
      },
      watches: this.o.watches && {
        store: this.o.watches.store,
        maxPerChannel: this.o.watches.maxPerChannel ?? MAX_WATCHES_PER_CHANNEL,
        mayRunIn: (command, elsewhere) => checkAccess(config.policy, { command, userId, channelId: elsewhere }),
      },
      cache: this.o.cache,
      aliases: this.o.aliases && {
        store: this.o.aliases.store,
        mayChange: () => mayChangeAliases(config.policy, userId, asker.surface),
        changed: () => this.o.aliases!.refresh(),
      },
      mayRun: (command) => checkAccess(config.policy, { command, userId, channelId }),
      mayStop: ({ command, ownerId, what }) => checkOwnership(config.policy, { command, userId, ownerId, what }),
      audit: ({ action, command, detail }) => this.auditAs(asker, action, command, detail ?? ''),
    };
  }

  /** A scheduled run, asked for by the clock (src/scheduler): parse, policy and runner, as for typed text. */
  runScheduled(run: ScheduledRun): Promise<ScheduledOutcome> {
    return runScheduled({ config: this.o.config, runner: this.o.runner, now: this.now(), catalog: this.catalog }, run);
  }

  /** A watch's run, asked for by the clock (src/scheduler/watcher.ts): policy, parse and runner per channel. */
  runWatch(run: WatchRun): Promise<WatchOutcome> {
    return runWatch({ config: this.o.config, runner: this.o.runner, now: this.now(), catalog: this.catalog }, run);
  }

  /** The policy's denial text for `command` (after auditing it), or undefined when the person may run it. */
  private async refuse(input: ActionInput, command: string, detail: string): Promise<string | undefined> {
    const access: AccessDecision = checkAccess(this.o.config.policy, {
      command,
      userId: input.userId,
      channelId: input.channelId,
    });
    if (access.allowed) return undefined;
    await this.auditAs(input, 'denied', command, detail);
    return access.reason;
  }

  private auditAs(input: CommandInput | ActionInput, action: string, command: string, detail: string): Promise<void> {
    return this.o.store.audit({
      at: this.now().toISOString(),
      userId: input.userId,
      channelId: input.channelId,
      action,
      command,
      detail: detail.slice(0, 500),
    });
  }

  private recipient(input: CommandInput | ActionInput): Recipient {
    const threadTs = 'threadTs' in input ? input.threadTs : undefined;
    return {
      channelId: input.channelId,
      userId: input.userId,
      responseUrl: input.responseUrl,
      ...(threadTs ? { threadTs } : {}),
    };
  }

  /** Runs the slow part; a failure is told to the asker in words and logged in full, never lost silently. */
  private async safely(input: CommandInput | ActionInput, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.log.error('command failed', { error: String(err), stack: (err as Error).stack });
      await this.o.publisher
        .notify(this.recipient(input), `Sorry, that did not work: ${userMessageOf(err)}`)
        .catch((e) => this.log.error('could not tell the user', { error: String(e) }));
    }
  }
}

function usageReply(err: UsageError): string {
  return err.usage
    ? `${err.userMessage}\nUsage: ${err.usage.includes('\n') ? `\n${err.usage}` : `/trail ${err.usage}`}`
    : err.userMessage;
}
