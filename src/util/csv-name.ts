import type { TimeWindow, TimeWindowJson } from '../core/window';

/** The UTF-8 byte-order mark: Excel reads a CSV that starts with it as UTF-8 instead of the system's ANSI code page. */
export const UTF8_BOM = '\uFEFF';

/**
 * A result file's name that says what it holds: the command, the window as typed, the window's end in UTC and the
 * execution id, e.g. `sg-12h-2026-11-30T0900Z-mx39fnod45ns.csv`. Only letters, digits, `.`, `_` and `-` are used, so
 * the name is safe in every file system and in a shell.
 */
export function csvFileName(e: {
  id: string;
  command: string;
  query: { window: Pick<TimeWindow | TimeWindowJson, 'label' | 'end'> };
}): string {
  const safe = (s: string) =>
    s
      .replace(/:/g, '')
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/-{2,}/g, '-')
      .replace(/^[-.]+|-+$/g, '');
  const end = new Date(e.query.window.end);
  const stamp = Number.isNaN(end.getTime())
    ? ''
    : end
        .toISOString()
        .replace(/:\d\d\.\d{3}Z$/, 'Z')
        .replace(':', '');
  const label = safe(String(e.query.window.label)).slice(0, 40);
  return [safe(e.command), label, stamp, safe(e.id)].filter((p) => p !== '').join('-') + '.csv';
}
