import * as fs from 'node:fs';
import * as path from 'node:path';
import { DuckDbEngine } from '../../../src/engines/duckdb';
import { TOKEN_BREAK_CLASS, TOKEN_BREAKS, withinOneToken } from '../../../src/engines/duckdb/cache-columns';
import { textSearchFromAst } from '../../../src/engines/duckdb/pruning';
import { testConfig } from '../../helpers/config';
import { answersOf, queryOf, runCommand } from '../../helpers/run-query';
import { cachedEngine, event, LogTree, memoryDuckDb, parseTree, writeVariantDays } from './fixtures';

/**
 * `who` questions over cached days skip the days whose token index (cache-columns.ts) has no token holding the
 * searched string. The answer must be the raw files' for every way a text can hold it, and every day that does hold
 * it must be read.
 */
const NOW = new Date('2024-05-10T00:00:00Z');
const ctx = { config: testConfig(), now: NOW };
const WINDOW = '2024-05-01..2024-05-03';
const SG = 'sg-5887f224';
const ARN = `arn:aws:ec2:us-east-1:111122223333:security-group/${SG}`;

// Where a searched string can sit: a whole JSON value, inside a longer value, after an escaped quote or backslash,
// next to white space, split by a comma (no match), in the response, in the resources list, nowhere.
type Texts = { requestParameters?: unknown; responseElements?: unknown; resources?: unknown };
const TEXTS: Texts[] = [
  { requestParameters: { groupId: SG } },
  { requestParameters: { groupIds: [`x${SG}y`] } },
  { requestParameters: { description: `say "${SG}" and \\${SG}\\` } },
  { requestParameters: { description: `tab\t${SG}\nend` } },
  { requestParameters: { description: 'sg-5887,f224' } },
  { responseElements: { groupSet: { items: [{ groupId: SG }] } } },
  { resources: [{ ARN, type: 'AWS::EC2::SecurityGroup' }] },
  { requestParameters: { groupId: 'sg-00000000' } },
  { requestParameters: null, responseElements: null },
];
const QUESTIONS = [
  `who ${SG}`,
  'who sg-5887',
  'who 5887f224',
  `who ${ARN}`,
  'who sg-5887,f224',
  'who sg-99999999',
  // Held by one day only: in its request, and in its resources list.
  'who sg-0nly0502',
  'who only-in-resources',
].map((q) => `${q} ${WINDOW}`);

describe('which questions search texts for a string (textSearchFromAst)', () => {
  const db = memoryDuckDb({ shims: false });
  const searchOf = async (sql: string) => {
    return textSearchFromAst(await parseTree(db.connection, sql));
  };
  const question = (text: string) => queryOf(text, ctx);

  test('the who template: the parameters bound to the resource (and to its name, for an ARN)', async () => {
    const byId = question(`who ${SG} 7d`);
    const ids = await searchOf(byId.sql);
    expect(ids?.map((id) => byId.params[Number(id) - 1]!.value)).toEqual([SG, SG, SG]);
    const byArn = question(`who ${ARN} 7d`);
    const arnIds = await searchOf(byArn.sql);
    expect(arnIds?.map((id) => byArn.params[Number(id) - 1]!.value)).toEqual([ARN, ARN, ARN, SG, SG]);
    for (const text of ['user alice 7d', 'recent 7d', 'ip 198.51.100.7 7d']) {
      expect(await searchOf(question(text).sql)).toBeUndefined();
    }
  });

  const where = (condition: string) => `SELECT eventtime FROM cloudtrail_logs WHERE eventname = 'x' AND ${condition}`;
  test.each([
    ['another text', `strpos(useragent, ?) > 0`],
    ['a constant', `strpos(requestparameters, 'x') > 0`],
    ['another comparison', `strpos(requestparameters, ?) > 1`],
    ['negated', `NOT (strpos(requestparameters, ?) > 0)`],
    ['ORed with something else', `(strpos(requestparameters, ?) > 0 OR eventname = 'y')`],
    ['resources without the JSON cast', `strpos(json_format(resources), ?) > 0`],
  ])('not used: %s', async (_, condition) => {
    expect(await searchOf(where(condition))).toBeUndefined();
  });

  test('a string lies within one token unless it is empty or holds a break', () => {
    expect(withinOneToken(SG)).toBe(true);
    expect(withinOneToken(ARN)).toBe(true);
    expect(withinOneToken('')).toBe(false);
    for (const c of TOKEN_BREAKS) expect(withinOneToken(`sg${c}1`)).toBe(false);
  });
});

