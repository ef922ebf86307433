import { stat } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from './config';

/**
 * The file the container health check reads. It lives in the results folder, which is a writable volume in the image
 * (the root file system is read-only); src/main.ts touches it while its event loop turns.
 */
export function healthFile(resultsDir: string): string {
  return path.join(resultsDir, '.trailbot-alive');
}

/** Three heartbeats (src/main.ts touches the file every 30 s) may be missed before the container counts as unhealthy. */
const MAX_AGE_MS = 90_000;

/**
 * The container health check (Dockerfile HEALTHCHECK, ECS task definition): exit 0 when the running bot touched its
 * health file recently, 1 otherwise. It reads the same configuration as the bot, so it finds the same folder.
 */
export async function checkHealth(env: NodeJS.ProcessEnv = process.env, now = Date.now()): Promise<number> {
  try {
    const file = healthFile(loadConfig(env).resultsDir);
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
