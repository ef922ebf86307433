import { COMMANDS, parseRequest } from '../../commands';
import { pivotFinder, type RowReader, windowAround } from '../../src/dispatch/pivots';
import { testConfig } from '../helpers/config';

const now = new Date('2026-11-20T12:00:00Z');
const config = testConfig();
const find = pivotFinder(config, COMMANDS, () => now);

function row(cells: Record<string, string | null>): RowReader {
  return (column) => cells[column] ?? null;
}

describe('pivotFinder', () => {
  test("a row's three next questions, over the pivot window around its event, each accepted by the parser", () => {
    const pivots = find(
      row({
        eventtime: '2026-11-20T08:00:30Z',
        principal_arn: 'arn:aws:iam::111122223333:user/bobodell',
        username: 'bobodell',
        sourceipaddress: '198.51.100.59',
        requestparameters: '{"groupId":"sg-5887f224","ipPermissions":{}}',
      }),
    );
    expect(pivots.map((p) => [p.kind, p.question])).toEqual([
      ['principal', 'user arn:aws:iam::111122223333:user/bobodell 2026-11-20T07:00Z..2026-11-20T09:01Z'],
      ['source', 'ip 198.51.100.59 2026-11-20T07:00Z..2026-11-20T09:01Z'],
      ['resource', 'who sg-5887f224 2026-11-20T07:00Z..2026-11-20T09:01Z'],
    ]);
    for (const p of pivots) {
      const request = parseRequest(p.question, { config, now }, { catalog: COMMANDS });
      expect(request.kind).toBe('query');
    }
    expect(pivots[0]!.label).toBe('What else bobodell did');
  });

  test('TRAIL_PIVOT_WINDOW sets the reach; the window never ends after the current minute', () => {
    const wide = pivotFinder(testConfig({ window: { ...config.window, pivotMinutes: 180 } }), COMMANDS, () => now);
    expect(wide(row({ eventtime: '2026-11-20T08:00:00Z', sourceipaddress: '10.0.0.1' }))[0]!.question).toBe(
      'ip 10.0.0.1 2026-11-20T05:00Z..2026-11-20T11:00Z',
    );
    expect(windowAround('2026-11-20T11:59:10Z', 60, now)).toBe('2026-11-20T10:59Z..2026-11-20T12:00Z');
    expect(windowAround('not a time', 60, now)).toBeUndefined();
  });

  test('attacker-written values the parser refuses give no pivot, never an error', () => {
    const pivots = find(
      row({
        eventtime: '2026-11-20T08:00:00Z',
        // A backtick and a space in an "ARN"; a service name where an address should be; a resource that is a mention.
        principal_arn: 'arn:aws:iam::111122223333:user/`x` <!here>',
        username: null,
        sourceipaddress: 'ec2.amazonaws.com',
        resource: '<@U0EVE>',
      }),
    );
    expect(pivots).toEqual([]);
    // A user name alone is enough for the principal pivot.
    expect(find(row({ eventtime: '2026-11-20T08:00:00Z', username: 'alice' })).map((p) => p.question)).toEqual([
      'user alice 2026-11-20T07:00Z..2026-11-20T09:00Z',
    ]);
  });

  test('a row without a readable time has no pivots', () => {
    expect(find(row({ sourceipaddress: '10.0.0.1' }))).toEqual([]);
    expect(find(row({ eventtime: 'yesterday-ish', sourceipaddress: '10.0.0.1' }))).toEqual([]);
  });
});
