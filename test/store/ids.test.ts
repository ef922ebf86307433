import { EXECUTION_ID_PATTERN, newExecutionId } from '../../src/store/ids';

describe('newExecutionId', () => {
  test('12 lowercase base-36 characters', () => {
    const id = newExecutionId(new Date('2026-11-20T08:00:00.000Z'));
    expect(id).toMatch(EXECUTION_ID_PATTERN);
    expect(id).toHaveLength(12);
  });

  test('sorts by creation time', () => {
    const times = [
      '2001-01-01T00:00:00.000Z',
      '2026-11-20T08:00:00.000Z',
      '2026-11-20T08:00:00.001Z',
      '2059-01-01T00:00:00.000Z',
    ];
    const ids = times.map((t) => newExecutionId(new Date(t)));
    expect([...ids].sort()).toEqual(ids);
  });

  test('ids made in the same millisecond differ in their random part', () => {
    const at = new Date('2026-11-20T08:00:00.000Z');
    const ids = Array.from({ length: 1_000 }, () => newExecutionId(at));
    expect(new Set(ids.map((id) => id.slice(0, 8))).size).toBe(1);
    // 36^4 random suffixes: a thousand draws collide about 0.3 times on average.
    expect(new Set(ids).size).toBeGreaterThan(990);
  });
});
