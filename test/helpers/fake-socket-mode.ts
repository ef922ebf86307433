/**
 * A local Socket Mode server, so the REAL Bolt App in Socket Mode (its `@slack/socket-mode` client, undici's
 * WebSocket underneath) can be driven the way the signed-HTTP tests drive the HTTP receiver ("fake the wire, not the
 * SDK"). The fake Slack Web API's `apps.connections.open` hands out this server's URLs (FakeSlack.serveSocketMode).
 *
 * What it mirrors of Slack ("Using Socket Mode" and "Socket Mode implementation", api.slack.com/apis/socket-mode):
 * - every connection is opened with a fresh URL from apps.connections.open; here each URL carries a one-time ticket,
 *   and a reused or unknown ticket is refused, so a reconnect that skips apps.connections.open fails;
 * - on connect the server sends `hello`, then envelopes `{envelope_id, type, payload, accepts_response_payload}` with
 *   `type` one of `slash_commands`, `interactive`, `events_api`;
 * - the app acknowledges an envelope by sending back `{envelope_id, payload?}`; the server records each
 *   acknowledgement with the time it took;
 * - `{type: 'disconnect', reason: 'refresh_requested'}` asks the app to reconnect;
 * - an envelope left unacknowledged on a connection that goes away is delivered again on the next connection, with
 *   `retry_attempt` counting up and a `retry_reason` (Slack documents retries for Events API payloads; it does not say
 *   whether slash commands and interactions are redelivered, so this server redelivers every type: the harsher case).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { buildTrail, lateDispatcher, type TrailParts } from '../../src/app';
import type { TrailConfig } from '../../src/config';
import { silentLogger } from '../../src/logger';
import { generateSampleData, sampleAccountIds } from '../../src/sample/generate';
import { openMemoryStore } from '../../src/store/dynalite';
import { createSlackApp } from '../../src/surfaces/slack/app';
import { SlackPublisher } from '../../src/surfaces/slack/publisher';
import { testConfig } from './config';
import { type FakeFile, type FakeSlack, startFakeSlack } from './fake-slack';
import { blockActionPayload, slashCommandBody } from './slack-signing';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

export interface SocketEnvelope {
  envelope_id: string;
  type: EnvelopeType;
  payload: Record<string, unknown>;
  accepts_response_payload: boolean;
  /** Redeliveries only: 1 for the first redelivery, 2 for the next… */
  retry_attempt?: number;
  retry_reason?: string;
}

export interface SocketAck {
  envelopeId: string;
  /** The `payload` the app sent with its acknowledgement (`{}` when it had nothing to say). */
  payload?: Record<string, unknown>;
  /** Which connection it arrived on (1 = the first). */
  connection: number;
  /** Milliseconds from sending the envelope on that connection to receiving the acknowledgement. */
  ms: number;
}

export interface SocketDelivery {
  envelope: SocketEnvelope;
  connection: number;
  /** performance.now() when sent, for the acknowledgement's duration. */
  sentAt: number;
  /** Epoch ms when sent, to compare with the store's timestamps. */
  sentAtEpochMs: number;
  ack?: SocketAck;
}

/** What the server does right after sending an envelope (for the dropped-connection tests). */
export type AfterSend =
  | 'wait' // nothing: wait for the acknowledgement
  /** Cut the TCP connection at once (no close handshake): the app may or may not have read the envelope. */
  | 'cut'
  /**
   * Wait for the acknowledgement, throw it away as lost in transit, then ask the app to reconnect with
   * `disconnect: refresh_requested`: the app did act on the envelope, and Slack redelivers it anyway.
   */
  | 'lose-ack-then-refresh';

export interface FakeSocketMode {
  /** A fresh one-time URL, as apps.connections.open returns (give `nextUrl` to FakeSlack.serveSocketMode). */
  nextUrl(): string;
  /** Connections accepted so far, in order (1-based numbers in deliveries and acks). */
  readonly connections: number;
  /** Connection attempts refused (reused or unknown ticket). */
  readonly refused: number;
  /** Every envelope sent, redeliveries included, in order. */
  deliveries: SocketDelivery[];
  acks: SocketAck[];
  /** Resolves once `n` connections have been opened and greeted with `hello`. */
  connected(n?: number, ms?: number): Promise<void>;
  /** Resolves once no connection is open (the app closed it, or it was cut). */
  disconnected(ms?: number): Promise<void>;
  /** Sends an envelope on the open connection (or queues it for the next one); returns its envelope_id. */
  send(type: EnvelopeType, payload: Record<string, unknown>, o?: { afterSend?: AfterSend }): string;
  /** Resolves to the acknowledgement of `envelopeId` (on whichever connection it came), or fails after `ms`. */
  acked(envelopeId: string, ms?: number): Promise<SocketAck>;
  /** Deliveries of one envelope (first delivery and redeliveries). */
  deliveriesOf(envelopeId: string): SocketDelivery[];
  close(): Promise<void>;
}

