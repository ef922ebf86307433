import * as fs from 'node:fs';
import * as path from 'node:path';
import { partsDir } from '../../../../src/engines/duckdb/cache-manifest';
import type { ConvertRequest } from '../../../../src/engines/duckdb/convert-worker';
import { serve } from '../../../../src/engines/duckdb/convert-worker';

/**
 * The real conversion worker, except that on the partition named by TRAIL_TEST_DIE_ON it dies the way a process
 * killed half-way through does (SIGKILL, by the kernel's OOM killer or an operator), after leaving what such a death
 * leaves: a half-written `.tmp` file and a finished Parquet file it never reported. The partition is named in
 * `die-on.json` beside the cache folder (`{ key, once }`); with `once`, it dies only while `died` does not exist there.
 */

process.prependListener('message', (raw: unknown) => {
  const message = raw as ConvertRequest;
  if (message?.type !== 'convert') return;
  const beside = path.dirname(message.cacheDir);
  const { key, once } = JSON.parse(fs.readFileSync(path.join(beside, 'die-on.json'), 'utf8'));
  if (message.key !== key) return;
  if (once) {
    if (fs.existsSync(path.join(beside, 'died'))) return;
    fs.writeFileSync(path.join(beside, 'died'), String(process.pid));
  }
  const parts = partsDir(message.cacheDir);
  fs.mkdirSync(parts, { recursive: true });
  const base = path.join(parts, `${message.key.replaceAll('/', '_')}.dying`);
  fs.writeFileSync(`${base}.parquet.${process.pid}.tmp`, 'half');
  fs.writeFileSync(`${base}.parquet`, 'finished, never reported');
  process.kill(process.pid, 'SIGKILL');
});

serve();
