import fc from 'fast-check';
import { UsageError } from '../../src/core/errors';
import {
  isOffHours,
  isWindowToken,
  type ParseWindowOptions,
  parseWindow,
  partitionsFor,
  quoteInput,
  takeWindow,
  WINDOW_HELP,
  windowFromJson,
  windowToJson,
} from '../../src/time/window';

const HOUR = 3_600_000;
const NOW = new Date('2026-11-20T14:03:27.123Z');
const utc: ParseWindowOptions = { now: NOW, timeZone: 'UTC', maxDays: 90 };

function at(now: string, timeZone = 'UTC', maxDays = 90): ParseWindowOptions {
  return { now: new Date(now), timeZone, maxDays };
}

/** [start, end) as ISO strings, for compact expectations. */
function span(text: string, opts: ParseWindowOptions = utc): [string, string] {
  const w = parseWindow(text, opts);
  return [w.start.toISOString(), w.end.toISOString()];
}

function hoursOf(text: string, opts: ParseWindowOptions): number {
  const w = parseWindow(text, opts);
  return (w.end.getTime() - w.start.getTime()) / HOUR;
}

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as UsageError).userMessage;
  }
  throw new Error('expected a UsageError');
}

describe('parseWindow: relative durations', () => {
  test.each([
    ['30m', '2026-11-20T13:33:27.123Z', '30m'],
    ['12h', '2026-11-20T02:03:27.123Z', '12h'],
    ['7d', '2026-11-13T14:03:27.123Z', '7d'],
    ['2w', '2026-11-06T14:03:27.123Z', '2w'],
    ['012h', '2026-11-20T02:03:27.123Z', '12h'],
    ['  12H ', '2026-11-20T02:03:27.123Z', '12h'],
  ])('%j ends now and starts the duration before', (text, start, label) => {
    const w = parseWindow(text, utc);
    expect(w.start.toISOString()).toBe(start);
    expect(w.end.toISOString()).toBe(NOW.toISOString());
    expect(w.label).toBe(label);
  });

  test('a result does not share the caller’s `now` object', () => {
    const w = parseWindow('1h', utc);
    expect(w.end).not.toBe(NOW);
    expect(w.end).toEqual(NOW);
  });

  test.each([
    ['0h', '`0h` is an empty window'],
    ['000m', '`0m` is an empty window'],
    ['-5h', 'must be positive'],
    ['+5h', 'must be positive'],
    ['1M', 'months are not supported'],
  ])('%j is refused', (text, message) => {
    expect(usageMessage(() => parseWindow(text, utc))).toContain(message);
  });
});

describe('parseWindow: maximum length', () => {
  test('a too-long window gets the exact message', () => {
    expect(usageMessage(() => parseWindow('120d', utc))).toBe(
      '`120d` is longer than the 90-day maximum; narrow the window or set TRAIL_MAX_WINDOW_DAYS',
    );
  });

  test.each([
    ['90d', true],
    ['2160h', true],
    ['91d', false],
    ['13w', false],
    ['999999999999999999999999d', false],
  ])('%j against a 90-day maximum: accepted=%s', (text, ok) => {
    if (ok) expect(parseWindow(text, utc).label).toBe(text);
    else expect(usageMessage(() => parseWindow(text, utc))).toContain('is longer than the 90-day maximum');
  });

  test('the maximum comes from the options', () => {
    expect(usageMessage(() => parseWindow('8d', { ...utc, maxDays: 7 }))).toBe(
      '`8d` is longer than the 7-day maximum; narrow the window or set TRAIL_MAX_WINDOW_DAYS',
    );
  });

  test('since and ranges are measured too', () => {
    expect(usageMessage(() => parseWindow('since 2026-01-01', utc))).toBe(
      '`since 2026-01-01` is longer than the 90-day maximum; narrow the window or set TRAIL_MAX_WINDOW_DAYS',
    );
    expect(usageMessage(() => parseWindow('2026-01-01..2026-06-01', utc))).toContain('90-day maximum');
  });

  test('a 7-day calendar range containing a 25-hour DST day fits a 7-day maximum', () => {
    const opts = at('2026-11-20T12:00Z', 'Europe/Berlin', 7);
    expect(hoursOf('2026-10-20..2026-10-26', opts)).toBe(7 * 24 + 1);
  });
});

