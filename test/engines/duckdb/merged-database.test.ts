import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbEngine } from '../../../src/engines/duckdb';
import { ColumnarCache } from '../../../src/engines/duckdb/cache';
import { removeLeftovers } from '../../../src/engines/duckdb/cache-manifest';
import { isDetachedMerged, mergedRelation } from '../../../src/engines/duckdb/merged';
import { testConfig } from '../../helpers/config';
import { answersOf, runCommand } from '../../helpers/run-query';
import { event, LogTree, writeVariantDays } from './fixtures';

/**
 * The merged principal copies are a DuckDB database that the engine attaches read-only (merged.ts): `eventid` is kept
 * as a UUID only when every id reads back as the very same text, and a long-running engine detaches the databases of
 * earlier builds once no question runs.
 */
const NOW = new Date('2024-05-10T00:00:00Z');
const ctx = { config: testConfig(), now: NOW };
const QUESTIONS = ['user alice', 'user deploy', 'user nobody'].map((q) => `${q} 2024-05-01..2024-05-03`);
const IDENTITIES = [
  { type: 'IAMUser', userName: 'alice', arn: 'arn:aws:iam::111122223333:user/alice' },
  {
    type: 'AssumedRole',
    arn: 'arn:aws:sts::111122223333:assumed-role/deploy/ci',
    sessionContext: {
      sessionIssuer: { type: 'Role', userName: 'deploy', arn: 'arn:aws:iam::111122223333:role/deploy' },
    },
  },
  { type: 'IAMUser', userName: 'bob', arn: 'arn:aws:iam::111122223333:user/bob' },
];

interface Setup {
  tree: LogTree;
  state: LogTree;
  instance: DuckDBInstance;
  raw: DuckDbEngine;
  cache: ColumnarCache;
  engine: DuckDbEngine;
}

/** A tree of 6 day folders whose events' ids come from `eventId`, an engine over it with its cache, and a raw one. */
async function setUp(eventId: (n: number) => string): Promise<Setup> {
  const tree = new LogTree();
  const state = new LogTree('trailbot-merged-database-');
  let n = 0;
  writeVariantDays(tree, IDENTITIES, (identity) => ({ userIdentity: identity, eventID: eventId(n++) }));
  const instance = await DuckDBInstance.create(':memory:');
  const raw = new DuckDbEngine({ dataDir: tree.root, logger: () => {} });
  const cache = new ColumnarCache({ dir: state.root, dataDir: tree.root, now: () => NOW, logger: () => {} });
  const engine = new DuckDbEngine({ dataDir: tree.root, logger: () => {}, cache, instance });
  return { tree, state, instance, raw, cache, engine };
}

async function tearDown(s: Setup): Promise<void> {
  await s.engine.close();
  await s.raw.close();
  s.instance.closeSync();
  s.tree.remove();
  s.state.remove();
}

