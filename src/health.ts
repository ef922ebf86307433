import { stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * The file the container health check reads. It lives in the results folder, which is a writable volume in the image
 * (the root file system is read-only); src/main.ts touches it while its event loop turns.
 */
export function healthFile(resultsDir: string): string {
  return path.join(resultsDir, '.trailbot-alive');
}

/**
 * TRAIL_RESULTS_DIR as src/config reads it (default `./results`), without validating the rest: the health check
 * must also pass while the bot waits for its Slack tokens, when the full configuration does not load yet.
 */
export function resultsDirOf(env: NodeJS.ProcessEnv): string {
  const value = env.TRAIL_RESULTS_DIR?.trim();
  return value ? value : './results';
}

/** Three heartbeats (src/main.ts touches the file every 30 s) may be missed before the container counts as unhealthy. */
const MAX_AGE_MS = 90_000;

/**
 * The container health check (Dockerfile HEALTHCHECK, ECS task definition): exit 0 when the running bot touched its
 * health file recently, 1 otherwise. It reads the same configuration as the bot, so it finds the same folder.
 */
export async function checkHealth(env: NodeJS.ProcessEnv = process.env, now = Date.now()): Promise<number> {
  try {
    const file = healthFile(resultsDirOf(env));
    const age = now - (await stat(file)).mtimeMs;
    if (age <= MAX_AGE_MS) return 0;
    process.stderr.write(`trailbot health: ${file} is ${Math.round(age / 1000)} s old\n`);
  } catch (err) {
    process.stderr.write(`trailbot health: ${String(err)}\n`);
  }
  return 1;
}

if (require.main === module) {
  void checkHealth().then((code) => process.exit(code));
}
