import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually, type SlackBot, startSlackBot } from '../../helpers/bot';
import { ScriptedEngine } from '../../helpers/scripted-engine';

/**
 * Issue 13 item 7 as it was found: a user whom the policy denies `cancel` cancelled another user's query with the
 * button. Real Bolt receiver, signed clicks, fake Slack; the query never finishes on its own (scripted engine).
 */
describe('Slack buttons obey the access policy end to end', () => {
  let dataDir: string;
  let bot: SlackBot;
  let engine: ScriptedEngine;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'trail-access-e2e-'));
    engine = new ScriptedEngine();
    engine.pollsBeforeDone = Number.MAX_SAFE_INTEGER;
    bot = await startSlackBot({
      dataDir,
      engine,
      config: {
        policy: {
          default: {},
          commands: { cancel: { users: ['U0ASKER', 'U0OTHER', 'U0ADMIN'] } },
          admins: ['U0ADMIN'],
        },
      },
    });
  });
  afterAll(async () => {
    await bot.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const answered = (text: string) =>
    eventually(() => bot.fake.responses.find((r) => String(r.body.text ?? '') === text));

  test('Cancel: denied by the policy, refused to someone else, done by an admin; each audited', async () => {
    expect((await bot.command('sg 12h', { userId: 'U0ASKER' })).status).toBe(200);
    const e = await eventually(async () => {
      const [latest] = await bot.parts.store.listByChannel('C0SECOPS', 1);
      return latest?.state === 'RUNNING' ? latest : undefined;
    });

    expect(await bot.click('trail_cancel', e.id, { userId: 'U0DENIED' })).toBe(200);
    await answered('`cancel` may only be run by <@U0ASKER>, <@U0OTHER> or <@U0ADMIN>.');
    expect(await bot.click('trail_cancel', e.id, { userId: 'U0OTHER' })).toBe(200);
    await answered('Only <@U0ASKER>, who asked that question, or a trailbot admin (<@U0ADMIN>) may cancel it.');
    expect((await bot.parts.store.get(e.id))?.state).toBe('RUNNING');
    expect(engine.cancels).toEqual([]);

    expect(await bot.click('trail_cancel', e.id, { userId: 'U0ADMIN' })).toBe(200);
    await answered(`Cancelled \`${e.id}\`.`);
    expect((await bot.parts.store.get(e.id))?.cancelledBy).toBe('U0ADMIN');
    const audit = await bot.parts.store.listAudit({ channelId: 'C0SECOPS' });
    expect(audit.map((a) => [a.action, a.userId, a.detail]).sort()).toEqual([
      ['cancel', 'U0ADMIN', 'asked by U0ASKER'],
      ['denied', 'U0DENIED', `button cancel ${e.id}`],
      ['denied', 'U0OTHER', `cancel ${e.id} asked by U0ASKER`],
    ]);
  });
});
