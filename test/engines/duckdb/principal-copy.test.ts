import * as fs from 'node:fs';
import * as path from 'node:path';
import { DuckDbEngine } from '../../../src/engines/duckdb';
import { ColumnarCache } from '../../../src/engines/duckdb/cache';
import { principalCopyServes } from '../../../src/engines/duckdb/cache-columns';
import type { CachedPartition } from '../../../src/engines/duckdb/cache-manifest';
import { mergeInputs } from '../../../src/engines/duckdb/merged';
import { columnNeeds } from '../../../src/engines/duckdb/needs';
import { principalFromAst } from '../../../src/engines/duckdb/pruning';
import { testConfig } from '../../helpers/config';
import { answersOf, queryOf, runCommand } from '../../helpers/run-query';
import { cachedEngine, differentialTrees, event, LogTree, memoryDuckDb, parseTree, writeVariantDays } from './fixtures';

/**
 * `user` questions over cached days read the days' principal copies (cache-columns.ts): each row once under every
 * distinct name it carries, sorted by name. The answer must be the raw files' for every shape of identity, and the
 * same when a copy is missing from an older cache or damaged.
 */
const NOW = new Date('2024-05-10T00:00:00Z');
const ctx = { config: testConfig(), now: NOW };
const WINDOW = '2024-05-01..2024-05-03';

