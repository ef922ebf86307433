import { bindScheduledQuestion, COMMANDS, renderHelp, ScheduledQuestionInvalid } from '../../commands';
import { scheduleFlags } from '../../commands/schedule';
import { scheduledWindow } from '../../src/scheduler/scheduler';
import { context, parse, queryOf, usageMessage } from '../helpers/commands';

function scheduleArgs(text: string, ctx = context()) {
  const r = parse(text, ctx);
  if (r.kind !== 'control') throw new Error(`${text} is not a control command`);
  return { name: r.command.name, args: r.args };
}

describe('schedule: accepted forms', () => {
  test.each([
    [
      'schedule root daily 09:00',
      { command: 'root', commandText: 'root', cadence: { every: 'daily', at: '09:00' }, timeZone: 'UTC' },
    ],
    [
      'schedule root daily 09:00 Europe/Berlin',
      { command: 'root', commandText: 'root', cadence: { every: 'daily', at: '09:00' }, timeZone: 'Europe/Berlin' },
    ],
    [
      'schedule logins nomfa weekly monday 08:30',
      {
        command: 'logins',
        commandText: 'logins nomfa',
        cadence: { every: 'weekly', day: 'monday', at: '08:30' },
        timeZone: 'UTC',
      },
    ],
    [
      'schedule errors top 5 weekly fri 17:00 America/New_York',
      {
        command: 'errors',
        commandText: 'errors top 5',
        cadence: { every: 'weekly', day: 'friday', at: '17:00' },
        timeZone: 'America/New_York',
      },
    ],
    [
      '/trail SCHEDULE Root DAILY 9:05 europe/berlin',
      { command: 'root', commandText: 'root', cadence: { every: 'daily', at: '09:05' }, timeZone: 'Europe/Berlin' },
    ],
    [
      'schedule sg sg-5887f224 --all daily 07:00 account:123456789012',
      {
        command: 'sg',
        commandText: 'sg sg-5887f224 account:123456789012 --all',
        cadence: { every: 'daily', at: '07:00' },
        timeZone: 'UTC',
      },
    ],
    [
      // The last daily/weekly is the cadence; an earlier one is the question's own argument.
      'schedule who daily weekly sun 06:00',
      {
        command: 'who',
        commandText: 'who daily',
        cadence: { every: 'weekly', day: 'sunday', at: '06:00' },
        timeZone: 'UTC',
      },
    ],
  ])('%s', (text, expected) => {
    expect(scheduleArgs(text)).toEqual({ name: 'schedule', args: expected });
  });

  test('the time zone defaults to the configured one', () => {
    const ctx = context({ timeZone: 'Asia/Tokyo' });
    expect(scheduleArgs('schedule root daily 09:00', ctx).args).toMatchObject({ timeZone: 'Asia/Tokyo' });
  });

  test('schedules and unschedule', () => {
    expect(scheduleArgs('schedules')).toEqual({ name: 'schedules', args: {} });
    expect(scheduleArgs('unschedule k3x9a1b2q7zc')).toEqual({ name: 'unschedule', args: { id: 'k3x9a1b2q7zc' } });
  });
});

