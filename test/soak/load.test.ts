import path from 'node:path';
import { sampleDataset } from '../../soak/lib/data';
import { drive } from '../../soak/lib/drive';
import { channelIds, commandsCovered, planLoad, QUERY_COMMAND_NAMES } from '../../soak/lib/mix';
import { type Session, soakEnv, startSession, tempDir, WARMUP_CHANNEL, warmUp } from '../../soak/lib/session';

/**
 * The short variant of `npm run soak -- --parts load`: 100 signed slash commands over 6 s from 20 users in 5 channels
 * through the Bolt HTTP receiver of the bot in its own process (DuckDB, dynalite, fake Slack). Correctness only; the
 * latencies and memory are the soak's figures, not assertions.
 */
describe('soak: load (short)', () => {
  let session: Session;

  beforeAll(async () => {
    const dir = await tempDir('load-test');
    await sampleDataset(path.join(dir, 'data'), { days: 2, eventsPerDay: 400, seed: 3 });
    session = await startSession(dir, { dataDir: path.join(dir, 'data'), env: soakEnv(), sweepMs: 2000 });
    await warmUp(session);
  }, 60_000);
  afterAll(async () => {
    await session?.close();
  }, 60_000);

  test('every command acknowledged and answered once, every execution published once, dedupe points to it', async () => {
    const plan = planLoad({ commands: 100, durationMs: 6000, users: 20, channels: 5, seed: 3 });
    // The mix is what the soak claims it is: every query command, duplicates, bursts, mistakes, controls.
    expect(commandsCovered(plan)).toEqual([...QUERY_COMMAND_NAMES].sort());
    const kinds = new Set(plan.map((c) => c.kind));
    for (const k of ['query', 'duplicate', 'burst', 'bad', 'help', 'history']) expect(kinds).toContain(k);

    const r = await drive({
      bot: session.bot,
      fake: session.fake,
      plan,
      channels: [...channelIds(5), WARMUP_CHANNEL],
      settleMs: 40_000,
    });

    if (r.answers.problems.length || r.publications.problemIds.length) {
      console.log(r.answers.problems, r.publications.problemIds);
    }
    expect(r.settled).toBe(true);
    expect(r.answers.ackFailures).toBe(0);
    expect(r.answers.unanswered).toBe(0);
    expect(r.answers.answeredTwice).toBe(0);
    expect(r.answers.answeredOnce).toBe(plan.length);
    expect(r.answers.byAnswer.execution).toBeGreaterThan(20);
    expect(r.answers.byAnswer.reply).toBeGreaterThan(5);

    const p = r.publications;
    expect(r.finalSnapshot.unfinished).toBe(0);
    expect(p.published).toBe(p.executions);
    expect(p.answeredOnce).toBe(p.executions);
    expect([p.noReply, p.repliedTwice, p.csvTwice, p.csvMissing, p.parentProblems, p.orphanMessages]).toEqual([
      0, 0, 0, 0, 0, 0,
    ]);
    expect(p.invalidBlocks).toBe(0);

    // Repeated questions in a channel were answered with a pointer to an execution that exists.
    expect(r.answers.duplicatesDeduped).toBeGreaterThan(0);
    expect(r.answers.dedupeDangling).toBe(0);
    expect(r.answers.emptyRejections).toBe(0);
    // The bot logged no error while doing it.
    expect(session.bot.logCounts().error ?? 0).toBe(0);
  }, 60_000);
});
