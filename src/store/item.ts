/**
 * JSON ⇄ DynamoDB items with `@aws-sdk/util-dynamodb`, bound once to the options the store needs. The store keeps
 * JSON-shaped data only (strings, finite numbers, booleans, null, arrays, plain objects); what the library does with
 * each case is pinned in test/store/item.test.ts.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { convertToAttr, type marshallOptions, unmarshall, type unmarshallOptions } from '@aws-sdk/util-dynamodb';

export type Item = Record<string, AttributeValue>;

const WRITE: marshallOptions = {
  // `undefined` fields are left out (as JSON.stringify does) instead of throwing.
  removeUndefinedValues: true,
  // Numbers beyond 2^53 are written as their decimal text instead of refused, as the store always did.
  allowImpreciseNumbers: true,
};

const READ: unmarshallOptions = {
  // Every N comes back as a JavaScript number. Without this the library returns a BigInt above 2^53 and throws on a
  // number such as `1e+300` ("can't be converted to BigInt").
  wrapNumbers: Number,
};

/** A plain object as an item (top-level map); `undefined` fields are left out. */
export function toItem(value: Record<string, unknown>): Item {
  refuseProtoKey(value, 'item');
  return (convertToAttr(value, WRITE) as { M: Item }).M;
}

/** One value as an AttributeValue (for ExpressionAttributeValues). */
export function toAttribute(value: unknown): AttributeValue {
  refuseProtoKey(value, 'value');
  return convertToAttr(value, WRITE);
}

export function fromItem(item: Item): Record<string, unknown> {
  refuseProtoKey(item, 'stored item');
  return unmarshall(item, READ);
}

/**
 * util-dynamodb copies fields with plain assignment (`map[key] = …`), so a field named `__proto__` would be dropped
 * on write and become the object's prototype on read. Neither may happen silently: such a field is refused both ways.
 */
function refuseProtoKey(value: unknown, where: string): void {
  if (value === null || typeof value !== 'object') return;
  for (const key of Object.keys(value)) {
    if (key === '__proto__') throw new TypeError(`cannot store a field named __proto__ (in ${where})`);
    refuseProtoKey((value as Record<string, unknown>)[key], `${where}.${key}`);
  }
}