describe('schedule: refused forms say what to fix', () => {
  test.each([
    ['schedule', '`schedule`: which question, and when? e.g. `/trail schedule root daily 09:00`.'],
    [
      'schedule root',
      '`schedule`: say when it should run after the question: daily HH:MM [time zone] or weekly <day> HH:MM [time zone] (24-hour clock; day: monday…sunday or mon…sun; zone: IANA, e.g. Europe/Berlin). E.g. `/trail schedule root daily 09:00`.',
    ],
    [
      'schedule daily 09:00',
      '`schedule`: which question? Put it before the time, e.g. `/trail schedule root daily 09:00`.',
    ],
    ['schedule root daily', '`schedule`: `daily` needs a time, e.g. `daily 09:00`.'],
    ['schedule root weekly mon', '`schedule`: `weekly` needs a time, e.g. `weekly monday 09:00`.'],
    [
      'schedule root daily 24:00',
      '`schedule`: `24:00` is not a time of day. Accepted: HH:MM on a 24-hour clock, 00:00 to 23:59 (e.g. 09:00).',
    ],
    [
      'schedule root daily 9am',
      '`schedule`: `9am` is not a time of day. Accepted: HH:MM on a 24-hour clock, 00:00 to 23:59 (e.g. 09:00).',
    ],
    ['schedule root weekly 09:00', '`schedule`: `weekly` needs a day before the time, e.g. `weekly monday 08:30`.'],
    [
      'schedule root weekly funday 09:00',
      '`schedule`: `funday` is not a day of the week. Accepted: monday, tuesday, …, sunday, or mon, tue, …, sun.',
    ],
    [
      'schedule root daily 09:00 Mars/Base',
      '`schedule`: `Mars/Base` is not an IANA time zone. Accepted: a zone name like Europe/Berlin, America/New_York or UTC (without one: UTC).',
    ],
    [
      'schedule root daily 09:00 +01:00',
      '`schedule`: `+01:00` is not an IANA time zone. Accepted: a zone name like Europe/Berlin, America/New_York or UTC (without one: UTC).',
    ],
    [
      'schedule root daily 09:00 UTC now',
      '`schedule`: unexpected `now` after the time zone. Accepted: daily HH:MM [time zone] or weekly <day> HH:MM [time zone] (24-hour clock; day: monday…sunday or mon…sun; zone: IANA, e.g. Europe/Berlin).',
    ],
    [
      'schedule root 7d daily 09:00',
      '`schedule`: leave out the time window `7d`: each run covers the time since the previous run (the last day for daily, the last week for weekly).',
    ],
    [
      'schedule root since 2026-11-01 daily 09:00',
      '`schedule`: leave out the time window `since 2026-11-01`: each run covers the time since the previous run (the last day for daily, the last week for weekly).',
    ],
    [
      'schedule root today yesterday daily 09:00',
      '`schedule`: leave out the time windows: each run covers the time since the previous run (the last day for daily, the last week for weekly).',
    ],
    [
      'schedule root --sql daily 09:00',
      '`schedule`: `--sql` shows a question’s SQL instead of running it, so there is nothing to schedule. Leave it out (to see the SQL, run the question itself with `--sql`).',
    ],
    [
      'schedule status k3x9a1b2q7zc daily 09:00',
      '`schedule`: only questions can be scheduled, and `status` is not one (try `/trail help`).',
    ],
    [
      'schedule schedule root daily 09:00 weekly mon 10:00',
      '`schedule`: only questions can be scheduled, and `schedule` is not one (try `/trail help`).',
    ],
    ['schedule rot daily 09:00', '`rot` is not a trailbot command. Did you mean `root`?'],
    [
      'schedule logins nomfaa daily 09:00',
      '`logins`: `nomfaa` is not a kind of sign-in. Accepted: all, offhours, mobile, external, nomfa, failed, root.',
    ],
    ['schedule root --bogus daily 09:00', '`schedule`: unknown option `--bogus`. Accepted: --all, --sql, --help.'],
    ['schedules now', '`schedules`: unexpected argument `now`.'],
    ['unschedule', '`unschedule`: which schedule? Give its id.'],
    [
      'unschedule k3x!',
      '`unschedule`: `k3x!` is not a schedule id. Accepted: the id trailbot showed (6–32 of A-Z a-z 0-9 _ -).',
    ],
  ])('%s', (text, message) => {
    expect(usageMessage(text)).toBe(message);
  });

  test('a weekly schedule needs windows of at least 7 days', () => {
    const ctx = context({
      window: { maxDays: 3, defaults: {}, deliveryLagMinutes: 15, projectionStart: '2020/01/01' },
    });
    expect(usageMessage('schedule root weekly mon 09:00', ctx)).toBe(
      "`schedule`: a weekly run covers 7 days, more than this bot's 3-day maximum window (TRAIL_MAX_WINDOW_DAYS); schedule it daily instead.",
    );
    expect(scheduleArgs('schedule root daily 09:00', ctx).args).toMatchObject({ command: 'root' });
  });

  test('a scope outside the trail is refused as for the question itself', () => {
    const ctx = context({ trail: { prefix: '', accounts: ['111111111111'], regions: [] } });
    expect(usageMessage('schedule root daily 09:00 account:222222222222', ctx)).toBe(
      "`root`: account 222222222222 is not one of this trail's accounts (111111111111).",
    );
  });
});

describe('schedule: flags and help', () => {
  test('the flags of schedulable questions are accepted and described, --sql is listed as refused', () => {
    expect(scheduleFlags(COMMANDS)).toEqual({
      all: 'passed on to the question (`sg`: also list the Describe calls that looked at these groups)',
      sql: 'not accepted: a schedule runs its question (run the question itself with --sql to see its SQL)',
    });
  });

  test('help lists the three commands and the schedule forms', () => {
    const all = renderHelp();
    expect(all).toContain('/trail schedule <question> daily|weekly [day] HH:MM [time zone]');
    expect(all).toContain('/trail schedules');
    expect(all).toContain('/trail unschedule <id>');
    expect(renderHelp('schedule')).toContain('/trail schedule errors top 5 weekly fri 17:00 America/New_York');
  });
});

describe('binding a scheduled question to its window', () => {
  const start = new Date('2026-11-20T08:00:00Z');
  const end = new Date('2026-11-21T08:00:00Z');
  const window = scheduledWindow({ timeZone: 'Europe/Berlin' }, start, end);

  test('the same SQL and parameters as the typed question, with the schedule’s window', () => {
    const ctx = context();
    const bound = bindScheduledQuestion('logins nomfa', window, ctx);
    const typed = queryOf('logins nomfa 2026-11-20T08:00Z..2026-11-21T08:00Z', ctx);
    expect(bound.query.sql).toBe(typed.query.sql);
    expect(bound.query.params).toEqual(typed.query.params);
    expect(bound.query.window).toEqual({
      start: '2026-11-20T08:00:00.000Z',
      end: '2026-11-21T08:00:00.000Z',
      label: 'scheduled 2026-11-20 09:00..2026-11-21 09:00 Europe/Berlin',
      partitions: ['2026/11/20', '2026/11/21'],
    });
    expect(bound.normalized).toBe('logins nomfa scheduled 2026-11-20 09:00..2026-11-21 09:00 Europe/Berlin');
  });

  test('scope and flags are kept', () => {
    const ctx = context();
    const bound = bindScheduledQuestion('sg sg-5887f224 account:123456789012 --all', window, ctx);
    const typed = queryOf('sg sg-5887f224 account:123456789012 --all 2026-11-20T08:00Z..2026-11-21T08:00Z', ctx);
    expect(bound.query.scope).toEqual({ accounts: ['123456789012'], regions: [] });
    expect(bound.query.sql).toBe(typed.query.sql);
    expect(bound.query.params).toEqual(typed.query.params);
  });

  test('a stored question that no longer validates is a ScheduledQuestionInvalid with the reason', () => {
    const ctx = context({ trail: { prefix: '', accounts: ['111111111111'], regions: [] } });
    expect(() => bindScheduledQuestion('root account:222222222222', window, ctx)).toThrow(ScheduledQuestionInvalid);
    expect(() => bindScheduledQuestion('status k3x9a1b2q7zc', window, ctx)).toThrow(
      '`status` is not a question that can be scheduled.',
    );
  });
});
