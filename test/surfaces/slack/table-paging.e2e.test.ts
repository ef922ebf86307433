import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ACTION_IDS } from '../../../src/surfaces/slack/kit';
import { consoleEventUrl } from '../../../src/util/console-link';
import { eventually, type SlackBot, startSlackBot } from '../../helpers/bot';
import { blockKitProblems, type FakeMessage } from '../../helpers/fake-slack';
import { ScriptedEngine } from '../../helpers/scripted-engine';

/** The columns of `recent` (sql/recent_events.sql), in the template's order. */
const RECENT_COLUMNS = [
  'eventtime',
  'eventname',
  'eventsource',
  'identity_type',
  'principal_arn',
  'sourceipaddress',
  'awsregion',
  'recipientaccountid',
  'errorcode',
  'eventid',
];

const eventId = (n: number) => `7d3c1a2b-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** 45 events, newest first; row 7's event id is hostile, so it must get no console link. */
function recentRows(): (string | null)[][] {
  return Array.from({ length: 45 }, (_, i) => [
    `2026-11-30T12:${String(59 - i).padStart(2, '0')}:00Z`,
    `Call${i + 1}`,
    'ec2.amazonaws.com',
    'IAMUser',
    'arn:aws:iam::111122223333:user/alice',
    '198.51.100.7',
    'eu-west-1',
    '111122223333',
    null,
    i === 6 ? `<https://evil.example|${eventId(7)}>` : eventId(i + 1),
  ]);
}

interface Block {
  type: string;
  rows?: { type: string; text?: string; elements?: unknown[] }[][];
  elements?: { action_id?: string; value?: string; text?: { text: string } }[];
}

const blocksOf = (m: FakeMessage) => (m.blocks ?? []) as Block[];
const tableOf = (m: FakeMessage) => blocksOf(m).find((b) => b.type === 'table')!;
const pageButton = (m: FakeMessage) =>
  blocksOf(m)
    .flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []))
    .find((el) => el.action_id === ACTION_IDS.page);
/** The event names a table shows (data rows only), read from its `eventname` column. */
function eventNames(m: FakeMessage): string[] {
  const table = tableOf(m);
  const header = table.rows![0]!.map((c) => c.text);
  const at = header.indexOf('eventname');
  return table.rows!.slice(1).map((r) => r[at]!.text!);
}

describe('Slack: console links and "Show next 20 rows", end to end', () => {
  let bot: SlackBot;
  let dataDir: string;
  const engine = new ScriptedEngine();
  engine.columns = RECENT_COLUMNS;
  engine.rows = recentRows();
  engine.pageSize = 10;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'trail-paging-'));
    bot = await startSlackBot({ dataDir, engine });
  });
  afterAll(async () => {
    await bot.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a 45-row answer pages 21–40, then 41–45, then offers no button; links only for well-formed events', async () => {
    await bot.command('recent 1h', { channelId: 'C0IR', userId: 'U0ALICE' });
    const parent = await eventually(() => bot.fake.messages.find((m) => m.channel === 'C0IR' && !m.thread_ts));
    await eventually(() => bot.fake.files.find((f) => f.completed && f.thread_ts === parent.ts));
    await bot.parts.runner.idle();
    const thread = () => bot.fake.messages.filter((m) => m.thread_ts === parent.ts && tableOf(m) !== undefined);

    // The answer: rows 1–20, who/what/when/where first, the console link last, and a button for the next 20.
    const [first] = thread();
    expect(blockKitProblems(first!.blocks)).toEqual([]);
    const header = tableOf(first!).rows![0]!.map((c) => c.text);
    expect(header.slice(0, 4)).toEqual(['principal_arn', 'eventname', 'eventtime', 'sourceipaddress']);
    expect(header.at(-1)).toBe('console');
    expect(eventNames(first!)).toEqual(Array.from({ length: 20 }, (_, i) => `Call${i + 1}`));
    const links = tableOf(first!)
      .rows!.slice(1)
      .map((r) => JSON.stringify(r.at(-1)));
    expect(links[0]).toContain(consoleEventUrl({ eventId: eventId(1), region: 'eu-west-1', account: '111122223333' }));
    expect(links[6]).toBe(JSON.stringify({ type: 'raw_text', text: '—' }));
    expect(JSON.stringify(first!.blocks)).not.toContain('evil.example');
    expect(JSON.stringify(first!.blocks)).toContain('Rows 1–20 of 45');
    const next = pageButton(first!);
    expect(next?.text?.text).toBe('Show next 20 rows');

    // Click: rows 21–40 in the same thread, with a button for the last 5.
    expect(await bot.click(ACTION_IDS.page, next!.value!, { channelId: 'C0IR', userId: 'U0BOB' })).toBe(200);
    const second = await eventually(() => thread()[1]);
    expect(blockKitProblems(second.blocks)).toEqual([]);
    expect(second.text).toContain('Rows 21–40 of 45');
    expect(eventNames(second)).toEqual(Array.from({ length: 20 }, (_, i) => `Call${i + 21}`));
    const last = pageButton(second);
    expect(last?.text?.text).toBe('Show next 5 rows');

    // Click: rows 41–45, and no button after them.
    await bot.click(ACTION_IDS.page, last!.value!, { channelId: 'C0IR', userId: 'U0BOB' });
    const third = await eventually(() => thread()[2]);
    expect(blockKitProblems(third.blocks)).toEqual([]);
    expect(third.text).toContain('Rows 41–45 of 45');
    expect(eventNames(third)).toEqual(['Call41', 'Call42', 'Call43', 'Call44', 'Call45']);
    expect(pageButton(third)).toBeUndefined();
    expect(bot.fake.calls.filter((c) => c.response && c.response.error === 'invalid_blocks')).toEqual([]);
  });

  test('a page button from another channel, or with a forged value, posts nothing and says why', async () => {
    const answer = await eventually(() => bot.fake.messages.find((m) => m.channel === 'C0IR' && pageButton(m)));
    const id = pageButton(answer)!.value!.split('@')[0];
    const before = bot.fake.messages.length;
    await bot.click(ACTION_IDS.page, `${id}@20`, { channelId: 'C0OTHER' });
    await bot.click(ACTION_IDS.page, `${id}@20; DROP TABLE`, { channelId: 'C0IR' });
    await eventually(() => (bot.fake.responses.length >= 2 ? true : undefined));
    const said = bot.fake.responses.map((r) => JSON.stringify(r.body));
    expect(said.some((t) => t.includes('That execution belongs to another channel.'))).toBe(true);
    expect(said.some((t) => t.includes('does not name rows of an answer'))).toBe(true);
    expect(bot.fake.messages.length).toBe(before);
  });
});
