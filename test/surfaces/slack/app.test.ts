import type { ActionInput, CommandInput, Dispatcher, Prepared } from '../../../src/core/input';
import { createSlackApp, type SlackAppHandle, slashCommandText } from '../../../src/surfaces/slack/app';
import { SLACK_RETRY_POLICY } from '../../../src/surfaces/slack/client';
import { type FakeSlack, startFakeSlack } from '../../helpers/fake-slack';
import { blockActionPayload, interactiveBody, signSlackRequest, slashCommandBody } from '../../helpers/slack-signing';
import { memoryLogger } from './fixtures';

const TOKEN = 'xoxb-app-test';
const SECRET = 'fake-signing-secret-0123456789abcdef';

/** A Dispatcher written for this layer: records what it was handed; `run()` waits until the test releases it. */
function stubDispatcher() {
  const prepared: CommandInput[] = [];
  const actions: ActionInput[] = [];
  const state = { runCalls: 0, runFinished: false };
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const dispatcher: Dispatcher = {
    prepare(input): Prepared {
      prepared.push(input);
      if (input.text.startsWith('explode')) throw new Error('internal detail: /srv/trailbot/secret.ts:42');
      if (!input.text.startsWith('sg')) return { kind: 'reply', text: 'Unknown command `bogus`. Try `/trail help`.' };
      return {
        kind: 'run',
        ackText: input.text === 'sg quiet' ? undefined : 'Looking at security group changes…',
        run: async () => {
          state.runCalls++;
          await gate;
          state.runFinished = true;
        },
      };
    },
    async action(input) {
      actions.push(input);
      if (input.executionId === 'ex-broken') throw new Error('store exploded at line 7');
      return `Cancelling ${input.executionId}.`;
    },
  };
  return { dispatcher, prepared, actions, state, release };
}

