import { setBounded } from '../../src/util/bounded-map';

describe('setBounded', () => {
  test('keeps at most the limit, forgetting the oldest first', () => {
    const map = new Map<string, number>();
    for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) setBounded(map, key, i, 3);
    expect([...map.entries()]).toEqual([
      ['b', 1],
      ['c', 2],
      ['d', 3],
    ]);
  });

  test('setting a key it holds replaces the value without forgetting another', () => {
    const map = new Map([
      ['a', 1],
      ['b', 2],
    ]);
    setBounded(map, 'a', 10, 2);
    expect([...map.entries()]).toEqual([
      ['a', 10],
      ['b', 2],
    ]);
  });

  test('a limit of 0 keeps nothing', () => {
    const map = new Map<string, number>();
    setBounded(map, 'a', 1, 0);
    expect(map.size).toBe(0);
  });
});
