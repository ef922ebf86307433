import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { prepareOutDir } from './cli';
import { generateSampleData, SAMPLE_MANIFEST_FILE, type SampleManifest, sampleAccountIds } from './generate';

/** A sample older than this is regenerated at start, so "the last 12 hours" still holds its scenarios. */
export const SAMPLE_MAX_AGE_MS = 6 * 3600_000;

export type SampleState =
  | { kind: 'user-data' }
  | { kind: 'fresh-sample'; manifest: SampleManifest }
  | { kind: 'generated'; manifest: SampleManifest };

async function readManifest(dataDir: string): Promise<SampleManifest | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dataDir, SAMPLE_MANIFEST_FILE), 'utf8')) as SampleManifest;
  } catch {
    return undefined;
  }
}

/**
 * First run of the embedded default: an empty or missing data folder gets generated sample CloudTrail logs (30 days,
 * the AWS article's scenarios), and a sample that has aged is regenerated. A folder holding anything else is the
 * user's own logs and is never touched.
 */
export async function ensureSampleData(dataDir: string, now: Date, say: (line: string) => void): Promise<SampleState> {
  let entries: string[] = [];
  try {
    entries = (await readdir(dataDir)).filter((e) => !e.startsWith('.'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const manifest = await readManifest(dataDir);
  if (entries.length > 0 && !manifest) return { kind: 'user-data' };
  if (manifest && now.getTime() - Date.parse(manifest.now) < SAMPLE_MAX_AGE_MS)
    return { kind: 'fresh-sample', manifest };
  say(
    manifest
      ? `Refreshing the sample CloudTrail data in ${dataDir} (it was made ${manifest.now}; scenarios are timed relative to now)…`
      : `No CloudTrail logs in ${dataDir}: generating 30 days of sample data (the AWS article's scenarios plus background noise)…`,
  );
  await prepareOutDir(dataDir, true);
  const generated = await generateSampleData({
    outDir: dataDir,
    days: 30,
    eventsPerDay: 2000,
    accounts: sampleAccountIds(1),
    regions: ['us-east-1', 'eu-west-1'],
    seed: 42,
    now,
  });
  say(
    `  wrote ${generated.totalEvents.toLocaleString('en-US')} events. Your own logs go in a folder of their own: TRAIL_DATA_DIR=…`,
  );
  return { kind: 'generated', manifest: generated };
}
