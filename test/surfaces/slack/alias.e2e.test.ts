/**
 * Saved questions end to end (issue 17 item 6): signed `/trail` requests through the Bolt receiver, the real front
 * door, alias and schedule stores (dynalite), runner and DuckDB over generated logs, answers in the fake Slack.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSampleData, sampleAccountIds } from '../../../src/sample/generate';
import { eventually, type SlackBot, startSlackBot } from '../../helpers/bot';
import { blockKitProblems } from '../../helpers/fake-slack';

const LEAD = 'U0LEAD';
const ALICE = 'U0ALICE';
const SECOPS = 'C0SECOPS';

describe('saved questions through the signed receiver', () => {
  let dataDir: string;
  let bot: SlackBot;
  let schedulerTime = Date.now();
  const account = sampleAccountIds(1)[0]!;
  const question = `sg sg-5887f224 account:${account}`;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'trail-alias-e2e-'));
    await generateSampleData({
      outDir: dataDir,
      days: 2,
      eventsPerDay: 300,
      accounts: [account],
      regions: ['us-east-1'],
      seed: 11,
      now: new Date(),
    });
    bot = await startSlackBot({
      dataDir,
      config: { policy: { default: {}, commands: {}, admins: [LEAD] } },
      schedulerNow: () => new Date(schedulerTime),
    });
  });
  afterAll(async () => {
    await bot.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The next response_url post whose text matches, after `from`. */
  const responseAfter = (from: number, pattern: RegExp) =>
    eventually(() => bot.fake.responses.slice(from).find((r) => pattern.test(String(r.body.text ?? ''))), 10_000).then(
      (r) => String(r.body.text),
    );

  test('an admin saves an alias; another user asks it with a window and gets the answer in a thread', async () => {
    let from = bot.fake.responses.length;
    expect((await bot.command(`alias prod-sg = ${question}`, { userId: LEAD, channelId: SECOPS })).status).toBe(200);
    expect(await responseAfter(from, /prod-sg/)).toContain(`Saved \`prod-sg\` as \`/trail ${question}\`.`);

    const before = bot.fake.messages.length;
    expect((await bot.command('prod-sg 12h', { userId: ALICE, channelId: SECOPS })).status).toBe(200);
    const parent = await eventually(() =>
      bot.fake.messages.slice(before).find((m) => m.channel === SECOPS && !m.thread_ts),
    );
    await eventually(() => bot.fake.files.find((f) => f.completed && f.thread_ts === parent.ts));
    await bot.parts.runner.idle();
    // The parent shows who asked and the question the alias stands for.
    expect(parent.history[0]?.text).toContain(`<@${ALICE}>`);
    expect(JSON.stringify(parent.history[0])).toContain('sg-5887f224');
    const reply = bot.fake.messages.find((m) => m.thread_ts === parent.ts)!;
    expect(blockKitProblems(reply.blocks)).toEqual([]);
    expect(JSON.stringify(reply.blocks)).toContain('0.0.0.0/0');
    expect(JSON.stringify(reply.blocks)).toContain('world-open');
    const [execution] = await bot.parts.store.listByChannel(SECOPS, 1);
    expect(execution).toMatchObject({ command: 'sg', userId: ALICE, commandText: `${question} 12h` });

    from = bot.fake.responses.length;
    await bot.command('aliases', { userId: ALICE, channelId: SECOPS });
    expect(await responseAfter(from, /alias/)).toMatch(
      new RegExp(`• \`prod-sg\` = \`/trail ${question}\`, set by <@${LEAD}> on \\d{4}-\\d\\d-\\d\\d`),
    );
  });

  test('a non-admin cannot save an alias: refused, and the refusal is audited', async () => {
    const from = bot.fake.responses.length;
    await bot.command('alias mine = root', { userId: ALICE, channelId: SECOPS });
    expect(await responseAfter(from, /alias/)).toBe(
      `You cannot save an alias: only trailbot admins (<@${LEAD}>) may change aliases.`,
    );
    const audit = await eventually(async () => {
      const entries = await bot.parts.store.listAudit({ channelId: SECOPS });
      return entries.find((e) => e.action === 'denied' && e.command === 'alias');
    });
    expect(audit).toMatchObject({ userId: ALICE, detail: 'alias mine = root' });
    expect((await bot.command('mine', { userId: ALICE, channelId: SECOPS })).body).toContain(
      '`mine` is not a trailbot command.',
    );
  });

  test('an alias in a schedule: the schedule keeps the question, runs it, and outlives the alias', async () => {
    let from = bot.fake.responses.length;
    await bot.command('schedule prod-sg daily 09:00 UTC', { userId: LEAD, channelId: SECOPS });
    const created = await responseAfter(from, /unschedule/);
    expect(created).toContain(`Scheduled \`/trail ${question}\` daily 09:00 UTC`);
    const id = /unschedule (\w+)/.exec(created)![1]!;

    // Removing the alias does not change the schedule: it stored the question, not the name.
    from = bot.fake.responses.length;
    await bot.command('unalias prod-sg', { userId: LEAD, channelId: SECOPS });
    expect(await responseAfter(from, /Removed/)).toContain('Removed `prod-sg`');

    const before = bot.fake.messages.length;
    const next = new Date();
    next.setUTCHours(9, 1, 0, 0);
    if (next.getTime() <= Date.now()) next.setUTCDate(next.getUTCDate() + 1);
    schedulerTime = next.getTime();
    expect(await bot.parts.scheduler!.tick()).toBe(1);
    await bot.parts.scheduler!.idle();
    await bot.parts.runner.idle();
    const posted = bot.fake.messages.slice(before).filter((m) => m.channel === SECOPS);
    const parent = posted.find((m) => !m.thread_ts)!;
    const reply = await eventually(() => bot.fake.messages.find((m) => m.thread_ts === parent.ts));
    expect(JSON.stringify(reply.blocks)).toContain(`stop it with \`/trail unschedule ${id}\``);
    expect(blockKitProblems(reply.blocks)).toEqual([]);
    const [execution] = await bot.parts.store.listByChannel(SECOPS, 1);
    expect(execution).toMatchObject({ command: 'sg', scheduleId: id });
    expect(execution!.commandText).toContain(question);
  });
});
