import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The embedded bot's worker id, kept in its state folder. Only one process can hold that folder (dynalite's lock), so
 * a restarted bot is the same worker and takes its executions' leases back at once instead of waiting them out.
 */
export async function stableWorkerId(stateDir: string): Promise<string> {
  const file = path.join(stateDir, 'worker-id');
  try {
    const id = (await readFile(file, 'utf8')).trim();
    if (id) return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const id = `embedded-${randomUUID()}`;
  await mkdir(stateDir, { recursive: true });
  await writeFile(file, `${id}\n`);
  return id;
}
