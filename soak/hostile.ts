/**
 * Hostile input: N generated command texts (quotes, comments, statement separators, template markers, unicode, control
 * characters, 10 KB strings, plausible commands with injected tails, ARNs that carry SQL) through `parseRequest`,
 * and every one that parses through BOTH engines:
 * - DuckDB, for real, over a small sample: the query must succeed (a syntax error would mean text reached the SQL);
 * - the real AthenaEngine against a local fake Athena: the ExecutionParameters it sent must be exactly the SQL
 *   literals of the parsed values (checked by an independent decoder, not by `sqlLiteral`) and the QueryString must
 *   be the template's SQL, every token of which appears in the template files.
 * Zero crashes, zero SQL texts with user input, every rejection a UsageError with a message naming what was wrong.
 * A sample is also sent through the Slack bot's HTTP receiver (Slack-escaped, as Slack sends it): every one
 * acknowledged and answered, and the bot still up.
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { parseRequest, type TrailRequest } from '../commands';
import { loadConfig } from '../src/config';
import type { QueryEngine } from '../src/core/engine';
import { TrailError, UsageError } from '../src/core/errors';
import type { BoundQuery, SqlParam } from '../src/core/query';
import { AthenaEngine, createAthenaClient } from '../src/engines/athena';
import { DuckDbEngine } from '../src/engines/duckdb';
import { SAMPLE_KNOWN_NETWORKS, SAMPLE_USER_NAMES } from '../src/sample/generate';
import { Random } from '../src/sample/random';
import { runHostileData } from '../test/hostile/run';
import { FIXED_COUNT } from '../test/hostile/values';
import { sampleDataset } from './lib/data';
import { drive } from './lib/drive';
import { StatefulFakeAthena } from './lib/fake-athena';
import type { PlannedCommand } from './lib/mix';
import { count, type Figure, info, type PartReport, target } from './lib/report';
import { soakEnv, startSession, tempDir, WARMUP_CHANNEL } from './lib/session';

export interface HostileOptions {
  texts: number;
  seed: number;
  /** How many of the texts are also sent through the Slack bot (0 = none). */
  viaBot: number;
  /** Spread of the texts sent through the bot, ms. */
  viaBotMs?: number;
  /**
   * Hostile values for the hostile-data run (test/hostile/run.ts), 0 = skip it. Default: one per 25 texts, at least
   * the fixed ones (10,000 texts → 400 values).
   */
  dataValues?: number;
}

// ---------------------------------------------------------------------------------------------------------------------
// The generator

/** SQL that would change a query if it were pasted into it. */
export const INJECTIONS = [
  "'",
  "''",
  "\\'",
  '"',
  "' OR '1'='1",
  "' OR 1=1 --",
  "'; DROP TABLE cloudtrail_logs; --",
  "x' UNION SELECT * FROM information_schema.tables --",
  '--',
  ';',
  '/*',
  '*/',
  '/* */',
  "'/**/OR/**/'a'='a",
  ') OR (1=1',
  "U&'\\0027'",
  "E'\\''",
  '$$',
  '?',
  '{{top}}',
  '{{> window}}',
  '{{#user_name}}',
  '$' + '{x}',
  '%',
  '_',
  '\\',
  '`',
  'CHR(39)',
  "'||(SELECT 1)||'",
  "' AND sleep(5) --",
];

/** Characters that break naive parsers, displays or encodings. */
export const UNICODE = [
  '\u0000',
  '\u0001',
  '\u0007',
  '\b',
  '\u001b[31m',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u200b',
  '\u200d',
  '\u2028',
  '\u2029',
  '\u202e',
  '\u2066',
  '\ufeff',
  '\ufffd',
  '＇',
  'ʼ',
  '’',
  'é',
  'é',
  '𝕊𝔾',
  '🔥',
  '👩‍💻',
  'Ω',
  'İ',
  'ß',
  '\r\n',
  '\t',
  '\n',
  '\ud800',
];

