/**
 * DynamoDB expressions from named parts. Every attribute name goes through a `#n` placeholder (reserved words such as
 * `state` and `bytes` cannot appear bare: DynamoDB Developer Guide, "Expression attribute names") and every value
 * through a `:v` placeholder, so nothing a user typed ever becomes expression text.
 *
 * A condition is a small function of the placeholders (`attributeIs('state', from)`, `itemIsNew()`,
 * `leaseFreeOrMine(owner, now)`) combined with `allOf`/`anyOf`; the write that uses it names what it guards, and a
 * failed check becomes a ConditionFailedError carrying the item as it was (table.ts).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { type Item, toAttribute } from './item';
import { STORE_TABLE } from './schema';

/** DynamoDB TTL attributes are Numbers in epoch seconds (DynamoDB API Reference, "UpdateTimeToLive"). */
export const epochSeconds = (d: Date): number => Math.floor(d.getTime() / 1000);

/** Placeholder names and values of one request: only those used are defined (DynamoDB rejects unused ones). */
export class Placeholders {
  private readonly nameOf = new Map<string, string>();
  private readonly names: Record<string, string> = {};
  private readonly values: Item = {};
  private valueCount = 0;

  name(attribute: string): string {
    let placeholder = this.nameOf.get(attribute);
    if (!placeholder) {
      placeholder = `#n${this.nameOf.size}`;
      this.nameOf.set(attribute, placeholder);
      this.names[placeholder] = attribute;
    }
    return placeholder;
  }

  value(value: unknown): string {
    return this.raw(toAttribute(value));
  }

  /** A value already in DynamoDB form (a string set for ADD/DELETE). */
  raw(attribute: AttributeValue): string {
    const placeholder = `:v${this.valueCount++}`;
    this.values[placeholder] = attribute;
    return placeholder;
  }

  /** `ExpressionAttributeNames`/`Values` for the request; an empty map is left out (DynamoDB rejects one). */
  attributes(): { ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Item } {
    return {
      ...(this.nameOf.size > 0 ? { ExpressionAttributeNames: this.names } : {}),
      ...(this.valueCount > 0 ? { ExpressionAttributeValues: this.values } : {}),
    };
  }
}

/** An UpdateExpression's SET, REMOVE, ADD and DELETE clauses, built on the request's placeholders. */
export class UpdateExpression extends Placeholders {
  private readonly clauses: Record<'SET' | 'REMOVE' | 'ADD' | 'DELETE', string[]> = {
    SET: [],
    REMOVE: [],
    ADD: [],
    DELETE: [],
  };

  set(attribute: string, value: unknown): this {
    this.clauses.SET.push(`${this.name(attribute)} = ${this.value(value)}`);
    return this;
  }

  setIfNotExists(attribute: string, value: unknown): this {
    const name = this.name(attribute);
    this.clauses.SET.push(`${name} = if_not_exists(${name}, ${this.value(value)})`);
    return this;
  }

  remove(attribute: string): this {
    this.clauses.REMOVE.push(this.name(attribute));
    return this;
  }

  /** Atomic ADD of a number, or of members to a set (`AttributeValue` form). */
  add(attribute: string, value: number | AttributeValue): this {
    const placeholder = typeof value === 'number' ? this.value(value) : this.raw(value);
    this.clauses.ADD.push(`${this.name(attribute)} ${placeholder}`);
    return this;
  }

  /** Removes members from a set. */
  deleteFromSet(attribute: string, members: AttributeValue): this {
    this.clauses.DELETE.push(`${this.name(attribute)} ${this.raw(members)}`);
    return this;
  }

  expression(): string {
    return Object.entries(this.clauses)
      .filter(([, parts]) => parts.length > 0)
      .map(([clause, parts]) => `${clause} ${parts.join(', ')}`)
      .join(' ');
  }
}

/** A condition written against a request's placeholders. */
export type Condition = (x: Placeholders) => string;

export const exists =
  (attribute: string): Condition =>
  (x) =>
    `attribute_exists(${x.name(attribute)})`;

export const notExists =
  (attribute: string): Condition =>
  (x) =>
    `attribute_not_exists(${x.name(attribute)})`;

const compare =
  (operator: '=' | '<' | '<=' | '>') =>
  (attribute: string, value: unknown): Condition =>
  (x) =>
    `${x.name(attribute)} ${operator} ${x.value(value)}`;

export const attributeIs = compare('=');
export const attributeBelow = compare('<');
export const attributeAtMost = compare('<=');
export const attributeAbove = compare('>');

/** A set (or string, or list) attribute has fewer than `count` members. */
export const sizeBelow =
  (attribute: string, count: number): Condition =>
  (x) =>
    `size(${x.name(attribute)}) < ${x.value(count)}`;

export const contains =
  (attribute: string, member: unknown): Condition =>
  (x) =>
    `contains(${x.name(attribute)}, ${x.value(member)})`;

export const beginsWith =
  (attribute: string, prefix: string): Condition =>
  (x) =>
    `begins_with(${x.name(attribute)}, ${x.value(prefix)})`;

export const allOf =
  (...conditions: Condition[]): Condition =>
  (x) =>
    conditions.map((c) => `(${c(x)})`).join(' AND ');

export const anyOf =
  (...conditions: Condition[]): Condition =>
  (x) =>
    conditions.map((c) => `(${c(x)})`).join(' OR ');

/**
 * A Query's KeyConditionExpression: the partition key, and optionally one condition on the sort key, joined with a
 * bare AND (the key-condition grammar of the DynamoDB Developer Guide, "Key condition expressions for the Query
 * operation", has no parentheses).
 */
export const keyCondition =
  (partition: Condition, sortKey?: Condition): Condition =>
  (x) =>
    sortKey ? `${partition(x)} AND ${sortKey(x)}` : partition(x);

// ── the store's own vocabulary ─────────────────────────────────────────────────────────────────────────────────

/** The key is free: a put creates, never replaces. */
export const itemIsNew = (): Condition => notExists(STORE_TABLE.partitionKey);

/** The item exists (an UpdateItem would otherwise create one for a missing key). */
export const itemExists = (): Condition => exists(STORE_TABLE.partitionKey);

/** Not past its TTL: DynamoDB deletes expired items up to two days late and dynalite never does (schema.ts). */
export const liveAt = (now: Date): Condition => attributeAbove(STORE_TABLE.ttlAttribute, epochSeconds(now));

/** Nobody holds the lease, its holder's time ran out, or `owner` holds it already (ExecutionStore.claim). */
export const leaseFreeOrMine = (owner: string, now: Date): Condition =>
  anyOf(notExists('leaseUntil'), attributeBelow('leaseUntil', now.getTime()), attributeIs('leaseOwner', owner));

/** `ConditionExpression` and its placeholders, for a request that has no update expression. */
export function conditionInput(condition: Condition, x: Placeholders = new Placeholders()) {
  const ConditionExpression = condition(x);
  return { ConditionExpression, ...x.attributes() };
}
