/**
 * A watch end to end (issue 19): `/trail watch tamper every 15m` through the signed Bolt receiver, the real front door,
 * store (dynalite), watcher, runner and DuckDB over the real Stratus Red Team `cloudtrail-stop` detonation (its records
 * moved to just before the watch's first slot and delivered into a temporary trail folder, never copied into the
 * project), answers in the fake Slack. The watch's clock is the bot's scheduler clock, moved by hand.
 */
import { rmSync } from 'node:fs';
import { parseCsv } from '../../../src/util/csv';
import { deliverToTempFolder, type Event, HAVE_STRATUS, STRATUS, stratusFiles } from '../../detections/helpers';
import { eventually, SIGNING_SECRET, type SlackBot, startSlackBot } from '../../helpers/bot';
import { blockKitProblems } from '../../helpers/fake-slack';
import { blockActionPayload, interactiveBody, signSlackRequest } from '../../helpers/slack-signing';

const MINUTE = 60_000;
/** The watch's first slot: the next quarter hour after now (the watch is created with the real time). */
const firstSlot = Math.ceil((Date.now() + 1) / (15 * MINUTE)) * 15 * MINUTE;

/**
 * The detonation's records moved to 10 minutes before the first slot, in their own order: inside the first run's
 * window whether that run is at `firstSlot` or, when the test started right at a quarter hour, one slot later.
 */
function movedBeforeFirstSlot(records: Event[]): Event[] {
  const times = records.map((r) => Date.parse(String(r.eventTime)));
  const shift = firstSlot - 10 * MINUTE - Math.min(...times);
  return records.map((r) => ({
    ...r,
    eventTime: new Date(Date.parse(String(r.eventTime)) + shift).toISOString().replace('.000Z', 'Z'),
  }));
}

if (!HAVE_STRATUS) console.log(`skipping the watch end-to-end test: ${STRATUS} does not exist`);

