import type { DriveResult } from '../../soak/lib/drive';
import { channelIds } from '../../soak/lib/mix';
import { WARMUP_CHANNEL } from '../../soak/lib/session';

/** The load channels of the short soak variants, plus the warm-up's. */
export const CHANNELS = [...channelIds(5), WARMUP_CHANNEL];

/** Every command answered once, every execution published once, nothing left behind. */
export function expectExactlyOnce(r: DriveResult): void {
  if (r.answers.problems.length || r.publications.problemIds.length) {
    console.log(r.answers.problems, r.publications.problemIds);
  }
  expect(r.settled).toBe(true);
  expect(r.answers.ackFailures).toBe(0);
  expect([r.answers.unanswered, r.answers.answeredTwice]).toEqual([0, 0]);
  const p = r.publications;
  expect(r.finalSnapshot.unfinished).toBe(0);
  expect(p.executions).toBeGreaterThan(5);
  expect(p.published).toBe(p.executions);
  expect(p.answeredOnce).toBe(p.executions);
  expect([p.noReply, p.repliedTwice, p.csvTwice, p.csvMissing, p.parentProblems, p.orphanMessages]).toEqual([
    0, 0, 0, 0, 0, 0,
  ]);
  expect(p.invalidBlocks).toBe(0);
}
