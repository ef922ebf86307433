import { findCommand, parseRequest, renderHelp, type TrailRequest } from '../../commands';
import type { TrailConfig } from '../config';
import { UsageError, userMessageOf } from '../core/errors';
import type { ExecutionRecord, ExecutionStore } from '../core/execution';
import type { ActionInput, CommandInput, Dispatcher, Prepared } from '../core/input';
import type { Publisher, Recipient } from '../core/publisher';
import { formatUsd } from '../cost';
import { type Logger, silentLogger } from '../logger';
import { fencedQueryText } from '../query/show';
import type { Annotator } from '../runner/collect';
import { type QuerySubmission, type Runner, requestKeyOf } from '../runner/runner';
import { formatBytes, formatDuration, formatInstant } from '../time/format';
import { codeSpan, echoCommand, escapeEntities } from '../util/echo';
import { type AccessDecision, checkAccess, checkOwnership } from './policy';

export interface DispatcherOptions {
  config: TrailConfig;
  runner: Runner;
  store: ExecutionStore;
  publisher: Publisher;
  now?: () => Date;
  logger?: Logger;
  /** Control commands added by later parts (schedule, schedules, unschedule), by name. */
  controls?: Record<string, (args: Record<string, unknown>, input: CommandInput) => Promise<string>>;
}

/** The risk annotator of a query command, bound to the current configuration. */
export function annotatorsFrom(config: TrailConfig, now: () => Date = () => new Date()) {
  return (name: string): Annotator | undefined => {
    const command = findCommand(name);
    if (!command || command.kind !== 'query' || (!command.annotate && !command.rowCap)) return undefined;
    const annotate = command.annotate?.bind(command);
    const cap = command.rowCap;
    // One annotator per collection: it counts rows so the answer that reaches the template's LIMIT says so.
    let rows = 0;
    return (row) => {
      const flags = annotate ? annotate(row, { config, now: now() }) : [];
      rows += 1;
      if (cap && rows === cap.rows) {
        flags.push({
          code: 'row-cap',
          message: `${command.name} stops at ${cap.rows.toLocaleString('en-US')} rows and this answer reached that: there may be more. Narrow it with ${cap.narrow}.`,
        });
      }
      return flags;
    };
  };
}

/** One line of `history`. */
export function historyLine(e: ExecutionRecord, timeZone: string): string {
  const rows = e.stats?.rows !== undefined ? `${e.stats.rows} rows` : '';
  const bytes = e.stats?.bytesScanned !== undefined ? formatBytes(e.stats.bytesScanned) : '';
  const when = formatInstant(new Date(e.createdAt), timeZone);
  // The command is someone's typing, shown to everyone in the channel: data only (issue 13 item 4).
  return [`\`${e.id}\``, when, `<@${e.userId}>`, echoCommand(e.commandText), e.state, rows, bytes]
    .filter((p) => p !== '')
    .join(' · ');
}

/** `status <id>` text. */
export function statusText(e: ExecutionRecord, timeZone: string): string {
  const lines = [historyLine(e, timeZone)];
  if (e.stats?.elapsedMs !== undefined) lines.push(`ran ${formatDuration(e.stats.elapsedMs)}`);
  if (e.stats?.costUsd !== undefined && e.engine === 'athena') lines.push(`cost ${formatUsd(e.stats.costUsd)}`);
  // An engine's reason can quote what was queried; a cancellation's is trailbot's own and said on the next line.
  if (e.error && !e.cancelledBy) lines.push(codeSpan(e.error.length > 1000 ? `${e.error.slice(0, 999)}…` : e.error));
  if (e.cancelledBy) lines.push(`cancelled by <@${e.cancelledBy}>`);
  // Finished but not posted yet: say why, so "where is my answer?" has one (the runner keeps trying, then gives up).
  if (e.state !== 'PUBLISHED' && e.lastPublishError)
    lines.push(`not posted yet after ${e.publishAttempts ?? 0} attempts: ${codeSpan(e.lastPublishError)}`);
  return lines.join('\n');
}

/**
 * Turns what a surface received into an immediate answer (`prepare`, no I/O, so Slack can be acknowledged in
 * milliseconds) plus the slow part to run after the acknowledgement. Nothing thrown here reaches a channel: usage
 * errors become their message, anything else a generic line while the details go to the log.
 */
export class TrailDispatcher implements Dispatcher {
  private readonly now: () => Date;
  private readonly log: Logger;

  constructor(private readonly o: DispatcherOptions) {
    this.now = o.now ?? (() => new Date());
    this.log = o.logger ?? silentLogger;
  }

  prepare(input: CommandInput): Prepared {
    return this.prepareWith(input);
  }