(HAVE_STRATUS ? describe : describe.skip)('a watch through the signed receiver, on a real detonation', () => {
  let dataDir: string;
  let bot: SlackBot;
  let clock = Date.now();

  beforeAll(async () => {
    const records = stratusFiles().get('defense-evasion.cloudtrail-stop');
    if (!records) throw new Error('the cloudtrail-stop detonation is missing');
    dataDir = deliverToTempFolder(movedBeforeFirstSlot(records));
    bot = await startSlackBot({ dataDir, schedulerNow: () => new Date(clock) });
  });
  afterAll(async () => {
    await bot?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const parents = () => bot.fake.messages.filter((m) => m.channel === 'C0SECOPS' && !m.thread_ts);

  test('created by typing; its first run posts the finding as a thread with the flag and the CSV; a quiet run posts nothing', async () => {
    const ack = await bot.command('watch tamper every 15m', { channelId: 'C0SECOPS', userId: 'U0ALICE' });
    expect(ack.status).toBe(200);
    const confirmation = await eventually(() =>
      bot.fake.responses.map((r) => JSON.stringify(r.body)).find((b) => b.includes('Watching')),
    );
    expect(confirmation).toContain('/trail unwatch w');
    const watcher = bot.parts.watcher!;

    // Before the first slot nothing is due.
    clock = firstSlot - MINUTE;
    expect(await watcher.tick()).toBe(0);

    clock = firstSlot + 5_000;
    // Created just after a quarter hour passed since this file was loaded: its first slot is the next one.
    if ((await watcher.tick()) === 0) {
      clock += 15 * MINUTE;
      expect(await watcher.tick()).toBe(1);
    }
    await watcher.idle();
    await bot.parts.runner.idle();
    expect(parents()).toHaveLength(1);
    const parent = parents()[0]!;
    // The thread says it is a watch's, whose, and (in the answer) how to stop it.
    expect(parent.text).toContain('<@U0ALICE> watches `/trail tamper`');
    const reply = await eventually(() => bot.fake.messages.find((m) => m.thread_ts === parent.ts));
    const file = await eventually(() => bot.fake.files.find((f) => f.completed && f.thread_ts === parent.ts));
    expect(blockKitProblems(reply.blocks)).toEqual([]);
    const shown = JSON.stringify(reply.blocks);
    expect(shown).toContain('stopped logging on trail stratus-red-team-ct-stop-trail');
    expect(shown).toContain('"type":"table"');
    expect(shown).toMatch(
      /Watch `w[0-9a-z]{11}` by <@U0ALICE>: only what no earlier run posted; stop it with `\/trail unwatch w[0-9a-z]{11}`/,
    );
    const csv = parseCsv(file.bytes!.subarray(3).toString('utf8'));
    const names = csv.slice(1).map((row) => row[csv[0]!.indexOf('eventname')]);
    expect(names).toContain('StopLogging');
    const ids = csv.slice(1).map((row) => row[csv[0]!.indexOf('eventid')]);
    expect(new Set(ids).size).toBe(ids.length);

    // The next run's window overlaps the first by the delivery lag and holds the same events: nothing new, no post.
    const messagesBefore = bot.fake.messages.length;
    const filesBefore = bot.fake.files.length;
    clock += 15 * MINUTE;
    expect(await watcher.tick()).toBe(1);
    await watcher.idle();
    await bot.parts.runner.idle();
    expect(bot.fake.messages.length).toBe(messagesBefore);
    expect(bot.fake.files.length).toBe(filesBefore);
    expect(parents()).toHaveLength(1);

    // `/trail watches` lists it with its last run.
    await bot.command('watches', { channelId: 'C0SECOPS', userId: 'U0ALICE' });
    const listed = await eventually(() =>
      bot.fake.responses.map((r) => JSON.stringify(r.body)).find((b) => b.includes('1 watch in this channel')),
    );
    expect(listed).toContain('every 15m');
  });

  test('a pivot from the watch’s thread asks its question in that thread', async () => {
    const parent = parents()[0]!;
    const reply = bot.fake.messages.find((m) => m.thread_ts === parent.ts)!;
    // Pivot elements carry `trail_pivot/…` block ids (src/surfaces/slack/pivots.ts).
    type Element = { action_id?: string; value?: string; options?: { value: string }[] };
    const block = (reply.blocks as { block_id?: string; elements?: Element[]; accessory?: Element }[]).find((b) =>
      b.block_id?.startsWith('trail_pivot/'),
    );
    expect(block).toBeDefined();
    const element = block!.elements?.[0] ?? block!.accessory!;
    const value = element.value ?? element.options![0]!.value;
    const payload = blockActionPayload({
      actionId: element.action_id!,
      value,
      userId: 'U0ALICE',
      channelId: 'C0SECOPS',
      messageTs: reply.ts,
      responseUrl: bot.fake.responseUrl(),
    });
    const action = (payload.actions as Record<string, unknown>[])[0]!;
    action.block_id = block!.block_id;
    if (element.options) {
      action.type = 'overflow';
      action.selected_option = { text: { type: 'plain_text', text: 'pivot' }, value };
    }
    const inThread = () => bot.fake.messages.filter((m) => m.thread_ts === parent.ts);
    const before = inThread().length;
    const signed = signSlackRequest(SIGNING_SECRET, interactiveBody(payload));
    const res = await fetch(bot.eventsUrl, { method: 'POST', headers: signed.headers, body: signed.body });
    expect(res.status).toBe(200);
    // The pivot's question and its answer arrive in the watch's thread, not as a new top-level post.
    await eventually(() => (inThread().length >= before + 2 ? true : undefined));
    await bot.parts.runner.idle();
    expect(parents()).toHaveLength(1);
    const added = inThread().slice(before);
    expect(added.some((m) => m.text?.includes('<@U0ALICE> asked `/trail user arn:aws:iam::'))).toBe(true);
    expect(added.some((m) => m.text?.includes('Pivot from row 1 of `/trail tamper`'))).toBe(true);
  });
});
