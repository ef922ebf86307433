import type { Cadence } from '../../src/core/schedule';
import {
  canonicalTimeZone,
  describeCadence,
  formatSlot,
  parseClock,
  parseWeekday,
  previousSlot,
  slotAfter,
  slotAtOrBefore,
  wallClockInstant,
} from '../../src/time/cadence';

const iso = (d: Date) => d.toISOString();
const daily = (at: string): Cadence => ({ every: 'daily', at });

describe('parsing the parts of a cadence', () => {
  test.each([
    ['09:00', '09:00'],
    ['9:05', '09:05'],
    ['00:00', '00:00'],
    ['23:59', '23:59'],
  ])('%s is %s', (text, clock) => expect(parseClock(text)).toBe(clock));

  test.each(['24:00', '12:60', '9', '0900', '09:0', '-1:00', '09:00:00', ' 09:00'])('%s is not a time', (text) =>
    expect(parseClock(text)).toBeUndefined(),
  );

  test.each([
    ['monday', 'monday'],
    ['Mon', 'monday'],
    ['FRI', 'friday'],
    ['sunday', 'sunday'],
  ])('%s is %s', (text, day) => expect(parseWeekday(text)).toBe(day));

  test.each(['mo', 'mond', 'funday', ''])('%s is not a day', (text) => expect(parseWeekday(text)).toBeUndefined());

  test('time zones come back in their canonical spelling; offsets and junk are refused', () => {
    expect(canonicalTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('UTC')).toBe('UTC');
    expect(canonicalTimeZone('Mars/Olympus_Mons')).toBeUndefined();
    expect(canonicalTimeZone('+01:00')).toBeUndefined();
    expect(canonicalTimeZone('Europe/Berlin;drop')).toBeUndefined();
  });
});

describe('wall-clock instants across DST (Europe/Berlin 2026: forward Mar 29 02:00, back Oct 25 03:00)', () => {
  const berlin = 'Europe/Berlin';

  test('an ordinary time is that local time', () => {
    expect(iso(wallClockInstant({ year: 2026, month: 11, day: 20 }, '09:00', berlin))).toBe('2026-11-20T08:00:00.000Z');
    expect(iso(wallClockInstant({ year: 2026, month: 7, day: 1 }, '09:00', berlin))).toBe('2026-07-01T07:00:00.000Z');
  });

  test('a skipped time moves forward to the end of the gap (03:00 local), not an hour later', () => {
    // 02:30 does not exist on Mar 29: clocks go from 02:00 CET straight to 03:00 CEST (= 01:00Z).
    expect(iso(wallClockInstant({ year: 2026, month: 3, day: 29 }, '02:30', berlin))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(wallClockInstant({ year: 2026, month: 3, day: 29 }, '02:00', berlin))).toBe('2026-03-29T01:00:00.000Z');
  });

  test('a time that happens twice runs at its first occurrence', () => {
    // 02:30 on Oct 25 is first 02:30 CEST (00:30Z), then again 02:30 CET (01:30Z).
    expect(iso(wallClockInstant({ year: 2026, month: 10, day: 25 }, '02:30', berlin))).toBe('2026-10-25T00:30:00.000Z');
  });

  test('zones west of UTC too (America/New_York, forward Mar 8 2026 02:00)', () => {
    expect(iso(wallClockInstant({ year: 2026, month: 3, day: 8 }, '02:30', 'America/New_York'))).toBe(
      '2026-03-08T07:00:00.000Z',
    );
    expect(iso(wallClockInstant({ year: 2026, month: 11, day: 1 }, '01:30', 'America/New_York'))).toBe(
      '2026-11-01T05:30:00.000Z',
    );
  });

  test('consecutive daily slots are 23 and 25 hours apart on the change days', () => {
    const cadence = daily('09:00');
    const spring = slotAfter(cadence, berlin, new Date('2026-03-28T08:00:00Z'));
    expect(iso(spring)).toBe('2026-03-29T07:00:00.000Z');
    expect(spring.getTime() - previousSlot(cadence, berlin, spring).getTime()).toBe(23 * 3_600_000);
    const autumn = slotAfter(cadence, berlin, new Date('2026-10-24T07:00:00Z'));
    expect(iso(autumn)).toBe('2026-10-25T08:00:00.000Z');
    expect(autumn.getTime() - previousSlot(cadence, berlin, autumn).getTime()).toBe(25 * 3_600_000);
  });
});

describe('slots', () => {
  test('daily: the slot at or before an instant, and the one after', () => {
    const c = daily('09:00');
    expect(iso(slotAtOrBefore(c, 'UTC', new Date('2026-11-20T09:00:00Z')))).toBe('2026-11-20T09:00:00.000Z');
    expect(iso(slotAtOrBefore(c, 'UTC', new Date('2026-11-20T08:59:59Z')))).toBe('2026-11-19T09:00:00.000Z');
    expect(iso(slotAfter(c, 'UTC', new Date('2026-11-20T09:00:00Z')))).toBe('2026-11-21T09:00:00.000Z');
    expect(iso(slotAfter(c, 'UTC', new Date('2026-11-20T08:59:00Z')))).toBe('2026-11-20T09:00:00.000Z');
  });

  test('the local date decides, not the UTC date (Pacific/Auckland is 13 h ahead in November)', () => {
    const c = daily('07:00');
    // 2026-11-20T20:00Z is Nov 21 09:00 in Auckland; today's 07:00 there was 18:00Z.
    expect(iso(slotAtOrBefore(c, 'Pacific/Auckland', new Date('2026-11-20T20:00:00Z')))).toBe(
      '2026-11-20T18:00:00.000Z',
    );
  });

  test('weekly: the named weekday only, across a month end', () => {
    const c: Cadence = { every: 'weekly', day: 'monday', at: '08:30' };
    // 2026-11-30 is a Monday.
    expect(iso(slotAfter(c, 'UTC', new Date('2026-11-25T00:00:00Z')))).toBe('2026-11-30T08:30:00.000Z');
    expect(iso(slotAfter(c, 'UTC', new Date('2026-11-30T08:30:00Z')))).toBe('2026-12-07T08:30:00.000Z');
    expect(iso(slotAtOrBefore(c, 'UTC', new Date('2026-11-30T08:29:00Z')))).toBe('2026-11-23T08:30:00.000Z');
    expect(iso(previousSlot(c, 'UTC', new Date('2026-11-30T08:30:00Z')))).toBe('2026-11-23T08:30:00.000Z');
  });

  test('descriptions and local formatting', () => {
    expect(describeCadence(daily('09:00'), 'Europe/Berlin')).toBe('daily 09:00 Europe/Berlin');
    expect(describeCadence({ every: 'weekly', day: 'friday', at: '17:00' }, 'UTC')).toBe('weekly Friday 17:00 UTC');
    expect(formatSlot(new Date('2026-11-21T08:00:00Z'), 'Europe/Berlin')).toBe('Sat 2026-11-21 09:00 Europe/Berlin');
  });
});