/** Polls a condition (the listener continues after the HTTP response, so its effects land a little later). */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never happened: ${what}`);
}

describe('Slack app over the real Bolt HTTP receiver', () => {
  let slack: FakeSlack;
  let handle: SlackAppHandle;
  let stub: ReturnType<typeof stubDispatcher>;
  let logger: ReturnType<typeof memoryLogger>;
  let url: string;

  beforeEach(async () => {
    slack = await startFakeSlack({ token: TOKEN });
    stub = stubDispatcher();
    logger = memoryLogger();
    handle = createSlackApp({
      config: { botToken: TOKEN, signingSecret: SECRET, port: 0, host: '127.0.0.1' },
      dispatcher: stub.dispatcher,
      clientOptions: { slackApiUrl: slack.url },
      logger,
    });
    await handle.start();
    url = `http://127.0.0.1:${handle.port()}/slack/events`;
  });
  afterEach(async () => {
    stub.release();
    await handle.stop();
    await slack.close();
  });

  const post = (signed: { body: string; headers: Record<string, string> }) =>
    fetch(url, { method: 'POST', headers: signed.headers, body: signed.body, signal: AbortSignal.timeout(10_000) });

  test('a valid command is acked in the response with ackText, and run() starts after it without being awaited', async () => {
    const res = await post(
      signSlackRequest(SECRET, slashCommandBody({ text: 'sg 12h', responseUrl: slack.responseUrl('c1') })),
    );
    // run() is still blocked on the gate, so this response proves the listener did not wait for it.
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ response_type: 'ephemeral', text: 'Looking at security group changes…' });
    await eventually(() => stub.state.runCalls === 1, 'run() called');
    expect(stub.state.runFinished).toBe(false);
    expect(stub.prepared).toEqual([
      {
        text: 'sg 12h',
        userId: 'U0ASKER',
        channelId: 'C0SECOPS',
        surface: 'slack',
        responseUrl: slack.responseUrl('c1'),
      },
    ]);
    stub.release();
    await eventually(() => stub.state.runFinished, 'run() finished');
  });

  test('without ackText the ack is an empty 200', async () => {
    const res = await post(signSlackRequest(SECRET, slashCommandBody({ text: 'sg quiet' })));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    await eventually(() => stub.state.runCalls === 1, 'run() called');
  });

  test('a bad command gets its ephemeral text in the ack body, and nothing runs', async () => {
    const res = await post(signSlackRequest(SECRET, slashCommandBody({ text: 'bogus 12h' })));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      response_type: 'ephemeral',
      text: 'Unknown command `bogus`. Try `/trail help`.',
    });
    expect(stub.state.runCalls).toBe(0);
  });

  test('a dispatcher that throws yields a plain sentence, never the error detail', async () => {
    const res = await post(signSlackRequest(SECRET, slashCommandBody({ text: 'explode' })));
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({
      response_type: 'ephemeral',
      text: 'Something went wrong inside trailbot; the details are in its log.',
    });
    expect(body).not.toContain('secret.ts');
    expect(logger.lines.some((l) => l.level === 'error' && l.text.includes('secret.ts:42'))).toBe(true);
  });

  test('Slack-escaped text is decoded before the dispatcher sees it', async () => {
    await post(
      signSlackRequest(SECRET, slashCommandBody({ text: 'bogus &lt;x&gt; &amp;amp; <https://a.example|a.example>' })),
    );
    expect(stub.prepared[0].text).toBe('bogus <x> &amp; a.example');
  });

  test('a bad signature is refused with 401 and reaches no listener', async () => {
    const signed = signSlackRequest('not-the-secret', slashCommandBody({ text: 'sg 12h' }));
    const res = await post(signed);
    expect(res.status).toBe(401);
    expect(stub.prepared).toHaveLength(0);
  });

  test('a stale timestamp (more than 5 minutes old) is refused with 401, even when correctly signed', async () => {
    const sixMinutesAgo = Math.floor(Date.now() / 1000) - 6 * 60;
    const res = await post(signSlackRequest(SECRET, slashCommandBody({ text: 'sg 12h' }), sixMinutesAgo));
    expect(res.status).toBe(401);
    expect(stub.prepared).toHaveLength(0);
  });

  test('a correctly signed request sent a second time (a replay within the 5 minutes) is refused with 401', async () => {
    const signed = signSlackRequest(SECRET, slashCommandBody({ text: 'sg 12h', responseUrl: slack.responseUrl() }));
    expect((await post(signed)).status).toBe(200);
    const replay = await post(signed);
    expect(replay.status).toBe(401);
    expect(await replay.text()).toBe('');
    expect(stub.prepared).toHaveLength(1);
    expect(logger.lines.some((l) => l.level === 'warn' && l.text.includes('replayed'))).toBe(true);
    // A button click is refused the same way: the action runs once.
    const click = signSlackRequest(
      SECRET,
      interactiveBody(blockActionPayload({ actionId: 'trail_cancel', value: 'ex-1' })),
    );
    expect((await post(click)).status).toBe(200);
    expect((await post(click)).status).toBe(401);
    await eventually(() => stub.actions.length === 1, 'action dispatched');
    await new Promise((r) => setTimeout(r, 50));
    expect(stub.actions).toHaveLength(1);
  });

  test('the same body signed again (a new timestamp, as Slack signs a retry) is a new request, not a replay', async () => {
    const body = slashCommandBody({ text: 'sg 12h', responseUrl: slack.responseUrl() });
    const now = Math.floor(Date.now() / 1000);
    expect((await post(signSlackRequest(SECRET, body, now - 1))).status).toBe(200);
    expect((await post(signSlackRequest(SECRET, body, now))).status).toBe(200);
    expect(stub.prepared).toHaveLength(2);
  });

  test('a forged request does not use up the signature it copies', async () => {
    const signed = signSlackRequest(SECRET, slashCommandBody({ text: 'sg 12h' }));
    // Same signature header, different body: it fails verification and must not be remembered.
    const forged = { ...signed, body: slashCommandBody({ text: 'sg 30d' }) };
    expect((await post(forged)).status).toBe(401);
    expect((await post(signed)).status).toBe(200);
    expect(stub.prepared.map((p) => p.text)).toEqual(['sg 12h']);
  });

  test('a button click reaches dispatcher.action and its text reaches the response_url', async () => {
    const payload = blockActionPayload({
      actionId: 'trail_cancel',
      value: 'ex-42',
      userId: 'U0CLICKER',
      responseUrl: slack.responseUrl('b1'),
    });
    const res = await post(signSlackRequest(SECRET, interactiveBody(payload)));
    expect(res.status).toBe(200);
    await eventually(() => slack.responses.length === 1, 'respond() posted');
    expect(stub.actions).toEqual([
      {
        action: 'cancel',
        executionId: 'ex-42',
        userId: 'U0CLICKER',
        channelId: 'C0SECOPS',
        responseUrl: slack.responseUrl('b1'),
      },
    ]);
    expect(slack.responses[0]).toEqual({
      id: 'b1',
      body: { response_type: 'ephemeral', replace_original: false, text: 'Cancelling ex-42.' },
    });
  });

  test.each([
    ['trail_rerun', 'rerun'],
    ['trail_show_sql', 'show_sql'],
    ['trail_confirm', 'confirm'],
  ])('%s maps to the %s action', async (actionId, action) => {
    const payload = blockActionPayload({ actionId, value: 'ex-7', responseUrl: slack.responseUrl() });
    expect((await post(signSlackRequest(SECRET, interactiveBody(payload)))).status).toBe(200);
    await eventually(() => stub.actions.length === 1, 'action dispatched');
    expect(stub.actions[0]).toMatchObject({ action, executionId: 'ex-7' });
  });

  test('an action that throws answers the clicker with a plain sentence', async () => {
    const payload = blockActionPayload({
      actionId: 'trail_rerun',
      value: 'ex-broken',
      responseUrl: slack.responseUrl('b2'),
    });
    await post(signSlackRequest(SECRET, interactiveBody(payload)));
    await eventually(() => slack.responses.length === 1, 'respond() posted');
    expect(slack.responses[0].body.text).toBe('Something went wrong inside trailbot; the details are in its log.');
    expect(JSON.stringify(slack.responses)).not.toContain('line 7');
  });

  test("the app's client talks to the configured Web API with trailbot's retry policy", async () => {
    await expect(handle.client.auth.test()).resolves.toMatchObject({ ok: true });
    expect(slack.callsTo('auth.test').at(-1)?.authorization).toBe(`Bearer ${TOKEN}`);
    expect(handle.app.webClientOptions).toMatchObject({ slackApiUrl: slack.url, retryConfig: SLACK_RETRY_POLICY });
  });
});

