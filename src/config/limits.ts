/** Settings for limits, cost and output: what one user or channel may run, what a scan may cost, where CSVs go. */
import { z } from 'zod';
import { type EnvReader, setting } from './setting';
import type { TrailConfig } from './types';
import { byteSize, dropUndefined, folder, wholeNumber } from './values';

export const MAX_PER_USER = setting('TRAIL_MAX_PER_USER', wholeNumber(1, 100), {
  default: '3',
  doc: 'unfinished questions per user (1 to 100)',
});
export const MAX_PER_CHANNEL = setting('TRAIL_MAX_PER_CHANNEL', wholeNumber(1, 1000), {
  default: '10',
  doc: 'unfinished questions per channel (1 to 1000)',
});
export const DEDUPE_SECONDS = setting('TRAIL_DEDUPE_SECONDS', wholeNumber(0, 86_400), {
  default: '300',
  doc: 'the same question in the same channel within this many seconds points to the existing thread (0 to 86400)',
});
export const RETENTION_DAYS = setting('TRAIL_RETENTION_DAYS', wholeNumber(1, 3650), {
  default: '90',
  doc: 'records expire (DynamoDB TTL) after this many days (1 to 3650)',
});
export const CONFIRM_ABOVE_BYTES = setting('TRAIL_CONFIRM_ABOVE_BYTES', byteSize(0), {
  default: '10GiB',
  doc: 'ask for confirmation before a query estimated to scan more; bytes or a size like `500MB`, `10GB`, `1TiB`',
});
export const DAILY_BUDGET_BYTES = setting('TRAIL_DAILY_BUDGET_BYTES', byteSize(1), {
  doc: "each user's scanned bytes per day, in the units of `TRAIL_CONFIRM_ABOVE_BYTES`",
});
export const RESULTS_DIR = setting('TRAIL_RESULTS_DIR', folder, {
  default: './results',
  doc: "CSV results (the terminal's) and spool files before an upload to Slack",
});
export const LOG_LEVEL = setting('TRAIL_LOG_LEVEL', z.string(), {
  default: 'warn',
  doc: '`info` adds lifecycle lines (resumes, retries) to the JSON log on stderr',
  // The logger exists before the configuration is loaded, so configuration problems can be logged.
  readBy: 'src/main.ts',
});

export const LIMIT_SETTINGS = [
  MAX_PER_USER,
  MAX_PER_CHANNEL,
  DEDUPE_SECONDS,
  RETENTION_DAYS,
  CONFIRM_ABOVE_BYTES,
  DAILY_BUDGET_BYTES,
  RESULTS_DIR,
  LOG_LEVEL,
];

export function readLimits(r: EnvReader): Pick<TrailConfig, 'resultsDir' | 'limits' | 'cost'> {
  return {
    resultsDir: r.get(RESULTS_DIR),
    limits: {
      perUser: r.get(MAX_PER_USER),
      perChannel: r.get(MAX_PER_CHANNEL),
      dedupeSeconds: r.get(DEDUPE_SECONDS),
      retentionDays: r.get(RETENTION_DAYS),
    },
    cost: dropUndefined({
      confirmAboveBytes: r.get(CONFIRM_ABOVE_BYTES),
      dailyBudgetBytesPerUser: r.optional(DAILY_BUDGET_BYTES),
    }),
  };
}
