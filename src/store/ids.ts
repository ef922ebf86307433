import { randomInt } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
const TIME_CHARS = 8;
const RANDOM_CHARS = 4;

/**
 * A 12-character execution id people can type (`/trail status k3x9a1b2q7zc`): lowercase base-36, the first 8
 * characters the creation time in milliseconds (fixed width until 2059, so ids sort by creation time), then 4
 * random characters (1.7 million per millisecond). URL- and Slack-safe. Uniqueness is enforced anyway: the store
 * writes an execution with `attribute_not_exists(pk)`.
 */
export function newExecutionId(now: Date): string {
  const time = Math.max(0, now.getTime()).toString(36).padStart(TIME_CHARS, '0').slice(-TIME_CHARS);
  return time + randomSuffix(RANDOM_CHARS);
}

/** Random suffix for sort keys that must not collide within one millisecond (audit entries). */
export function randomSuffix(length = 6): string {
  let suffix = '';
  for (let i = 0; i < length; i++) suffix += ALPHABET[randomInt(ALPHABET.length)];
  return suffix;
}

export const EXECUTION_ID_PATTERN = /^[0-9a-z]{12}$/;
