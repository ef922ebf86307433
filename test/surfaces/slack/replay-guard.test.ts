import { ReplayGuard, SIGNATURE_WINDOW_MS } from '../../../src/surfaces/slack/replay-guard';

describe('ReplayGuard', () => {
  const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
  const seconds = (ms: number) => Math.floor(ms / 1000);

  test('a signature is accepted once within its window, and again only after Bolt would refuse it as stale', () => {
    let now = T0;
    const guard = new ReplayGuard({ now: () => now });
    expect(guard.firstSight('v0=aa', seconds(T0))).toBe(true);
    expect(guard.firstSight('v0=aa', seconds(T0))).toBe(false);
    now = T0 + SIGNATURE_WINDOW_MS - 1000;
    expect(guard.firstSight('v0=aa', seconds(T0))).toBe(false);
    // Past the window Bolt refuses the timestamp before the guard is asked; the entry is gone, memory is returned.
    now = T0 + SIGNATURE_WINDOW_MS + 2000;
    expect(guard.firstSight('v0=bb', seconds(now))).toBe(true);
    expect(guard.size).toBe(1);
  });

  test('different signatures are independent', () => {
    const guard = new ReplayGuard({ now: () => T0 });
    expect(guard.firstSight('v0=aa', seconds(T0))).toBe(true);
    expect(guard.firstSight('v0=bb', seconds(T0))).toBe(true);
    expect(guard.firstSight('v0=bb', seconds(T0))).toBe(false);
  });

  test('memory is bounded: past maxEntries the oldest signature is forgotten first', () => {
    const guard = new ReplayGuard({ now: () => T0, maxEntries: 3 });
    for (const s of ['a', 'b', 'c', 'd']) expect(guard.firstSight(s, seconds(T0))).toBe(true);
    expect(guard.size).toBe(3);
    expect(guard.firstSight('d', seconds(T0))).toBe(false);
    expect(guard.firstSight('a', seconds(T0))).toBe(true); // forgotten: the documented cost of the bound
  });
});
