import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * JSON ⇄ DynamoDB AttributeValue. `@aws-sdk/util-dynamodb` is not installed, and the store only keeps JSON-shaped
 * data (strings, finite numbers, booleans, null, arrays, plain objects), so this small codec is enough. `undefined`
 * object fields are dropped, as JSON.stringify does; sets and binary are never written.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type Item = Record<string, AttributeValue>;

export function toAttribute(value: unknown): AttributeValue {
  if (value === null) return { NULL: true };
  switch (typeof value) {
    case 'string':
      return { S: value };
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot store the number ${value} in DynamoDB`);
      return { N: String(value) };
    case 'boolean':
      return { BOOL: value };
    case 'object':
      if (Array.isArray(value)) return { L: value.map((v) => toAttribute(v === undefined ? null : v)) };
      if (!isPlainObject(value)) {
        // A Date, Map or class instance would silently become an empty map.
        throw new TypeError(
          `cannot store a ${value.constructor?.name ?? 'object'} in DynamoDB: convert it to JSON first`,
        );
      }
      return { M: toItem(value) };
    default:
      throw new TypeError(`cannot store a ${typeof value} in DynamoDB`);
  }
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A plain object as an item (top-level map); `undefined` fields are left out. */
export function toItem(value: Record<string, unknown>): Item {
  const item: Item = {};
  for (const [key, v] of Object.entries(value)) {
    if (v !== undefined) setOwn(item, key, toAttribute(v));
  }
  return item;
}

export function fromAttribute(attribute: AttributeValue): JsonValue {
  if (attribute.S !== undefined) return attribute.S;
  if (attribute.N !== undefined) return Number(attribute.N);
  if (attribute.BOOL !== undefined) return attribute.BOOL;
  if (attribute.NULL !== undefined) return null;
  if (attribute.L !== undefined) return attribute.L.map(fromAttribute);
  if (attribute.M !== undefined) return fromItem(attribute.M);
  if (attribute.SS !== undefined) return [...attribute.SS];
  if (attribute.NS !== undefined) return attribute.NS.map(Number);
  throw new TypeError(`unsupported DynamoDB attribute ${Object.keys(attribute).join(',')}`);
}

export function fromItem(item: Item): Record<string, JsonValue> {
  const value: Record<string, JsonValue> = {};
  for (const [key, attribute] of Object.entries(item)) setOwn(value, key, fromAttribute(attribute));
  return value;
}

/** Plain assignment of a `__proto__` key would replace the prototype instead of storing the field. */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