describe('parseWindow: today and yesterday', () => {
  test('in UTC', () => {
    expect(span('today')).toEqual(['2026-11-20T00:00:00.000Z', '2026-11-20T14:03:27.123Z']);
    expect(span('yesterday')).toEqual(['2026-11-19T00:00:00.000Z', '2026-11-20T00:00:00.000Z']);
    expect(parseWindow('Yesterday', utc).label).toBe('yesterday');
  });

  test('use the team time zone, so they may start on the previous UTC day', () => {
    const opts = at('2026-11-20T14:03:27.123Z', 'Europe/Berlin');
    expect(span('today', opts)).toEqual(['2026-11-19T23:00:00.000Z', '2026-11-20T14:03:27.123Z']);
    expect(parseWindow('today', opts).partitions).toEqual(['2026/11/19', '2026/11/20']);
    // Just after midnight in Berlin it is still the 19th in UTC: Berlin's "today" is the 20th.
    expect(span('today', at('2026-11-19T23:30:00Z', 'Europe/Berlin'))).toEqual([
      '2026-11-19T23:00:00.000Z',
      '2026-11-19T23:30:00.000Z',
    ]);
  });

  test('Europe/Berlin spring forward (2026-03-29) is a 23-hour day', () => {
    expect(span('yesterday', at('2026-03-30T10:00Z', 'Europe/Berlin'))).toEqual([
      '2026-03-28T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
    ]);
    expect(hoursOf('yesterday', at('2026-03-30T10:00Z', 'Europe/Berlin'))).toBe(23);
    expect(span('today', at('2026-03-29T20:00Z', 'Europe/Berlin'))[0]).toBe('2026-03-28T23:00:00.000Z');
  });

  test('Europe/Berlin fall back (2026-10-25) is a 25-hour day', () => {
    expect(span('yesterday', at('2026-10-26T10:00Z', 'Europe/Berlin'))).toEqual([
      '2026-10-24T22:00:00.000Z',
      '2026-10-25T23:00:00.000Z',
    ]);
    expect(hoursOf('yesterday', at('2026-10-26T10:00Z', 'Europe/Berlin'))).toBe(25);
  });

  test('America/New_York spring forward (2026-03-08) is 23 h, fall back (2026-11-01) 25 h', () => {
    expect(span('yesterday', at('2026-03-09T15:00Z', 'America/New_York'))).toEqual([
      '2026-03-08T05:00:00.000Z',
      '2026-03-09T04:00:00.000Z',
    ]);
    expect(span('yesterday', at('2026-11-02T15:00Z', 'America/New_York'))).toEqual([
      '2026-11-01T04:00:00.000Z',
      '2026-11-02T05:00:00.000Z',
    ]);
    expect(span('today', at('2026-11-01T23:00Z', 'America/New_York'))[0]).toBe('2026-11-01T04:00:00.000Z');
  });

  test('`today` at the very first instant of the day is refused (it would be empty)', () => {
    expect(usageMessage(() => parseWindow('today', at('2026-11-20T00:00:00Z')))).toContain('only just begun');
  });
});

