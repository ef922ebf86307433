import { runLarge } from '../../soak/large';

/**
 * Short variant of `npm run soak -- --parts large`: `/trail logins all 1d` over 5,000 generated sign-ins through the
 * Slack bot in its own process. The uploaded CSV equals the expected result row for row (strict RFC 4180 reader), the
 * thread holds one reply and one file, every message passed the fake's Block Kit checks. Peak RSS is the soak's
 * figure (100,000 rows), not asserted here.
 */
describe('soak: large result (short)', () => {
  test('5,000 rows: the CSV in the thread is the whole result, messages within Block Kit limits', async () => {
    const report = await runLarge({ rows: 5000, seed: 12 });
    const unmet = report.figures.filter((f) => f.met === false && f.name !== 'bot peak RSS');
    if (unmet.length) console.log(report.figures, report.problems);
    expect(unmet).toEqual([]);
    const d = report.data as { csvRows: number; mismatches: number; uploads: number; replies: number };
    expect(d).toMatchObject({ csvRows: 5000, mismatches: 0, uploads: 1, replies: 1 });
  }, 60_000);
});
