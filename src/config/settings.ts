/**
 * Every setting trailbot reads, in the groups and order the README's Configuration section shows them
 * (`npx tsx src/config/readme-table.ts` prints that section from here).
 */
import { CHAT_SETTINGS } from './chat';
import { ENGINE_SETTINGS } from './engine';
import { LIMIT_SETTINGS } from './limits';
import { POLICY_SETTINGS } from './policy';
import type { Setting } from './setting';
import { STORE_SETTINGS } from './store';
import { TIME_SETTINGS } from './time';
import { TRAIL_LOCATION_SETTINGS } from './trail';

export interface SettingGroup {
  /** The group's heading in the README. */
  title: string;
  settings: readonly Setting[];
}

export const SETTING_GROUPS: readonly SettingGroup[] = [
  { title: 'Time, windows and networks', settings: TIME_SETTINGS },
  { title: 'Engine: Athena, or DuckDB over local files', settings: ENGINE_SETTINGS },
  { title: 'Where the trail is (DDL, estimates, partitions)', settings: TRAIL_LOCATION_SETTINGS },
  { title: 'Store: DynamoDB, or dynalite in a local folder', settings: STORE_SETTINGS },
  { title: 'Chat: Slack (Socket Mode or HTTP), or the terminal', settings: CHAT_SETTINGS },
  { title: 'Limits, cost and output', settings: LIMIT_SETTINGS },
  { title: 'Access', settings: POLICY_SETTINGS },
];

export const ALL_SETTINGS: readonly Setting[] = SETTING_GROUPS.flatMap((g) => g.settings);

/**
 * Every `TRAIL_*` variable trailbot reads, except the `TRAIL_DEFAULT_WINDOW_<CMD>` family (matched by its prefix).
 * Anything else that starts with `TRAIL_` is a typo.
 */
export const TRAIL_SETTINGS: readonly string[] = ALL_SETTINGS.map((s) => s.name).filter(
  (name) => name.startsWith('TRAIL_') && !name.includes('<'),
);
