import { runKillRestart } from '../../soak/crash';
import { quietKnownWarnings } from '../../src/util/quiet-warnings';

quietKnownWarnings();

/**
 * Short variant of `npm run soak -- --parts faults.kill`: the production entry point (src/main.ts, terminal surface,
 * embedded default) fed questions on stdin and SIGKILLed at seeded random points twice, then run once more to the
 * end. No acknowledged question is lost, none is recorded or published twice.
 */
describe('soak: the bot killed at random points and restarted (short)', () => {
  test('two kills: nothing lost, nothing recorded or published twice, the last run ends cleanly', async () => {
    const report = await runKillRestart({ kills: 2, seed: 8, days: 2, eventsPerDay: 8000, maxQuestionsPerRun: 2 });
    const unmet = report.figures.filter((f) => f.met === false);
    if (unmet.length) console.log(report.figures, report.problems);
    expect(unmet).toEqual([]);
    const d = report.data as { acked: number; executions: number; published: number; lost: string[] };
    expect(d.acked).toBeGreaterThan(0);
    expect(d.lost).toEqual([]);
    expect(d.published).toBe(d.executions);
  }, 60_000);
});
