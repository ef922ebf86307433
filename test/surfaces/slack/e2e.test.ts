import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ResultPage } from '../../../src/core/engine';
import { DuckDbEngine } from '../../../src/engines/duckdb';
import { generateSampleData, sampleAccountIds } from '../../../src/sample/generate';
import { consoleEventUrl } from '../../../src/util/console-link';
import { parseCsv } from '../../../src/util/csv';
import { eventually, type SlackBot, startSlackBot } from '../../helpers/bot';
import { queryOf } from '../../helpers/commands';
import { blockKitProblems } from '../../helpers/fake-slack';

/** The product, end to end: a signed /trail through Bolt, DuckDB over generated logs, answers in a fake Slack. */
describe('Slack end to end on the embedded engine', () => {
  let dataDir: string;
  let bot: SlackBot;
  let schedulerTime = Date.now();

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'trail-e2e-data-'));
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
      schedulerNow: () => new Date(schedulerTime),
    });
  });
  afterAll(async () => {
    await bot.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('/trail sg sg-5887f224 12h → parent, thread with table, world-open flag and the full CSV, parent updated', async () => {
    const ack = await bot.command('sg sg-5887f224 12h', { channelId: 'C0SECOPS', userId: 'U0ALICE' });
    expect(ack.status).toBe(200);

    const parent = await eventually(() => bot.fake.messages.find((m) => m.channel === 'C0SECOPS' && !m.thread_ts));
    const file = await eventually(() => bot.fake.files.find((f) => f.completed && f.thread_ts === parent.ts));
    await bot.parts.runner.idle();

    // Parent: who asked and what, then updated with the final state.
    expect(parent.history[0]?.text).toContain('<@U0ALICE>');
    expect(parent.history.length).toBeGreaterThanOrEqual(1);
    expect(parent.text).toMatch(/2 rows/);

    // The thread reply: a table and the world-open flag, within Block Kit limits.
    const reply = bot.fake.messages.find((m) => m.thread_ts === parent.ts)!;
    expect(reply).toBeDefined();
    expect(blockKitProblems(reply.blocks)).toEqual([]);
    expect(JSON.stringify(reply.blocks)).toContain('"type":"table"');
    expect(JSON.stringify(reply.blocks)).toContain('0.0.0.0/0');
    expect(JSON.stringify(reply.blocks)).toContain('world-open');

    // The CSV in the thread equals what the engine returns for the same question.
    const engine = new DuckDbEngine({ dataDir, logger: () => {} });
    const q = queryOf('sg sg-5887f224 12h', { config: bot.config, now: new Date() }).query;
    const id = await engine.start(q, { executionId: 'direct' });
    await eventually(async () => ((await engine.status(id)).state === 'SUCCEEDED' ? true : undefined));
    const pages: ResultPage[] = [];
    for await (const p of engine.results(id)) pages.push(p);
    await engine.close();
    // The upload starts with a UTF-8 byte-order mark (for Excel); the rest is the spooled RFC 4180 file.
    expect([...file.bytes!.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csv = parseCsv(file.bytes!.subarray(3).toString('utf8'));
    // …plus the console link the bot adds to every event (issue 17, item 3), built from the row's own fields.
    expect(csv[0]).toEqual([...pages[0]!.columns, 'console_url']);
    const column = (name: string) => pages[0]!.columns.indexOf(name);
    const withLinks = pages.flatMap((p) =>
      p.rows.map((r) => [
        ...r.map((c) => c ?? ''),
        consoleEventUrl({
          eventId: r[column('eventid')],
          region: r[column('awsregion')],
          account: r[column('recipientaccountid')],
        }) ?? '',
      ]),
    );
    expect(csv.slice(1)).toEqual(withLinks);
    expect(withLinks.every((r) => r.at(-1)!.startsWith('https://us-east-1.console.aws.amazon.com/'))).toBe(true);
    expect(csv.slice(1).map((r) => r[0])).toEqual(['ModifyNetworkInterfaceAttribute', 'AuthorizeSecurityGroupIngress']);

    // Every message the bot sent passed the fake's Block Kit checks.
    expect(bot.fake.calls.filter((c) => c.response && c.response.error === 'invalid_blocks')).toEqual([]);
  });

  test('Slack answers 429 once for chat.postMessage: the message still arrives, once', async () => {
    const before = bot.fake.messages.length;
    bot.fake.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    expect((await bot.command('errors 24h', { channelId: 'C0RATE', userId: 'U0BOB' })).status).toBe(200);
    await eventually(() => bot.fake.files.find((f) => f.channel_id === 'C0RATE' && f.completed));
    await bot.parts.runner.idle();
    const inChannel = bot.fake.messages.slice(before).filter((m) => m.channel === 'C0RATE');
    expect(inChannel.filter((m) => !m.thread_ts)).toHaveLength(1);
    expect(inChannel.filter((m) => m.thread_ts)).toHaveLength(1);
    expect(bot.fake.callsTo('chat.postMessage').filter((c) => c.status === 429)).toHaveLength(1);
  });

  test('Slack down while answering: the execution stays unpublished, and the next sweep posts it once', async () => {
    bot.fake.failNext('chat.postMessage', { status: 500 }, 1000);
    expect((await bot.command('users 24h', { channelId: 'C0DOWN', userId: 'U0CAROL' })).status).toBe(200);
    const [e] = await eventually(async () => {
      const list = await bot.parts.store.listByChannel('C0DOWN', 1);
      return list[0]?.state === 'SUCCEEDED' && (list[0].publishAttempts ?? 0) > 0 ? list : undefined;
    }, 60_000);
    await bot.parts.runner.idle();
    expect((await bot.parts.store.get(e!.id))?.state).toBe('SUCCEEDED');
    bot.fake.clearFailures();
    // Slack is back: the sweep (runner.resume, every minute in the bot) finishes it.
    expect(await bot.parts.runner.resume()).toBe(1);
    await bot.parts.runner.idle();
    expect((await bot.parts.store.get(e!.id))?.state).toBe('PUBLISHED');
    const inChannel = bot.fake.messages.filter((m) => m.channel === 'C0DOWN');
    expect(inChannel.filter((m) => m.thread_ts)).toHaveLength(1);
    expect(bot.fake.files.filter((f) => f.channel_id === 'C0DOWN' && f.completed)).toHaveLength(1);
  }, 90_000);

  test('a bad command gets its usage in the ack, nothing is posted in the channel', async () => {
    const before = bot.fake.messages.length;
    const ack = await bot.command('sg sg-zz', { channelId: 'C0SECOPS' });
    expect(ack.status).toBe(200);
    expect(ack.body).toContain('`sg-zz` is not a security group id or network interface id');
    expect(ack.body).toContain('Usage: /trail sg');
    expect(bot.fake.messages.length).toBe(before);
  });

  test('access policy: root outside the compliance channel is denied ephemerally and audited', async () => {
    const ack = await bot.command('root 7d', { channelId: 'C0SECOPS', userId: 'U0EVE' });
    expect(ack.body).toContain('`root` may only run in <#C0COMPLIANCE>');
    const audit = await eventually(async () => {
      const entries = await bot.parts.store.listAudit({ channelId: 'C0SECOPS' });
      return entries.find((a) => a.action === 'denied');
    });
    expect(audit).toMatchObject({ userId: 'U0EVE', command: 'root' });
    // Allowed where the policy says.
    expect((await bot.command('root 7d', { channelId: 'C0COMPLIANCE' })).body).not.toContain('may only run');
    await bot.parts.runner.idle();
  });

  test('show SQL and status answer the clicking user; history lists the channel', async () => {
    const [e] = await bot.parts.store.listByChannel('C0SECOPS', 1);
    expect(e).toBeDefined();
    expect(await bot.click('trail_show_sql', e!.id, { channelId: 'C0SECOPS' })).toBe(200);
    const shown = await eventually(() =>
      bot.fake.responses.find((r) => String(r.body.text ?? '').includes('FROM cloudtrail_logs')),
    );
    expect(String(shown.body.text)).toContain('sql/security_group_changes.sql');
    await bot.command('history', { channelId: 'C0SECOPS' });
    const history = await eventually(() =>
      bot.fake.responses.find((r) => String(r.body.text ?? '').startsWith('Last ')),
    );
    expect(String(history.body.text)).toContain('`/trail sg sg-5887f224 12h`');
  });

  test('a daily root schedule posts its summary thread, saying it is scheduled and how to stop it', async () => {
    const ack = await bot.command('schedule root daily 09:00 UTC', { channelId: 'C0COMPLIANCE', userId: 'U0LEAD' });
    expect(ack.status).toBe(200);
    const created = await eventually(
      () => bot.fake.responses.find((r) => String(r.body.text ?? '').includes('unschedule')),
      3000,
    ).catch((e) => {
      console.log(ack.body, JSON.stringify(bot.fake.responses.slice(-3)));
      throw e;
    });
    const id = /unschedule (\w+)/.exec(String(created.body.text))![1]!;
    const before = bot.fake.messages.length;
    // Move the scheduler's clock past the next 09:00 UTC; one tick runs the due slot once.
    const next = new Date();
    next.setUTCHours(9, 1, 0, 0);
    if (next.getTime() <= Date.now()) next.setUTCDate(next.getUTCDate() + 1);
    schedulerTime = next.getTime();
    expect(await bot.parts.scheduler!.tick()).toBe(1);
    expect(await bot.parts.scheduler!.tick()).toBe(0);
    await bot.parts.scheduler!.idle();
    await bot.parts.runner.idle();
    const posted = bot.fake.messages.slice(before).filter((m) => m.channel === 'C0COMPLIANCE');
    const parent = posted.find((m) => !m.thread_ts)!;
    const reply = posted.find((m) => m.thread_ts === parent.ts)!;
    expect(reply).toBeDefined();
    expect(JSON.stringify(reply.blocks)).toContain(`Scheduled by <@U0LEAD>; stop it with \`/trail unschedule ${id}\``);
    expect(blockKitProblems(reply.blocks)).toEqual([]);
    const responsesBefore = bot.fake.responses.length;
    await bot.command('schedules', { channelId: 'C0COMPLIANCE' });
    const listed = await eventually(() =>
      bot.fake.responses.slice(responsesBefore).find((r) => String(r.body.text ?? '').includes(`\`${id}\``)),
    );
    expect(String(listed.body.text)).toContain('root');
    // The list shows the last result of the run that just posted.
    expect(String(listed.body.text)).toMatch(/rows|nothing found/);
  });
});