const role = (issuer: string | null, session: string) => ({
  type: 'AssumedRole',
  arn: `arn:aws:sts::111122223333:assumed-role/${issuer}/${session}`,
  sessionContext:
    issuer === null
      ? {}
      : { sessionIssuer: { type: 'Role', userName: issuer, arn: `arn:aws:iam::111122223333:role/${issuer}` } },
});
// Every shape a principal's name comes in: an IAM user, a role session (issuer name), both names the same or
// different, empty names, no identity at all, and names an attacker chose.
const IDENTITIES: (Record<string, unknown> | undefined)[] = [
  { type: 'IAMUser', userName: 'alice', arn: 'arn:aws:iam::111122223333:user/alice' },
  { type: 'IAMUser', userName: 'bob', arn: 'arn:aws:iam::111122223333:user/bob' },
  role('alice', 'alice-session'),
  role('deploy', 'ci'),
  { ...role('alice', 'x'), userName: 'alice' },
  { ...role('deploy', 'y'), userName: 'alice' },
  { type: 'IAMUser', userName: '', arn: 'arn:aws:iam::111122223333:user/empty' },
  role(null, 'no-issuer'),
  { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' },
  undefined,
  { type: 'IAMUser', userName: "alice' OR '1'='1", arn: 'arn:aws:iam::111122223333:user/odd' },
  { type: 'IAMUser', userName: 'Alice', arn: 'arn:aws:iam::111122223333:user/Alice' },
  { type: 'FederatedUser', userName: 'alice@example.com', sessionContext: { sessionIssuer: { userName: 'alice' } } },
];
const QUESTIONS = [
  'user alice',
  'user deploy',
  'user bob',
  'user Alice',
  'user alice@example.com',
  'user nobody',
  'user arn:aws:iam::111122223333:user/alice',
].map((q) => `${q} ${WINDOW}`);

describe('which questions name one principal (principalFromAst)', () => {
  const db = memoryDuckDb({ shims: false });
  const principalOf = async (sql: string) => {
    return principalFromAst(await parseTree(db.connection, sql));
  };
  const question = (text: string) => queryOf(text, ctx);

  test('the user template by name: its two parameters, bound to the same name; by ARN: none', async () => {
    const q = question('user alice 7d');
    const found = await principalOf(q.sql);
    expect(found?.constants).toEqual([]);
    expect(found?.params.map((id) => q.params[Number(id) - 1]!.value)).toEqual(['alice', 'alice']);
    expect(await principalOf(question('user arn:aws:iam::111122223333:user/alice 7d').sql)).toBeUndefined();
    expect(principalCopyServes(columnNeeds(q.sql))).toBe(true);
  });

  test('other questions do not, and the copy does not serve what it has no column for', async () => {
    for (const text of ['who sg-5887f224 7d', 'recent 7d', 'users 7d', 'logins all 7d']) {
      expect(await principalOf(question(text).sql)).toBeUndefined();
    }
    expect(principalCopyServes(columnNeeds(question('who sg-5887f224 7d').sql))).toBe(false);
    expect(principalCopyServes(columnNeeds('SELECT useridentity FROM cloudtrail_logs'))).toBe(false);
  });

  const where = (condition: string) => `SELECT eventtime FROM cloudtrail_logs WHERE eventname = 'x' AND ${condition}`;
  test.each([
    ['one name column', `useridentity.username = ?`, { params: ['1'], constants: [] }],
    [
      'the issuer, a constant',
      `useridentity.sessioncontext.sessionissuer.username = 'ops'`,
      { params: [], constants: ['ops'] },
    ],
    ['an alias', `t.useridentity.username = ?`, undefined],
  ])('%s', async (_, condition, expected) => {
    expect(await principalOf(where(condition))).toEqual(expected);
  });

  test.each([
    ['ORed with another column', `(useridentity.username = ? OR useridentity.arn = ?)`],
    ['a negation', `useridentity.username <> ?`],
    ['a pattern', `useridentity.username LIKE ?`],
  ])('not: %s', async (_, condition) => {
    expect(await principalOf(where(condition))).toBeUndefined();
  });
});

describe('user questions over cached days with principal copies', () => {
  const trees = differentialTrees('trailbot-principal-copy-', (tree) => {
    writeVariantDays(tree, IDENTITIES, (identity) => ({ userIdentity: identity }));
  });

  const answers = (engine: DuckDbEngine) => answersOf(engine, QUESTIONS, ctx);
  const cacheFor = () =>
    new ColumnarCache({ dir: trees.state.root, dataDir: trees.tree.root, now: () => NOW, logger: () => {} });

  test('every shape of identity gives the answer the raw files give', async () => {
    const expected = await answers(trees.raw);
    // alice: her user, her role's sessions (issuer alice), the two rows naming her as user name, and the federated
    // session she issued; in each of the 6 folders.
    expect(expected[QUESTIONS[0]!]!.length).toBe(5 * 6);
    expect(expected[QUESTIONS[1]!]!.length).toBe(2 * 6);
    const cache = cacheFor();
    const engine = new DuckDbEngine({ dataDir: trees.tree.root, logger: () => {}, cache });
    try {
      await runCommand(engine, QUESTIONS[0]!, ctx);
      expect(await engine.convertCache()).toBe(6);
      expect(await answers(engine)).toEqual(expected);
      const manifest = JSON.parse(fs.readFileSync(path.join(cache.dir, 'manifest.json'), 'utf8'));
      for (const entry of Object.values(manifest.partitions) as { principals?: string }[]) {
        expect(fs.existsSync(entry.principals!)).toBe(true);
      }
      expect((await runCommand(engine, QUESTIONS[0]!, ctx)).stats.cachedPartitions).toBe(6);
    } finally {
      await engine.close();
    }
  });

  test('a user question reads the copies only: with every day file damaged it still answers from the cache', async () => {
    const expected = await answers(trees.raw);
    const fresh = new LogTree('trailbot-principal-copy-only-');
    const { cache, engine } = cachedEngine(trees.tree.root, fresh.root, NOW);
    try {
      await runCommand(engine, QUESTIONS[0]!, ctx);
      expect(await engine.convertCache()).toBe(6);
      const manifest = JSON.parse(fs.readFileSync(path.join(cache.dir, 'manifest.json'), 'utf8'));
      for (const entry of Object.values(manifest.partitions) as { parquet: string }[]) {
        // Same size, garbage inside: a question that read it would send the day back to its raw files.
        fs.writeFileSync(entry.parquet, Buffer.alloc(fs.statSync(entry.parquet).size, 7));
      }
      for (const q of QUESTIONS.slice(0, 5)) {
        const got = await runCommand(engine, q, ctx);
        expect({ q, rows: got.rows }).toEqual({ q, rows: expected[q] });
        expect(got.stats.cachedPartitions).toBe(6);
      }
      // By ARN the copy does not serve: the damaged files are met, and those days are read raw.
      const byArn = await runCommand(engine, QUESTIONS[6]!, ctx);
      expect(byArn.rows).toEqual(expected[QUESTIONS[6]!]);
      expect(byArn.stats.cachedPartitions).toBeUndefined();
    } finally {
      await engine.close();
      fresh.remove();
    }
  });

  test('a day without a copy (an older cache) is read from its own file, then converted again in the background', async () => {
    const expected = await answers(trees.raw);
    const file = path.join(cacheFor().dir, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
    const older = Object.values(manifest.partitions)[0] as { key: string; parquet: string; principals?: string };
    delete older.principals;
    fs.writeFileSync(file, JSON.stringify(manifest));
    const cache = cacheFor();
    const engine = new DuckDbEngine({ dataDir: trees.tree.root, logger: () => {}, cache });
    try {
      expect(await answers(engine)).toEqual(expected);
      expect((await runCommand(engine, QUESTIONS[0]!, ctx)).stats.cachedPartitions).toBe(6);
      // Used as it is, and queued: the next idle conversion gives it its side files.
      expect(cache.status().pending).toBe(1);
      // The entry a question planned with before the conversion.
      const stale = cache.plan(cache.filesOf(older as never)).cached[0]!;
      expect(stale.parquet).toBe(older.parquet);
      expect(await engine.convertCache()).toBe(1);
      const after = JSON.parse(fs.readFileSync(file, 'utf8')).partitions[older.key];
      expect(fs.existsSync(after.principals)).toBe(true);
      // The earlier build's files stay while a question may still read them, and go at the next conversion run;
      // then each day has its file and four side files.
      expect(fs.existsSync(older.parquet)).toBe(true);
      expect(await answers(engine)).toEqual(expected);
      await engine.convertCache();
      expect(fs.existsSync(older.parquet)).toBe(false);
      // Five files a day, and the merged words, addresses and principal copies.
      expect(fs.readdirSync(path.join(cache.dir, 'parts'))).toHaveLength(33);
      // A day is queued for its side files once per process: one removed again is read without them, not rebuilt.
      fs.rmSync(after.principals);
      expect(await answers(engine)).toEqual(expected);
      expect(cache.status().pending).toBe(0);
      // The question that failed on the old build after the new one was saved does not drop the new one.
      cache.invalidate(stale, 'test', []);
      expect(JSON.parse(fs.readFileSync(file, 'utf8')).partitions[older.key].parquet).toBe(after.parquet);
    } finally {
      await engine.close();
    }
  });

  test('a damaged copy sends its day back to the raw files, and the day is converted again', async () => {
    const expected = await answers(trees.raw);
    const fresh = new LogTree('trailbot-principal-copy-damaged-');
    const { cache, engine } = cachedEngine(trees.tree.root, fresh.root, NOW);
    try {
      await runCommand(engine, QUESTIONS[0]!, ctx);
      expect(await engine.convertCache()).toBe(6);
      const manifest = JSON.parse(fs.readFileSync(path.join(cache.dir, 'manifest.json'), 'utf8'));
      // Without the merged copies (a file gone is not used), the days' own copies serve.
      fs.rmSync(manifest.merged.principals.file);
      // Same size, garbage inside.
      const victim = (Object.values(manifest.partitions)[1] as { principals: string }).principals;
      fs.writeFileSync(victim, Buffer.alloc(fs.statSync(victim).size, 7));
      const first = await runCommand(engine, QUESTIONS[0]!, ctx);
      expect(first.rows).toEqual(expected[QUESTIONS[0]!]);
      expect(first.stats.cachedPartitions).toBe(5);
      expect(await engine.convertCache()).toBe(1);
      expect(await answers(engine)).toEqual(expected);
      expect((await runCommand(engine, QUESTIONS[0]!, ctx)).stats.cachedPartitions).toBe(6);
    } finally {
      await engine.close();
      fresh.remove();
    }
  });
});

describe('user questions over the merged principal copies', () => {
  const trees = differentialTrees('trailbot-principal-merged-', (tree) => {
    writeVariantDays(tree, IDENTITIES, (identity) => ({ userIdentity: identity }));
  });
  const answers = (engine: DuckDbEngine) => answersOf(engine, QUESTIONS, ctx);
  const mergedOf = (cache: ColumnarCache) =>
    JSON.parse(fs.readFileSync(path.join(cache.dir, 'manifest.json'), 'utf8')).merged?.principals as
      | { file: string; days: string[] }
      | undefined;

  test('a user question reads the merged copies: with every day copy damaged it still answers from the cache', async () => {
    const expected = await answers(trees.raw);
    const fresh = new LogTree('trailbot-principal-merged-only-');
    const { cache, engine } = cachedEngine(trees.tree.root, fresh.root, NOW);
    try {
      await runCommand(engine, QUESTIONS[0]!, ctx);
      expect(await engine.convertCache()).toBe(6);
      const merged = mergedOf(cache);
      expect(merged?.days).toHaveLength(6);
      const manifest = JSON.parse(fs.readFileSync(path.join(cache.dir, 'manifest.json'), 'utf8'));
      for (const entry of Object.values(manifest.partitions) as { principals: string }[]) {
        // Same size, garbage inside: a question that read it would send the day back to its raw files.
        fs.writeFileSync(entry.principals, Buffer.alloc(fs.statSync(entry.principals).size, 7));
      }
      for (const q of QUESTIONS.slice(0, 6)) {
        const got = await runCommand(engine, q, ctx);
        expect({ q, rows: got.rows }).toEqual({ q, rows: expected[q] });
        expect(got.stats.cachedPartitions).toBe(6);
      }
    } finally {
      await engine.close();
      fresh.remove();
    }
  });

  test('a day that gains a late file is read raw, and the merged copies give the other days only', async () => {
    // A tree of its own: the late file changes it.
    const tree = new LogTree();
    const state = new LogTree('trailbot-principal-merged-late-');
    writeVariantDays(tree, IDENTITIES, (identity) => ({ userIdentity: identity }));
    const raw = new DuckDbEngine({ dataDir: tree.root, logger: () => {} });
    const { cache, engine } = cachedEngine(tree.root, state.root, NOW);
    try {
      await runCommand(engine, QUESTIONS[0]!, ctx);
      expect(await engine.convertCache()).toBe(6);
      expect(mergedOf(cache)?.days).toHaveLength(6);
      // The merged file still holds the day's old copy; its rows must not come back beside the raw files'.
      tree.s3({
        day: '2024/05/02',
        region: 'eu-west-1',
        events: [event({ eventTime: '2024-05-02T23:10:00Z', awsRegion: 'eu-west-1', userIdentity: IDENTITIES[0] })],
      });
      const expected = await answersOf(raw, QUESTIONS, ctx);
      expect(expected[QUESTIONS[0]!]).toHaveLength(5 * 6 + 1);
      for (const q of QUESTIONS) {
        const got = await runCommand(engine, q, ctx);
        expect({ q, rows: got.rows }).toEqual({ q, rows: expected[q] });
        expect(got.stats.cachedPartitions).toBe(5);
      }
      expect(await engine.convertCache()).toBe(1);
      expect(mergedOf(cache)?.days).toHaveLength(6);
      expect(await answersOf(engine, QUESTIONS, ctx)).toEqual(expected);
    } finally {
      await engine.close();
      await raw.close();
      tree.remove();
      state.remove();
    }
  });

  test('a damaged merged file is no longer used: the days’ copies answer, and the question is not lost', async () => {
    const expected = await answers(trees.raw);
    const fresh = new LogTree('trailbot-principal-merged-damaged-');
    const logged: string[] = [];
    const cache = new ColumnarCache({
      dir: fresh.root,
      dataDir: trees.tree.root,
      now: () => NOW,
      logger: (m) => logged.push(m),
    });
    const engine = new DuckDbEngine({ dataDir: trees.tree.root, logger: () => {}, cache });
    try {
      await runCommand(engine, QUESTIONS[0]!, ctx);
      expect(await engine.convertCache()).toBe(6);
      const merged = mergedOf(cache)!;
      fs.writeFileSync(merged.file, Buffer.alloc(fs.statSync(merged.file).size, 7));
      const got = await runCommand(engine, QUESTIONS[0]!, ctx);
      expect(got.rows).toEqual(expected[QUESTIONS[0]!]);
      expect(got.stats.cachedPartitions).toBe(6);
      expect(mergedOf(cache)).toBeUndefined();
      expect(logged.join('\n')).toMatch(/merged principals file is not used/);
      expect(await answers(engine)).toEqual(expected);
    } finally {
      await engine.close();
      fresh.remove();
    }
  });
});

test('a cache whose principal copies grow past the cap stops merging them, and its merged file goes', async () => {
  const tree = new LogTree();
  const state = new LogTree('trailbot-principal-merged-cap-');
  writeVariantDays(tree, IDENTITIES, (identity) => ({ userIdentity: identity }));
  const first = cachedEngine(tree.root, state.root, NOW);
  try {
    await runCommand(first.engine, QUESTIONS[0]!, ctx);
    expect(await first.engine.convertCache()).toBe(6);
  } finally {
    await first.engine.close();
  }
  const file = path.join(first.cache.dir, 'manifest.json');
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  const merged = manifest.merged.principals.file as string;
  // As if one day's copy had been converted at 70 MiB.
  (Object.values(manifest.partitions)[0] as { principalBytes: number }).principalBytes = 70 * 1024 * 1024;
  fs.writeFileSync(file, JSON.stringify(manifest));
  const { cache, engine } = cachedEngine(tree.root, state.root, NOW);
  try {
    await engine.convertCache();
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).merged.principals).toBeUndefined();
    expect(cache.merged('words')).toBeDefined();
    // Removed at the next conversion run, when no question may be reading it.
    await engine.convertCache();
    expect(fs.existsSync(merged)).toBe(false);
    expect((await runCommand(engine, QUESTIONS[0]!, ctx)).stats.cachedPartitions).toBe(6);
  } finally {
    await engine.close();
    tree.remove();
    state.remove();
  }
});

describe('which principal copies are merged (mergeInputs)', () => {
  const day = (n: number, principalBytes: number) =>
    ({ key: `k${n}`, principals: `/c/d${n}.principals.parquet`, principalBytes }) as unknown as CachedPartition;

  test('every day with a copy, sorted; none past the size cap, so the days’ own copies serve', () => {
    expect(mergeInputs('principals', [day(2, 10), day(1, 10), { key: 'old' } as CachedPartition])).toEqual([
      '/c/d1.principals.parquet',
      '/c/d2.principals.parquet',
    ]);
    const mib = 1024 * 1024;
    expect(mergeInputs('principals', [day(1, 40 * mib), day(2, 24 * mib)])).toHaveLength(2);
    expect(mergeInputs('principals', [day(1, 40 * mib), day(2, 25 * mib)])).toBeUndefined();
    // The other kinds have no cap.
    expect(
      mergeInputs('words', [{ key: 'a', words: '/c/a.words.parquet', wordBytes: 10 * 1024 * mib } as never]),
    ).toEqual(['/c/a.words.parquet']);
  });
});
