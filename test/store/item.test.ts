/**
 * The store's items go through `@aws-sdk/util-dynamodb` (src/store/item.ts). These are the properties the former
 * hand-written codec pinned, each checked on the library with the store's options; the comments say what the library
 * does in each case.
 */
import type { convertToNative } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { fromItem, toAttribute, toItem } from '../../src/store/item';

/** One attribute back to JavaScript, with the same number handling as `fromItem`. */
const fromAttribute = (attribute: Parameters<typeof convertToNative>[0]) => fromItem({ value: attribute }).value;

describe('item (util-dynamodb)', () => {
  test('JSON values survive a round trip', () => {
    // marshall: strings S, numbers N (as their decimal text), booleans BOOL, null NULL, arrays L, objects M.
    // unmarshall with `wrapNumbers: Number`: every N back as a JavaScript number, even above 2^53 or `1e+300`, where
    // the library's default would return a BigInt or throw. `allowImpreciseNumbers` lets such numbers be written.
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        if (JSON.stringify(value).includes('__proto__')) return; // refused, below
        const back = fromAttribute(toAttribute(value));
        // JSON text comparison: -0 and 0 are one JSON number, as they are one DynamoDB number.
        expect(JSON.stringify(back)).toBe(JSON.stringify(value));
      }),
    );
  });

  test('maps each JSON type to its DynamoDB type; undefined fields are left out', () => {
    // removeUndefinedValues: an undefined field is dropped (the library throws without the option).
    expect(toItem({ s: 'x', n: 1.5, b: false, z: null, l: [1, 'a'], m: { k: 'v' }, u: undefined })).toEqual({
      s: { S: 'x' },
      n: { N: '1.5' },
      b: { BOOL: false },
      z: { NULL: true },
      l: { L: [{ N: '1' }, { S: 'a' }] },
      m: { M: { k: { S: 'v' } } },
    });
    // The former codec wrote an undefined array element as null (as JSON.stringify does); the library leaves it
    // out. The store writes no arrays with holes.
    expect(toAttribute([1, undefined, 2])).toEqual({ L: [{ N: '1' }, { N: '2' }] });
    // Sets come back as Sets (the former codec returned arrays); only the slot counters use one (slots.ts).
    expect(fromItem({ ss: { SS: ['a', 'b'] }, ns: { NS: ['1', '2'] } })).toEqual({
      ss: new Set(['a', 'b']),
      ns: new Set([1, 2]),
    });
  });

  test('large and non-integer numbers are kept as numbers', () => {
    const item = toItem({ big: 2 ** 60, huge: 1e300, tiny: -1.25e-7 });
    expect(item).toEqual({ big: { N: String(2 ** 60) }, huge: { N: '1e+300' }, tiny: { N: '-1.25e-7' } });
    expect(fromItem(item)).toEqual({ big: 2 ** 60, huge: 1e300, tiny: -1.25e-7 });
  });

  test('a `__proto__` key is refused both ways, never turned into a prototype', () => {
    // The library copies fields with plain assignment: on write a `__proto__` field would vanish, on read it would
    // become the prototype of the object read. item.ts refuses it instead.
    const value = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as Record<string, unknown>;
    expect(() => toItem(value)).toThrow(/__proto__/);
    expect(() => toAttribute({ nested: value })).toThrow(/__proto__ \(in value\.nested\)/);
    const stored = JSON.parse('{"__proto__": {"M": {"polluted": {"BOOL": true}}}, "ok": {"N": "1"}}');
    expect(() => fromItem(stored)).toThrow(/__proto__/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('refuses what would be stored wrongly: Dates, class instances, non-finite numbers, functions', () => {
    // A Date or class instance is refused ("Unsupported type passed", unless convertClassInstanceToMap is set),
    // so it never silently becomes an empty map.
    expect(() => toAttribute(new Date())).toThrow(/Unsupported type/);
    expect(() => toAttribute(new (class Thing {})())).toThrow(/Unsupported type/);
    // NaN and ±Infinity: "Special numeric value … is not allowed".
    expect(() => toAttribute(Number.NaN)).toThrow(/NaN/);
    expect(() => toAttribute(Number.POSITIVE_INFINITY)).toThrow(/Infinity/);
    // A function on its own is refused; inside an object or array the library skips it, like JSON.stringify.
    expect(() => toAttribute(() => 1)).toThrow(/Unsupported type/);
    expect(toItem({ f: () => 1, ok: 1 })).toEqual({ ok: { N: '1' } });
    // A Map is written as the map of its entries (the former codec refused it; either way it is never lost).
    expect(toAttribute(new Map([['k', 1]]))).toEqual({ M: { k: { N: '1' } } });
  });
});