describe('parseWindow: since', () => {
  test.each([
    ['since 2026-11-20T08:00Z', '2026-11-20T08:00:00.000Z', 'since 2026-11-20T08:00Z'],
    ['since 2026-11-20T08:00:00Z', '2026-11-20T08:00:00.000Z', 'since 2026-11-20T08:00:00Z'],
    ['since 2026-11-20T08:00:00.5Z', '2026-11-20T08:00:00.500Z', 'since 2026-11-20T08:00:00.5Z'],
    ['since 2026-11-20t08:00z', '2026-11-20T08:00:00.000Z', 'since 2026-11-20T08:00Z'],
    ['since 2026-11-20T09:00+01:00', '2026-11-20T08:00:00.000Z', 'since 2026-11-20T09:00+01:00'],
    ['since 2026-11-20T09:00+0100', '2026-11-20T08:00:00.000Z', 'since 2026-11-20T09:00+01:00'],
    ['since 2026-11-20T03:00-05:00', '2026-11-20T08:00:00.000Z', 'since 2026-11-20T03:00-05:00'],
    ['since 2026-11-20T13:30+05:30', '2026-11-20T08:00:00.000Z', 'since 2026-11-20T13:30+05:30'],
    ['SINCE   2026-11-20', '2026-11-20T00:00:00.000Z', 'since 2026-11-20'],
  ])('%j', (text, start, label) => {
    const w = parseWindow(text, utc);
    expect(w.start.toISOString()).toBe(start);
    expect(w.end.toISOString()).toBe(NOW.toISOString());
    expect(w.label).toBe(label);
  });

  test('a date-only or offset-less bound is in the team time zone', () => {
    const ny = at('2026-11-20T14:00Z', 'America/New_York');
    expect(span('since 2026-11-20', ny)[0]).toBe('2026-11-20T05:00:00.000Z');
    expect(span('since 2026-11-20T08:00', ny)[0]).toBe('2026-11-20T13:00:00.000Z');
  });

  test('a local time skipped by DST is refused', () => {
    const berlin = at('2026-04-01T00:00Z', 'Europe/Berlin');
    expect(usageMessage(() => parseWindow('since 2026-03-29T02:30', berlin))).toBe(
      '`2026-03-29T02:30` does not exist in Europe/Berlin (the clocks skip that hour); add an offset like `+01:00` or `Z`.',
    );
    expect(span('since 2026-03-29T03:30', berlin)[0]).toBe('2026-03-29T01:30:00.000Z');
  });

  test.each([
    ['since', '`since` needs a date or time'],
    ['since 2027-01-01', '`since 2027-01-01` starts in the future.'],
    ['since 2026-11-20T14:03:27.123Z', 'starts in the future'],
    ['since yesterday', '`yesterday` is not an ISO date or time'],
    ['since 2026-11-20T8:00Z', 'is not an ISO date or time'],
  ])('%j is refused', (text, message) => {
    expect(usageMessage(() => parseWindow(text, utc))).toContain(message);
  });
});

describe('parseWindow: ranges', () => {
  test('date-only end means the end of that day (inclusive day ranges)', () => {
    const w = parseWindow('2026-11-01..2026-11-03', utc);
    expect([w.start.toISOString(), w.end.toISOString()]).toEqual([
      '2026-11-01T00:00:00.000Z',
      '2026-11-04T00:00:00.000Z',
    ]);
    expect(w.partitions).toEqual(['2026/11/01', '2026/11/02', '2026/11/03']);
    expect(w.label).toBe('2026-11-01..2026-11-03');
  });

  test('a single day as a range', () => {
    expect(span('2026-11-19..2026-11-19')).toEqual(['2026-11-19T00:00:00.000Z', '2026-11-20T00:00:00.000Z']);
  });

  test('exact times, mixed with dates, and spaces around ..', () => {
    expect(span('2026-11-19T22:00Z..2026-11-20T06:00Z')).toEqual([
      '2026-11-19T22:00:00.000Z',
      '2026-11-20T06:00:00.000Z',
    ]);
    expect(span('2026-11-19T22:00Z .. 2026-11-20')).toEqual(['2026-11-19T22:00:00.000Z', '2026-11-20T14:03:27.123Z']);
    expect(parseWindow('2026-11-19t22:00z..2026-11-20T07:00+01:00', utc).label).toBe(
      '2026-11-19T22:00Z..2026-11-20T07:00+01:00',
    );
  });

  test('an end after now is cut at now', () => {
    expect(span('2026-11-19..2026-12-01')).toEqual(['2026-11-19T00:00:00.000Z', '2026-11-20T14:03:27.123Z']);
  });

  test('date-only bounds across DST changes', () => {
    expect(hoursOf('2026-03-29..2026-03-29', at('2026-04-10T00:00Z', 'Europe/Berlin'))).toBe(23);
    expect(hoursOf('2026-10-25..2026-10-25', at('2026-11-10T00:00Z', 'Europe/Berlin'))).toBe(25);
    expect(hoursOf('2026-03-08..2026-03-08', at('2026-04-10T00:00Z', 'America/New_York'))).toBe(23);
    expect(span('2026-11-01..2026-11-01', at('2026-11-10T00:00Z', 'America/New_York'))).toEqual([
      '2026-11-01T04:00:00.000Z',
      '2026-11-02T05:00:00.000Z',
    ]);
  });

  test('month and year boundaries', () => {
    const later = at('2027-06-01T00:00Z');
    expect(parseWindow('2026-01-31T20:00Z..2026-02-01T04:00Z', at('2026-03-01T00:00Z')).partitions).toEqual([
      '2026/01/31',
      '2026/02/01',
    ]);
    expect(parseWindow('2026-12-31T22:00Z..2027-01-01T02:00Z', later).partitions).toEqual(['2026/12/31', '2027/01/01']);
    expect(parseWindow('2026-12-30..2027-01-02', later).partitions).toEqual([
      '2026/12/30',
      '2026/12/31',
      '2027/01/01',
      '2027/01/02',
    ]);
    expect(parseWindow('2026-04-30..2026-05-01', later).partitions).toEqual(['2026/04/30', '2026/05/01']);
  });

  test('leap day 2028-02-29 exists; 2027-02-29 does not', () => {
    const w = parseWindow('2028-02-28..2028-03-01', at('2028-03-05T00:00Z'));
    expect(w.partitions).toEqual(['2028/02/28', '2028/02/29', '2028/03/01']);
    expect(span('since 2028-02-29T12:00Z', at('2028-03-01T00:00Z'))[0]).toBe('2028-02-29T12:00:00.000Z');
    expect(usageMessage(() => parseWindow('2027-02-29..2027-03-01', at('2027-04-01T00:00Z')))).toBe(
      '`2027-02-29` is not a real date: February 2027 has 28 days.',
    );
  });

  test.each([
    ['2026-11-03..2026-11-01', '`2026-11-03..2026-11-01`: the end is before the start.'],
    ['2026-11-03T10:00Z..2026-11-03T10:00Z', 'is an empty window'],
    ['2026-12-01..2026-12-02', '`2026-12-01..2026-12-02` starts in the future.'],
    ['2026-02-30..2026-03-01', '`2026-02-30` is not a real date: February 2026 has 28 days.'],
    ['2026-04-31..2026-05-01', 'April 2026 has 30 days'],
    ['2026-13-01..2026-11-01', 'there is no month 13'],
    ['2026-11-01T25:00Z..2026-11-02', 'is not a real time of day'],
    ['2026-11-01T10:60Z..2026-11-02', 'is not a real time of day'],
    ['2026-11-01T10:00+15:00..2026-11-02', 'impossible UTC offset `+15:00`'],
    ['1969-12-31..1970-01-02', 'no logs before 1970'],
    ['2026-11-01..', 'needs a start and an end'],
    ['..2026-11-01', 'needs a start and an end'],
    ['2026-11-1..2026-11-02', '`2026-11-1` is not an ISO date or time'],
    ['2026/11/01..2026/11/02', 'is not an ISO date or time'],
  ])('%j is refused', (text, message) => {
    expect(usageMessage(() => parseWindow(text, utc))).toContain(message);
  });
});