/** Plausible arguments per command (valid on their own). */
const PLAUSIBLE = [
  'sg sg-5887f224',
  'sg eni-6c5ca5a8',
  'logins all',
  'logins offhours',
  'errors top 5',
  'users top 3',
  'root',
  'who sg-5887f224',
  'who i-0abc123def4567890',
  'who arn:aws:s3:::trailbot-sample',
  `user ${SAMPLE_USER_NAMES[2]}`,
  'user arn:aws:iam::111122223333:user/alice',
  'ip 203.0.113.7',
  'ip 198.51.100.0/24',
  'ip 2001:db8::/32',
  'recent writes',
  'recent errors',
];
const WINDOWS = ['12h', '30m', '7d', 'today', 'yesterday', 'since 2026-11-20', '2026-11-20T08:00Z..2026-11-20T12:00Z'];
const WORDS = [
  'sg',
  'logins',
  'errors',
  'users',
  'root',
  'who',
  'user',
  'ip',
  'recent',
  'help',
  'history',
  'status',
  'cancel',
  'schedule',
  'top',
  '--sql',
  '--all',
  '--help',
  'account:111122223333',
  'region:us-east-1',
  'since',
  '..',
];

/**
 * The payloads an ARN's resource part may carry (commands/args.ts takes letters, digits and +=,.@_-/:*), so these
 * pass validation and reach the engines: comment markers and the like.
 */
const ARN_SAFE = INJECTIONS.map((s) => s.replaceAll(' ', '')).filter((s) => /^[A-Za-z0-9+=,.@_\-/:*]+$/.test(s));

function randomUnicode(r: Random, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    const roll = r.next();
    if (roll < 0.3) out += r.pick(UNICODE);
    else if (roll < 0.5) out += String.fromCodePoint(r.between(0x20, 0x7e));
    else if (roll < 0.7) out += String.fromCodePoint(r.between(0xa0, 0x2fff));
    else if (roll < 0.85) out += String.fromCodePoint(r.between(0x1f300, 0x1faff));
    else out += r.pick(INJECTIONS);
  }
  return out;
}

