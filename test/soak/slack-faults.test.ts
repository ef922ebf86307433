import { rm } from 'node:fs/promises';
import path from 'node:path';
import { sampleDataset } from '../../soak/lib/data';
import { drive } from '../../soak/lib/drive';
import { planLoad } from '../../soak/lib/mix';
import { soakEnv, startSession, tempDir, warmUp } from '../../soak/lib/session';
import { Random } from '../../src/sample/random';
import { CHANNELS, expectExactlyOnce } from './expect';

/**
 * Short variant of `npm run soak -- --parts faults.slack`: a load through the Slack bot (its own process) while the
 * fake Slack answers bursts of 429 (Retry-After) and 500 / 503 on every call trailbot makes.
 */
describe('soak: Slack faults (short)', () => {
  let dataDir: string;
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('slack-faults-test');
    dataDir = path.join(dir, 'data');
    await sampleDataset(dataDir, { days: 2, eventsPerDay: 300, seed: 4 });
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('Slack answers 429 (Retry-After) and 500/503 in bursts: still answered once, published once', async () => {
    const s = await startSession(await tempDir('slack-faults-test'), {
      dataDir,
      env: soakEnv(),
      sweepMs: 1000,
      slackRetry: 'fast',
    });
    try {
      await warmUp(s);
      const rng = new Random(4, 'slack-faults-test');
      const methods = [
        'chat.postMessage',
        'chat.update',
        'files.getUploadURLExternal',
        'upload',
        'files.completeUploadExternal',
      ];
      const r = await drive({
        bot: s.bot,
        fake: s.fake,
        plan: planLoad({ commands: 40, durationMs: 4000, users: 20, channels: 5, seed: 4 }),
        channels: CHANNELS,
        settleMs: 40_000,
        during: {
          everyMs: 150,
          tick: () => {
            const method = rng.pick(methods);
            if (rng.chance(0.5)) s.fake.failNext(method, { status: 429, retryAfter: 1 }, rng.between(1, 2));
            else s.fake.failNext(method, { status: rng.chance(0.7) ? 500 : 503 }, rng.between(1, 3));
          },
        },
      });
      expect(s.fake.calls.filter((c) => c.status === 429).length).toBeGreaterThan(0);
      expect(s.fake.calls.filter((c) => c.status >= 500).length).toBeGreaterThan(0);
      expectExactlyOnce(r);
    } finally {
      await s.close();
    }
  }, 60_000);
});