describe('parseWindow: other input', () => {
  test('a bare date or time suggests a range or since', () => {
    expect(usageMessage(() => parseWindow('2026-11-19', utc))).toBe(
      '`2026-11-19` is a single moment, not a window; use `2026-11-19..2026-11-19` for that whole day, or `since 2026-11-19`.',
    );
    expect(usageMessage(() => parseWindow('2026-11-19T08:00Z', utc))).toContain('`since 2026-11-19T08:00Z`');
    expect(usageMessage(() => parseWindow('2026-02-30', utc))).toContain('February 2026 has 28 days');
  });

  test('unknown text names what was received and lists the accepted forms', () => {
    const message = usageMessage(() => parseWindow('last week', utc));
    expect(message).toBe(`\`last week\` is not a time window. ${WINDOW_HELP}`);
    expect(usageMessage(() => parseWindow('   ', utc))).toContain('No time window given');
  });

  test('errors carry WINDOW_HELP as their usage', () => {
    try {
      parseWindow('nope', utc);
      throw new Error('unreachable');
    } catch (err) {
      expect((err as UsageError).usage).toBe(WINDOW_HELP);
      expect((err as UsageError).code).toBe('USAGE');
    }
  });

  test('what was received is cut to 40 characters and its control characters escaped', () => {
    const long = `${'x'.repeat(39)}Y§${'q'.repeat(60)}`;
    const message = usageMessage(() => parseWindow(long, utc));
    expect(message).toContain(`\`${'x'.repeat(39)}Y…\``);
    expect(message).not.toContain('§');
    expect(usageMessage(() => parseWindow('a\u0007b\tc', utc))).toContain('`a\\u0007b\\tc`');
    expect(quoteInput('one`two\nthree')).toBe("`one'two\\nthree`");
  });
});