export function hostileTexts(n: number, seed: number): string[] {
  const r = new Random(seed, 'hostile');
  const out: string[] = [];
  const gens: (() => string)[] = [
    // A plausible command with an injected tail glued to its last argument.
    () => `${r.pick(PLAUSIBLE)}${r.pick(INJECTIONS)} ${r.pick(WINDOWS)}`,
    // An injection as a word of its own, anywhere.
    () => {
      const words = `${r.pick(PLAUSIBLE)} ${r.pick(WINDOWS)}`.split(' ');
      words.splice(r.int(words.length + 1), 0, r.pick(INJECTIONS));
      return words.join(' ');
    },
    // ARNs that validate and carry SQL: these reach both engines as parameters.
    () =>
      `${r.pick(['user', 'who'])} arn:aws:iam::111122223333:user/${r.pick(ARN_SAFE)}${r.chance(0.5) ? r.pick(ARN_SAFE) : ''} ${r.pick(WINDOWS)}`,
    () => `who arn:aws:s3:::bucket${r.pick(ARN_SAFE)}/key${r.pick(ARN_SAFE)}`,
    // Resource ids and user names at the edge of what their validators accept.
    () =>
      `who ${r.pick(['a.b', 'x:y/z', 'k=v,w@q', '+.-', 'AAA'])}${r.pick(['', '=', '..', '@@', '/', ':'])} ${r.pick(WINDOWS)}`,
    () => `user ${r.pick(['a', 'x+y', 'a=b', 'a,b', 'a@b.c', '_-_'])}${r.pick(['', '.', '@', '--', '=='])}`,
    // Windows, scope and flags with tails.
    () => `${r.pick(PLAUSIBLE)} ${r.pick(WINDOWS)}${r.pick(INJECTIONS)}`,
    () => `${r.pick(PLAUSIBLE)} account:111122223333${r.pick(INJECTIONS)} region:us-east-1`,
    () => `${r.pick(PLAUSIBLE)} region:${r.pick(['us-east-1', 'eu-west-1'])}${r.pick(INJECTIONS)}`,
    () => `${r.pick(PLAUSIBLE)} --${r.pick(['sql', 'all', 'help'])}${r.pick(INJECTIONS)}`,
    () => `errors top ${r.pick(['1e3', '0x10', '-1', '5.5', '99999999999999999999', '5;', "5'", '٣'])}`,
    // Unicode and control characters, alone or in a command.
    () => randomUnicode(r, r.between(1, 40)),
    () => `${r.pick(PLAUSIBLE)} ${randomUnicode(r, r.between(1, 10))}`,
    () => `${r.pick(WORDS)}${r.pick(UNICODE)} ${r.pick(WINDOWS)}`,
    // Word soup from the catalog and the payloads.
    () => Array.from({ length: r.between(1, 8) }, () => (r.chance(0.6) ? r.pick(WORDS) : r.pick(INJECTIONS))).join(' '),
    // Long texts: 10 KB of one character, of random text, a long argument under the length limit.
    () =>
      `${r.pick(['who', 'user', 'sg', ''])} ${r.pick(['A', "'", '-', 'é', '🔥']).repeat(r.pick([1000, 1999, 10_000]))}`,
    () => randomUnicode(r, 10_000),
    () => `who arn:aws:iam::111122223333:user/${"x'".repeat(r.between(200, 990))}`,
    // Slash-command shapes.
    () => `/trail ${r.pick(PLAUSIBLE)}${r.pick(INJECTIONS)}`,
    () =>
      `${r.pick(['  ', '\t', '\u00a0', '\u3000'])}${r.pick(PLAUSIBLE)}${r.pick(['  ', '\t', '\u00a0'])}${r.pick(WINDOWS)}`,
  ];
  while (out.length < n) out.push(r.pick(gens)());
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// The checks

interface SqlToken {
  kind: 'word' | 'number' | 'string' | 'ident' | 'punct';
  text: string;
}

/** Tokens of a SQL text; independent of the engines' own tokenisers. */
export function tokenize(sql: string): SqlToken[] {
  const out: SqlToken[] = [];
  const re = /\s+|([A-Za-z_][A-Za-z0-9_]*)|(\d+)|('(?:[^']|'')*')|("(?:[^"]|"")*")|([^\sA-Za-z0-9_'"])/gy;
  let last = 0;
  re.lastIndex = 0;
  while (re.lastIndex < sql.length) {
    const m = re.exec(sql);
    if (m === null) break;
    last = re.lastIndex;
    if (m[1]) out.push({ kind: 'word', text: m[1] });
    else if (m[2]) out.push({ kind: 'number', text: m[2] });
    else if (m[3]) out.push({ kind: 'string', text: m[3] });
    else if (m[4]) out.push({ kind: 'ident', text: m[4] });
    else if (m[5]) out.push({ kind: 'punct', text: m[5] });
  }
  if (last < sql.length) out.push({ kind: 'punct', text: sql.slice(last) });
  return out;
}

const SQL_DIR = path.resolve(__dirname, '..', 'sql');
const templateTokens = new Map<string, Set<string>>();

/**
 * Every token of `sql/<template>.sql` and of the partials it includes (`{{> window}}` is `sql/_window.sql`, and so
 * on, recursively): the only tokens a rendered query may contain.
 */
function tokensOfTemplate(template: string): Set<string> {
  let set = templateTokens.get(template);
  if (!set) {
    const files = new Set<string>();
    const include = (name: string) => {
      if (files.has(name)) return;
      files.add(name);
      const sql = readFileSync(path.join(SQL_DIR, `${name}.sql`), 'utf8');
      for (const m of sql.matchAll(/\{\{>\s*([\w-]+)\s*\}\}/g)) include(`_${m[1]}`);
    };
    include(template);
    // Template comments are `--` lines (src/query/bind.ts strips them); they are prose, not SQL, so they go first.
    const text = [...files]
      .map((t) => readFileSync(path.join(SQL_DIR, `${t}.sql`), 'utf8'))
      .join('\n')
      .replace(/--[^\n]*/g, '');
    set = new Set(tokenize(text).map((t) => t.text));
    templateTokens.set(template, set);
  }
  return set;
}

