import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRequest } from '../../../commands';
import { DuckDbEngine } from '../../../src/engines/duckdb';
import { ColumnarCache } from '../../../src/engines/duckdb/cache';
import { TOKEN_BREAKS, withinOneToken } from '../../../src/engines/duckdb/cache-columns';
import { textSearchFromAst } from '../../../src/engines/duckdb/pruning';
import { testConfig } from '../../helpers/config';
import { answersOf, runCommand } from '../../helpers/run-query';
import { LogTree, memoryDuckDb, writeVariantDays } from './fixtures';

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
const QUESTIONS = [`who ${SG}`, 'who sg-5887', 'who 5887f224', `who ${ARN}`, 'who sg-5887,f224', 'who sg-99999999'].map(
  (q) => `${q} ${WINDOW}`,
);

describe('which questions search texts for a string (textSearchFromAst)', () => {
  const db = memoryDuckDb({ shims: false });
  const searchOf = async (sql: string) => {
    const reader = await db.connection.runAndReadAll(`SELECT json_serialize_sql(${`'${sql.replaceAll("'", "''")}'`})`);
    return textSearchFromAst(String(reader.getRows()[0]![0]));
  };
  const question = (text: string) => {
    const r = parseRequest(text, ctx);
    if (r.kind !== 'query') throw new Error(text);
    return r.query;
  };

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
    const cache = new ColumnarCache({ dir: state.root, dataDir: tree.root, now: () => NOW, logger: () => {} });
    const engine = new DuckDbEngine({ dataDir: tree.root, logger: () => {}, cache });
    try {
      await runCommand(engine, QUESTIONS[0]!, ctx);
      expect(await engine.convertCache()).toBe(6);
      expect(await answers(engine)).toEqual(expected);
    } finally {
      await engine.close();
    }
  });

  test('the days whose tokens lack the string are not read; a day without an index is', async () => {
    const cache = new ColumnarCache({ dir: state.root, dataDir: tree.root, now: () => NOW, logger: () => {} });
    const engine = new DuckDbEngine({ dataDir: tree.root, logger: () => {}, cache });
    try {
      const present = await runCommand(engine, QUESTIONS[0]!, ctx);
      const absent = await runCommand(engine, QUESTIONS[5]!, ctx);
      expect(present.stats.cachedPartitions).toBe(6);
      expect(absent.stats.cachedPartitions).toBe(6);
      expect(present.stats.bytesScanned).toBeGreaterThan(0);
      // No day holds sg-99999999: none is read.
      expect(absent.stats.bytesScanned).toBe(0);
      // Held across a comma (a break): no index can rule a day out, every day is read.
      expect((await runCommand(engine, QUESTIONS[4]!, ctx)).stats.bytesScanned).toBe(present.stats.bytesScanned);
    } finally {
      await engine.close();
    }
    const file = path.join(cache.dir, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
    delete (Object.values(manifest.partitions)[0] as { tokens?: string }).tokens;
    fs.writeFileSync(file, JSON.stringify(manifest));
    const reopened = new DuckDbEngine({
      dataDir: tree.root,
      logger: () => {},
      cache: new ColumnarCache({ dir: state.root, dataDir: tree.root, now: () => NOW, logger: () => {} }),
    });
    try {
      expect(await answers(reopened)).toEqual(await answers(raw));
      expect((await runCommand(reopened, QUESTIONS[5]!, ctx)).stats.bytesScanned).toBeGreaterThan(0);
    } finally {
      await reopened.close();
    }
  });
});
