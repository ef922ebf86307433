import * as fs from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbEngine } from '../../../src/engines/duckdb';
import { ColumnarCache } from '../../../src/engines/duckdb/cache';
import { testConfig } from '../../helpers/config';
import { answersOf, runCommand } from '../../helpers/run-query';
import { cachedEngine, differentialTrees, LogTree, writeVariantDays } from './fixtures';

/**
 * `ip` questions over cached days read only the rows whose source text the day's address index places in the
 * question's networks (cache-convert.ts, execute.ts). The answer must be the one from the raw files for every way a
 * source can be written, and the same when a day has no index (an older cache) or its index is gone.
 */
const NOW = new Date('2024-05-10T00:00:00Z');
const ctx = { config: testConfig(), now: NOW };
const WINDOW = '2024-05-01..2024-05-03';

// Every spelling a source can have: plain and padded IPv4, IPv4-mapped IPv6 both ways, IPv6 in any case and any
// compression, white space, zone ids, service names, text that only looks like an address, and none at all.
const SOURCES = [
  '198.51.100.7',
  '198.51.100.8',
  ' 198.51.100.7\t',
  '198.51.100.07',
  '::ffff:198.51.100.7',
  '::FFFF:c633:6407',
  '0:0:0:0:0:ffff:c633:6407',
  '2001:db8:bad:a89::254d',
  '2001:DB8:BAD:A89:0:0:0:254D',
  '2001:db8:bad:a89:0000::0254d',
  '2001:db8:bad:a89::254d%eth0',
  '2001:db8:bad:a89::254e',
  '2001:db8::1',
  'ec2.amazonaws.com',
  'AWS Internal',
  "198.51.100.7' OR '1'='1",
  '',
  null,
];
const QUESTIONS = [
  'ip 198.51.100.7',
  'ip 198.51.100.0/24',
  'ip ::ffff:198.51.100.7',
  'ip 2001:db8:bad:a89::254d',
  'ip 2001:db8::/32',
  'ip 203.0.113.0/24',
  'recent all',
].map((q) => `${q} ${WINDOW}`);

/**
 * Copies each address index `from` to `to` without the plain spelling 198.51.100.7. Not something that happens (an
 * index is written once and never edited): the tests use it to show which index a question reads.
 */
async function copyWithoutPlainSpelling(copies: readonly (readonly [string, string])[]): Promise<void> {
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    for (const [from, to] of copies) {
      await connection.run(
        `COPY (SELECT * FROM read_parquet('${from}') WHERE address <> '198.51.100.7') TO '${to}' (FORMAT parquet)`,
      );
    }
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}

/** The same, for one index file edited where it stands (the merged index, whose path the cache keeps). */
async function dropPlainSpellingInPlace(file: string): Promise<void> {
  const edited = `${file}.edited.parquet`;
  await copyWithoutPlainSpelling([[file, edited]]);
  fs.renameSync(edited, file);
}