/**
 * Starts the server on 127.0.0.1. `retryReason` is what redeliveries carry (Slack's Events API retries name e.g.
 * `http_timeout`; the value it uses on a Socket Mode redelivery is not documented).
 */
export async function startFakeSocketMode(o: { appId?: string; retryReason?: string } = {}): Promise<FakeSocketMode> {
  const appId = o.appId ?? 'A0TRAIL';
  const retryReason = o.retryReason ?? 'timeout';
  const tickets = new Set<string>();
  const deliveries: SocketDelivery[] = [];
  const acks: SocketAck[] = [];
  /** Envelopes waiting for a connection: never sent, or sent on one that went away unacknowledged. */
  const pending: SocketEnvelope[] = [];
  const lostAcks = new Set<string>();
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const w of [...waiters]) w();
  };
  let connections = 0;
  let refused = 0;
  let current: { socket: WebSocket; number: number } | undefined;
  let base = '';

  const deliver = (envelope: SocketEnvelope, afterSend: AfterSend = 'wait'): void => {
    if (!current || current.socket.readyState !== current.socket.OPEN) {
      pending.push(envelope);
      return;
    }
    const { socket, number } = current;
    const delivery: SocketDelivery = {
      envelope,
      connection: number,
      sentAt: performance.now(),
      sentAtEpochMs: Date.now(),
    };
    deliveries.push(delivery);
    if (afterSend === 'lose-ack-then-refresh') lostAcks.add(`${number}:${envelope.envelope_id}`);
    socket.send(JSON.stringify(envelope), () => {
      if (afterSend === 'cut') socket.terminate();
    });
    notify();
  };

  /** The connection went away: what it left unacknowledged goes out again on the next one. */
  const redeliverLater = (number: number): void => {
    for (const d of deliveries) {
      if (d.connection === number && d.ack === undefined)
        pending.push({ ...d.envelope, retry_attempt: (d.envelope.retry_attempt ?? 0) + 1, retry_reason: retryReason });
    }
  };

  const onMessage = (number: number, socket: WebSocket, data: RawData): void => {
    let message: { envelope_id?: unknown; payload?: unknown };
    try {
      message = JSON.parse(data.toString()) as typeof message;
    } catch {
      return; // Slack ignores what it cannot read; so does this server.
    }
    if (typeof message.envelope_id !== 'string') return;
    const delivery = deliveries.find((d) => d.connection === number && d.envelope.envelope_id === message.envelope_id);
    if (!delivery || delivery.ack !== undefined) return;
    const key = `${number}:${message.envelope_id}`;
    if (lostAcks.delete(key)) {
      // Lost in transit: the app acted, Slack never heard. Then Slack rotates the connection.
      socket.send(JSON.stringify({ type: 'disconnect', reason: 'refresh_requested', debug_info: { host: 'fake' } }));
      return;
    }
    const ack: SocketAck = {
      envelopeId: message.envelope_id,
      ...(typeof message.payload === 'object' && message.payload !== null
        ? { payload: message.payload as Record<string, unknown> }
        : {}),
      connection: number,
      ms: performance.now() - delivery.sentAt,
    };
    delivery.ack = ack;
    acks.push(ack);
    notify();
  };

  const wss = new WebSocketServer({ noServer: true });
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket, head) => {
    const ticket = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('ticket') ?? '';
    if (!tickets.delete(ticket)) {
      refused++;
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const number = ++connections;
      current = { socket: ws, number };
      ws.on('message', (data) => onMessage(number, ws, data));
      ws.on('close', () => {
        if (current?.number === number) current = undefined;
        redeliverLater(number);
        notify();
      });
      ws.send(
        JSON.stringify({
          type: 'hello',
          num_connections: wss.clients.size,
          debug_info: { host: 'fake-socket-mode', approximate_connection_time: 18060 },
          connection_info: { app_id: appId },
        }),
      );
      for (const envelope of pending.splice(0)) deliver(envelope);
      notify();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const until = <T>(check: () => T | undefined, ms: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const done = (): void => {
        const v = check();
        if (v === undefined) return;
        clearTimeout(timer);
        waiters.delete(done);
        resolve(v);
      };
      const timer = setTimeout(() => {
        waiters.delete(done);
        reject(new Error(`fake Socket Mode: ${what} did not happen within ${ms} ms`));
      }, ms);
      waiters.add(done);
      done();
    });

  return {
    nextUrl: () => {
      const ticket = randomUUID();
      tickets.add(ticket);
      return `${base}/link/?ticket=${ticket}&app_id=${appId}`;
    },
    get connections() {
      return connections;
    },
    get refused() {
      return refused;
    },
    deliveries,
    acks,
    connected: (n = 1, ms = 15_000) =>
      until(() => (connections >= n && current !== undefined ? true : undefined), ms, `connection ${n}`).then(() => {}),
    disconnected: (ms = 15_000) =>
      until(() => (current === undefined ? true : undefined), ms, 'the disconnection').then(() => {}),
    send: (type, payload, so = {}) => {
      const envelope: SocketEnvelope = {
        envelope_id: randomUUID(),
        type,
        payload,
        // Slack lets a slash command's acknowledgement carry the ephemeral reply (and a view submission's, the
        // response action); block actions and events answer through other channels.
        accepts_response_payload: type === 'slash_commands',
      };
      deliver(envelope, so.afterSend);
      return envelope.envelope_id;
    },
    acked: (envelopeId, ms = 15_000) =>
      until(() => acks.find((a) => a.envelopeId === envelopeId), ms, `the acknowledgement of ${envelopeId}`),
    deliveriesOf: (envelopeId) => deliveries.filter((d) => d.envelope.envelope_id === envelopeId),
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// The bot in Socket Mode
// ---------------------------------------------------------------------------------------------------------------------

export const APP_TOKEN = 'xapp-1-A0TRAIL-1-socket-mode-test';
const BOT_USER_ID = 'U000BOT';

export interface SocketModeBot {
  fake: FakeSlack;
  socket: FakeSocketMode;
  parts: TrailParts;
  config: TrailConfig;
  /** Warnings and errors logged by the app (Bolt's, the Socket Mode client's and trailbot's Slack code). */
  problems: string[];
  /** Sends `/trail <text>` as a `slash_commands` envelope; returns its envelope_id. */
  command(text: string, o?: { userId?: string; channelId?: string; afterSend?: AfterSend }): string;
  /** Sends a button click as an `interactive` (block_actions) envelope; returns its envelope_id. */
  click(actionId: string, value: string, o?: { userId?: string; channelId?: string; messageTs?: string }): string;
  /**
   * Sends an `events_api` envelope with an `app_mention` of the bot (`ts`: the mention's own message, default a new
   * one; `threadTs`: set when the mention is a reply in a thread); returns its envelope_id.
   */
  mention(
    text: string,
    o?: { userId?: string; channelId?: string; ts?: string; threadTs?: string; afterSend?: AfterSend },
  ): string;
  close(): Promise<void>;
}

/**
 * The whole Slack bot as production wires it in Socket Mode (src/main.ts with SLACK_APP_TOKEN set): the real Bolt App
 * and Socket Mode client, their WebClients pointed at a local fake Slack whose apps.connections.open hands out this
 * server's URLs, the real runner and an in-memory dynalite store, DuckDB over `dataDir`.
 */
export async function startSocketModeBot(o: {
  dataDir: string;
  config?: Partial<TrailConfig>;
}): Promise<SocketModeBot> {
  const socket = await startFakeSocketMode();
  const fake = await startFakeSlack({ token: 'xoxb-test-token', appToken: APP_TOKEN, botUserId: BOT_USER_ID });
  fake.serveSocketMode(() => socket.nextUrl());
  const resultsDir = mkdtempSync(path.join(os.tmpdir(), 'trail-socket-results-'));
  // Socket Mode needs no signing secret (src/config/chat.ts): there are no signed requests.
  const config = testConfig({
    engine: { kind: 'duckdb', dataDir: o.dataDir, strict: false },
    chat: { kind: 'slack', botToken: 'xoxb-test-token', signingSecret: '', appToken: APP_TOKEN, port: 0 },
    resultsDir,
    ...o.config,
  });
  if (config.chat.kind !== 'slack') throw new Error('startSocketModeBot needs a Slack chat configuration');
  const problems: string[] = [];
  let mentions = 0;
  const record =
    (level: string) =>
    (...msg: unknown[]): void => {
      problems.push(`${level}: ${msg.map((m) => (m instanceof Error ? m.message : String(m))).join(' ')}`);
    };
  const dispatcher = lateDispatcher();
  const slack = createSlackApp({
    config: config.chat,
    dispatcher,
    clientOptions: { slackApiUrl: fake.url, retryConfig: { retries: 3, factor: 1, minTimeout: 10, maxTimeout: 50 } },
    logger: { debug() {}, info() {}, warn: record('warn'), error: record('error') },
  });
  const publisher = new SlackPublisher({ client: slack.client, timeZone: config.timeZone, progressIntervalMs: 60_000 });
  const parts = await buildTrail({
    config,
    logger: silentLogger,
    publisher,
    store: await openMemoryStore('trailbot-socket-test'),
    scheduler: { deliveryDelayMs: 0 },
    runner: {
      poll: { initialMs: 20, maxMs: 100, factor: 1.5 },
      sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 100))),
    },
  });
  dispatcher.target = parts.dispatcher;
  // Resolves on Slack's `hello` (SocketModeClient.start), so the first envelope finds a connection.
  await slack.start();
  await socket.connected(1);
  return {
    fake,
    socket,
    parts,
    config,
    problems,
    command: (text, c = {}) => {
      // The same fields Slack posts to an HTTP Request URL, as a JSON object instead of a form.
      const fields = new URLSearchParams(
        slashCommandBody({ text, userId: c.userId, channelId: c.channelId, responseUrl: fake.responseUrl() }),
      );
      return socket.send('slash_commands', Object.fromEntries(fields), { afterSend: c.afterSend });
    },
    click: (actionId, value, c = {}) =>
      socket.send('interactive', blockActionPayload({ ...c, actionId, value, responseUrl: fake.responseUrl() })),
    mention: (text, c = {}) => {
      const ts = c.ts ?? `${Math.floor(Date.now() / 1000)}.${String(++mentions).padStart(6, '0')}`;
      const envelope = {
        token: 'deprecated-verification-token',
        team_id: 'T000FAKE',
        api_app_id: 'A0TRAIL',
        type: 'event_callback',
        event_id: `Ev${randomUUID().replaceAll('-', '').slice(0, 10).toUpperCase()}`,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [{ team_id: 'T000FAKE', user_id: BOT_USER_ID, is_bot: true, is_enterprise_install: false }],
        event: {
          type: 'app_mention',
          user: c.userId ?? 'U0ASKER',
          text: `<@${BOT_USER_ID}> ${text}`,
          ts,
          channel: c.channelId ?? 'C0SECOPS',
          event_ts: ts,
          ...(c.threadTs ? { thread_ts: c.threadTs } : {}),
        },
      };
      return socket.send('events_api', envelope, { afterSend: c.afterSend });
    },
    async close() {
      await parts.runner.idle();
      await slack.stop();
      // Bolt's SocketModeReceiver.stop() does not wait for the close handshake. Cutting the connection during it makes
      // the client arm a 30-second close timer (SlackWebSocket.disconnect) that holds the test process open.
      await socket.disconnected(5000).catch(() => {});
      await parts.close();
      await socket.close();
      await fake.close();
      rmSync(resultsDir, { recursive: true, force: true });
    },
  };
}

/** An uploaded CSV (a time-shaped answer also gets a chart PNG in its thread). */
export const isCsv = (f: FakeFile): boolean => f.completed && f.filename.endsWith('.csv');

/** A Socket Mode bot over two days of generated logs in a folder of its own, removed by `close`. */
export async function startSocketModeSampleBot(): Promise<SocketModeBot> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'trail-socket-data-'));
  await generateSampleData({
    outDir: dataDir,
    days: 2,
    eventsPerDay: 300,
    accounts: sampleAccountIds(1),
    regions: ['us-east-1'],
    seed: 11,
    now: new Date(),
  });
  const bot = await startSocketModeBot({ dataDir });
  return {
    ...bot,
    async close() {
      await bot.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
