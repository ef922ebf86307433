import fc from 'fast-check';
import { Random, WeightedPicker } from '../../src/sample/random';

const draw = (rng: Random, n: number) => Array.from({ length: n }, () => rng.uint32());

describe('Random', () => {
  test('the same seed and label give the same sequence; another seed or label another one', () => {
    expect(draw(new Random(42), 20)).toEqual(draw(new Random(42), 20));
    expect(draw(new Random(42), 20)).not.toEqual(draw(new Random(43), 20));
    expect(draw(new Random(42).fork('a'), 20)).toEqual(draw(new Random(42).fork('a'), 20));
    expect(draw(new Random(42).fork('a'), 20)).not.toEqual(draw(new Random(42).fork('b'), 20));
  });

  test('a fork does not depend on how much the parent has drawn', () => {
    const parent = new Random(9);
    const before = draw(parent.fork('x'), 10);
    draw(parent, 1000);
    expect(draw(parent.fork('x'), 10)).toEqual(before);
  });

  test('int, between and next stay in range', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 1_000_000 }), (seed, n) => {
        const rng = new Random(seed);
        for (let i = 0; i < 20; i++) {
          const x = rng.int(n);
          expect(Number.isInteger(x) && x >= 0 && x < n).toBe(true);
          const y = rng.between(-3, n);
          expect(y >= -3 && y <= n).toBe(true);
          const f = rng.next();
          expect(f >= 0 && f < 1).toBe(true);
        }
      }),
    );
  });

  test('identifiers have the shapes CloudTrail uses', () => {
    const rng = new Random(1);
    for (let i = 0; i < 50; i++) {
      expect(rng.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(rng.hex(17)).toMatch(/^[0-9a-f]{17}$/);
      expect(rng.upperAlnum(16)).toMatch(/^[A-Z0-9]{16}$/);
      expect(rng.alnum(16)).toMatch(/^[A-Za-z0-9]{16}$/);
    }
  });

  test('is roughly uniform (a broken generator would fail this)', () => {
    const rng = new Random(5);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 20_000; i++) buckets[rng.int(10)]++;
    for (const b of buckets) expect(Math.abs(b - 2000)).toBeLessThan(200);
  });
});

describe('WeightedPicker', () => {
  test('follows the weights and never picks a zero-weight item', () => {
    const picker = new WeightedPicker([
      { item: 'a', weight: 3 },
      { item: 'never', weight: 0 },
      { item: 'b', weight: 1 },
    ]);
    const rng = new Random(3);
    const counts: Record<string, number> = { a: 0, b: 0, never: 0 };
    for (let i = 0; i < 8000; i++) counts[picker.pick(rng)]!++;
    expect(counts.never).toBe(0);
    expect(counts.a! / counts.b!).toBeGreaterThan(2.6);
    expect(counts.a! / counts.b!).toBeLessThan(3.4);
  });
});
