import { parseCsv } from '../../../src/util/csv';
import { eventually } from '../../helpers/bot';
import { blockKitProblems } from '../../helpers/fake-slack';
import { APP_TOKEN, isCsv, type SocketModeBot, startSocketModeSampleBot } from '../../helpers/fake-socket-mode';

/**
 * Production runs Socket Mode (the CDK app deploys it): the product end to end through the real Bolt App and Socket
 * Mode client, a local Socket Mode server handing it envelopes, DuckDB over generated logs, answers in a fake Slack.
 * Slack wants each envelope acknowledged within 3 seconds; the machine is shared and noisy, so the tests check that
 * each one was acknowledged and only log how long it took.
 */
describe('Slack in Socket Mode, end to end on the embedded engine', () => {
  let bot: SocketModeBot;

  beforeAll(async () => {
    bot = await startSocketModeSampleBot();
  });
  afterAll(async () => {
    await bot?.close();
  });

  test('the connection is opened with the app-level token through apps.connections.open, and greeted', () => {
    const opens = bot.fake.callsTo('apps.connections.open');
    expect(opens).toHaveLength(1);
    expect(opens[0]!.authorization).toBe(`Bearer ${APP_TOKEN}`);
    expect(opens[0]!.response).toMatchObject({ ok: true, url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\//) });
    expect(bot.socket.connections).toBe(1);
    expect(bot.socket.refused).toBe(0);
  });

  test('apps.connections.open refuses the bot token: Socket Mode takes the app-level token', async () => {
    const res = await fetch(`${bot.fake.url}apps.connections.open`, {
      method: 'POST',
      headers: { authorization: 'Bearer xoxb-test-token' },
    });
    expect(await res.json()).toEqual({ ok: false, error: 'invalid_auth' });
    expect(bot.socket.connections).toBe(1);
  });

  test('a /trail slash command envelope is acknowledged, then answered in a thread with the CSV uploaded', async () => {
    const id = bot.command('sg sg-5887f224 12h', { channelId: 'C0SECOPS', userId: 'U0ALICE' });
    const ack = await bot.socket.acked(id);
    console.log(`slash_commands envelope acknowledged in ${ack.ms.toFixed(1)} ms`);
    expect(ack.connection).toBe(1);
    // A question that runs has nothing to say in the acknowledgement: the answer comes in the channel.
    expect(ack.payload ?? {}).toEqual({});

    const parent = await eventually(() => bot.fake.messages.find((m) => m.channel === 'C0SECOPS' && !m.thread_ts));
    const file = await eventually(() => bot.fake.files.find((f) => isCsv(f) && f.thread_ts === parent.ts));
    await bot.parts.runner.idle();
    expect(parent.history[0]?.text).toContain('<@U0ALICE>');
    expect(parent.text).toMatch(/2 rows/);
    const reply = bot.fake.messages.find((m) => m.thread_ts === parent.ts);
    expect(reply).toBeDefined();
    expect(blockKitProblems(reply!.blocks)).toEqual([]);
    expect(JSON.stringify(reply!.blocks)).toContain('world-open');
    // The same rows as over HTTP (test/surfaces/slack/e2e.test.ts, same generated data).
    const csv = parseCsv(file.bytes!.subarray(3).toString('utf8'));
    expect(csv.slice(1).map((r) => r[0])).toEqual(['ModifyNetworkInterfaceAttribute', 'AuthorizeSecurityGroupIngress']);
    expect(bot.problems).toEqual([]);
  });

  test('a bad command gets its usage in the acknowledgement payload, nothing is posted in the channel', async () => {
    const before = bot.fake.messages.length;
    const ack = await bot.socket.acked(bot.command('sg sg-zz', { channelId: 'C0SECOPS' }));
    console.log(`slash_commands envelope (usage) acknowledged in ${ack.ms.toFixed(1)} ms`);
    // Socket Mode's counterpart of the HTTP response body: the ephemeral reply rides on the acknowledgement.
    expect(ack.payload).toMatchObject({ response_type: 'ephemeral' });
    expect(String(ack.payload?.text)).toContain('`sg-zz` is not a security group id or network interface id');
    expect(String(ack.payload?.text)).toContain('Usage: /trail sg');
    expect(bot.fake.messages.length).toBe(before);
  });

  test('a Re-run button (block_actions envelope) is acknowledged and runs the question again in the channel', async () => {
    const [e] = await bot.parts.store.listByChannel('C0SECOPS', 1);
    expect(e).toBeDefined();
    const parentsBefore = bot.fake.messages.filter((m) => m.channel === 'C0SECOPS' && !m.thread_ts).length;
    const filesBefore = bot.fake.files.filter((f) => isCsv(f) && f.channel_id === 'C0SECOPS').length;

    const ack = await bot.socket.acked(bot.click('trail_rerun', e!.id, { channelId: 'C0SECOPS', userId: 'U0BOB' }));
    console.log(`interactive envelope acknowledged in ${ack.ms.toFixed(1)} ms`);
    expect(ack.payload ?? {}).toEqual({});

    await eventually(() =>
      bot.fake.files.filter((f) => isCsv(f) && f.channel_id === 'C0SECOPS').length > filesBefore ? true : undefined,
    );
    await bot.parts.runner.idle();
    const parents = bot.fake.messages.filter((m) => m.channel === 'C0SECOPS' && !m.thread_ts);
    expect(parents).toHaveLength(parentsBefore + 1);
    // The re-run is a question of its own, asked by whoever clicked.
    expect(parents.at(-1)!.history[0]?.text).toContain('<@U0BOB>');
    const rerun = (await bot.parts.store.listByChannel('C0SECOPS', 5)).find(
      (x) => x.id !== e!.id && x.userId === 'U0BOB',
    );
    expect(rerun).toMatchObject({ commandText: e!.commandText, state: 'PUBLISHED' });
    expect(bot.problems).toEqual([]);
  });

  test('an app_mention in a thread (events_api envelope) is acknowledged, then answered in that thread', async () => {
    const incident = bot.fake.seedMessage('C0INCIDENT', 'sg-5887f224 was opened to the world?');
    const before = bot.fake.messages.length;
    const id = bot.mention('sg sg-5887f224 12h', {
      channelId: 'C0INCIDENT',
      userId: 'U0CAROL',
      ts: `${incident.ts.split('.')[0]}.900001`,
      threadTs: incident.ts,
    });
    const ack = await bot.socket.acked(id);
    console.log(`events_api envelope acknowledged in ${ack.ms.toFixed(1)} ms`);
    // Bolt acknowledges an Events API envelope before its listeners run, with nothing to say.
    expect(ack.payload ?? {}).toEqual({});
    expect(bot.socket.deliveriesOf(id)).toHaveLength(1);

    const file = await eventually(() => bot.fake.files.find((f) => isCsv(f) && f.channel_id === 'C0INCIDENT'));
    await bot.parts.runner.idle();
    const posted = bot.fake.messages.slice(before).filter((m) => m.channel === 'C0INCIDENT');
    expect(posted.map((m) => m.thread_ts)).toEqual([incident.ts, incident.ts]);
    expect(posted[0]!.history[0]?.text).toContain('<@U0CAROL>');
    expect(JSON.stringify(posted[1]!.blocks)).toContain('world-open');
    expect(file.thread_ts).toBe(incident.ts);
    expect(bot.problems).toEqual([]);
  });
});
