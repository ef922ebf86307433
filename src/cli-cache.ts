import { cacheStatusText } from '../commands/cache';
import type { TrailConfig } from './config';
import { UsageError, userMessageOf } from './core/errors';
import { ColumnarCache } from './engines/duckdb/cache';
import { discoverLogFiles } from './engines/duckdb/files';
import { readPartitions } from './query/bind';
import { parseWindow } from './time/window';

export const CACHE_USAGE = 'npx trail cache status | warm <window> | clear';

const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/**
 * `npx trail cache status|warm <window>|clear`: the embedded engine's columnar cache from the terminal. `warm`
 * converts every closed day of a window now (before an incident review, say), instead of after the first questions.
 */
export async function cacheCommand(
  config: TrailConfig,
  words: readonly string[],
  now: Date,
  print: (line: string) => void,
): Promise<number> {
  const e = config.engine;
  if (e.kind !== 'duckdb') {
    print(cacheStatusText(undefined, 'athena'));
    return 2;
  }
  const [action = 'status', ...rest] = words;
  if (!e.cacheDir) {
    print(cacheStatusText(undefined, 'duckdb'));
    return action === 'status' ? 0 : 2;
  }
  const cache = new ColumnarCache({
    dir: e.cacheDir,
    dataDir: e.dataDir,
    closeAfterMinutes: config.window.deliveryLagMinutes,
    now: () => now,
    logger: (m) => print(m),
  });
  try {
    if (action === 'status' && rest.length === 0) {
      print(cacheStatusText(cache.status(), 'duckdb'));
      print(`Folder: ${cache.dir}`);
      return 0;
    }
    if (action === 'clear' && rest.length === 0) {
      const removed = await cache.clear();
      print(`Removed ${removed} cached day partition${removed === 1 ? '' : 's'} from ${cache.dir}.`);
      return 0;
    }
    if (action === 'warm' && rest.length > 0) {
      const window = parseWindow(rest.join(' '), { now, timeZone: config.timeZone, maxDays: config.window.maxDays });
      const { files } = await discoverLogFiles(e.dataDir, {
        partitions: readPartitions(window, config.window.deliveryLagMinutes),
      });
      print(`Converting the closed days of ${window.label} (${files.length} log files) to Parquet…`);
      const began = Date.now();
      const r = await cache.warm(files);
      const status = cache.status();
      print(
        `Converted ${r.converted} day partition${r.converted === 1 ? '' : 's'} in ${((Date.now() - began) / 1000).toFixed(1)} s` +
          `; ${r.cached} already cached${r.open ? `; ${r.open} still open (today's, read raw until the day is over)` : ''}.` +
          ` The cache now holds ${status.days} days, ${megabytes(status.bytes)}.`,
      );
      return 0;
    }
    print(`Usage: ${CACHE_USAGE}`);
    return 2;
  } catch (err) {
    print(err instanceof UsageError ? `cache warm: ${err.userMessage}` : userMessageOf(err));
    return err instanceof UsageError ? 2 : 1;
  } finally {
    await cache.close();
  }
}
