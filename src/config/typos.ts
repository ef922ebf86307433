/** Unknown `TRAIL_*` variables are problems, so a typo cannot silently fall back to a default. */
import type { EnvReader } from './setting';
import { TRAIL_SETTINGS } from './settings';
import { DEFAULT_WINDOW_PREFIX } from './time';

export function reportUnknownSettings(r: EnvReader): void {
  const known = new Set<string>(TRAIL_SETTINGS);
  for (const name of r.names()) {
    if (!name.startsWith('TRAIL_') || known.has(name) || name.startsWith(DEFAULT_WINDOW_PREFIX)) continue;
    const guess = closestSetting(name);
    r.problems.push(
      guess
        ? `${name} is not a trailbot setting; did you mean ${guess}?`
        : `${name} is not a trailbot setting; remove it (the README's Configuration section lists every setting)`,
    );
  }
}

/**
 * The known setting a typo most likely meant: same letters ignoring `_`, or within edit distance 3. A misspelt
 * per-command prefix (`TRAIL_DEFAULT_WINDOWS_SG`) suggests the same command under the right prefix.
 */
export function closestSetting(name: string): string | undefined {
  const bare = (s: string) => s.replace(/_/g, '');
  const same = TRAIL_SETTINGS.find((c) => bare(c) === bare(name));
  if (same) return same;
  let best: { name: string; distance: number } | undefined;
  const consider = (candidate: string, distance: number) => {
    if (distance <= 3 && (!best || distance < best.distance)) best = { name: candidate, distance };
  };
  for (const c of TRAIL_SETTINGS) consider(c, editDistance(name, c));
  for (let cut = DEFAULT_WINDOW_PREFIX.length - 3; cut <= DEFAULT_WINDOW_PREFIX.length + 3; cut++) {
    const command = name.slice(cut);
    if (name[cut - 1] !== '_' || command === '') continue; // cut only after an underscore: the command stays whole
    consider(`${DEFAULT_WINDOW_PREFIX}${command}`, editDistance(name.slice(0, cut), DEFAULT_WINDOW_PREFIX));
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
