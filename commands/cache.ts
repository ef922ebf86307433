import { UsageError } from '../src/core/errors';
import { shown } from './args';
import type { CacheFigures, DeferredControl } from './types';

/**
 * `/trail cache status`: what the embedded engine's columnar cache of closed days holds (size, days, hit rate).
 * Filling and clearing it are terminal work: `npx trail cache warm <window>` and `npx trail cache clear`.
 */
export const CacheStatus: DeferredControl<{ action: string }> = {
  kind: 'control',
  name: 'cache',
  summary: 'the columnar cache of closed days: size, days, hit rate (embedded engine)',
  usage: 'cache [status]',
  examples: ['cache status'],
  parse(args) {
    const [word, extra] = args.words;
    const action = word?.toLowerCase() ?? 'status';
    if (action !== 'status') {
      const where =
        action === 'warm' || action === 'clear'
          ? ` \`${action}\` runs in a terminal: \`npx trail cache ${action}\`.`
          : '';
      throw new UsageError(
        `\`cache\`: \`${shown(word ?? '')}\` is not accepted here. Accepted: status.${where}`,
        this.usage,
      );
    }
    if (extra !== undefined) throw new UsageError(`\`cache\`: unexpected argument \`${shown(extra)}\`.`, this.usage);
    return { action };
  },
  requires: ['cache'],
  async handle(_args, ctx) {
    if (!ctx.cache) throw new Error('cache: the engine was not handed in');
    return cacheStatusText(ctx.cache.status(), ctx.cache.engine);
  },
};

const size = (bytes: number): string => {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let x = bytes;
  let u = 0;
  while (x >= 1000 && u < units.length - 1) {
    x /= 1000;
    u++;
  }
  return `${u === 0 ? x.toFixed(0) : x.toFixed(1)} ${units[u]}`;
};

/** The `cache status` answer, for any surface. `figures` is undefined when the engine keeps no cache. */
export function cacheStatusText(figures: CacheFigures | undefined, engine: 'athena' | 'duckdb'): string {
  if (!figures) {
    return engine === 'athena'
      ? 'The columnar cache belongs to the embedded engine; on Athena every question reads the trail table.'
      : 'The columnar cache is off (TRAIL_CACHE=false): every question reads the raw log files.';
  }
  const asked = figures.hits + figures.misses;
  const rate =
    asked === 0
      ? 'no question has read a day yet'
      : `${Math.round((100 * figures.hits) / asked)}% of ${asked} day partitions read came from the cache`;
  const saved =
    figures.sourceBytes > 0
      ? ` (${Math.round((100 * figures.bytes) / figures.sourceBytes)}% of the ${size(figures.sourceBytes)} of log files it replaces)`
      : '';
  return [
    `Columnar cache: ${figures.days} day${figures.days === 1 ? '' : 's'} in ${figures.partitions} partition${figures.partitions === 1 ? '' : 's'}, ${size(figures.bytes)}${saved}.`,
    `Since start: ${rate}.${figures.pending ? ` ${figures.pending} closed partition${figures.pending === 1 ? '' : 's'} waiting to be converted.` : ''}`,
  ].join('\n');
}
