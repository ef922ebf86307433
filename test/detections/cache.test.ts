import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CommandContext } from '../../commands/types';
import { DuckDbEngine } from '../../src/engines/duckdb';
import { ColumnarCache } from '../../src/engines/duckdb/cache';
import { testConfig } from '../helpers/config';
import { DAY, deliverToTempFolder, HAVE_STRATUS, onDay, runDetection, STRATUS, stratusFiles } from './helpers';

/**
 * The columnar cache must not change a detection's answer: the nested identity (the role behind a session), the
 * request JSON the flags read and the empty-string error codes come back the same from Parquet as from the raw files.
 * The real stratus-red-team records, on one closed day, are asked both ways.
 */

const NOW = new Date('2026-11-22T12:00:00Z');
const ctx: CommandContext = { config: testConfig(), now: NOW };

if (!HAVE_STRATUS) console.log(`skipping the detection cache test: ${STRATUS} does not exist`);

(HAVE_STRATUS ? test : test.skip)(
  'tamper, iam and exposed answer the same from cached days as from raw files',
  async () => {
    const dataDir = deliverToTempFolder([...stratusFiles().values()].flat().map(onDay));
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'trail-detections-state-'));
    const raw = new DuckDbEngine({ dataDir, logger: () => {} });
    const cache = new ColumnarCache({ dir: state, dataDir, now: () => NOW, logger: () => {} });
    const cached = new DuckDbEngine({ dataDir, logger: () => {}, cache });
    try {
      const window = `${DAY}..${DAY}`;
      await runDetection(cached, `tamper ${window}`, ctx);
      expect(await cached.convertCache()).toBeGreaterThan(0);
      for (const command of ['tamper', 'iam', 'exposed']) {
        const expected = await runDetection(raw, `${command} ${window}`, ctx);
        const actual = await runDetection(cached, `${command} ${window}`, ctx);
        expect({ command, records: actual.records, flagged: [...actual.flagged] }).toEqual({
          command,
          records: expected.records,
          flagged: [...expected.flagged],
        });
        expect(expected.flagged.size).toBeGreaterThan(0);
        expect(expected.stats.cachedPartitions).toBeUndefined();
        expect(actual.stats.cachedPartitions).toBeGreaterThan(0);
      }
      expect(cache.status().days).toBeGreaterThan(0);
    } finally {
      await raw.close();
      await cached.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(state, { recursive: true, force: true });
    }
  },
);
