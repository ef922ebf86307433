import { rm } from 'node:fs/promises';
import path from 'node:path';
import { sampleDataset } from '../../soak/lib/data';
import { drive } from '../../soak/lib/drive';
import { FAILED_REASON, StatefulFakeAthena } from '../../soak/lib/fake-athena';
import { planLoad } from '../../soak/lib/mix';
import { soakEnv, startSession, tempDir, warmUp } from '../../soak/lib/session';
import { CHANNELS, expectExactlyOnce } from './expect';

/**
 * Short variant of `npm run soak -- --parts faults.athena`: the real AthenaEngine in the Slack bot against a local fake
 * Athena that throttles StartQueryExecution and reads and fails a share of queries with an AthenaError.
 */
describe('soak: Athena faults (short)', () => {
  let dataDir: string;
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('athena-faults-test');
    dataDir = path.join(dir, 'data');
    await sampleDataset(dataDir, { days: 2, eventsPerDay: 300, seed: 4 });
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('Athena throttles starts and reads and fails queries: each failure answered with its reason, one query per execution', async () => {
    const athena = await StatefulFakeAthena.start({ seed: 4, failRate: 0.2, maxRows: 1500 });
    const s = await startSession(await tempDir('athena-faults-test'), {
      dataDir,
      athenaEndpoint: athena.endpoint,
      env: soakEnv(),
      sweepMs: 1000,
    });
    try {
      await warmUp(s);
      athena.setThrottling({ start: 0.3, read: 0.1 });
      const r = await drive({
        bot: s.bot,
        fake: s.fake,
        plan: planLoad({ commands: 40, durationMs: 4000, users: 20, channels: 5, seed: 6 }),
        channels: CHANNELS,
        // The SDK's adaptive retry backs off longer under throttling than the old hand-written one (1 s base, 20 s
        // cap) and slows the client's other calls after a throttle: 40 questions settle in 40–50 s here.
        settleMs: 110_000,
      });
      expectExactlyOnce(r);
      expect(athena.throttled.StartQueryExecution ?? 0).toBeGreaterThan(0);
      // ClientRequestToken derived from the execution id: a retried start is the same Athena query.
      expect(athena.tokensWithSeveralIds()).toBe(0);
      // The failed queries that were a driven question's answer: not the warm-up's, and not a chart's series query
      // (`errors` and `root` run one after their answer; when it fails the answer is posted without a chart).
      const answers = new Set(r.executions.map((e) => e.engineExecutionId));
      const failed = athena.idsIn('FAILED').filter((id) => answers.has(id));
      expect(failed.length).toBeGreaterThan(0);
      const reasons = r.executions.filter((e) => e.error?.includes(FAILED_REASON.split(':')[0]!));
      expect(reasons.map((e) => e.engineExecutionId).sort()).toEqual(failed.sort());
      for (const e of reasons) {
        const reply = s.fake.messages.find((m) => m.channel === e.channelId && m.thread_ts === e.parentRef);
        expect(JSON.stringify(reply?.blocks)).toContain('Athena could not read a file');
      }
    } finally {
      await s.close();
      await athena.close();
    }
  }, 150_000);
});