describe('partitionsFor', () => {
  const d = (s: string) => new Date(s);

  test('a 12 h window crossing midnight UTC touches two days', () => {
    expect(partitionsFor(d('2026-11-19T20:00Z'), d('2026-11-20T08:00Z'))).toEqual(['2026/11/19', '2026/11/20']);
  });

  test('a window ending exactly at 00:00 UTC does not include the next day', () => {
    expect(partitionsFor(d('2026-11-19T12:00Z'), d('2026-11-20T00:00Z'))).toEqual(['2026/11/19']);
    expect(partitionsFor(d('2026-11-19T12:00Z'), d('2026-11-20T00:00:00.001Z'))).toEqual(['2026/11/19', '2026/11/20']);
  });

  test('a window starting exactly at 00:00 UTC starts on that day', () => {
    expect(partitionsFor(d('2026-11-20T00:00Z'), d('2026-11-20T01:00Z'))).toEqual(['2026/11/20']);
  });

  test('empty or reversed intervals have no partitions', () => {
    expect(partitionsFor(d('2026-11-20T00:00Z'), d('2026-11-20T00:00Z'))).toEqual([]);
    expect(partitionsFor(d('2026-11-21T00:00Z'), d('2026-11-20T00:00Z'))).toEqual([]);
  });

  test('a parsed window carries its partitions', () => {
    expect(parseWindow('12h', at('2026-11-20T06:00Z')).partitions).toEqual(['2026/11/19', '2026/11/20']);
    expect(parseWindow('30m', at('2026-11-20T06:00Z')).partitions).toEqual(['2026/11/20']);
  });
});

describe('takeWindow', () => {
  test.each<[string[], string | undefined, string[]]>([
    [['sg-123', '12h'], '12h', ['sg-123']],
    [['12h', 'alice'], '12h', ['alice']],
    [['since', '2026-11-20T08:00Z', 'alice'], 'since 2026-11-20T08:00Z', ['alice']],
    [['alice', 'Since', '2026-11-20'], 'since 2026-11-20', ['alice']],
    [['2026-11-01..2026-11-03', 'top', '10'], '2026-11-01..2026-11-03', ['top', '10']],
    [['today'], 'today', []],
    [['alice', 'bob'], undefined, ['alice', 'bob']],
    [[], undefined, []],
    [['0h'], '0h', []],
  ])('%j', (tokens, windowText, rest) => {
    const taken = takeWindow(tokens);
    expect(taken.windowText).toBe(windowText);
    expect(taken.rest).toEqual(rest);
  });

  test('two windows are refused', () => {
    expect(usageMessage(() => takeWindow(['12h', 'root', 'today']))).toBe(
      'Two windows given: `12h` and `today`; give only one.',
    );
    expect(usageMessage(() => takeWindow(['since', '2026-11-01', '2026-11-01..2026-11-02']))).toContain(
      'Two windows given',
    );
  });

  test('`since` at the end has nothing to consume', () => {
    expect(usageMessage(() => takeWindow(['root', 'since']))).toContain('`since` needs a date or time after it');
  });
});

describe('isWindowToken', () => {
  test.each([
    '30m',
    '12h',
    '7D',
    '2w',
    '-5h',
    'today',
    'YESTERDAY',
    'since',
    '2026-11-01..2026-11-03',
    '2026-11-01..x',
  ])('%j is a window token', (token) => expect(isWindowToken(token)).toBe(true));
  test.each(['alice', 'sg-0123', '10', '12x', '2026-11-01', '../etc', 'i-0abc', 'AKIA1234'])('%j is not', (token) =>
    expect(isWindowToken(token)).toBe(false),
  );
});

describe('JSON round trip', () => {
  test('windowFromJson(windowToJson(w)) equals w', () => {
    const w = parseWindow('2026-11-01..2026-11-03', utc);
    const json = windowToJson(w);
    expect(json).toEqual({
      start: '2026-11-01T00:00:00.000Z',
      end: '2026-11-04T00:00:00.000Z',
      label: '2026-11-01..2026-11-03',
      partitions: ['2026/11/01', '2026/11/02', '2026/11/03'],
    });
    expect(windowFromJson(JSON.parse(JSON.stringify(json)))).toEqual(w);
  });

  test('partitions are recomputed from start and end, not trusted', () => {
    const w = windowFromJson({
      start: '2026-11-01T00:00:00.000Z',
      end: '2026-11-02T00:00:00.000Z',
      label: 'x',
      partitions: ['1999/01/01'],
    });
    expect(w.partitions).toEqual(['2026/11/01']);
  });

  test('a corrupt stored window is an error', () => {
    expect(() =>
      windowFromJson({ start: 'nope', end: '2026-11-02T00:00:00.000Z', label: 'x', partitions: [] }),
    ).toThrow(/not valid/);
    expect(() =>
      windowFromJson({
        start: '2026-11-02T00:00:00.000Z',
        end: '2026-11-01T00:00:00.000Z',
        label: 'x',
        partitions: [],
      }),
    ).toThrow(/not valid/);
  });
});