describe('start', () => {
  test('a bot token Slack refuses fails start() with a sentence that names the variable', async () => {
    const slack = await startFakeSlack({ token: TOKEN });
    const handle = createSlackApp({
      config: { botToken: 'xoxb-revoked', signingSecret: SECRET, port: 0, host: '127.0.0.1' },
      dispatcher: stubDispatcher().dispatcher,
      clientOptions: { slackApiUrl: slack.url },
      logger: memoryLogger(),
    });
    try {
      await expect(handle.start()).rejects.toMatchObject({
        slackError: 'invalid_auth',
        userMessage: expect.stringContaining('SLACK_BOT_TOKEN'),
      });
      expect(handle.port()).toBeUndefined();
    } finally {
      await slack.close();
    }
  });
});

describe('Socket Mode', () => {
  test('an app token selects Socket Mode: no signing secret needed, no HTTP port', () => {
    const handle = createSlackApp({
      config: { botToken: TOKEN, signingSecret: '', appToken: 'xapp-1-A0TRAIL-1-abc', port: 3000 },
      dispatcher: stubDispatcher().dispatcher,
      logger: memoryLogger(),
    });
    expect(handle.port()).toBeUndefined();
    // The HTTP receiver refuses an empty signing secret, so reaching here means the Socket Mode receiver was chosen.
    expect(() =>
      createSlackApp({
        config: { botToken: TOKEN, signingSecret: '', port: 3000 },
        dispatcher: stubDispatcher().dispatcher,
        logger: memoryLogger(),
      }),
    ).toThrow();
  });
});

describe('slashCommandText', () => {
  test('decodes Slack entities once and unwraps auto-links', () => {
    expect(slashCommandText('ip 10.0.0.1')).toBe('ip 10.0.0.1');
    expect(slashCommandText(' user &lt;bob&gt; ')).toBe('user <bob>');
    expect(slashCommandText('a &amp;lt; b')).toBe('a &lt; b');
    expect(slashCommandText('who <mailto:bob@example.com|bob@example.com>')).toBe('who bob@example.com');
    expect(slashCommandText('<https://x.example>')).toBe('https://x.example');
  });
});
