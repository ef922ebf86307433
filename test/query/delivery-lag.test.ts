import type { TrailConfig } from '../../src/config';
import { readPartitions } from '../../src/query/bind';
import { parseWindow } from '../../src/time/window';
import { context, paramValues, queryOf, usageMessage } from '../helpers/commands';
import { testConfig } from '../helpers/config';

const withWindow = (window: Partial<TrailConfig['window']>) =>
  context({ window: { ...testConfig().window, ...window } });

/**
 * CloudTrail folders a file by its delivery time, minutes after its events (CloudTrail User Guide, "Finding your
 * CloudTrail log files"): the day after a window must be read as far as the delivery lag reaches.
 */
describe('delivery lag: the day folders a question reads', () => {
  test('a window ending at midnight also reads the next day (the file delivered at 00:03 holds 23:5x)', () => {
    const q = queryOf('users 2026-11-19..2026-11-19');
    expect(q.window.partitions).toEqual(['2026/11/19']);
    expect(q.query.partitions).toEqual(['2026/11/19', '2026/11/20']);
    // day_from, day_to come first; the eventtime bounds still end exactly at midnight.
    expect(paramValues('users 2026-11-19..2026-11-19').slice(0, 4)).toEqual([
      '2026/11/19',
      '2026/11/20',
      '2026-11-19T00:00:00.000Z',
      '2026-11-20T00:00:00.000Z',
    ]);
  });

  test('yesterday reads today too; a window ending mid-day reads no extra day', () => {
    expect(queryOf('root yesterday').query.partitions).toEqual(['2026/11/20', '2026/11/21']);
    expect(queryOf('sg 2h').query.partitions).toEqual(['2026/11/21']);
  });

  test('every template gets the same extended partitions (one place, both engines read query.partitions)', () => {
    for (const text of [
      'sg',
      'logins',
      'errors',
      'users',
      'root',
      'who i-0abc1234',
      'user alice',
      'ip 10.0.0.1',
      'recent',
    ]) {
      const q = queryOf(`${text} 2026-11-18..2026-11-19`);
      expect(q.query.partitions).toEqual(['2026/11/18', '2026/11/19', '2026/11/20']);
      expect(q.query.window.partitions).toEqual(['2026/11/18', '2026/11/19']);
    }
  });

  test('the lag is a setting: 0 reads only the window days, 90 minutes reaches past 01:00', () => {
    expect(queryOf('users yesterday', withWindow({ deliveryLagMinutes: 0 })).query.partitions).toEqual(['2026/11/20']);
    const w = parseWindow('2026-11-19T12:00Z..2026-11-19T23:00Z', {
      now: new Date('2026-11-21T00:00Z'),
      timeZone: 'UTC',
      maxDays: 90,
    });
    expect(readPartitions(w, 59)).toEqual(['2026/11/19']);
    expect(readPartitions(w, 61)).toEqual(['2026/11/19', '2026/11/20']);
  });
});

describe('projection start: windows before the table are refused the same way on both engines', () => {
  test('a window that starts before TRAIL_PROJECTION_START is a usage error naming the setting', () => {
    const ctx = withWindow({ projectionStart: '2026/11/01' });
    expect(usageMessage('root 2026-10-30..2026-11-02', ctx)).toContain('TRAIL_PROJECTION_START');
    expect(usageMessage('root 2026-10-30..2026-11-02', ctx)).toContain('2026/11/01');
    expect(queryOf('root 2026-11-01..2026-11-02', ctx).query.partitions[0]).toBe('2026/11/01');
  });
});