  /** `prepare`, with an optional dedupe key for the submission (Re-run must not be deduplicated to its original). */
  private prepareWith(input: CommandInput, requestKey?: string): Prepared {
    let request: TrailRequest;
    const ctx = { config: this.o.config, now: this.now() };
    try {
      request = parseRequest(input.text, ctx);
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
      return {
        kind: 'run',
        ackText: access.reason,
        run: () =>
          this.safely(input, () =>
            this.o.store.audit({
              at: this.now().toISOString(),
              userId: input.userId,
              channelId: input.channelId,
              action: 'denied',
              command: request.command.name,
              detail: input.text.slice(0, 500),
            }),
          ),
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
      ...(requestKey ? { requestKey } : {}),
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
    const e = await this.o.store.get(input.executionId);
    if (!e) return `There is no execution \`${input.executionId}\`.`;
    if (e.channelId !== input.channelId) return 'That execution belongs to another channel.';
    switch (input.action) {
      case 'cancel':
        return (await this.refuse(input, 'cancel', `button cancel ${e.id}`)) ?? this.cancelAs(e, input);
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
      },
      requestKeyOf(e.channelId, `rerun ${e.id} ${minute}`),
    );
    // A reply (the command no longer parses) or a denial (it carries its own text) is passed on as it is.
    if (prepared.kind === 'reply' || prepared.ackText) return prepared;
    return { ...prepared, ackText: `Re-running ${echoCommand(e.commandText)}…` };
  }

  private control(
    request: Extract<TrailRequest, { kind: 'control' }>,
    input: CommandInput,
    ctx: { config: TrailConfig; now: Date },
  ): Prepared {
    const { name } = request.command;
    const args = request.args;
    const recipient = this.recipient(input);
    const later = (work: () => Promise<string>): Prepared => ({
      kind: 'run',
      run: () => this.safely(input, async () => this.o.publisher.notify(recipient, await work())),
    });
    switch (name) {
      case 'help':
        try {
          return { kind: 'reply', text: renderHelp(args.topic as string | undefined, ctx) };
        } catch (err) {
          return { kind: 'reply', text: err instanceof UsageError ? usageReply(err) : userMessageOf(err) };
        }
      case 'status':
        return later(async () => {
          const e = await this.o.store.get(String(args.id));
          if (!e || e.channelId !== input.channelId)
            return `There is no execution \`${String(args.id)}\` in this channel.`;
          return statusText(e, this.o.config.timeZone);
        });
      case 'cancel':
        return later(async () => {
          const e = await this.o.store.get(String(args.id));
          if (!e || e.channelId !== input.channelId)
            return `There is no execution \`${String(args.id)}\` in this channel.`;
          return this.cancelAs(e, input);
        });
      case 'confirm':
        return later(async () => (await this.o.runner.confirm(String(args.token), input)) ?? '');
      case 'history':
        return later(async () => {
          const list = await this.o.store.listByChannel(input.channelId, Number(args.limit));
          if (list.length === 0) return 'No questions have been asked in this channel yet.';
          return [
            `Last ${list.length} questions in this channel:`,
            ...list.map((e) => historyLine(e, this.o.config.timeZone)),
          ].join('\n');
        });
      default: {
        const handler = this.o.controls?.[name];
        if (!handler) return { kind: 'reply', text: `\`${name}\` is not available in this setup.` };
        return later(() => handler(args, input));
      }
    }
  }

  /** Cancels a question for `input.userId` if they asked it or are an admin; otherwise says who may, and audits. */
  private async cancelAs(e: ExecutionRecord, input: CommandInput | ActionInput): Promise<string> {
    const owner = checkOwnership(this.o.config.policy, {
      command: 'cancel',
      userId: input.userId,
      ownerId: e.userId,
      what: 'question',
    });
    if (!owner.allowed) {
      await this.auditDenied(input, 'cancel', `cancel ${e.id} asked by ${e.userId}`);
      return owner.reason;
    }
    return this.o.runner.cancel(e.id, input.userId);
  }

  /** The policy's denial text for `command` (after auditing it), or undefined when the person may run it. */
  private async refuse(input: ActionInput, command: string, detail: string): Promise<string | undefined> {
    const access: AccessDecision = checkAccess(this.o.config.policy, {
      command,
      userId: input.userId,
      channelId: input.channelId,
    });
    if (access.allowed) return undefined;
    await this.auditDenied(input, command, detail);
    return access.reason;
  }

  private auditDenied(input: CommandInput | ActionInput, command: string, detail: string): Promise<void> {
    return this.o.store.audit({
      at: this.now().toISOString(),
      userId: input.userId,
      channelId: input.channelId,
      action: 'denied',
      command,
      detail: detail.slice(0, 500),
    });
  }

  private recipient(input: CommandInput | ActionInput): Recipient {
    return { channelId: input.channelId, userId: input.userId, responseUrl: input.responseUrl };
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
