import { rm } from 'node:fs/promises';
import path from 'node:path';
import { sampleDataset } from '../../soak/lib/data';
import { drive } from '../../soak/lib/drive';
import { total } from '../../soak/lib/dynamo-throttle';
import { planLoad } from '../../soak/lib/mix';
import { soakEnv, startSession, tempDir, warmUp } from '../../soak/lib/session';
import { CHANNELS, expectExactlyOnce } from './expect';

/**
 * Short variant of `npm run soak -- --parts faults.dynamodb`: a load while a proxy in front of dynalite answers a share
 * of requests with DynamoDB's ThrottlingException; the store's real DynamoDBClient retries them.
 */
describe('soak: DynamoDB throttling (short)', () => {
  let dataDir: string;
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('dynamo-throttle-test');
    dataDir = path.join(dir, 'data');
    await sampleDataset(dataDir, { days: 2, eventsPerDay: 300, seed: 4 });
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('DynamoDB answers ThrottlingException to a share of requests: the SDK retries, nothing is lost', async () => {
    const s = await startSession(await tempDir('dynamo-throttle-test'), {
      dataDir,
      env: soakEnv(),
      sweepMs: 1000,
      dynamoThrottle: { rate: 0, seed: 4, burst: 1 },
    });
    try {
      await warmUp(s);
      await s.bot.throttle(0.06);
      const r = await drive({
        bot: s.bot,
        fake: s.fake,
        plan: planLoad({ commands: 40, durationMs: 4000, users: 20, channels: 5, seed: 5 }),
        channels: CHANNELS,
        settleMs: 40_000,
      });
      expect(total(r.finalSnapshot.dynamo?.throttled ?? {})).toBeGreaterThan(10);
      expectExactlyOnce(r);
      expect(r.answers.byAnswer.sorry ?? 0).toBe(0);
    } finally {
      await s.close();
    }
  }, 60_000);
});
