import fc from 'fast-check';
import { fromAttribute, fromItem, toAttribute, toItem } from '../../src/store/marshal';

describe('marshal', () => {
  test('JSON values survive a round trip', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const back = fromAttribute(toAttribute(value));
        // JSON text comparison: -0 and 0 are one JSON number, as they are one DynamoDB number.
        expect(JSON.stringify(back)).toBe(JSON.stringify(value));
      }),
    );
  });

  test('maps each JSON type to its DynamoDB type', () => {
    expect(toItem({ s: 'x', n: 1.5, b: false, z: null, l: [1, 'a'], m: { k: 'v' }, u: undefined })).toEqual({
      s: { S: 'x' },
      n: { N: '1.5' },
      b: { BOOL: false },
      z: { NULL: true },
      l: { L: [{ N: '1' }, { S: 'a' }] },
      m: { M: { k: { S: 'v' } } },
    });
    expect(fromItem({ ss: { SS: ['a', 'b'] }, ns: { NS: ['1', '2'] } })).toEqual({ ss: ['a', 'b'], ns: [1, 2] });
  });

  test('a `__proto__` key is stored as a field, not as a prototype', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as Record<string, unknown>;
    const item = toItem(value);
    expect(Object.keys(item)).toEqual(['__proto__', 'ok']);
    const back = fromItem(item);
    expect(Object.keys(back)).toEqual(['__proto__', 'ok']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('refuses what would be stored wrongly: Dates, class instances, non-finite numbers, functions', () => {
    expect(() => toAttribute(new Date())).toThrow(/Date/);
    expect(() => toAttribute(new Map())).toThrow(/Map/);
    expect(() => toAttribute(Number.NaN)).toThrow(/NaN/);
    expect(() => toAttribute(Number.POSITIVE_INFINITY)).toThrow(/Infinity/);
    expect(() => toAttribute(() => 1)).toThrow(/function/);
    expect(() => fromAttribute({ B: new Uint8Array([1]) })).toThrow(/unsupported/);
  });
});
