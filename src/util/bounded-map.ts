/**
 * Sets `key` in `map` and forgets the oldest entries (a Map iterates in insertion order) until at most `limit`
 * remain: the bound every in-memory memo of the bot keeps, so a long-running process does not grow without end.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  map.set(key, value);
  while (map.size > Math.max(0, limit)) map.delete(map.keys().next().value as K);
}
