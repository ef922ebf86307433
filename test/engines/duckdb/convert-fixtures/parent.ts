import { ColumnarCache } from '../../../../src/engines/duckdb/cache';
import { discoverLogFiles } from '../../../../src/engines/duckdb/files';

/**
 * A bot process in miniature for the orphan test: opens a cache, starts converting every closed day of the data
 * folder, and tells its parent (the test) its conversion process's id; the test then kills it with SIGKILL.
 *
 * Usage: node --import tsx parent.ts <cache dir> <data dir> <now ISO> <day>...
 */
async function main(): Promise<void> {
  const [dir, dataDir, nowIso, ...partitions] = process.argv.slice(2);
  const now = new Date(nowIso!);
  const cache = new ColumnarCache({ dir: dir!, dataDir: dataDir!, now: () => now, logger: () => {} });
  const { files } = await discoverLogFiles(dataDir!, { partitions });
  void cache.warm(files);
  const pid = cache.converterProcess.pid;
  process.send?.({ pid, cacheDir: cache.dir });
  // Stays up until killed.
  setInterval(() => undefined, 60_000);
}

main().catch((err) => {
  process.stderr.write(`parent: ${String(err)}\n`);
  process.exit(1);
});
