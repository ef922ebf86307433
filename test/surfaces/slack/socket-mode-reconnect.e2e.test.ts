import { eventually } from '../../helpers/bot';
import { isCsv, type SocketModeBot, startSocketModeSampleBot } from '../../helpers/fake-socket-mode';

/**
 * A Socket Mode connection goes away (Slack rotates connections with `disconnect: refresh_requested`, networks cut
 * them) and Slack delivers what was not acknowledged again on the next connection, with `retry_attempt` set. Either
 * way the question must be answered exactly once: one parent message, one CSV, none lost.
 *
 * Each test takes about 5 s: @slack/socket-mode 3.1 waits `clientPingTimeout` (5 s, which Bolt's App does not let
 * trailbot set) before it reconnects (SocketModeClient.delayReconnectAttempt).
 */
describe('Slack in Socket Mode: a dropped connection loses no question and answers none twice', () => {
  let bot: SocketModeBot;

  beforeAll(async () => {
    bot = await startSocketModeSampleBot();
  });
  afterAll(async () => {
    await bot?.close();
  });

  /** The private notice (response_url post or ephemeral message) that a question duplicates execution `id`. */
  function duplicateNotice(id: string): string | undefined {
    return [
      ...bot.fake.responses.map((r) => String(r.body.text ?? '')),
      ...bot.fake.ephemerals.map((e) => e.text ?? ''),
    ]
      .filter((t) => t.startsWith('The same question'))
      .find((t) => t.includes(`\`${id}\``));
  }

  /** The one execution asked in `channel`, once it exists. */
  async function executionIn(channel: string) {
    const [execution] = await eventually(async () => {
      const list = await bot.parts.store.listByChannel(channel, 10);
      return list.length > 0 ? list : undefined;
    });
    return execution!;
  }

  /** Top-level messages and completed uploads in a channel, once the runner has nothing left to do. */
  async function answersIn(channel: string) {
    await bot.parts.runner.idle();
    return {
      parents: bot.fake.messages.filter((m) => m.channel === channel && !m.thread_ts),
      csvs: bot.fake.files.filter((f) => isCsv(f) && f.channel_id === channel),
    };
  }

  test('the ack is lost and Slack asks for a refresh: the redelivered command is recognised as the same question', async () => {
    const opensBefore = bot.fake.callsTo('apps.connections.open').length;
    const connection = bot.socket.connections;
    const id = bot.command('users 24h', {
      channelId: 'C0REFRESH',
      userId: 'U0DAN',
      afterSend: 'lose-ack-then-refresh',
    });

    await bot.socket.connected(connection + 1, 20_000);
    const ack = await bot.socket.acked(id);
    console.log(`redelivered slash_commands envelope acknowledged in ${ack.ms.toFixed(1)} ms`);
    // A new connection needs a new URL: the client went back to apps.connections.open (the old ticket is spent).
    expect(bot.fake.callsTo('apps.connections.open').slice(opensBefore)).toHaveLength(1);
    expect(bot.socket.refused).toBe(0);
    const [first, again] = bot.socket.deliveriesOf(id);
    expect(first!.connection).toBe(connection);
    expect(first!.ack).toBeUndefined();
    expect(first!.envelope.retry_attempt).toBeUndefined();
    expect(again).toMatchObject({ connection: connection + 1, envelope: { retry_attempt: 1 } });
    expect(ack.connection).toBe(connection + 1);

    // The first delivery ran the question (its ack was sent, then lost): the redelivery is a duplicate, which the
    // asker is told about, and nothing is posted twice.
    const notice = await eventually(async () => duplicateNotice((await executionIn('C0REFRESH')).id));
    expect(notice).toMatch(/The same question (was just answered|is already running) in this channel/);
    await eventually(() => bot.fake.files.find((f) => isCsv(f) && f.channel_id === 'C0REFRESH'));
    const { parents, csvs } = await answersIn('C0REFRESH');
    expect(parents).toHaveLength(1);
    expect(csvs).toHaveLength(1);
    expect(csvs[0]!.thread_ts).toBe(parents[0]!.ts);
    expect(await bot.parts.store.listByChannel('C0REFRESH', 10)).toHaveLength(1);
  });

  test('the connection is cut right after an envelope: it arrives again on the next connection and is answered once', async () => {
    const connection = bot.socket.connections;
    const id = bot.command('errors 24h', { channelId: 'C0CUT', userId: 'U0ERIN', afterSend: 'cut' });

    await bot.socket.connected(connection + 1, 20_000);
    const ack = await bot.socket.acked(id);
    console.log(`redelivered slash_commands envelope acknowledged in ${ack.ms.toFixed(1)} ms`);
    const [first, again] = bot.socket.deliveriesOf(id);
    expect(first!.connection).toBe(connection);
    expect(first!.ack).toBeUndefined();
    expect(again).toMatchObject({ connection: connection + 1, envelope: { retry_attempt: 1 } });

    // Whether the app read the envelope (and ran it, its ack written to a connection already gone) before it noticed
    // the cut is up to the network. If it did, the redelivery is a duplicate and its asker is told so; wait for that
    // before counting, so the redelivery's own work is over too.
    const execution = await executionIn('C0CUT');
    const ranFromFirstDelivery = Date.parse(execution.createdAt) < again!.sentAtEpochMs;
    console.log(`the app ${ranFromFirstDelivery ? 'had' : 'had not'} run the first delivery before the cut`);
    if (ranFromFirstDelivery) await eventually(() => duplicateNotice(execution.id));
    await eventually(() => bot.fake.files.find((f) => isCsv(f) && f.channel_id === 'C0CUT'));
    const { parents, csvs } = await answersIn('C0CUT');
    expect(parents).toHaveLength(1);
    expect(csvs).toHaveLength(1);
    expect(csvs[0]!.thread_ts).toBe(parents[0]!.ts);
    expect(await bot.parts.store.listByChannel('C0CUT', 10)).toHaveLength(1);
  });
  test('a mention whose ack was lost comes again (Slack retries Events API payloads): one answer in its thread', async () => {
    const incident = bot.fake.seedMessage('C0RETRY', 'who opened sg-5887f224?');
    const connection = bot.socket.connections;
    const id = bot.mention('sg sg-5887f224 12h', {
      channelId: 'C0RETRY',
      userId: 'U0FRANK',
      ts: `${incident.ts.split('.')[0]}.900002`,
      threadTs: incident.ts,
      afterSend: 'lose-ack-then-refresh',
    });

    await bot.socket.connected(connection + 1, 20_000);
    const ack = await bot.socket.acked(id);
    expect(ack.connection).toBe(connection + 1);
    const [first, again] = bot.socket.deliveriesOf(id);
    expect(first!.ack).toBeUndefined();
    expect(again).toMatchObject({ connection: connection + 1, envelope: { retry_attempt: 1 } });

    // Bolt acknowledged the first delivery before its listener ran, so the mention was asked then; the retry is the
    // same question in the same thread, and its asker is told so.
    const execution = await executionIn('C0RETRY');
    await eventually(() => duplicateNotice(execution.id));
    await eventually(() => bot.fake.files.find((f) => isCsv(f) && f.channel_id === 'C0RETRY'));
    await bot.parts.runner.idle();
    const posted = bot.fake.messages.filter((m) => m.channel === 'C0RETRY' && m.ts !== incident.ts);
    expect(posted.map((m) => m.thread_ts)).toEqual([incident.ts, incident.ts]);
    expect(bot.fake.files.filter((f) => isCsv(f) && f.channel_id === 'C0RETRY')).toHaveLength(1);
    expect(await bot.parts.store.listByChannel('C0RETRY', 10)).toHaveLength(1);
  });
});
