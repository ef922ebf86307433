/**
 * Issue 13 item 4 through the real Bolt receiver: one user's crafted command text (a record from before the ARN
 * grammar was tightened) reaches another user's `history`, `status`, Re-run and Show SQL replies as data only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually, type SlackBot, startSlackBot } from '../../helpers/bot';
import { queryOf } from '../../helpers/commands';

const CRAFTED_ARN = 'arn:aws:iam::111122223333:user/x`<https://evil.example/login|Approve the change>`````';
const CRAFTED = `who ${CRAFTED_ARN}\n> :white_check_mark: *approved by security*`;

/** `<` or `>` left once trailbot's own mentions are taken out: each would be a Slack control sequence. */
function foreignControls(text: string): string[] {
  return text.replace(/<@U[A-Z0-9]+>/g, '').match(/[<>]/g) ?? [];
}

describe('a crafted command in other people’s replies', () => {
  let dataDir: string;
  let bot: SlackBot;
  let id: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'trail-echo-e2e-'));
    bot = await startSlackBot({ dataDir });
    // What the table may hold from before: the ARN as Mallory typed it, bound as a parameter.
    const q = queryOf('who arn:aws:iam::111122223333:user/x');
    const query = {
      ...q.query,
      params: q.query.params.map((p) =>
        p.value === 'arn:aws:iam::111122223333:user/x' ? { ...p, value: CRAFTED_ARN } : p,
      ),
    };
    const { execution } = await bot.parts.store.create({
      requestKey: 'legacy-crafted',
      commandText: CRAFTED,
      command: 'who',
      request: {},
      query,
      userId: 'U0MALLORY',
      channelId: 'C0SHARED',
      surface: 'slack',
      engine: 'duckdb',
    });
    id = execution.id;
  });
  afterAll(async () => {
    await bot.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The first response_url answer with text that arrived after the first `before` ones. */
  const replyAfter = (before: number) =>
    eventually(() => bot.fake.responses.slice(before).find((r) => String(r.body.text ?? '') !== ''));

  test('history and status show the command as one line of inline code, no link, no forged line', async () => {
    let before = bot.fake.responses.length;
    await bot.command('history', { channelId: 'C0SHARED', userId: 'U0ALICE' });
    const history = String((await replyAfter(before)).body.text);
    expect(history).toMatch(/^Last /);
    before = bot.fake.responses.length;
    await bot.command(`status ${id}`, { channelId: 'C0SHARED', userId: 'U0ALICE' });
    const status = String((await replyAfter(before)).body.text);
    for (const text of [history, status]) {
      expect(foreignControls(text)).toEqual([]);
      expect(text).toContain('https://evil.example/login|Approve the change');
      const line = text.split('\n').find((l) => l.includes('evil.example'))!;
      expect(line).toMatch(/ `\/trail who [^`\n]+approved by security\*` · /);
      expect(text.split('\n').some((l) => /^\s*(&gt;|>)/.test(l))).toBe(false);
    }
  });

  test('Re-run answers the clicker without a live link (the command no longer parses)', async () => {
    const before = bot.fake.responses.length;
    expect(await bot.click('trail_rerun', id, { channelId: 'C0SHARED', userId: 'U0ALICE' })).toBe(200);
    const reply = await replyAfter(before);
    const text = String(reply.body.text);
    expect(text).toContain('is not a resource id or ARN');
    expect(foreignControls(text)).toEqual([]);
  });

  test('Show SQL keeps the crafted parameter inside one code block', async () => {
    const before = bot.fake.responses.length;
    expect(await bot.click('trail_show_sql', id, { channelId: 'C0SHARED', userId: 'U0ALICE' })).toBe(200);
    const reply = await replyAfter(before);
    const text = String(reply.body.text);
    expect(text.match(/`{3,}/g)).toEqual(['```', '```']);
    expect(foreignControls(text)).toEqual([]);
    expect(text).toContain('&lt;https://evil.example/login|Approve the change&gt;');
  });
});
