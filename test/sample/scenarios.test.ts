import fc from 'fast-check';
import { BACKGROUND_EVENT_NAMES } from '../../src/sample/background';
import { Random } from '../../src/sample/random';
import {
  ERROR_PLANS,
  LOGIN_PLANS,
  planScenarios,
  ROOT_PLANS,
  SG_CHANGE_EVENT_NAMES,
  SG_SCENARIO,
} from '../../src/sample/scenarios';
import { buildWorld } from '../../src/sample/world';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function plan(now: number, days: number, regions = ['us-east-1', 'eu-west-1']) {
  const rng = new Random(42);
  const world = buildWorld(rng.fork('world'), ['111122223333'], regions);
  return planScenarios(rng.fork('scenarios'), {
    now,
    start: now - days * DAY,
    accounts: world.accounts,
    regions,
    globalRegion: world.globalRegion,
  });
}

// Any minute of a few days around a month end, with seconds, so every time of day (midnight included) is tried.
const anyNow = fc.integer({ min: 0, max: 4 * DAY - 1 }).map((offset) => Date.UTC(2026, 10, 28) + offset);

describe('scenario placement holds at every time of day', () => {
  test('every event is inside the range, in whole seconds, and clear of 23:40–24:00 UTC except logins', () => {
    fc.assert(
      fc.property(anyNow, fc.integer({ min: 1, max: 40 }), (now, days) => {
        const { events } = plan(now, days);
        for (const { time, record } of events) {
          expect(time).toBeGreaterThanOrEqual(now - days * DAY);
          expect(time).toBeLessThan(now);
          expect(time % 1000).toBe(0);
          expect(new Date(time).toISOString().replace('.000', '')).toBe(record.eventTime);
          expect(time % DAY).toBeLessThan(23 * HOUR + 40 * MINUTE);
        }
      }),
      { numRuns: 150 },
    );
  });

  test('a one-day window that starts at 23:40 UTC (now 22:40) keeps its events out of 23:40–24:00', () => {
    // The counterexample fast-check found: `spread` clamped a time to the window's start, itself in the late band.
    const now = Date.UTC(2026, 11, 1, 22, 40);
    for (const { time } of plan(now, 1).events) expect(time % DAY).toBeLessThan(23 * HOUR + 40 * MINUTE);
  });

  test('the walkthrough stays in the last 6 hours and in order; logins keep their off-hours category', () => {
    fc.assert(
      fc.property(anyNow, (now) => {
        const { events } = plan(now, 1);
        const named = (name: string) =>
          events.filter((e) => e.record.eventName === name && e.record.userIdentity.userName === SG_SCENARIO.user);
        const modify = named('ModifyNetworkInterfaceAttribute');
        const authorize = named('AuthorizeSecurityGroupIngress');
        expect(modify).toHaveLength(1);
        expect(authorize).toHaveLength(1);
        expect(now - modify[0]!.time).toBeLessThan(6 * HOUR);
        expect(modify[0]!.time).toBeLessThan(authorize[0]!.time);

        const logins = events.filter((e) => e.record.eventName === 'ConsoleLogin');
        expect(logins).toHaveLength(LOGIN_PLANS.length);
        const offHours = logins.filter((e) => new Date(e.time).getUTCHours() < 5).length;
        expect(offHours).toBe(LOGIN_PLANS.filter((p) => p.at[0] < 5).length);
        for (const e of logins) expect(now - e.time).toBeLessThan(DAY);
      }),
      { numRuns: 150 },
    );
  });

  test('error and root counts are exact whatever the range', () => {
    for (const days of [1, 3, 30]) {
      const { events, windows } = plan(Date.UTC(2026, 10, 20, 10), days);
      for (const p of ERROR_PLANS) {
        expect(events.filter((e) => e.record.errorCode === p.errorCode && e.record.eventName === p.name)).toHaveLength(
          p.count,
        );
      }
      for (const p of ROOT_PLANS) {
        expect(
          events.filter((e) => e.record.userIdentity.type === 'Root' && e.record.eventName === p.name),
        ).toHaveLength(p.count);
      }
      const errorsFrom = new Date(windows.errors.start).getTime();
      for (const e of events.filter((x) => x.record.errorCode)) expect(e.time).toBeGreaterThanOrEqual(errorsFrom);
      expect(Date.UTC(2026, 10, 20, 10) - errorsFrom).toBe(Math.min(days, 7) * DAY);
    }
  });
});

test('background noise cannot add sign-ins or security-group changes (their counts stay exact)', () => {
  expect(BACKGROUND_EVENT_NAMES.size).toBeGreaterThan(20);
  expect(BACKGROUND_EVENT_NAMES.has('ConsoleLogin')).toBe(false);
  for (const name of SG_CHANGE_EVENT_NAMES) expect(BACKGROUND_EVENT_NAMES.has(name)).toBe(false);
});
