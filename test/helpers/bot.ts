import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COMMANDS } from '../../commands';
import { buildTrail, lateDispatcher, type TrailParts } from '../../src/app';
import type { TrailConfig } from '../../src/config';
import type { QueryEngine } from '../../src/core/engine';
import { pivotFinder } from '../../src/dispatch/pivots';
import { silentLogger } from '../../src/logger';
import { openMemoryStore } from '../../src/store/dynalite';
import { createSlackApp } from '../../src/surfaces/slack/app';
import { SlackPublisher } from '../../src/surfaces/slack/publisher';
import { testConfig } from './config';
import { type FakeSlack, startFakeSlack } from './fake-slack';
import { blockActionPayload, interactiveBody, signSlackRequest, slashCommandBody } from './slack-signing';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';

export interface SlackBot {
  fake: FakeSlack;
  parts: TrailParts;
  config: TrailConfig;
  eventsUrl: string;
  /** POSTs a signed `/trail <text>`; resolves to the HTTP status, the ack body and how long the ack took. */
  command(
    text: string,
    o?: { userId?: string; channelId?: string },
  ): Promise<{ status: number; body: string; ms: number }>;
  /** Clicks a button on a trailbot message. */
  click(actionId: string, value: string, o?: { userId?: string; channelId?: string }): Promise<number>;
  close(): Promise<void>;
}

/**
 * The whole Slack bot as production wires it (src/main.ts): the real Bolt HTTP receiver on 127.0.0.1 with signature
 * checks, the real WebClient pointed at a local fake Slack Web API, the real runner and an in-memory dynalite store,
 * and the configured engine (DuckDB over `dataDir` unless one is passed).
 */
export async function startSlackBot(o: {
  dataDir: string;
  config?: Partial<TrailConfig>;
  engine?: QueryEngine;
  /** The scheduler's clock (tests move it to a due time and call `parts.scheduler.tick()`). */
  schedulerNow?: () => Date;
}): Promise<SlackBot> {
  const fake = await startFakeSlack();
  const resultsDir = mkdtempSync(path.join(os.tmpdir(), 'trail-bot-results-'));
  const config = testConfig({
    engine: { kind: 'duckdb', dataDir: o.dataDir, strict: false },
    chat: { kind: 'slack', botToken: 'xoxb-test-token', signingSecret: SIGNING_SECRET, port: 0 },
    resultsDir,
    ...o.config,
  });
  const dispatcher = lateDispatcher();
  const slackConfig = config.chat.kind === 'slack' ? config.chat : undefined;
  if (!slackConfig) throw new Error('startSlackBot needs a Slack chat configuration');
  const slack = createSlackApp({
    config: { ...slackConfig, host: '127.0.0.1' },
    dispatcher,
    clientOptions: { slackApiUrl: fake.url, retryConfig: { retries: 3, factor: 1, minTimeout: 10, maxTimeout: 50 } },
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  const publisher = new SlackPublisher({
    client: slack.client,
    timeZone: config.timeZone,
    progressIntervalMs: 60_000,
    pivots: pivotFinder(config, COMMANDS, () => new Date()),
  });
  const store = await openMemoryStore('trailbot-test');
  const parts = await buildTrail({
    config,
    logger: silentLogger,
    publisher,
    engine: o.engine,
    scheduler: { ...(o.schedulerNow ? { now: o.schedulerNow } : {}), deliveryDelayMs: 0 },
    // The same clock drives the watches (issue 19): tests move it to a slot and call `parts.watcher.tick()`.
    watcher: { ...(o.schedulerNow ? { now: o.schedulerNow } : {}) },
    store,
    runner: {
      poll: { initialMs: 20, maxMs: 100, factor: 1.5 },
      sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 100))),
    },
  });
  dispatcher.target = parts.dispatcher;
  await slack.start();
  const eventsUrl = `http://127.0.0.1:${slack.port()}/slack/events`;
  const post = async (body: string) => {
    const signed = signSlackRequest(SIGNING_SECRET, body);
    const started = performance.now();
    const res = await fetch(eventsUrl, { method: 'POST', headers: signed.headers, body: signed.body });
    const text = await res.text();
    return { status: res.status, body: text, ms: performance.now() - started };
  };
  return {
    fake,
    parts,
    config,
    eventsUrl,
    command: (text, c = {}) =>
      post(slashCommandBody({ text, userId: c.userId, channelId: c.channelId, responseUrl: fake.responseUrl() })),
    click: async (actionId, value, c = {}) =>
      (
        await post(
          interactiveBody(
            blockActionPayload({
              actionId,
              value,
              userId: c.userId,
              channelId: c.channelId,
              responseUrl: fake.responseUrl(),
            }),
          ),
        )
      ).status,
    async close() {
      await parts.runner.idle();
      await slack.stop();
      await parts.close();
      await fake.close();
      rmSync(resultsDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a value (not undefined), or fails after `ms`. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