/** The merged principal databases attached to the instance now, and the type `eventid` is stored as in each. */
async function attached(instance: DuckDBInstance): Promise<{ name: string; path: string; eventid: string }[]> {
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT d.database_name, d.path, c.data_type FROM duckdb_databases() d
       JOIN duckdb_columns() c ON c.database_name = d.database_name
       WHERE d.database_name LIKE 'trailbot_merged_%' AND c.table_name = 'principal_rows' AND c.column_name = 'eventid'
       ORDER BY 1`,
    );
    return reader
      .getRows()
      .map(([name, file, type]) => ({ name: String(name), path: String(file), eventid: String(type) }));
  } finally {
    connection.disconnectSync();
  }
}

/** Waits until `check` holds (the engine detaches after a question has settled, without awaiting it). */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
}

test('canonical UUIDs are kept as UUIDs, and the answers are the raw files’, ids and all', async () => {
  const s = await setUp(() => randomUUID());
  try {
    const expected = await answersOf(s.raw, QUESTIONS, ctx);
    expect(expected[QUESTIONS[0]!]).toHaveLength(6);
    await runCommand(s.engine, QUESTIONS[0]!, ctx);
    expect(await s.engine.convertCache()).toBe(6);
    expect(s.cache.merged('principals')?.file).toMatch(/\.duckdb$/);
    expect(await answersOf(s.engine, QUESTIONS, ctx)).toEqual(expected);
    expect(await attached(s.instance)).toEqual([
      expect.objectContaining({ path: s.cache.merged('principals')!.file, eventid: 'UUID' }),
    ]);
    expect((await runCommand(s.engine, QUESTIONS[0]!, ctx)).stats.cachedPartitions).toBe(6);
  } finally {
    await tearDown(s);
  }
});

test('one id that would not read back the same (upper case, not a UUID) keeps every id as text', async () => {
  const odd = ['0B6C3D1E-1111-4222-8333-944455556666', 'not-a-uuid', '{0b6c3d1e-1111-4222-8333-944455556667}'];
  for (const id of odd) {
    const s = await setUp((n) => (n === 0 ? id : randomUUID()));
    try {
      const expected = await answersOf(s.raw, QUESTIONS, ctx);
      expect(expected[QUESTIONS[0]!]!.flat()).toContain(id);
      await runCommand(s.engine, QUESTIONS[0]!, ctx);
      expect(await s.engine.convertCache()).toBe(6);
      expect({ id, rows: await answersOf(s.engine, QUESTIONS, ctx) }).toEqual({ id, rows: expected });
      expect((await attached(s.instance)).map((a) => a.eventid)).toEqual(['VARCHAR']);
    } finally {
      await tearDown(s);
    }
  }
});

test('an earlier build’s database is detached once no question runs; the answers stay the raw files’', async () => {
  const s = await setUp(() => randomUUID());
  try {
    await runCommand(s.engine, QUESTIONS[0]!, ctx);
    expect(await s.engine.convertCache()).toBe(6);
    await runCommand(s.engine, QUESTIONS[0]!, ctx);
    const first = s.cache.merged('principals')!.file;
    expect((await attached(s.instance)).map((a) => a.path)).toEqual([first]);
    // A late file: its day is converted again, and the merged database is built again under a new name.
    s.tree.s3({
      day: '2024/05/02',
      region: 'eu-west-1',
      events: [event({ eventTime: '2024-05-02T23:10:00Z', awsRegion: 'eu-west-1', userIdentity: IDENTITIES[0] })],
    });
    await runCommand(s.engine, QUESTIONS[0]!, ctx);
    expect(await s.engine.convertCache()).toBe(1);
    const second = s.cache.merged('principals')!.file;
    expect(second).not.toBe(first);
    const expected = await answersOf(s.raw, QUESTIONS, ctx);
    expect(expected[QUESTIONS[0]!]).toHaveLength(7);
    expect(await answersOf(s.engine, QUESTIONS, ctx)).toEqual(expected);
    await until(async () => (await attached(s.instance)).length === 1);
    expect((await attached(s.instance)).map((a) => a.path)).toEqual([second]);
  } finally {
    await tearDown(s);
  }
});

const REAL = path.resolve(__dirname, '../../../../shared/data/stratus-red-team/docs/detonation-logs');
const real = fs.existsSync(REAL);
if (!real) console.log(`skipping the merged database test on real records: ${REAL} does not exist`);

(real ? test : test.skip)(
  'the real stratus-red-team records: their ids are kept as UUIDs, and every principal’s answer is the raw files’',
  async () => {
    const records = fs
      .readdirSync(REAL)
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => JSON.parse(fs.readFileSync(path.join(REAL, f), 'utf8')) as Record<string, unknown>[]);
    const tree = new LogTree();
    const state = new LogTree('trailbot-merged-database-real-');
    // Their own ids and identities, spread over three days of one region (the cache holds S3-layout day folders).
    const days = ['2024/05/01', '2024/05/02', '2024/05/03'];
    for (const [d, day] of days.entries()) {
      const events = records
        .filter((_, i) => i % days.length === d)
        .map((r, i) => ({
          ...r,
          awsRegion: 'us-east-1',
          eventTime: `${day.replaceAll('/', '-')}T10:${String(i % 60).padStart(2, '0')}:00Z`,
        }));
      tree.s3({ day, region: 'us-east-1', events });
    }
    const names = new Set<string>();
    for (const r of records) {
      const identity = r.userIdentity as {
        userName?: string;
        sessionContext?: { sessionIssuer?: { userName?: string } };
      };
      for (const name of [identity?.userName, identity?.sessionContext?.sessionIssuer?.userName]) {
        if (name && /^[\w+=,.@-]+$/.test(name)) names.add(name);
      }
    }
    expect(names.size).toBeGreaterThan(1);
    const questions = [...names].sort().map((name) => `user ${name} 2024-05-01..2024-05-03`);
    const instance = await DuckDBInstance.create(':memory:');
    const raw = new DuckDbEngine({ dataDir: tree.root, logger: () => {} });
    const cache = new ColumnarCache({ dir: state.root, dataDir: tree.root, now: () => NOW, logger: () => {} });
    const engine = new DuckDbEngine({ dataDir: tree.root, logger: () => {}, cache, instance });
    try {
      const expected = await answersOf(raw, questions, ctx);
      expect(Object.values(expected).flat().length).toBeGreaterThan(0);
      await runCommand(engine, questions[0]!, ctx);
      expect(await engine.convertCache()).toBe(3);
      expect(await answersOf(engine, questions, ctx)).toEqual(expected);
      expect((await attached(instance)).map((a) => a.eventid)).toEqual(['UUID']);
    } finally {
      await engine.close();
      await raw.close();
      instance.closeSync();
      tree.remove();
      state.remove();
    }
  },
);

test('a question over a detached database is told so in words the engine knows (isDetachedMerged)', async () => {
  const s = await setUp(() => randomUUID());
  try {
    await runCommand(s.engine, QUESTIONS[0]!, ctx);
    await s.engine.convertCache();
    const connection = await s.instance.connect();
    try {
      const relation = await mergedRelation(connection, s.cache.merged('principals')!);
      expect(relation).toMatch(/^trailbot_merged_[0-9a-f]{16}\.principals$/);
      await connection.run(`DETACH ${relation.split('.')[0]}`);
      const message = await connection.run(`SELECT count(*) FROM ${relation}`).then(
        () => 'no error',
        (err: Error) => err.message,
      );
      expect(isDetachedMerged(message)).toBe(true);
      expect(isDetachedMerged('Catalog Error: Table with name principals does not exist!')).toBe(false);
      // The next question attaches it again.
      expect((await runCommand(s.engine, QUESTIONS[0]!, ctx)).rows).toHaveLength(6);
    } finally {
      connection.disconnectSync();
    }
  } finally {
    await tearDown(s);
  }
});

test('a merged principal file of an older cache, in Parquet, is read as Parquet', async () => {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const relation = await mergedRelation(connection, { file: '/c/principals.x.parquet', bytes: 1, days: [] });
    expect(relation).toMatch(/^read_parquet\(\['\/c\/principals\.x\.parquet'\]/);
  } finally {
    connection.disconnectSync();
    instance.closeSync();
  }
});

test('leftovers: a stopped merge’s database and its log go, as does a database no manifest names', () => {
  const state = new LogTree('trailbot-merged-leftovers-');
  try {
    const parts = path.join(state.root, 'parts');
    fs.mkdirSync(parts, { recursive: true });
    const names = [
      'principals.a.duckdb',
      'principals.b.duckdb',
      'principals.b.duckdb.7.tmp',
      'principals.b.duckdb.7.tmp.wal',
    ];
    for (const name of names) fs.writeFileSync(path.join(parts, name), 'x');
    const kept = path.join(parts, 'principals.a.duckdb');
    removeLeftovers(state.root, {
      version: 1,
      dataDir: '/logs',
      partitions: {},
      merged: { principals: { file: kept, bytes: 1, days: [] } },
    } as never);
    expect(fs.readdirSync(parts)).toEqual(['principals.a.duckdb']);
  } finally {
    state.remove();
  }
});