/** Why a SQL text could carry user input, or undefined when every token comes from its template. */
export function foreignSql(q: BoundQuery, sql = q.sql): string | undefined {
  if (/;|--|\/\*/.test(sql)) return 'a statement separator or comment';
  const allowed = tokensOfTemplate(q.template);
  const tokens = tokenize(sql);
  for (const t of tokens) if (t.kind !== 'punct' && !allowed.has(t.text)) return `token ${JSON.stringify(t.text)}`;
  const marks = tokens.filter((t) => t.text === '?').length;
  if (marks !== q.params.length) return `${marks} placeholders for ${q.params.length} parameters`;
  return undefined;
}

/** Decodes an Athena ExecutionParameter as Trino reads a literal; undefined if it is not exactly one literal. */
export function decodeLiteral(literal: string): string | number | boolean | undefined {
  if (literal === 'true') return true;
  if (literal === 'false') return false;
  if (/^-?\d+$/.test(literal)) return Number(literal);
  const m = /^'((?:[^']|'')*)'$/s.exec(literal);
  if (!m) return undefined;
  return m[1]!.replaceAll("''", "'");
}

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f\u2028\u2029]/;
/** Characters that reorder or hide text when displayed (bidi controls, zero-width, BOM). */
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

/** A rejection says what was wrong: it shows the offending part in backticks or names the limit, and has usage. */
function clearRejection(err: UsageError): boolean {
  const m = err.userMessage;
  return m.trim().length > 0 && !CONTROL.test(m) && m.length <= 3000 && (/`[^`]+`/.test(m) || /characters/.test(m));
}

async function settle(engine: QueryEngine, id: string): Promise<{ state: string; reason?: string; rows: number }> {
  for (let i = 0; i < 6000; i++) {
    const s = await engine.status(id);
    if (s.state === 'SUCCEEDED') {
      let rows = 0;
      for await (const page of engine.results(id)) rows += page.rows.length;
      return { state: s.state, rows };
    }
    if (s.state === 'FAILED' || s.state === 'CANCELLED') return { state: s.state, reason: s.reason, rows: 0 };
    await new Promise((r) => setTimeout(r, 5));
  }
  return { state: 'TIMEOUT', rows: 0 };
}

const paramValue = (p: SqlParam) => p.value;

export interface HostileFindings {
  texts: number;
  parsedQueries: number;
  parsedControls: number;
  rejected: number;
  crashes: string[];
  unclearRejections: string[];
  /** Rejection messages that echo bidi / zero-width characters (display spoofing in Slack). */
  invisibleEchoes: number;
  sqlWithInput: string[];
  distinctSql: number;
  duckdbRuns: number;
  duckdbFailed: string[];
  athenaStarts: number;
  athenaRefused: number;
  athenaMismatches: string[];
  athenaForeign: string[];
}

/** Everything except the bot: parse, both engines. */
export async function checkHostileTexts(
  texts: readonly string[],
  o: {
    dataDir: string;
    now: Date;
    /**
     * Most DuckDB runs (default all). Every distinct SQL text runs first, then distinct parameter sets up to the cap:
     * DuckDB binds values natively, so the SQL variants are what could break; the values are a sample.
     */
    duckdbLimit?: number;
  },
): Promise<HostileFindings> {
  const config = loadConfig({ TRAIL_DATA_DIR: o.dataDir, TRAIL_KNOWN_NETWORKS: SAMPLE_KNOWN_NETWORKS.join(',') });
  const ctx = { config, now: o.now };
  const f: HostileFindings = {
    texts: texts.length,
    parsedQueries: 0,
    parsedControls: 0,
    rejected: 0,
    crashes: [],
    unclearRejections: [],
    invisibleEchoes: 0,
    sqlWithInput: [],
    distinctSql: 0,
    duckdbRuns: 0,
    duckdbFailed: [],
    athenaStarts: 0,
    athenaRefused: 0,
    athenaMismatches: [],
    athenaForeign: [],
  };
  const queries: { text: string; query: BoundQuery }[] = [];
  for (const text of texts) {
    let request: TrailRequest;
    try {
      request = parseRequest(text, ctx);
    } catch (err) {
      if (err instanceof UsageError) {
        f.rejected++;
        if (!clearRejection(err))
          f.unclearRejections.push(
            `${JSON.stringify(text.slice(0, 60))} → ${JSON.stringify(err.userMessage.slice(0, 120))}`,
          );
        if (INVISIBLE.test(err.userMessage)) f.invisibleEchoes++;
      } else {
        f.crashes.push(`${JSON.stringify(text.slice(0, 60))}: ${String(err)}`);
      }
      continue;
    }
    if (request.kind === 'control') {
      f.parsedControls++;
      continue;
    }
    f.parsedQueries++;
    const why = foreignSql(request.query);
    if (why) f.sqlWithInput.push(`${JSON.stringify(text.slice(0, 60))}: ${why}`);
    queries.push({ text, query: request.query });
  }
  f.distinctSql = new Set(queries.map((q) => q.query.sql)).size;

  // Athena: what the real engine sends, for every parsed query.
  const fake = await StatefulFakeAthena.start({ seed: 1 });
  const client = createAthenaClient({
    region: 'us-east-1',
    endpoint: fake.endpoint,
    credentials: { accessKeyId: 'AKIDSOAK', secretAccessKey: 'soak' },
  });
  const athena = new AthenaEngine({ client, workgroup: 'trailbot', database: 'trailbot' });
  try {
    for (const [i, { text, query }] of queries.entries()) {
      const before = fake.starts.length;
      try {
        await athena.start(query, { executionId: `hostile-${i}` });
      } catch (err) {
        if (err instanceof TrailError && err.code === 'ATHENA_PARAMETER_TOO_LONG') f.athenaRefused++;
        else f.crashes.push(`athena ${JSON.stringify(text.slice(0, 60))}: ${String(err)}`);
        continue;
      }
      f.athenaStarts++;
      const sent = fake.starts[before];
      if (!sent) {
        f.athenaMismatches.push(`${JSON.stringify(text.slice(0, 60))}: no StartQueryExecution recorded`);
        continue;
      }
      const why = foreignSql(query, sent.queryString);
      if (why || sent.queryString !== query.sql)
        f.athenaForeign.push(
          `${JSON.stringify(text.slice(0, 60))}: ${why ?? 'QueryString differs from the template SQL'}`,
        );
      const decoded = (sent.executionParameters ?? []).map(decodeLiteral);
      const expected = query.params.map(paramValue);
      if (JSON.stringify(decoded) !== JSON.stringify(expected)) {
        f.athenaMismatches.push(
          `${JSON.stringify(text.slice(0, 60))}: sent ${JSON.stringify(sent.executionParameters).slice(0, 200)}`,
        );
      }
    }
  } finally {
    client.destroy();
    await fake.close();
  }

  // DuckDB: each distinct query, for real (a few at once; the engine runs two and queues the rest).
  const duck = new DuckDbEngine({ dataDir: o.dataDir, logger: () => {} });
  try {
    const distinct = new Map<string, { text: string; query: BoundQuery }>();
    for (const q of queries) {
      const key = `${q.query.sql}\n${JSON.stringify(q.query.params)}\n${JSON.stringify(q.query.scope ?? null)}`;
      if (!distinct.has(key)) distinct.set(key, q);
    }
    const firstOfSql = new Map<string, { text: string; query: BoundQuery }>();
    for (const q of distinct.values()) if (!firstOfSql.has(q.query.sql)) firstOfSql.set(q.query.sql, q);
    const rest = [...distinct.values()].filter((q) => firstOfSql.get(q.query.sql) !== q);
    const work = [...firstOfSql.values(), ...rest].slice(0, Math.max(firstOfSql.size, o.duckdbLimit ?? Infinity));
    f.duckdbRuns = work.length;
    let next = 0;
    const worker = async () => {
      while (next < work.length) {
        const i = next++;
        const { text, query } = work[i]!;
        try {
          const id = await duck.start(query, { executionId: `hostile-${i}` });
          const s = await settle(duck, id);
          if (s.state !== 'SUCCEEDED')
            f.duckdbFailed.push(`${JSON.stringify(text.slice(0, 60))}: ${s.state} ${s.reason ?? ''}`);
        } catch (err) {
          f.crashes.push(`duckdb ${JSON.stringify(text.slice(0, 60))}: ${String(err)}`);
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  } finally {
    await duck.close();
  }
  return f;
}

export async function runHostile(o: HostileOptions): Promise<PartReport> {
  const began = Date.now();
  const dir = await tempDir('hostile');
  const now = new Date();
  try {
    await sampleDataset(path.join(dir, 'data'), { days: 2, eventsPerDay: 300, seed: o.seed, now });
    const texts = hostileTexts(o.texts, o.seed);
    const f = await checkHostileTexts(texts, { dataDir: path.join(dir, 'data'), now });
    const problems: string[] = [
      ...f.crashes.slice(0, 10).map((c) => `crash: ${c}`),
      ...f.sqlWithInput.slice(0, 5).map((c) => `SQL with input: ${c}`),
      ...f.athenaForeign.slice(0, 5).map((c) => `Athena QueryString: ${c}`),
      ...f.athenaMismatches.slice(0, 5).map((c) => `Athena parameters: ${c}`),
      ...f.duckdbFailed.slice(0, 5).map((c) => `DuckDB: ${c}`),
      ...f.unclearRejections.slice(0, 5).map((c) => `unclear rejection: ${c}`),
    ];
    if (f.invisibleEchoes > 0) {
      problems.push(
        `${f.invisibleEchoes} rejection messages echo bidi / zero-width characters the user typed (src/util/shown.ts escapes control characters but not U+200B–U+200F, U+202A–U+202E, U+2066–U+2069, U+FEFF)`,
      );
    }
    const figures: Figure[] = [
      info('texts generated', count(f.texts)),
      info(
        'parsed as queries / controls / rejected',
        `${count(f.parsedQueries)} / ${count(f.parsedControls)} / ${count(f.rejected)}`,
      ),
      target('crashes (anything but a request or a UsageError)', count(f.crashes.length), '0', f.crashes.length === 0),
      target(
        'rejections without a clear message',
        count(f.unclearRejections.length),
        '0',
        f.unclearRejections.length === 0,
      ),
      info('rejections echoing bidi / zero-width characters', count(f.invisibleEchoes)),
      target(
        'SQL texts with a token not from their template',
        count(f.sqlWithInput.length),
        '0',
        f.sqlWithInput.length === 0,
      ),
      info('distinct SQL texts among the parsed queries', count(f.distinctSql)),
      info('DuckDB: distinct queries run', count(f.duckdbRuns)),
      target('DuckDB: queries that did not succeed', count(f.duckdbFailed.length), '0', f.duckdbFailed.length === 0),
      info('Athena: StartQueryExecution sent', count(f.athenaStarts)),
      info('Athena: refused before sending (a value over 1,024 characters)', count(f.athenaRefused)),
      target(
        'Athena: ExecutionParameters not exactly the parsed values',
        count(f.athenaMismatches.length),
        '0',
        f.athenaMismatches.length === 0,
      ),
      target(
        'Athena: QueryString not the template SQL',
        count(f.athenaForeign.length),
        '0',
        f.athenaForeign.length === 0,
      ),
    ];
    const data: Record<string, unknown> = { ...f, crashes: f.crashes.length, unclearRejections: f.unclearRejections };

    const dataValues = o.dataValues ?? Math.max(FIXED_COUNT, Math.round(o.texts / 25));
    if (dataValues > 0) {
      const d = await hostileData(dataValues, o.seed);
      figures.push(...d.figures);
      problems.push(...d.problems);
      data.hostileData = d.data;
    }

    if (o.viaBot > 0) {
      const bot = await viaBot(texts.slice(0, o.viaBot), {
        dir,
        dataDir: path.join(dir, 'data'),
        spreadMs: o.viaBotMs ?? 20_000,
      });
      figures.push(
        info('through the Slack bot: texts sent', count(bot.sent)),
        target('  acknowledged with HTTP 200', count(bot.acked, bot.sent), 'all', bot.acked === bot.sent),
        target('  answered exactly once', count(bot.answeredOnce, bot.sent), 'all', bot.answeredOnce === bot.sent),
        target('  bot still running at the end', bot.alive ? 'yes' : 'no', 'yes', bot.alive),
        target('  bot error log lines', count(bot.errors), '0', bot.errors === 0),
      );
      problems.push(...bot.problems);
      data.viaBot = bot;
    }
    return {
      part: 'hostile',
      title: `Hostile input: ${count(o.texts)} generated command texts through the parser and both engines; hostile data through every command and surface (seed ${o.seed})`,
      figures,
      problems,
      elapsedMs: Date.now() - began,
      data,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Hostile data: the values in every attacker-settable field of real-shaped events, every query command, every
 * surface (terminal, CSV, Slack through the fake). Each surface's violations are a target of 0.
 */
async function hostileData(
  values: number,
  seed: number,
): Promise<{ figures: Figure[]; problems: string[]; data: Record<string, unknown> }> {
  const began = Date.now();
  const r = await runHostileData({ values, seed });
  const rows = Object.values(r.rows).reduce((a, b) => a + b, 0);
  const figures: Figure[] = [
    info(
      'hostile data: values × fields × commands × surfaces',
      `${count(r.values)} × ${r.fields} × ${r.commands} × ${r.surfaces.length}`,
    ),
    info(
      '  events (builder shapes × copies, real records) / (value, field) placed',
      `${count(r.events)} (${r.shapes} shapes, ${count(r.realRecords)} real) / ${count(r.placements)}`,
    ),
    info(
      '  rows answered / checked: terminal renderings, Slack message versions, CSV files',
      `${count(rows)} / ${count(r.renders.terminal)}, ${count(r.renders.slack)}, ${count(r.renders.csv)}`,
    ),
  ];
  const problems: string[] = [];
  for (const surface of r.surfaces) {
    const mine = r.violations.filter((v) => v.surface === surface);
    figures.push(target(`  ${surface}: violations`, count(mine.length), '0', mine.length === 0));
    const byRule = new Map<string, typeof mine>();
    for (const v of mine) byRule.set(v.rule, [...(byRule.get(v.rule) ?? []), v]);
    for (const [rule, list] of byRule)
      problems.push(
        `hostile data, ${surface}: ${rule} (${list.length}), e.g. ${list
          .slice(0, 2)
          .map((v) => `${v.where}: ${v.example}`)
          .join(' | ')}`,
      );
  }
  figures.push(info('  hostile-data run time', `${((Date.now() - began) / 1000).toFixed(1)} s`));
  return { figures, problems, data: { ...r, violations: r.violations.length } };
}

/** Lone surrogates replaced by U+FFFD, as a UTF-8 encoder (and so Slack) does (String#toWellFormed is Node 20+ only in lib es2024). */
export function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** Sends texts through the bot's HTTP receiver (one user each, spread over `spreadMs`) and audits the answers. */
async function viaBot(
  texts: readonly string[],
  o: { dir: string; dataDir: string; spreadMs: number },
): Promise<{
  sent: number;
  acked: number;
  answeredOnce: number;
  alive: boolean;
  errors: number;
  problems: string[];
  sendMs: number;
}> {
  const session = await startSession(o.dir, { dataDir: o.dataDir, env: soakEnv(), sweepMs: 5000, keepDir: true });
  try {
    // Slack cannot deliver a lone surrogate (its JSON/form encoding replaces it): send what Slack would.
    const plan: PlannedCommand[] = texts.map((text, i) => ({
      at: Math.floor((i * o.spreadMs) / texts.length),
      kind: 'bad',
      text: wellFormed(text),
      userId: `U0HOST${String(i % 200).padStart(3, '0')}`,
      channelId: `C0HOST${i % 10}`,
    }));
    const channels = [...new Set(plan.map((p) => p.channelId)), WARMUP_CHANNEL];
    const r = await drive({ bot: session.bot, fake: session.fake, plan, channels, settleMs: 120_000 });
    const alive = await Promise.race([
      session.bot.exited.then(() => false),
      new Promise<boolean>((res) => setTimeout(() => res(true), 50)),
    ]);
    return {
      sent: texts.length,
      acked: texts.length - r.answers.ackFailures,
      answeredOnce: r.answers.answeredOnce,
      alive,
      errors: session.bot.logCounts().error ?? 0,
      problems: r.answers.problems.slice(0, 10).map((p) => `via bot: ${p}`),
      sendMs: r.sendMs,
    };
  } finally {
    await session.close();
  }
}