describe('who questions over cached days with token indexes', () => {
  let tree: LogTree;
  let state: LogTree;
  let raw: DuckDbEngine;

  beforeAll(() => {
    tree = new LogTree();
    state = new LogTree('trailbot-token-index-');
    writeVariantDays(tree, TEXTS, (texts) => ({ ...texts }));
    tree.s3({
      day: '2024/05/02',
      region: 'us-east-1',
      events: [
        event({ eventTime: '2024-05-02T12:00:00Z', requestParameters: { groupId: 'sg-0nly0502' } }),
        event({ eventTime: '2024-05-02T12:01:00Z', resources: [{ ARN: 'arn:aws:s3:::only-in-resources' }] }),
      ],
    });
    raw = new DuckDbEngine({ dataDir: tree.root, logger: () => {} });
  });
  afterAll(async () => {
    await raw.close();
    tree.remove();
    state.remove();
  });

  const answers = (engine: DuckDbEngine) => answersOf(engine, QUESTIONS, ctx);

  test('every way a text can hold the string gives the answer the raw files give', async () => {
    const expected = await answers(raw);
    // The id: whole, inside a longer value, after escapes, by white space, in the response, in the ARN; in 6 folders.
    expect(expected[QUESTIONS[0]!]!.length).toBe(6 * 6);
    expect(expected[QUESTIONS[4]!]!.length).toBe(1 * 6);
    expect(expected[QUESTIONS[5]!]!.length).toBe(0);
    const { engine } = cachedEngine(tree.root, state.root, NOW);
    try {
      await runCommand(engine, QUESTIONS[0]!, ctx);
      expect(await engine.convertCache()).toBe(6);
      expect(await answers(engine)).toEqual(expected);
    } finally {
      await engine.close();
    }
  });

  test('the days whose tokens lack the string are not read; a day without an index is', async () => {
    const { cache, engine } = cachedEngine(tree.root, state.root, NOW);
    const bytes = async (q: string) => (await runCommand(engine, q, ctx)).stats.bytesScanned;
    try {
      const present = await runCommand(engine, QUESTIONS[0]!, ctx);
      expect(present.stats.cachedPartitions).toBe(6);
      expect(present.stats.bytesScanned).toBeGreaterThan(0);
      // No day holds sg-99999999: none is read.
      expect(await bytes(QUESTIONS[5]!)).toBe(0);
      // One day of six holds these: that day alone is read.
      const one = await bytes(QUESTIONS[6]!);
      expect(one).toBeGreaterThan(0);
      expect(one * 4).toBeLessThan(present.stats.bytesScanned);
      expect(await bytes(QUESTIONS[7]!)).toBe(one);
      // Held across a comma (a break): no index can rule a day out, every day is read.
      expect(await bytes(QUESTIONS[4]!)).toBe(present.stats.bytesScanned);
    } finally {
      await engine.close();
    }
    const file = path.join(cache.dir, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
    delete (Object.values(manifest.partitions)[0] as { tokens?: string }).tokens;
    fs.writeFileSync(file, JSON.stringify(manifest));
    const reopened = cachedEngine(tree.root, state.root, NOW).engine;
    try {
      expect(await answers(reopened)).toEqual(await answers(raw));
      expect((await runCommand(reopened, QUESTIONS[5]!, ctx)).stats.bytesScanned).toBeGreaterThan(0);
    } finally {
      await reopened.close();
    }
  });

  test('a damaged or missing index keeps its day, and the answers are the same', async () => {
    const file = path.join(state.root, fs.readdirSync(state.root)[0]!, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
    const indexed = (Object.values(manifest.partitions) as { tokens?: string }[]).filter((p) => p.tokens);
    fs.writeFileSync(indexed[0]!.tokens!, Buffer.alloc(fs.statSync(indexed[0]!.tokens!).size, 7));
    fs.rmSync(indexed[1]!.tokens!);
    const engine = cachedEngine(tree.root, state.root, NOW).engine;
    try {
      expect(await answers(engine)).toEqual(await answers(raw));
    } finally {
      await engine.close();
    }
  });
});

describe('the token breaks, in SQL as in JS', () => {
  const db = memoryDuckDb({ shims: false });

  test('the SQL splits a text at every break and at nothing else', async () => {
    const others = [
      ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)),
      '\u000b',
      '\u00a0',
      'é',
      '\u2028',
      '😀',
    ].filter((c) => !TOKEN_BREAKS.includes(c));
    const pieces = async (c: string) => {
      const reader = await db.connection.runAndReadAll(
        `SELECT len(list_filter(regexp_split_to_array($1, '${TOKEN_BREAK_CLASS}'), lambda t: t <> ''))`,
        [`a${c}b`],
      );
      return Number(reader.getRows()[0]![0]);
    };
    for (const c of TOKEN_BREAKS) expect({ c, pieces: await pieces(c) }).toEqual({ c, pieces: 2 });
    for (const c of others) expect({ c, pieces: await pieces(c) }).toEqual({ c, pieces: 1 });
  });
});