describe('isOffHours', () => {
  const standard = { start: '00:00', end: '05:00', weekends: false };

  test.each([
    ['2026-11-20T00:00:00Z', true],
    ['2026-11-20T04:59:59Z', true],
    ['2026-11-20T05:00:00Z', false],
    ['2026-11-19T23:59:59Z', false],
  ])('00:00-05:00 UTC at %s: %s', (instant, expected) => {
    expect(isOffHours(new Date(instant), standard, 'UTC')).toBe(expected);
  });

  test('uses the team time zone', () => {
    // 23:30 UTC on a Friday is 00:30 Saturday in Berlin (winter time).
    expect(isOffHours(new Date('2026-11-19T23:30:00Z'), standard, 'Europe/Berlin')).toBe(true);
    expect(isOffHours(new Date('2026-11-19T23:30:00Z'), standard, 'UTC')).toBe(false);
  });

  test('a range wrapping midnight', () => {
    const night = { start: '22:00', end: '06:00', weekends: false };
    expect(isOffHours(new Date('2026-11-20T22:00:00Z'), night, 'UTC')).toBe(true);
    expect(isOffHours(new Date('2026-11-20T03:00:00Z'), night, 'UTC')).toBe(true);
    expect(isOffHours(new Date('2026-11-20T06:00:00Z'), night, 'UTC')).toBe(false);
    expect(isOffHours(new Date('2026-11-20T21:59:00Z'), night, 'UTC')).toBe(false);
  });

  test('weekends count as a whole only when configured', () => {
    const saturdayNoon = new Date('2026-11-21T12:00:00Z');
    expect(isOffHours(saturdayNoon, standard, 'UTC')).toBe(false);
    expect(isOffHours(saturdayNoon, { ...standard, weekends: true }, 'UTC')).toBe(true);
    expect(isOffHours(new Date('2026-11-20T12:00:00Z'), { ...standard, weekends: true }, 'UTC')).toBe(false);
  });
});

describe('property: parseWindow never fails in an unexpected way', () => {
  const tokens = fc.constantFrom(
    '12h',
    '0h',
    '7d',
    '30m',
    '2w',
    '91d',
    'today',
    'yesterday',
    'since',
    ' ',
    '..',
    '2026-11-19',
    '2026-02-30',
    '2026-11-20T08:00Z',
    '2026-11-21T08:00+01:00',
    '2026-03-29T02:30',
    'T',
    'Z',
    ':',
    '-',
    '+',
  );
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const isoText = fc
    .tuple(
      fc.date({ min: new Date('2019-06-01T00:00:00Z'), max: new Date('2031-06-01T00:00:00Z'), noInvalidDate: true }),
      fc.constantFrom('date', 'Z', 'seconds', '+01:00', '-05:30', 'local'),
    )
    .map(([d, form]) => {
      const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
      const clock = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
      if (form === 'date') return date;
      if (form === 'seconds') return `${date}T${clock}:${pad(d.getUTCSeconds())}Z`;
      if (form === 'local') return `${date}T${clock}`;
      return `${date}T${clock}${form}`;
    });
  const wellFormed = fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.constantFrom('m', 'h', 'd', 'w')).map(([n, u]) => `${n}${u}`),
    isoText.map((iso) => `since ${iso}`),
    fc.tuple(isoText, isoText).map(([a, b]) => `${a}..${b}`),
  );
  const input = fc.oneof(
    { arbitrary: wellFormed, weight: 3 },
    fc.string({ maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.array(tokens, { maxLength: 4 }).map((parts) => parts.join('')),
    fc.array(tokens, { maxLength: 4 }).map((parts) => parts.join(' ')),
  );
  const options = fc.record({
    now: fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true }),
    timeZone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham'),
    maxDays: fc.integer({ min: 1, max: 400 }),
  });

  test('either a valid window or a UsageError', () => {
    let windows = 0;
    let refusals = 0;
    fc.assert(
      fc.property(input, options, (text, opts) => {
        let w: ReturnType<typeof parseWindow>;
        try {
          w = parseWindow(text, opts);
        } catch (err) {
          if (err instanceof UsageError) {
            refusals++;
            return true;
          }
          throw err;
        }
        windows++;
        expect(w.start.getTime()).toBeLessThan(w.end.getTime());
        expect(w.end.getTime()).toBeLessThanOrEqual(opts.now.getTime());
        expect(w.partitions.length).toBeGreaterThan(0);
        for (const p of w.partitions) expect(p).toMatch(/^\d{4}\/\d{2}\/\d{2}$/);
        expect([...w.partitions].sort()).toEqual(w.partitions);
        expect(new Set(w.partitions).size).toBe(w.partitions.length);
        return true;
      }),
      { numRuns: 500 },
    );
    // The generator must exercise both outcomes, or the property proves little.
    expect(windows).toBeGreaterThan(20);
    expect(refusals).toBeGreaterThan(20);
  });
});

