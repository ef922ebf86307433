/**
 * The Slack app: Bolt v5 in Socket Mode (when an app-level token is set) or behind its HTTP receiver. Transport only
 * (STYLE.md): the `/trail` listener hands the text to the Dispatcher and `ack()`s with what `prepare()` returned
 * within milliseconds; the slow part (`run()`) starts after the ack and is never awaited by the listener, because
 * Slack shows an error unless it gets HTTP 200 "within 3000 milliseconds" (Slack docs,
 * "Implementing slash commands").
 */
import type { Server } from 'node:http';
import {
  App,
  type BlockAction,
  type ButtonAction,
  HTTPModuleFunctions,
  HTTPReceiver,
  type OverflowAction,
  type RespondFn,
} from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { userMessageOf } from '../../core/errors';
import type { ActionName, Dispatcher, Prepared } from '../../core/input';
import { type SlackClientOptions, webClientOptions } from './client';
import { truncate } from './escape';
import { FollowUps } from './follow-ups';
import { ACTION_IDS } from './kit';
import { type TrailLogger, toSlackLogger } from './logger';
import { answerMention, type MentionEvent } from './mention';
import { PIVOT_ACTION, pivotClick } from './pivots';
import { toPublishError } from './publish-errors';
import { isReplayedRequest, ReplayedRequestError, ReplayGuard } from './replay-guard';

export { createWebClient } from './client';

import { slashCommandText } from './command-text';

export { slashCommandText };

export interface SlackAppConfig {
  botToken: string;
  /** Verifies HTTP requests; unused in Socket Mode. */
  signingSecret: string;
  /** `xapp-…` app-level token: set → Socket Mode (no public URL needed); unset → HTTP receiver. */
  appToken?: string;
  /** HTTP receiver port (0 = any free port; see `port()` after start). */
  port: number;
  /** HTTP receiver bind address; default all interfaces (tests use 127.0.0.1). */
  host?: string;
}

export interface CreateSlackAppOptions {
  config: SlackAppConfig;
  dispatcher: Dispatcher;
  /** Web API base URL and retry policy (tests point slackApiUrl at a local fake). */
  clientOptions?: Pick<SlackClientOptions, 'slackApiUrl' | 'retryConfig' | 'timeout'>;
  logger?: TrailLogger;
  /** Slash command name, default `/trail` (a staging app may register `/trail-dev`). */
  command?: string;
  /** HTTP mode: remembers verified signatures to refuse replays (tests pass one with their own clock). */
  replayGuard?: ReplayGuard;
  /** When a command's slow part starts (src/surfaces/slack/follow-ups.ts); tests pass one to watch it. */
  followUps?: FollowUps;
}

export interface SlackAppHandle {
  app: App;
  /** The app's bot-token WebClient (trailbot's retry policy); give it to SlackPublisher so both share one client. */
  client: WebClient;
  /** When follow-up work may take the event loop; give `pace: () => followUps.quiet()` to the runner (RunnerOptions). */
  followUps: FollowUps;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** HTTP mode: the port the receiver listens on once started; undefined in Socket Mode or before start. */
  port(): number | undefined;
}

/** Context key set by the HTTP receiver when a request's signature was already used (src/surfaces/slack/replay-guard.ts). */
const REPLAYED = 'trailReplayed';

/** HTTP path Slack posts slash commands and interactions to (the Request URLs in manifest.yml). */
export const SLACK_EVENTS_PATH = '/slack/events';

const ACTION_NAMES: Record<string, ActionName> = {
  [ACTION_IDS.cancel]: 'cancel',
  [ACTION_IDS.rerun]: 'rerun',
  [ACTION_IDS.showSql]: 'show_sql',
  [ACTION_IDS.confirm]: 'confirm',
  [ACTION_IDS.page]: 'page',
};

/** Ephemeral reply text: Slack recommends ≤ 4,000 characters for `text`. */
function replyText(text: string): string {
  return truncate(text, 3000);
}

