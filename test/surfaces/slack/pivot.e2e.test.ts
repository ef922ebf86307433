import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSampleData, sampleAccountIds } from '../../../src/sample/generate';
import { eventually, type SlackBot, startSlackBot } from '../../helpers/bot';
import { blockKitProblems, type FakeMessage } from '../../helpers/fake-slack';
import { elementClick } from '../../helpers/slack-events';

interface Element {
  type: string;
  action_id: string;
  value?: string;
  options?: { value: string }[];
}
interface Block {
  type: string;
  block_id?: string;
  elements?: Element[];
  accessory?: Element;
}

/**
 * Issue 17 item 2: the answer's flagged rows offer their next questions as buttons, every shown row as an overflow
 * menu; a click asks that question in the same thread, through the front door, and its parent names the origin row.
 * Signed block_actions to Bolt's real HTTP receiver, DuckDB over generated logs, fake Slack checking every block.
 */
describe('Pivots from an answer, in its thread', () => {
  let dataDir: string;
  let bot: SlackBot;
  let parent: FakeMessage;
  let reply: FakeMessage;
  let originId: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'trail-pivot-e2e-'));
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
      // Only the incident lead may ask what one principal did; anyone may ask the rest.
      config: { policy: { default: {}, commands: { user: { users: ['U0ALICE'] } } } },
    });
    await bot.command('sg sg-5887f224 12h', { channelId: 'C0PIVOT', userId: 'U0ALICE' });
    await eventually(() => bot.fake.files.find((f) => f.completed && f.channel_id === 'C0PIVOT'));
    await bot.parts.runner.idle();
    parent = bot.fake.messages.find((m) => m.channel === 'C0PIVOT' && !m.thread_ts)!;
    reply = bot.fake.messages.find((m) => m.channel === 'C0PIVOT' && m.thread_ts === parent.ts)!;
    originId = (await bot.parts.store.listByChannel('C0PIVOT', 1))[0]!.id;
  });
  afterAll(async () => {
    await bot.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const blocks = () => reply.blocks as Block[];
  /** Messages of one execution's answer in the thread: its parent (a reply) and its result. */
  const threadMessages = () => bot.fake.messages.filter((m) => m.channel === 'C0PIVOT' && m.thread_ts === parent.ts);

  test('the answer offers buttons for its flagged row and a menu per shown row, within Block Kit limits', () => {
    expect(blockKitProblems(reply.blocks)).toEqual([]);
    const flagged = blocks().filter((b) => b.block_id?.startsWith('trail_pivot/f/'));
    expect(flagged.map((b) => b.block_id!.split('/').slice(0, 4).join('/'))).toEqual([`trail_pivot/f/${originId}/1`]);
    expect(flagged[0]!.elements!.map((e) => e.value!.split(' ')[0])).toEqual(['user', 'ip', 'who']);
    const rows = blocks().filter((b) => b.block_id?.startsWith('trail_pivot/r/'));
    expect(rows.map((b) => b.accessory?.type)).toEqual(['overflow', 'overflow']);
    for (const b of rows) for (const o of b.accessory!.options!) expect(o.value.length).toBeLessThanOrEqual(150);
  });

  test('a pivot button asks its question in the same thread; the parent names the row it came from', async () => {
    const flagged = blocks().find((b) => b.block_id?.startsWith(`trail_pivot/f/${originId}/1/`))!;
    const principal = flagged.elements!.find((e) => e.action_id === 'trail_pivot_principal')!;
    expect(principal.value).toBe('user arn:aws:iam::111122223333:user/bobodell');
    // The row's window (±1 h around the event) rides in the block id.
    const window = flagged.block_id!.split('/').slice(4).join('/');
    expect(window).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\dZ\.\.\d{4}-\d\d-\d\dT\d\d:\d\dZ$/);
    const before = threadMessages().length;
    const res = await elementClick(bot, {
      blockId: flagged.block_id!,
      element: { type: 'button', action_id: principal.action_id, value: principal.value! },
      userId: 'U0ALICE',
      channelId: 'C0PIVOT',
      messageTs: reply.ts,
    });
    expect(res.status).toBe(200);
    const file = await eventually(() =>
      bot.fake.files.find((f) => f.completed && f.thread_ts === parent.ts && f.title?.startsWith('/trail user')),
    );
    await bot.parts.runner.idle();
    const added = threadMessages().slice(before);
    expect(added).toHaveLength(2); // the pivot's parent and its answer, both in the thread
    const pivotParent = added[0]!;
    expect(pivotParent.text).toContain(`Pivot from row 2 of \`/trail sg sg-5887f224 12h\` (\`${originId}\`)`);
    expect(pivotParent.text).toContain('what else this principal did');
    expect(blockKitProblems(added[1]!.blocks)).toEqual([]);
    expect(file.channel_id).toBe('C0PIVOT');

    const [e] = await bot.parts.store.listByChannel('C0PIVOT', 1);
    expect(e).toMatchObject({
      command: 'user',
      commandText: `${principal.value} ${window}`,
      userId: 'U0ALICE',
      threadTs: parent.ts,
      origin: { executionId: originId, row: 1, kind: 'principal', commandText: 'sg sg-5887f224 12h' },
    });
    const said = await eventually(() =>
      bot.fake.responses.find((r) => String(r.body.text ?? '').startsWith('Asking `/trail user')),
    );
    expect(said.body.response_type).toBe('ephemeral');

    // The same click again is the same question in the same thread: deduplicated, nothing new posted.
    const count = threadMessages().length;
    await elementClick(bot, {
      blockId: flagged.block_id!,
      element: { type: 'button', action_id: principal.action_id, value: principal.value! },
      userId: 'U0ALICE',
      channelId: 'C0PIVOT',
    });
    // Told through the click's response_url, so only the clicker sees it, where they clicked.
    await eventually(() =>
      bot.fake.responses.find((r) => String(r.body.text ?? '').includes(`The same question was just answered`)),
    );
    await bot.parts.runner.idle();
    expect(threadMessages().length).toBe(count);
    const users = (await bot.parts.store.listByChannel('C0PIVOT', 10)).filter((x) => x.command === 'user');
    expect(users).toHaveLength(1);
  });

  test("a row's overflow option runs its pivot (everything from the source address) in the thread", async () => {
    const row = blocks().find((b) => b.block_id?.startsWith(`trail_pivot/r/${originId}/0/`))!;
    const source = row.accessory!.options!.find((o) => o.value.startsWith('source '))!;
    const before = threadMessages().length;
    await elementClick(bot, {
      blockId: row.block_id!,
      element: { type: 'overflow', action_id: row.accessory!.action_id, value: source.value },
      userId: 'U0BOB',
      channelId: 'C0PIVOT',
    });
    await eventually(() =>
      bot.fake.files.find((f) => f.completed && f.thread_ts === parent.ts && f.title?.startsWith('/trail ip')),
    );
    await bot.parts.runner.idle();
    const added = threadMessages().slice(before);
    expect(added[0]!.text).toContain('Pivot from row 1 of');
    expect(added[0]!.text).toContain('everything from this source address');
    const [e] = await bot.parts.store.listByChannel('C0PIVOT', 1);
    const window = row.block_id!.split('/').slice(4).join('/');
    expect(e).toMatchObject({
      command: 'ip',
      commandText: `${source.value.slice('source '.length)} ${window}`,
      userId: 'U0BOB',
    });
  });

  test("a denied user's pivot is refused to them alone and audited; nothing runs", async () => {
    const flagged = blocks().find((b) => b.block_id?.startsWith(`trail_pivot/f/${originId}/1/`))!;
    const principal = flagged.elements!.find((e) => e.action_id === 'trail_pivot_principal')!;
    const messages = bot.fake.messages.length;
    const executions = (await bot.parts.store.listByChannel('C0PIVOT', 20)).length;
    await elementClick(bot, {
      blockId: flagged.block_id!,
      element: { type: 'button', action_id: principal.action_id, value: principal.value! },
      userId: 'U0EVE',
      channelId: 'C0PIVOT',
    });
    const refused = await eventually(() =>
      bot.fake.responses.find((r) => String(r.body.text ?? '').includes('`user` may only be run by <@U0ALICE>')),
    );
    expect(refused.body.response_type).toBe('ephemeral');
    const audit = await eventually(async () =>
      (await bot.parts.store.listAudit({ channelId: 'C0PIVOT' })).find((a) => a.userId === 'U0EVE'),
    );
    expect(audit).toMatchObject({
      action: 'denied',
      command: 'user',
      detail: `pivot from ${originId} row 2: ${principal.value} ${flagged.block_id!.split('/').slice(4).join('/')}`,
    });
    await bot.parts.runner.idle();
    expect(bot.fake.messages.length).toBe(messages);
    expect((await bot.parts.store.listByChannel('C0PIVOT', 20)).length).toBe(executions);
  });

  test('a click trailbot did not build is ignored, not run', async () => {
    const executions = (await bot.parts.store.listByChannel('C0PIVOT', 20)).length;
    const res = await elementClick(bot, {
      blockId: 'trail_pivot/f/not-an-id!/1/2026-11-20T07:00Z..2026-11-20T09:00Z',
      element: { type: 'button', action_id: 'trail_pivot_principal', value: 'users 24h' },
      userId: 'U0ALICE',
      channelId: 'C0PIVOT',
    });
    expect(res.status).toBe(200);
    // A principal pivot that asks another command is refused too, whatever the block says.
    await elementClick(bot, {
      blockId: `trail_pivot/f/${originId}/1/2026-11-20T07:00Z..2026-11-20T09:00Z`,
      element: { type: 'button', action_id: 'trail_pivot_principal', value: 'users' },
      userId: 'U0ALICE',
      channelId: 'C0PIVOT',
    });
    await eventually(() => bot.fake.responses.find((r) => r.body.text === 'That is not a pivot trailbot offered.'));
    await bot.parts.runner.idle();
    expect((await bot.parts.store.listByChannel('C0PIVOT', 20)).length).toBe(executions);
  });
});