describe('parseWindow: a bare time of day (issue 18), in the team time zone', () => {
  // NOW is 2026-11-20T14:03:27Z.
  test.each([
    ['since 14:00', '2026-11-20T14:00:00.000Z', '2026-11-20T14:03:27.123Z', 'since 2026-11-20T14:00'],
    ['since 9:05', '2026-11-20T09:05:00.000Z', '2026-11-20T14:03:27.123Z', 'since 2026-11-20T09:05'],
    // Still ahead today: yesterday's.
    ['since 16:00', '2026-11-19T16:00:00.000Z', '2026-11-20T14:03:27.123Z', 'since 2026-11-19T16:00'],
    ['10:00..12:30', '2026-11-20T10:00:00.000Z', '2026-11-20T12:30:00.000Z', '2026-11-20T10:00..2026-11-20T12:30'],
    // An end not yet reached is cut at now.
    ['14:00..16:30', '2026-11-20T14:00:00.000Z', '2026-11-20T14:03:27.123Z', '2026-11-20T14:00..2026-11-20T16:30'],
    // Past midnight.
    ['22:00..02:00', '2026-11-19T22:00:00.000Z', '2026-11-20T02:00:00.000Z', '2026-11-19T22:00..2026-11-20T02:00'],
  ])('%s', (text, start, end, label) => {
    const w = parseWindow(text, utc);
    expect([w.start.toISOString(), w.end.toISOString(), w.label]).toEqual([start, end, label]);
  });

  test('the zone decides which day it is', () => {
    // 14:03Z is 23:03 in Tokyo: `since 14:00` is 14:00 JST today, 05:00Z.
    expect(span('since 14:00', at('2026-11-20T14:03:27Z', 'Asia/Tokyo'))[0]).toBe('2026-11-20T05:00:00.000Z');
    // 14:03Z is 09:03 in New York: 14:00 is still ahead there, so yesterday's (19:00Z on the 19th).
    expect(span('since 14:00', at('2026-11-20T14:03:27Z', 'America/New_York'))[0]).toBe('2026-11-19T19:00:00.000Z');
  });

  test('a time the clocks skip is refused with what to type instead', () => {
    expect(usageMessage(() => parseWindow('since 02:30', at('2026-03-29T12:00:00Z', 'Europe/Berlin')))).toBe(
      '`02:30` does not exist on 2026-03-29 in Europe/Berlin (the clocks skip that hour); give a date and an offset, like `since 2026-03-29T02:30+01:00`.',
    );
  });

  test.each([
    ['since 24:00', '`24:00` is not a time of day; write it as HH:MM from 00:00 to 23:59, like `14:00`.'],
    ['since 14:60', '`14:60` is not a time of day; write it as HH:MM from 00:00 to 23:59, like `14:00`.'],
  ])('%s is refused', (text, message) => {
    expect(usageMessage(() => parseWindow(text, utc))).toBe(message);
  });

  test('the parser finds `since 14:00` and `14:00..16:30` among the arguments', () => {
    expect(takeWindow(['offhours', 'since', '14:00'])).toEqual({ windowText: 'since 14:00', rest: ['offhours'] });
    expect(isWindowToken('14:00..16:30')).toBe(true);
    expect(isWindowToken('14:00')).toBe(false); // alone it is not a window (it could be a schedule's time)
  });
});