export function createSlackApp(options: CreateSlackAppOptions): SlackAppHandle {
  const { config, dispatcher } = options;
  const log: TrailLogger = options.logger ?? console;
  const slackLogger = toSlackLogger(log);
  const clientOptions = webClientOptions({ ...options.clientOptions, logger: log });
  const commandName = options.command ?? '/trail';
  const followUps = options.followUps ?? new FollowUps();

  let receiver: HTTPReceiver | undefined;
  let app: App;
  if (config.appToken !== undefined && config.appToken !== '') {
    app = new App({
      token: config.botToken,
      appToken: config.appToken,
      socketMode: true,
      logger: slackLogger,
      clientOptions,
      deferInitialization: true,
    });
  } else {
    const replays = options.replayGuard ?? new ReplayGuard();
    receiver = new HTTPReceiver({
      signingSecret: config.signingSecret,
      endpoints: SLACK_EVENTS_PATH,
      // Respond as soon as ack() is called; the listener's remaining work happens after the HTTP response.
      processBeforeResponse: false,
      signatureVerification: true,
      logger: slackLogger,
      // Called only once the signature and timestamp verified (HTTPReceiver.handleIncomingEvent), so only genuine
      // requests are remembered; the global middleware below refuses the ones seen before.
      customPropertiesExtractor: (req) => ({
        [REPLAYED]: !replays.firstSight(
          String(req.headers['x-slack-signature']),
          Number(req.headers['x-slack-request-timestamp']),
        ),
      }),
      processEventErrorHandler: async (args) => {
        if (!isReplayedRequest(args.error)) return HTTPModuleFunctions.defaultProcessEventErrorHandler(args);
        if (args.response.headersSent) return false;
        args.response.writeHead(401);
        args.response.end();
        return true;
      },
    });
    app = new App({ token: config.botToken, receiver, logger: slackLogger, clientOptions, deferInitialization: true });
    app.use(async ({ context, next }) => {
      if (context[REPLAYED] === true) throw new ReplayedRequestError();
      await next();
    });
  }

  app.command(commandName, async ({ command, ack }) => {
    let prepared: Prepared;
    try {
      prepared = dispatcher.prepare({
        text: slashCommandText(command.text ?? ''),
        userId: command.user_id,
        channelId: command.channel_id,
        surface: 'slack',
        responseUrl: command.response_url,
      });
    } catch (err) {
      // prepare() should not throw; if it does, the user still gets a sentence, the log gets the details.
      log.error(`${commandName} ${command.text}: prepare failed`, err);
      await ack({ response_type: 'ephemeral', text: replyText(userMessageOf(err)) });
      return;
    }
    if (prepared.kind === 'reply') {
      await ack({ response_type: 'ephemeral', text: replyText(prepared.text) });
      return;
    }
    await ack(
      prepared.ackText !== undefined ? { response_type: 'ephemeral', text: replyText(prepared.ackText) } : undefined,
    );
    // Not awaited: the query runs after the ack, detached from this request, once no other request is waiting for
    // its own ack (follow-ups.ts). run() reports its own failures.
    followUps.later(() => {
      void prepared.run().catch((err: unknown) => log.error(`${commandName} ${command.text}: run failed`, err));
    });
  });

  app.action<BlockAction<ButtonAction>>(
    /^trail_(cancel|rerun|show_sql|confirm|page)$/,
    async ({ ack, body, action, respond }) => {
      await ack();
      const name = ACTION_NAMES[action.action_id];
      const channelId = body.channel?.id ?? (body.container as { channel_id?: string } | undefined)?.channel_id;
      if (name === undefined || !action.value || channelId === undefined) {
        log.warn(`ignored ${action.action_id} without an execution id or channel`);
        return;
      }
      // A re-run, a confirmed question or a page of a table is work like a command's follow-up: it waits while other
      // requests are owed their acks. A cancel does not wait.
      if (name !== 'cancel') await followUps.quiet();
      let text: string | undefined;
      try {
        text = await dispatcher.action({
          action: name,
          executionId: action.value,
          userId: body.user.id,
          channelId,
          responseUrl: body.response_url,
        });
      } catch (err) {
        log.error(`${action.action_id} ${action.value} failed`, err);
        text = userMessageOf(err);
      }
      if (text !== undefined && text !== '') await respondEphemeral(respond, text, log);
    },
  );

  // `@trailbot …` in a thread or a channel (issue 17 item 1): Bolt acknowledges the event before this listener runs.
  app.event('app_mention', async ({ event, context, client }) => {
    await answerMention(event as MentionEvent, context.botUserId, { dispatcher, client, log, followUps });
  });

  // A pivot button or a row's overflow option (issue 17 item 2): the question it stands for, asked in its thread.
  app.action<BlockAction<ButtonAction | OverflowAction>>(PIVOT_ACTION, async ({ ack, body, action, respond }) => {
    await ack();
    const value = action.type === 'overflow' ? action.selected_option?.value : action.value;
    const click = pivotClick(action.block_id, action.action_id, value);
    const channelId = body.channel?.id ?? (body.container as { channel_id?: string } | undefined)?.channel_id;
    if (click === undefined || channelId === undefined || dispatcher.pivot === undefined) {
      log.warn(`ignored ${action.action_id}: not a pivot trailbot built`);
      return;
    }
    await followUps.quiet();
    let text: string | undefined;
    try {
      text = await dispatcher.pivot({ ...click, userId: body.user.id, channelId, responseUrl: body.response_url });
    } catch (err) {
      log.error(`pivot ${click.kind} from ${click.executionId} failed`, err);
      text = userMessageOf(err);
    }
    if (text !== undefined && text !== '') await respondEphemeral(respond, text, log);
  });

  // Never posts anything: a stack trace belongs in the log, not in a channel.
  app.error(async (error) => {
    if (isReplayedRequest(error)) {
      log.warn(error.message);
      throw error; // on to the receiver's processEventErrorHandler, which answers 401
    }
    log.error(`Slack listener error (${error.code ?? 'unknown'}): ${error.message}`, error);
  });

  let server: Server | undefined;
  return {
    app,
    client: app.client,
    followUps,
    async start() {
      // Deferred initialisation: without it Bolt calls auth.test from the constructor and nobody awaits the promise,
      // so an unreachable Slack or a bad token becomes an unhandled rejection instead of a failed start.
      try {
        await app.init();
      } catch (err) {
        throw toPublishError('verify the bot token (auth.test)', err);
      }
      if (receiver !== undefined) {
        server = await receiver.start(
          config.host !== undefined ? { port: config.port, host: config.host } : config.port,
        );
        // Every request counts from its headers to the end of its response (the 'close' of the response, which also
        // comes when the client goes away), so follow-ups wait while any ack is owed.
        server.on('request', (_req, res) => {
          const answered = followUps.requestBegan();
          res.once('close', answered);
        });
      } else {
        await app.start();
      }
    },
    async stop() {
      await app.stop();
      server = undefined;
      // Acknowledged commands still queued start now: the runner records them and, on shutdown, hands them over.
      followUps.flush();
    },
    port() {
      const address = server?.address();
      return typeof address === 'object' && address !== null ? address.port : undefined;
    },
  };
}

async function respondEphemeral(respond: RespondFn, text: string, log: TrailLogger): Promise<void> {
  try {
    await respond({ response_type: 'ephemeral', replace_original: false, text: replyText(text) });
  } catch (err) {
    // respond() throws on a non-2xx (Bolt v5 RespondError), e.g. a response_url used more than 5 times.
    log.warn('could not answer a button click through its response_url', err);
  }
}
