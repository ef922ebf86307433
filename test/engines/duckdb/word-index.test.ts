import * as fs from 'node:fs';
import * as path from 'node:path';
import { DuckDbEngine } from '../../../src/engines/duckdb';
import { textSearchFromAst } from '../../../src/engines/duckdb/pruning';
import { wordPrefixes, wordsOf } from '../../../src/engines/duckdb/word-index';
import { testConfig } from '../../helpers/config';
import { answersOf, queryOf, runCommand } from '../../helpers/run-query';
import { cachedEngine, differentialTrees, event, LogTree, memoryDuckDb, parseTree, writeVariantDays } from './fixtures';

/**
 * `who` questions over cached days skip the days in whose words (word-index.ts) no word begins with each run of
 * letters and digits that the searched string has after another character. The answer must be the raw files' for
 * every way a text can hold it, and every day that does hold it must be read.
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
  'who only-in-r3sources',
  // The same without a run after another character: no day can be ruled out.
  'who 0nly0502',
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

  test('the runs a word must begin with: the last after another character, and the longest such', () => {
    expect(wordPrefixes(SG)).toEqual(['5887f224']);
    expect(wordPrefixes(ARN)).toEqual(['5887f224', '111122223333']);
    expect(wordPrefixes('sg-5887,f224')).toEqual(['f224', '5887']);
    expect(wordPrefixes('"quoted"')).toEqual(['quoted']);
    expect(wordPrefixes('é5887')).toEqual(['5887']);
    expect(wordPrefixes('a\tb c')).toEqual(['c', 'b']);
    // Nothing after another character: the string may sit inside any word.
    for (const none of ['5887f224', 'bob', '', '-', 'sg-', '5887/']) expect(wordPrefixes(none)).toEqual([]);
  });
});

describe('who questions over cached days with the word index', () => {
  const trees = differentialTrees('trailbot-word-index-', (tree) => {
    writeVariantDays(tree, TEXTS, (texts) => ({ ...texts }));
    tree.s3({
      day: '2024/05/02',
      region: 'us-east-1',
      events: [
        event({ eventTime: '2024-05-02T12:00:00Z', requestParameters: { groupId: 'sg-0nly0502' } }),
        event({ eventTime: '2024-05-02T12:01:00Z', resources: [{ ARN: 'arn:aws:s3:::only-in-r3sources' }] }),
      ],
    });
  });

  const answers = (engine: DuckDbEngine) => answersOf(engine, QUESTIONS, ctx);

  test('every way a text can hold the string gives the answer the raw files give', async () => {
    const expected = await answers(trees.raw);
    // The id: whole, inside a longer value, after escapes, by white space, in the response, in the ARN; in 6 folders.
    expect(expected[QUESTIONS[0]!]!.length).toBe(6 * 6);
    expect(expected[QUESTIONS[4]!]!.length).toBe(1 * 6);
    expect(expected[QUESTIONS[5]!]!.length).toBe(0);
    const { engine } = cachedEngine(trees.tree.root, trees.state.root, NOW);
    try {
      await runCommand(engine, QUESTIONS[0]!, ctx);
      expect(await engine.convertCache()).toBe(6);
      expect(await answers(engine)).toEqual(expected);
    } finally {
      await engine.close();
    }
  });

  test('the days without the words are not read; a day the merged index does not hold is', async () => {
    const { cache, engine } = cachedEngine(trees.tree.root, trees.state.root, NOW);
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
      // Without a run after another character, every day is read.
      expect(await bytes(QUESTIONS[8]!)).toBe(present.stats.bytesScanned);
      // Across a comma: the days need words beginning `5887` and `f224`, which all six have.
      expect(await bytes(QUESTIONS[4]!)).toBe(present.stats.bytesScanned);
    } finally {
      await engine.close();
    }
    const file = path.join(cache.dir, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
    // Every day's words, merged once the conversions were done.
    const dayWords = (Object.values(manifest.partitions) as { words: string }[]).map((p) => p.words).sort();
    expect(manifest.merged.words.days).toEqual(dayWords);
    // A day the merged index does not hold (a build made since) is read, whatever it holds.
    manifest.merged.words.days[0] = `${manifest.merged.words.days[0]}.elsewhere`;
    fs.writeFileSync(file, JSON.stringify(manifest));
    const reopened = cachedEngine(trees.tree.root, trees.state.root, NOW).engine;
    try {
      expect(await answers(reopened)).toEqual(await answers(trees.raw));
      const one = await runCommand(reopened, QUESTIONS[5]!, ctx);
      expect(one.stats.bytesScanned).toBeGreaterThan(0);
      expect(one.stats.bytesScanned * 4).toBeLessThan(
        (await runCommand(reopened, QUESTIONS[0]!, ctx)).stats.bytesScanned,
      );
    } finally {
      await reopened.close();
    }
  });

  test('the merged index is made again when a day is converted again', async () => {
    const { cache, engine } = cachedEngine(trees.tree.root, trees.state.root, NOW);
    try {
      const before = cache.merged('words')!;
      // A late file in one day: the day is read raw, converted again, and the merged index follows.
      trees.tree.s3({
        day: '2024/05/03',
        region: 'us-east-1',
        name: 'late.json.gz',
        events: [event({ eventTime: '2024-05-03T23:00:00Z', requestParameters: { groupId: 'sg-1a7e0503' } })],
      });
      const late = 'who sg-1a7e0503 2024-05-01..2024-05-03';
      expect((await runCommand(engine, late, ctx)).rows.length).toBe(1);
      expect(await engine.convertCache()).toBe(1);
      const after = cache.merged('words')!;
      expect(after.file).not.toBe(before.file);
      expect(after.days).not.toEqual(before.days);
      const answer = await runCommand(engine, late, ctx);
      expect(answer.rows.length).toBe(1);
      expect(answer.stats.cachedPartitions).toBe(6);
      expect(answer.stats.bytesScanned).toBeGreaterThan(0);
      expect(await answers(engine)).toEqual(await answers(trees.raw));
    } finally {
      await engine.close();
    }
  });

  test('a damaged or missing merged index keeps every day, and the answers are the same', async () => {
    const file = path.join(trees.state.root, fs.readdirSync(trees.state.root)[0]!, 'manifest.json');
    const merged = JSON.parse(fs.readFileSync(file, 'utf8')).merged.words.file as string;
    fs.writeFileSync(merged, Buffer.alloc(fs.statSync(merged).size, 7));
    const engine = cachedEngine(trees.tree.root, trees.state.root, NOW).engine;
    try {
      expect(await answers(engine)).toEqual(await answers(trees.raw));
      expect((await runCommand(engine, QUESTIONS[5]!, ctx)).stats.bytesScanned).toBeGreaterThan(0);
      fs.rmSync(merged);
      expect(await answers(engine)).toEqual(await answers(trees.raw));
    } finally {
      await engine.close();
    }
  });
});

describe('words, in SQL as in JS', () => {
  const db = memoryDuckDb({ shims: false });

  test('the day index finds the runs of ASCII letters and digits the JS side looks for, and nothing else', async () => {
    const chars = [
      ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)),
      '\t',
      '\n',
      '\u000b',
      '\u00a0',
      'é',
      'ß',
      '\u2028',
      '😀',
      '٣',
    ];
    const text = chars.map((c) => `a${c}b`).join('');
    const reader = await db.connection.runAndReadAll(`SELECT DISTINCT unnest(${wordsOf('$1')})`, [text]);
    const sql = reader.getRows().map(([w]) => String(w));
    const js = [...new Set(text.match(/[A-Za-z0-9]+/g))].sort();
    expect(sql.sort()).toEqual(js);
    // Every char other than a letter or digit splits: `a<c>b` gives `a` and `b` apart.
    expect(sql).not.toContain('a\u00a0b');
  });
});

describe('folder names that look like Hive partitions (key=value) change no answer', () => {
  test('a state folder under day=…/address=…/value=… and logs under eventname=…/region=… answer as plain ones', async () => {
    const tree = new LogTree();
    const state = new LogTree('trailbot-hive-names-');
    for (const day of ['2024/05/01', '2024/05/02', '2024/05/03']) {
      const date = day.replaceAll('/', '-');
      tree.s3({
        prefix: 'eventname=evil/region=x',
        day,
        events: [
          event({ eventTime: `${date}T10:00:00Z`, requestParameters: { groupId: SG } }),
          event({ eventTime: `${date}T11:00:00Z`, eventName: 'DescribeInstances' }),
        ],
      });
    }
    const raw = new DuckDbEngine({ dataDir: tree.root, logger: () => {} });
    // DuckDB would read `day`, `address` and `value` of the merged files from these folders, not from the files.
    const stateDir = path.join(state.root, 'day=1', 'address=x', 'value=y', 'state');
    const { engine } = cachedEngine(tree.root, stateDir, NOW);
    const questions = [`who ${SG}`, 'recent', 'ip 203.0.113.0/24'].map((q) => `${q} ${WINDOW}`);
    try {
      const expected = await answersOf(raw, questions, ctx);
      expect(expected[questions[0]!]!.length).toBe(3);
      expect(expected[questions[2]!]!.length).toBe(6);
      expect(JSON.stringify(expected)).not.toContain('evil');
      await runCommand(engine, questions[0]!, ctx);
      expect(await engine.convertCache()).toBe(3);
      const cached = await runCommand(engine, questions[0]!, ctx);
      expect(cached.stats.cachedPartitions).toBe(3);
      expect(await answersOf(engine, questions, ctx)).toEqual(expected);
    } finally {
      await engine.close();
      await raw.close();
      tree.remove();
      state.remove();
    }
  });
});
