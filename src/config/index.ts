/**
 * Configuration. `loadConfig(env = process.env)` is the only place that reads the environment (STYLE.md). It
 * checks every variable and throws one `ConfigError` listing EVERY problem, each naming the variable and what to set.
 * Empty values count as unset. Unknown `TRAIL_*` variables are problems too, so a typo cannot silently fall back to a
 * default.
 *
 * Each setting is declared once, beside the code that reads it, with its variable, its check, its default and its
 * line in the README: time.ts (time, windows, networks), engine.ts, trail.ts (where the logs are), store.ts,
 * chat.ts, limits.ts (limits, cost, output) and policy.ts; settings.ts lists them in the README's order.
 */
import { ConfigError } from '../core/errors';
import { readChat } from './chat';
import { readEngine, readRegion } from './engine';
import { readLimits } from './limits';
import { readAccessPolicy, readWatchRoutes, requirePolicy } from './policy';
import { EnvReader } from './setting';
import { readStore } from './store';
import { readTime } from './time';
import { readTrailLocation } from './trail';
import type { TrailConfig } from './types';
import { reportUnknownSettings } from './typos';

export { OPEN_POLICY_WORD } from './policy';
export { TRAIL_SETTINGS } from './settings';
export { EMBEDDED_TABLE_NAME } from './store';
export type {
  AccessPolicy,
  AccessRule,
  ChatConfig,
  EngineConfig,
  StoreConfig,
  TrailConfig,
  TrailLocation,
} from './types';
export { closestSetting } from './typos';
export { normaliseCidr, parseByteSize } from './values';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): TrailConfig {
  const r = new EnvReader(env);
  // The order of reading is the order of the problems reported, so it follows the README.
  const time = readTime(r);
  const region = readRegion(r);
  const engine = readEngine(r, region);
  const trail = readTrailLocation(r);
  const store = readStore(r, region);
  const chat = readChat(r);
  const config: TrailConfig = {
    ...time,
    engine,
    trail,
    store,
    chat,
    ...readLimits(r),
    policy: readAccessPolicy(r),
  };
  const watchRoutes = readWatchRoutes(r);
  if (watchRoutes) config.watchRoutes = watchRoutes;
  requirePolicy(r, chat, engine);
  reportUnknownSettings(r);
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}
