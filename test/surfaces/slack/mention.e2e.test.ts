import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSampleData, sampleAccountIds } from '../../../src/sample/generate';
import { mentionText } from '../../../src/surfaces/slack/command-text';
import { eventually, type SlackBot, startSlackBot } from '../../helpers/bot';
import { blockKitProblems } from '../../helpers/fake-slack';
import { mention, urlVerification } from '../../helpers/slack-events';

/**
 * Issue 17 item 1: `@trailbot sg sg-5887f224 12h` in a thread is answered in that thread, through the same front
 * door as `/trail`. Signed Events API requests to Bolt's real HTTP receiver; DuckDB over generated logs; fake Slack.
 */
describe('Asking with a mention, inside a thread', () => {
  let dataDir: string;
  let bot: SlackBot;
  let mentionSeq = 0;
  /** A ts for a mention that is itself a reply (never a thread root, so the fake need not know it). */
  const replyTs = () => `1700000100.${String(++mentionSeq).padStart(6, '0')}`;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'trail-mention-e2e-'));
    await generateSampleData({
      outDir: dataDir,
      days: 2,
      eventsPerDay: 300,
      accounts: sampleAccountIds(1),
      regions: ['us-east-1'],
      seed: 11,
      now: new Date(),
    });
    bot = await startSlackBot({
      dataDir,
      config: { policy: { default: {}, commands: { root: { channels: ['C0COMPLIANCE'] } } } },
    });
  });
  afterAll(async () => {
    await bot.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("over HTTP the events Request URL passes Slack's url_verification handshake", async () => {
    const res = await urlVerification(bot, 'challenge-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P');
    expect(res.status).toBe(200);
    expect(res.body).toContain('challenge-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P');
  });

  test('a mention in a thread: parent, table and CSV are all replies in that thread; nothing at top level', async () => {
    const incident = bot.fake.seedMessage('C0INCIDENT', 'sg-5887f224 was opened to the world?');
    const before = bot.fake.messages.length;
    const res = await mention(bot, {
      text: '<@U000BOT> sg sg-5887f224 12h',
      userId: 'U0ALICE',
      channelId: 'C0INCIDENT',
      ts: replyTs(),
      threadTs: incident.ts,
    });
    expect(res.status).toBe(200);
    const file = await eventually(() => bot.fake.files.find((f) => f.completed && f.channel_id === 'C0INCIDENT'));
    await bot.parts.runner.idle();

    const posted = bot.fake.messages.slice(before).filter((m) => m.channel === 'C0INCIDENT');
    expect(posted.length).toBe(2);
    expect(posted.every((m) => m.thread_ts === incident.ts)).toBe(true);
    const [parent, reply] = posted;
    expect(parent!.history[0]?.text).toContain('<@U0ALICE> asked `/trail sg sg-5887f224 12h`');
    expect(JSON.stringify(reply!.blocks)).toContain('world-open');
    expect(blockKitProblems(reply!.blocks)).toEqual([]);
    expect(file.thread_ts).toBe(incident.ts);

    const [e] = await bot.parts.store.listByChannel('C0INCIDENT', 1);
    expect(e).toMatchObject({ commandText: 'sg sg-5887f224 12h', threadTs: incident.ts, parentRef: parent!.ts });
  });

  test('a mention at top level: the mention itself becomes the thread', async () => {
    const asked = bot.fake.seedMessage('C0TOP', '<@U000BOT> users 24h');
    const before = bot.fake.messages.length;
    await mention(bot, { text: '<@U000BOT> users 24h', userId: 'U0BOB', channelId: 'C0TOP', ts: asked.ts });
    await eventually(() => bot.fake.files.find((f) => f.completed && f.channel_id === 'C0TOP'));
    await bot.parts.runner.idle();
    const posted = bot.fake.messages.slice(before).filter((m) => m.channel === 'C0TOP');
    expect(posted.map((m) => m.thread_ts)).toEqual([asked.ts, asked.ts]);
  });

  test('dedupe is per thread: the same question twice in one thread is one, in another thread it is asked again', async () => {
    const one = bot.fake.seedMessage('C0DEDUPE', 'incident one');
    const two = bot.fake.seedMessage('C0DEDUPE', 'incident two');
    const ask = (threadTs: string) =>
      mention(bot, {
        text: '<@U000BOT> errors 24h',
        userId: 'U0CAROL',
        channelId: 'C0DEDUPE',
        ts: replyTs(),
        threadTs,
      });
    await ask(one.ts);
    await eventually(() => bot.fake.files.find((f) => f.completed && f.thread_ts === one.ts));
    await bot.parts.runner.idle();
    await ask(one.ts);
    const pointer = await eventually(() =>
      bot.fake.ephemerals.find((x) => x.channel === 'C0DEDUPE' && x.thread_ts === one.ts),
    );
    expect(pointer.user).toBe('U0CAROL');
    await ask(two.ts);
    await eventually(() => bot.fake.files.find((f) => f.completed && f.thread_ts === two.ts));
    await bot.parts.runner.idle();
    const executions = await bot.parts.store.listByChannel('C0DEDUPE', 10);
    expect(executions.map((x) => x.threadTs).sort()).toEqual([one.ts, two.ts].sort());
  });

  test('a usage error is told to the asker alone, in the thread; nothing is posted', async () => {
    const thread = bot.fake.seedMessage('C0USAGE', 'incident');
    const before = bot.fake.messages.length;
    await mention(bot, {
      text: '<@U000BOT> sg sg-zz',
      userId: 'U0DAN',
      channelId: 'C0USAGE',
      ts: replyTs(),
      threadTs: thread.ts,
    });
    const said = await eventually(() => bot.fake.ephemerals.find((x) => x.channel === 'C0USAGE'));
    expect(said).toMatchObject({ user: 'U0DAN', thread_ts: thread.ts });
    expect(said.text).toContain('`sg-zz` is not a security group id or network interface id');
    expect(said.text).toContain('Usage: /trail sg');
    expect(bot.fake.messages.length).toBe(before);
  });

  test('the access policy applies: a denied mention is refused in the thread and audited', async () => {
    const thread = bot.fake.seedMessage('C0SECOPS', 'incident');
    await mention(bot, {
      text: '<@U000BOT> root 7d',
      userId: 'U0EVE',
      channelId: 'C0SECOPS',
      ts: replyTs(),
      threadTs: thread.ts,
    });
    const said = await eventually(() =>
      bot.fake.ephemerals.find((x) => x.channel === 'C0SECOPS' && x.thread_ts === thread.ts),
    );
    expect(said.text).toContain('`root` may only run in <#C0COMPLIANCE>');
    const audit = await eventually(async () =>
      (await bot.parts.store.listAudit({ channelId: 'C0SECOPS' })).find((a) => a.userId === 'U0EVE'),
    );
    expect(audit).toMatchObject({ action: 'denied', command: 'root', detail: 'root 7d' });
    expect(bot.fake.messages.filter((m) => m.channel === 'C0SECOPS' && m.thread_ts === thread.ts)).toEqual([]);
  });
});