describe('ip questions over cached days with address indexes', () => {
  const trees = differentialTrees('trailbot-address-index-', (tree) => {
    writeVariantDays(tree, SOURCES, (source) => ({ sourceIPAddress: source }));
  });

  const answers = (engine: DuckDbEngine) => answersOf(engine, QUESTIONS, ctx);

  test('every spelling gives the answer the raw files give; each day has an index of its IP texts', async () => {
    const expected = await answers(trees.raw);
    // The questions find what they should: the spellings of 198.51.100.7 (plain, white space, dotted IPv4-mapped; the
    // hex-mapped ones count as IPv6 in _in_network.sql) and of 2001:db8:bad:a89::254d (two spellings), in each of the 6
    // folders.
    expect(expected[QUESTIONS[0]!]!.length).toBe(3 * 6);
    expect(expected[QUESTIONS[3]!]!.length).toBe(2 * 6); // `…:0254d` has a five-digit group: no address
    const { cache, engine } = cachedEngine(trees.tree.root, trees.state.root, NOW);
    try {
      await runCommand(engine, QUESTIONS[0]!, ctx);
      expect(await engine.convertCache()).toBe(6);
      const got = await answers(engine);
      expect(got).toEqual(expected);
      const manifest = JSON.parse(fs.readFileSync(path.join(cache.dir, 'manifest.json'), 'utf8'));
      for (const entry of Object.values(manifest.partitions) as { addresses?: string }[]) {
        expect(fs.existsSync(entry.addresses!)).toBe(true);
      }
      expect((await runCommand(engine, QUESTIONS[0]!, ctx)).stats.cachedPartitions).toBe(6);
    } finally {
      await engine.close();
    }
  });

  test('the indexes decide which rows are read: a text they leave out loses its rows', async () => {
    // Not something that happens (an index is written with its day and never edited): it shows the index is used.
    const fresh = new LogTree('trailbot-address-index-used-');
    const { cache, engine } = cachedEngine(trees.tree.root, fresh.root, NOW);
    try {
      await runCommand(engine, QUESTIONS[0]!, ctx);
      expect(await engine.convertCache()).toBe(6);
      const full = (await runCommand(engine, QUESTIONS[0]!, ctx)).rows;
      expect(full.length).toBe(3 * 6);
      const file = path.join(cache.dir, 'manifest.json');
      const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
      // The texts found are pooled over the days read, so the text goes from every day's index.
      const entries = Object.values(manifest.partitions) as { addresses: string }[];
      const copies = entries.map(
        (e) => [e.addresses, e.addresses.replace(/\.addresses\.parquet$/, '.edited.addresses.parquet')] as const,
      );
      await copyWithoutPlainSpelling(copies);
      for (const [i, entry] of entries.entries()) entry.addresses = copies[i]![1];
      fs.writeFileSync(file, JSON.stringify(manifest));
      const reopened = cachedEngine(trees.tree.root, fresh.root, NOW).engine;
      try {
        // The plain spelling's rows are gone from every day; the padded and mapped spellings are still listed.
        expect((await runCommand(reopened, QUESTIONS[0]!, ctx)).rows.length).toBe(2 * 6);
      } finally {
        await reopened.close();
      }
    } finally {
      await engine.close();
      fresh.remove();
    }
  });

  test('the merged index serves a question whose days it all holds; else the days own indexes do', async () => {
    const fresh = new LogTree('trailbot-address-index-merged-');
    const { cache, engine } = cachedEngine(trees.tree.root, fresh.root, NOW);
    try {
      await runCommand(engine, QUESTIONS[0]!, ctx);
      expect(await engine.convertCache()).toBe(6);
      const merged = cache.merged('addresses')!;
      const manifest = JSON.parse(fs.readFileSync(path.join(cache.dir, 'manifest.json'), 'utf8'));
      const days = (Object.values(manifest.partitions) as { addresses: string }[]).map((e) => e.addresses).sort();
      expect(merged.days).toEqual(days);
      // Not something that happens (a merged file is written once and never edited): it shows which file is read.
      await dropPlainSpellingInPlace(merged.file);
      expect((await runCommand(engine, QUESTIONS[0]!, ctx)).rows.length).toBe(2 * 6);
      // A day it does not hold (a later build): the days' own indexes answer, all three spellings.
      merged.days[0] = `${merged.days[0]}.earlier`;
      expect((await runCommand(engine, QUESTIONS[0]!, ctx)).rows.length).toBe(3 * 6);
    } finally {
      await engine.close();
      fresh.remove();
    }
  });

  test('a repeat question takes the texts found before for the same day builds; other networks look them up', async () => {
    const fresh = new LogTree('trailbot-address-index-memo-');
    const { cache, engine } = cachedEngine(trees.tree.root, fresh.root, NOW);
    try {
      await runCommand(engine, QUESTIONS[1]!, ctx);
      expect(await engine.convertCache()).toBe(6);
      expect((await runCommand(engine, QUESTIONS[1]!, ctx)).rows.length).toBe(4 * 6);
      // Not something that happens (a merged file is written once and never edited): it shows what is read again.
      const merged = cache.merged('addresses')!;
      await dropPlainSpellingInPlace(merged.file);
      // The /24 again: its texts come from the first lookup, the plain spelling included.
      expect((await runCommand(engine, QUESTIONS[1]!, ctx)).rows.length).toBe(4 * 6);
      // Another network over the same days is looked up in the (edited) file.
      expect((await runCommand(engine, QUESTIONS[0]!, ctx)).rows.length).toBe(2 * 6);
    } finally {
      await engine.close();
      fresh.remove();
    }
  });

  test('a day without an index (an older cache) or whose index is gone still answers from its Parquet file', async () => {
    const expected = await answers(trees.raw);
    const cache = new ColumnarCache({
      dir: trees.state.root,
      dataDir: trees.tree.root,
      now: () => NOW,
      logger: () => {},
    });
    const file = path.join(cache.dir, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
    const entries = Object.values(manifest.partitions) as { addresses?: string }[];
    fs.rmSync(entries[0]!.addresses!);
    delete entries[1]!.addresses;
    fs.writeFileSync(file, JSON.stringify(manifest));
    const reopened = new ColumnarCache({
      dir: trees.state.root,
      dataDir: trees.tree.root,
      now: () => NOW,
      logger: () => {},
    });
    const engine = new DuckDbEngine({ dataDir: trees.tree.root, logger: () => {}, cache: reopened });
    try {
      expect(await answers(engine)).toEqual(expected);
      expect((await runCommand(engine, QUESTIONS[0]!, ctx)).stats.cachedPartitions).toBe(6);
    } finally {
      await engine.close();
    }
  });
});
