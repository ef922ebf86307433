import type { TrailConfig } from '../../config';
import { UsageError, userMessageOf } from '../../core/errors';
import { compactionNames, renderCompactedTableDdl, renderLogsViewDdl, validateCompactDay } from '../../ddl/compact';
import { renderCloudTrailDdl } from '../../ddl/render';
import { createAthenaClient } from './client';
import { type CompactedDay, type CompactTarget, compactClosedDays, compactDay } from './compact';
import { setupCompaction } from './setup';

/**
 * The terminal side of Athena compaction (issue 16), kept out of src/cli.ts, which only routes to it:
 * - `npx trail ddl compacted <s3-folder>`: the four statements (raw table, Iceberg table, view), for review;
 * - `npx trail setup compacted <s3-folder>`: runs them;
 * - `npx trail compact [yyyy/MM/dd] [--attempt N] [--from yyyy/MM/dd] [--max-days N]`: the daily job, or one day.
 */
export const COMPACT_USAGE = `npx trail ddl compacted <s3-folder>     the raw table, compacted Iceberg table and cloudtrail_logs view
       npx trail setup compacted <s3-folder>   create them (Athena)
       npx trail compact [yyyy/MM/dd] [--attempt N] [--from yyyy/MM/dd] [--max-days N]
                                   copy closed days into the compacted table (no day: every closed day after the last
                                   compacted one, at most --max-days, default 7)`;

type Print = (line: string) => void;

function athenaOf(config: TrailConfig): Extract<TrailConfig['engine'], { kind: 'athena' }> {
  if (config.engine.kind !== 'athena') {
    throw new UsageError(
      'Compaction is for Athena: set TRAIL_ENGINE=athena (the embedded engine has its own cache: npx trail cache).',
    );
  }
  return config.engine;
}

function folderOf(words: readonly string[]): string {
  const folder = words[0];
  if (folder === undefined || words.length > 1) {
    throw new UsageError('Name the compacted table’s S3 folder, e.g. s3://my-bucket/trailbot/compacted/');
  }
  return folder;
}

/** `ddl compacted <folder>`: statements separated by `;` and a blank line, so the text can be pasted as it is. */
export function compactionDdlText(config: TrailConfig, words: readonly string[]): string {
  const database = config.engine.kind === 'athena' ? config.engine.database : undefined;
  const names = compactionNames(database);
  return [
    renderCloudTrailDdl(config.trail, {
      ...(database !== undefined ? { database } : {}),
      table: names.raw,
      projectionStart: config.window.projectionStart,
    }),
    renderCompactedTableDdl(config.trail, { names, location: folderOf(words) }),
    renderLogsViewDdl(config.trail, names),
  ].join(';\n\n');
}

export async function setupCompactionCommand(config: TrailConfig, words: readonly string[], print: Print) {
  const e = athenaOf(config);
  const client = createAthenaClient({ region: e.region });
  try {
    const steps = await setupCompaction(
      { client, workgroup: e.workgroup, catalog: e.catalog, outputLocation: e.outputLocation },
      config.trail,
      { database: e.database, location: folderOf(words), projectionStart: config.window.projectionStart },
    );
    for (const step of steps) print(`Athena: ${step.statement.split('\n')[0]} … ${step.status.state}`);
  } finally {
    client.destroy();
  }
}

interface CompactArgs {
  day?: string;
  attempt?: number;
  from?: string;
  maxDays?: number;
}

function parseCompactArgs(words: readonly string[]): CompactArgs {
  const out: CompactArgs = {};
  const count = (flag: string, value: string | undefined): number => {
    if (value === undefined || !/^\d{1,3}$/.test(value) || Number(value) < 1) {
      throw new UsageError(`${flag} needs a whole number from 1 to 999, e.g. ${flag} 2.`);
    }
    return Number(value);
  };
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === '--attempt') out.attempt = count(word, words[++i]);
    else if (word === '--max-days') out.maxDays = count(word, words[++i]);
    else if (word === '--from') out.from = validateCompactDay(words[++i] ?? '');
    else if (out.day === undefined && !word.startsWith('-')) out.day = validateCompactDay(word);
    else throw new UsageError(`\`${word.slice(0, 40)}\` is not understood here. Usage: ${COMPACT_USAGE}`);
  }
  if (out.day !== undefined && (out.from !== undefined || out.maxDays !== undefined)) {
    throw new UsageError('--from and --max-days are for the daily run, without a day.');
  }
  return out;
}

/** `npx trail compact …`: 0 done (or nothing to do), 1 Athena refused or failed, 2 bad input. */
export async function compactCommand(
  config: TrailConfig,
  words: readonly string[],
  now: Date,
  print: Print,
  fail: (s: string, code: number) => number,
): Promise<number> {
  let args: CompactArgs;
  let e: ReturnType<typeof athenaOf>;
  try {
    e = athenaOf(config);
    args = parseCompactArgs(words);
  } catch (err) {
    return fail(userMessageOf(err), 2);
  }
  const client = createAthenaClient({ region: e.region });
  const target: CompactTarget = {
    client,
    workgroup: e.workgroup,
    database: e.database,
    catalog: e.catalog,
    ...(e.outputLocation !== undefined ? { outputLocation: e.outputLocation } : {}),
  };
  const options = {
    names: compactionNames(e.database),
    now,
    deliveryLagMinutes: config.window.deliveryLagMinutes,
    ...(args.attempt !== undefined ? { attempt: args.attempt } : {}),
  };
  try {
    const done: CompactedDay[] =
      args.day !== undefined
        ? [await compactDay(target, config.trail, args.day, options)]
        : await compactClosedDays(target, config.trail, {
            ...options,
            ...(args.from !== undefined ? { firstDay: args.from } : {}),
            ...(args.maxDays !== undefined ? { maxDays: args.maxDays } : {}),
          });
    if (done.length === 0) print('Nothing to compact: every closed day is already in the compacted table.');
    for (const d of done) {
      print(`Compacted ${d.day} (Athena query ${d.engineId}, ${d.status.stats.bytesScanned} bytes scanned)`);
    }
    return 0;
  } catch (err) {
    return fail(`compact failed: ${userMessageOf(err)}`, 1);
  } finally {
    client.destroy();
  }
}