describe('mentionText', () => {
  test('the bot mention is removed; the rest is the command text as /trail would receive it', () => {
    expect(mentionText('<@U000BOT> sg sg-5887f224 12h', 'U000BOT')).toBe('sg sg-5887f224 12h');
    expect(mentionText('<@U000BOT|trailbot>   who  arn:aws:s3:::b', 'U000BOT')).toBe('who  arn:aws:s3:::b');
    expect(mentionText('please <@U000BOT> ip 10.0.0.1', 'U000BOT')).toBe('please  ip 10.0.0.1');
    expect(mentionText('<@U000BOT> /trail users 24h', 'U000BOT')).toBe('users 24h');
    // Slack's escaping undone exactly as for slash commands.
    expect(mentionText('<@U000BOT> user &lt;bob&gt; &amp;lt;', 'U000BOT')).toBe('user <bob> &lt;');
    expect(mentionText('<@U000BOT> who <mailto:bob@example.com|bob@example.com>', 'U000BOT')).toBe(
      'who bob@example.com',
    );
    // Someone else's mention stays (and the parser will refuse it); without the bot id the leading mention goes.
    expect(mentionText('<@U000BOT> user <@U0EVE>', 'U000BOT')).toBe('user <@U0EVE>');
    expect(mentionText('<@U000BOT> users', undefined)).toBe('users');
  });
});
