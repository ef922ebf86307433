/**
 * Acks first (issue 16, Slack ack p99): through the real Bolt HTTP receiver with signature checks, a command's slow
 * part (`run()`) starts only once no other request is still waiting for its answer, and none is lost on stop.
 */
import http from 'node:http';
import type { CommandInput, Dispatcher, Prepared } from '../../../src/core/input';
import { createSlackApp, type SlackAppHandle } from '../../../src/surfaces/slack/app';
import { FollowUps } from '../../../src/surfaces/slack/follow-ups';
import { type FakeSlack, startFakeSlack } from '../../helpers/fake-slack';
import { appMentionEnvelope } from '../../helpers/slack-events';
import { blockActionPayload, interactiveBody, signSlackRequest, slashCommandBody } from '../../helpers/slack-signing';
import { memoryLogger } from './fixtures';

const TOKEN = 'xoxb-follow-ups';
const SECRET = 'follow-ups-signing-secret-0123456789';

async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never happened: ${what}`);
}

const turns = async (n = 10) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('a command’s follow-up waits for the other acks', () => {
  let slack: FakeSlack;
  let handle: SlackAppHandle | undefined;
  let gate: FollowUps;
  let url: URL;
  const ran: string[] = [];
  /** Requests a test left half-sent (it failed early): destroyed so stop() does not wait for them. */
  const open: http.ClientRequest[] = [];

  const dispatcher: Dispatcher = {
    prepare(input: CommandInput): Prepared {
      return { kind: 'run', ackText: `On it: ${input.text}`, run: async () => void ran.push(input.text) };
    },
    async action(input) {
      ran.push(`${input.action} ${input.executionId}`);
      return undefined;
    },
  };

  beforeEach(async () => {
    ran.length = 0;
    slack = await startFakeSlack({ token: TOKEN });
    gate = new FollowUps({ maxHoldMs: 60_000 });
    handle = createSlackApp({
      config: { botToken: TOKEN, signingSecret: SECRET, port: 0, host: '127.0.0.1' },
      dispatcher,
      clientOptions: { slackApiUrl: slack.url },
      logger: memoryLogger(),
      followUps: gate,
    });
    await handle.start();
    url = new URL(`http://127.0.0.1:${handle.port()}/slack/events`);
  });
  afterEach(async () => {
    for (const req of open.splice(0)) req.destroy();
    await handle?.stop();
    await slack.close();
  });

  const post = (signed: { body: string; headers: Record<string, string> }) =>
    fetch(url, { method: 'POST', headers: signed.headers, body: signed.body, signal: AbortSignal.timeout(10_000) });

  /** A command whose body is still arriving: the receiver has its headers, so an ack is owed for it. */
  async function openSlowRequest(text: string): Promise<{ finish(): Promise<number> }> {
    const slow = signSlackRequest(SECRET, slashCommandBody({ text, responseUrl: slack.responseUrl() }));
    const half = Math.floor(slow.body.length / 2);
    const req = http.request(url, { method: 'POST', headers: slow.headers });
    open.push(req);
    const status = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
    });
    req.write(slow.body.slice(0, half));
    await eventually(() => gate.pendingRequests === 1, 'the slow request reached the receiver');
    return {
      finish() {
        req.end(slow.body.slice(half));
        return status;
      },
    };
  }

  test('the handle’s quiet() (the runner’s pace in src/main.ts) holds an answer’s next step while an ack is owed', async () => {
    expect(handle?.followUps).toBe(gate);
    const slow = await openSlowRequest('sg slow 24h');
    let stepped = false;
    const step = handle!.followUps.quiet().then(() => {
      stepped = true;
    });
    await turns();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(stepped).toBe(false);
    expect(await slow.finish()).toBe(200);
    await step;
    expect(stepped).toBe(true);
    await eventually(() => ran.length === 1, 'the slow command ran');
  });

  test('a button’s work (re-run) waits for the owed ack; a cancel does not', async () => {
    const slow = await openSlowRequest('sg slow 24h');
    const click = (actionId: string, value: string) => {
      const signed = signSlackRequest(SECRET, interactiveBody(blockActionPayload({ actionId, value })));
      return fetch(url, {
        method: 'POST',
        headers: { ...signed.headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: signed.body,
        signal: AbortSignal.timeout(10_000),
      });
    };
    expect((await click('trail_rerun', 'exec-1')).status).toBe(200);
    expect((await click('trail_cancel', 'exec-2')).status).toBe(200);
    await eventually(() => ran.includes('cancel exec-2'), 'the cancel reached the dispatcher');
    await turns();
    expect(ran).toEqual(['cancel exec-2']);
    expect(await slow.finish()).toBe(200);
    await eventually(() => ran.length === 3, 'the re-run and the slow command ran');
    expect(ran.slice(1).sort()).toEqual(['rerun exec-1', 'sg slow 24h']);
  });

  test('a mention’s question also waits for the owed ack before it runs', async () => {
    const slow = await openSlowRequest('sg slow 24h');
    const envelope = appMentionEnvelope({ text: '<@U000BOT> sg 12h', ts: '1764500000.000100' });
    const signed = signSlackRequest(SECRET, JSON.stringify(envelope));
    const res = await fetch(url, {
      method: 'POST',
      headers: { ...signed.headers, 'content-type': 'application/json' },
      body: signed.body,
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(200);
    await eventually(() => gate.queued === 1, 'the mention queued its question');
    expect(ran).toEqual([]);
    expect(await slow.finish()).toBe(200);
    await eventually(() => ran.length === 2, 'both questions ran');
    expect(ran).toEqual(['sg 12h', 'sg slow 24h']);
  });

  test('acked at once, run only after a request still being read has been answered', async () => {
    // A command whose body is still arriving: the receiver has its headers, so an ack is owed for it.
    const slow = signSlackRequest(SECRET, slashCommandBody({ text: 'sg slow 24h', responseUrl: slack.responseUrl() }));
    const half = Math.floor(slow.body.length / 2);
    let finishSlow = () => {};
    const slowDone = new Promise<number>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers: slow.headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.write(slow.body.slice(0, half));
      finishSlow = () => req.end(slow.body.slice(half));
    });
    await eventually(() => gate.pendingRequests === 1, 'the slow request reached the receiver');

    const res = await post(
      signSlackRequest(SECRET, slashCommandBody({ text: 'sg 12h', responseUrl: slack.responseUrl() })),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ response_type: 'ephemeral', text: 'On it: sg 12h' });
    await turns();
    expect(ran).toEqual([]);
    expect(gate.queued).toBe(1);

    finishSlow();
    expect(await slowDone).toBe(200);
    await eventually(() => ran.length === 2, 'both follow-ups ran');
    expect(ran).toEqual(['sg 12h', 'sg slow 24h']);
  });

  test('stop() starts the follow-ups still queued: an acknowledged command is never dropped', async () => {
    gate.requestBegan(); // an ack owed that never comes: the queue would hold on
    const res = await post(
      signSlackRequest(SECRET, slashCommandBody({ text: 'sg 12h', responseUrl: slack.responseUrl() })),
    );
    expect(res.status).toBe(200);
    await turns();
    expect(ran).toEqual([]);
    await handle?.stop();
    handle = undefined;
    await eventually(() => ran.length === 1, 'the queued follow-up ran');
    expect(ran).toEqual(['sg 12h']);
  });
});
