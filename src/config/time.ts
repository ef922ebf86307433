/** Settings for time, windows and networks: what a question's words mean for this team. */
import { shown } from '../util/shown';
import { type EnvReader, setting } from './setting';
import type { TrailConfig } from './types';
import {
  check,
  cidrList,
  clip,
  dayText,
  minutesDuration,
  offHoursSchema,
  timeZoneSchema,
  wholeNumber,
  yesNo,
} from './values';

export const TIME_ZONE = setting('TRAIL_TIME_ZONE', timeZoneSchema, {
  default: 'UTC',
  doc: 'team time zone (IANA, e.g. `Europe/Berlin`) for `today`, `yesterday`, dates without a time, off-hours and display',
});
export const OFFHOURS = setting('TRAIL_OFFHOURS', offHoursSchema, {
  default: '00:00-05:00',
  doc: "off-hours sign-ins (the AWS article's 00:00–05:00), local `HH:MM-HH:MM`; may wrap midnight, e.g. `22:00-06:00`",
});
export const OFFHOURS_WEEKENDS = setting('TRAIL_OFFHOURS_WEEKENDS', yesNo, {
  default: 'false',
  doc: 'whole Saturdays and Sundays count as off-hours too',
});
export const KNOWN_NETWORKS = setting('TRAIL_KNOWN_NETWORKS', cidrList, {
  default: '',
  unset: 'none (with the generated sample: its office networks)',
  doc: 'your networks for `logins external`: CIDRs, IPv4 and IPv6, comma or space separated; a bare address is /32 or /128',
});
export const MAX_WINDOW_DAYS = setting('TRAIL_MAX_WINDOW_DAYS', wholeNumber(1, 3650), {
  default: '90',
  doc: 'longest time window accepted, in days (1 to 3650)',
});

/** Window forms a default may take: relative to the moment of asking, since a fixed date would age. */
const RELATIVE = /^(\d+)([mhdw])$/i;
const UNIT_MINUTES: Record<string, number> = { m: 1, h: 60, d: 24 * 60, w: 7 * 24 * 60 };

/**
 * A default window, normalised as the window parser labels it (`07D` → `7d`), with its length in minutes (0 for the
 * calendar words, which the window parser does not hold to the maximum). The messages are the window parser's own
 * (src/time/window.ts), so a default is refused in the same words as the same window typed in a question.
 */
const relativeWindow = check<{ label: string; minutes: number }>((value) => {
  if (/^(today|yesterday)$/i.test(value)) return { label: value.toLowerCase(), minutes: 0 };
  const m = RELATIVE.exec(value);
  if (!m) {
    return {
      problem: `\`${clip(value)}\` is not a relative window; use a duration like 6h, 7d, 2w, or today/yesterday`,
    };
  }
  const [, digits, unit] = m;
  // `1M` reads like a month to some people; a silent 1-minute window would mislead them.
  if (unit === 'M') {
    return {
      problem: `\`${shown(value)}\`: months are not supported; use minutes as \`${digits}m\` or days like \`30d\`.`,
    };
  }
  const label = `${digits!.replace(/^0+(?=\d)/, '')}${unit!.toLowerCase()}`;
  const minutes = Number(digits) * UNIT_MINUTES[unit!.toLowerCase()]!;
  if (minutes === 0)
    return { problem: `\`${shown(label)}\` is an empty window; use a positive duration like \`12h\`.` };
  return { label, minutes };
});

export const DEFAULT_WINDOW = setting('TRAIL_DEFAULT_WINDOW_<CMD>', relativeWindow, {
  unset: 'per command',
  doc: 'default window of one command, e.g. `TRAIL_DEFAULT_WINDOW_SG=6h` (`<CMD>` is lowercased and `_` becomes `-`); 6h, 7d, 2w, today or yesterday',
});
/** Every variable that starts with this names a command's default window. */
export const DEFAULT_WINDOW_PREFIX = DEFAULT_WINDOW.name.slice(0, DEFAULT_WINDOW.name.indexOf('<'));

export const DELIVERY_LAG = setting('TRAIL_DELIVERY_LAG', minutesDuration(0, 24 * 60), {
  default: '15m',
  doc: "how late a log file may arrive after its events (`0m` to `24h`): a window's last day folders are read up to its end plus this",
});
export const PROJECTION_START = setting('TRAIL_PROJECTION_START', dayText, {
  default: '2020/01/01',
  doc: 'first day of the trail table (Athena partition projection); windows that start earlier are refused on both engines',
});

export const PIVOT_WINDOW = setting('TRAIL_PIVOT_WINDOW', minutesDuration(1, 24 * 60), {
  default: '1h',
  doc: 'how far either side of an event a pivot button looks ("what else this principal did", `1m` to `24h`)',
});

export const TIME_SETTINGS = [
  TIME_ZONE,
  OFFHOURS,
  OFFHOURS_WEEKENDS,
  KNOWN_NETWORKS,
  MAX_WINDOW_DAYS,
  DEFAULT_WINDOW,
  DELIVERY_LAG,
  PROJECTION_START,
  PIVOT_WINDOW,
];

export function readTime(r: EnvReader): Pick<TrailConfig, 'timeZone' | 'offHours' | 'knownNetworks' | 'window'> {
  const timeZone = r.get(TIME_ZONE);
  const offHoursRange = r.get(OFFHOURS);
  const weekends = r.get(OFFHOURS_WEEKENDS);
  const knownNetworks = r.get(KNOWN_NETWORKS);
  const maxDays = r.get(MAX_WINDOW_DAYS);
  const defaults = readDefaultWindows(r, maxDays);
  const deliveryLagMinutes = r.get(DELIVERY_LAG);
  const projectionStart = r.get(PROJECTION_START);
  const pivotMinutes = r.get(PIVOT_WINDOW);
  return {
    timeZone,
    offHours: { ...offHoursRange, weekends },
    knownNetworks,
    window: { maxDays, defaults, deliveryLagMinutes, projectionStart, pivotMinutes },
  };
}

function readDefaultWindows(r: EnvReader, maxDays: number): Record<string, string> {
  const defaults: Record<string, string> = {};
  for (const name of r.names()) {
    if (!name.startsWith(DEFAULT_WINDOW_PREFIX)) continue;
    const suffix = name.slice(DEFAULT_WINDOW_PREFIX.length);
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(suffix)) {
      r.problem(name, `name a command after ${DEFAULT_WINDOW_PREFIX}, e.g. ${DEFAULT_WINDOW_PREFIX}SG=6h`);
      continue;
    }
    const value = r.raw(name);
    const window = value === undefined ? undefined : r.parse(name, DEFAULT_WINDOW.schema, value);
    if (window === undefined) continue;
    // One hour of slack, as the window parser allows, for a calendar range that holds a 25-hour DST day.
    if (window.minutes > maxDays * 24 * 60 + 60) {
      r.problem(
        name,
        `\`${shown(window.label)}\` is longer than the ${maxDays}-day maximum; narrow the window or set ${MAX_WINDOW_DAYS.name}`,
      );
      continue;
    }
    defaults[suffix.toLowerCase().replace(/_/g, '-')] = window.label;
  }
  return defaults;
}
