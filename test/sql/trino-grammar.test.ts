import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TrinoSQL, TrinoSqlListener } from 'dt-sql-parser';
import { COMMANDS, parseRequest } from '../../commands';
import type { CommandContext } from '../../commands/types';
import type { TrailConfig } from '../../src/config';
import { SQL_DIR } from '../../src/query/bind';
import { testConfig } from '../helpers/config';

/**
 * Every SQL text trailbot can send to Athena (engine v3 is Trino) must parse with a Trino grammar, and may call only
 * functions Trino has. The embedded DuckDB engine defines the Trino functions as macros, so a query that runs locally
 * can still be one Athena rejects: a typo in a function name, a DuckDB-only function, DuckDB-only syntax such as
 * `->>` or `::`. This test catches those before they reach a channel.
 *
 * Placeholders: Athena's `?` execution parameters are Trino prepared-statement parameters (Athena User Guide,
 * "Querying with parameterized queries"; Trino docs "PREPARE"), and the grammar accepts `?` as the `parameter`
 * primary expression, so the rendered text is parsed as it is sent, without substituting literals.
 */

interface Variant {
  text: string;
  config?: Partial<TrailConfig>;
}

const NOW = new Date('2026-11-21T12:00:00Z');
const SCOPES = [
  '',
  'account:111122223333',
  'region:eu-west-1',
  'account:111122223333 account:444455556666 region:us-east-1 region:eu-west-1',
];
/** A multi-account, multi-region trail table has `account` and `region` partition columns that scope also filters. */
const MULTI_TRAIL: Partial<TrailConfig> = {
  trail: { prefix: '', accounts: ['111122223333', '444455556666'], regions: ['us-east-1', 'eu-west-1'] },
};

/** Each mode and option of each query command, with the config choices that change what is rendered. */
const BASE_VARIANTS: Variant[] = [
  { text: 'sg' },
  { text: 'sg sg-5887f224' },
  { text: 'sg sg-5887f224 eni-6c5ca5a8 --all' },
  { text: 'sg --all' },
  { text: 'logins' },
  { text: 'logins all' },
  { text: 'logins mobile' },
  { text: 'logins nomfa' },
  { text: 'logins failed' },
  { text: 'logins external', config: { knownNetworks: ['198.51.100.0/24'] } },
  { text: 'logins external', config: { knownNetworks: ['198.51.100.0/24', '2001:db8:100::/48', '10.0.0.0/8'] } },
  { text: 'logins offhours', config: { offHours: { start: '00:00', end: '05:00', weekends: false } } },
  { text: 'logins offhours', config: { offHours: { start: '22:00', end: '06:00', weekends: false } } },
  { text: 'logins offhours', config: { offHours: { start: '01:00', end: '05:00', weekends: true } } },
  {
    text: 'logins offhours',
    config: { offHours: { start: '20:00', end: '07:30', weekends: true }, timeZone: 'Europe/Berlin' },
  },
  { text: 'errors' },
  { text: 'errors top 3' },
  { text: 'users' },
  { text: 'users top 25' },
  { text: 'root' },
  { text: 'who sg-5887f224' },
  { text: 'who arn:aws:s3:::my-bucket' },
  { text: 'who arn:aws:ec2:eu-west-1:111122223333:security-group/sg-5887f224' },
  { text: 'user bobodell' },
  { text: 'user arn:aws:iam::111122223333:user/alice' },
  { text: 'ip 203.0.113.7' },
  { text: 'ip 198.51.100.0/24' },
  { text: 'ip 2001:db8::/32' },
  { text: 'ip 2001:db8::1' },
  { text: 'recent' },
  { text: 'recent all' },
  { text: 'recent writes' },
  { text: 'recent errors' },
  { text: 'tamper' },
  { text: 'iam' },
  { text: 'exposed' },
];
/** Windows that render differently: one day, several days, midnight-aligned. */
const WINDOWS = ['', '30m', '7d', '2026-11-01..2026-11-03'];

function variants(): Variant[] {
  const all: Variant[] = [];
  for (const base of BASE_VARIANTS) {
    for (const scope of SCOPES) {
      for (const multi of [false, true]) {
        all.push({ text: `${base.text} ${scope}`.trim(), config: { ...base.config, ...(multi ? MULTI_TRAIL : {}) } });
      }
    }
    for (const window of WINDOWS) all.push({ text: `${base.text} ${window}`.trim(), config: base.config });
  }
  // A chart's series template counted per day (errors beyond 7 days); root's shortest windows count per hour.
  all.push({ text: 'errors 14d' }, { text: 'errors 14d account:111122223333', config: MULTI_TRAIL });
  return all;
}

interface Rendered {
  text: string;
  /** The text plus the settings that change the SQL, so each test name is unique. */
  name: string;
  template: string;
  sql: string;
}

function nameOf(variant: Variant): string {
  const c = variant.config ?? {};
  const notes = [
    c.knownNetworks ? `${c.knownNetworks.length} known networks` : '',
    c.offHours ? `off-hours ${c.offHours.start}-${c.offHours.end}${c.offHours.weekends ? ' + weekends' : ''}` : '',
    c.timeZone ?? '',
    c.trail ? 'account/region partitions' : '',
  ].filter((n) => n !== '');
  return notes.length ? `${variant.text} [${notes.join(', ')}]` : variant.text;
}

/**
 * The SQL a variant renders to, or why it could not be rendered (reported by a test, not at collection time). A
 * command whose chart has a series template (issue 17, item 4) sends that query too: it is checked like the answer.
 */
function render(variant: Variant): (Rendered | { text: string; error: string })[] {
  const ctx: CommandContext = { config: testConfig(variant.config), now: NOW };
  try {
    const request = parseRequest(variant.text, ctx);
    if (request.kind !== 'query') return [{ text: variant.text, error: 'not a query' }];
    const { query } = request;
    const name = nameOf(variant);
    return [
      { text: variant.text, name, template: query.template, sql: query.sql },
      ...(query.series
        ? [
            {
              text: variant.text,
              name: `${name} (chart series)`,
              template: query.series.template,
              sql: query.series.sql,
            },
          ]
        : []),
    ];
  } catch (err) {
    return [{ text: variant.text, error: (err as Error).message }];
  }
}

/** Names of every function called in a parsed statement (lowercase, as written), from the grammar's functionCall. */
function functionsCalled(trino: TrinoSQL, sql: string): Set<string> {
  const names = new Set<string>();
  const listener = new (class extends TrinoSqlListener {
    override enterFunctionCall = (ctx: { functionName(): { getText(): string } }) => {
      names.add(ctx.functionName().getText().toLowerCase());
    };
  })();
  trino.listen(listener, trino.parse(sql));
  return names;
}

/**
 * `?` markers outside every WHERE clause. Athena: "Currently, `?` parameters can be placed only in the WHERE clause"
 * (Athena User Guide, "Querying with parameterized queries"), which the grammar alone does not check (Trino itself
 * takes them in LIMIT or the select list too).
 */
function parametersOutsideWhere(trino: TrinoSQL, sql: string): number {
  let depth = 0;
  let outside = 0;
  const listener = new (class extends TrinoSqlListener {
    override enterWhereClause = () => {
      depth += 1;
    };
    override exitWhereClause = () => {
      depth -= 1;
    };
    // Every `?` token: a parameter expression, but also LIMIT's and OFFSET's row count, which are tokens only.
    override visitTerminal = (node: { getText(): string }) => {
      if (node.getText() === '?' && depth === 0) outside += 1;
    };
  })();
  trino.listen(listener, trino.parse(sql));
  return outside;
}

/** The fixture: function names from the Trino documentation's function list, `#` comments and blank lines aside. */
function trinoFunctions(): Set<string> {
  const text = readFileSync(path.join(__dirname, 'trino-functions.txt'), 'utf8');
  return new Set(
    text
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter((line) => line !== '')
      .map((line) => line.split(/\s+/)[0]!.toLowerCase()),
  );
}

describe('every rendered template is Trino SQL that Athena engine v3 accepts', () => {
  const trino = new TrinoSQL();
  const results = variants().flatMap(render);
  const rendered = results.filter((r): r is Rendered => 'sql' in r);
  const distinct = [...new Map(rendered.map((r) => [r.sql, r])).values()];

  test('every variant renders, and the variants cover every query command and every template in sql/', () => {
    expect(results.filter((r) => 'error' in r)).toEqual([]);
    const commands = new Set(rendered.map((r) => r.text.split(' ')[0]));
    const uncovered = COMMANDS.filter((c) => c.kind === 'query' && !commands.has(c.name)).map((c) => c.name);
    expect(uncovered).toEqual([]);
    const templates = new Set(rendered.map((r) => r.template));
    const files = readdirSync(SQL_DIR).filter((f) => f.endsWith('.sql') && !f.startsWith('_'));
    expect(files.filter((f) => !templates.has(f.replace(/\.sql$/, '')))).toEqual([]);
    console.log(`trino grammar: ${rendered.length} variants, ${distinct.length} distinct SQL texts`);
  });

  test.each(distinct.map((r) => [r.name, r] as const))(
    '%s parses with the Trino grammar, every ? in a WHERE clause',
    (_text, r) => {
      const errors = trino.validate(r.sql).map((e) => `line ${e.startLine}:${e.startColumn} ${e.message}`);
      if (parametersOutsideWhere(trino, r.sql) > 0) errors.push('a ? parameter outside the WHERE clause');
      expect({ sql: r.sql, errors }).toEqual({ sql: r.sql, errors: [] });
    },
  );

  test('every function the templates call is in Trino’s function list (test/sql/trino-functions.txt)', () => {
    const known = trinoFunctions();
    const used = new Map<string, Set<string>>();
    for (const r of distinct) {
      for (const name of functionsCalled(trino, r.sql)) {
        if (!used.has(name)) used.set(name, new Set());
        used.get(name)!.add(r.template);
      }
    }
    const unknown = [...used]
      .filter(([name]) => !known.has(name))
      .map(([name, t]) => `${name} (in ${[...t].join(', ')})`);
    expect(unknown).toEqual([]);
    console.log(`Trino functions used by the templates: ${[...used.keys()].sort().join(', ')}`);
  });

  test('the check fails on SQL that Athena would reject', () => {
    // DuckDB accepts each of these; Trino does not.
    expect(trino.validate("SELECT requestparameters->>'groupId' FROM cloudtrail_logs").length).toBeGreaterThan(0);
    expect(trino.validate('SELECT eventtime::timestamp FROM cloudtrail_logs').length).toBeGreaterThan(0);
    expect(trino.validate('SELECT eventname FROM cloudtrail_logs WHERE').length).toBeGreaterThan(0);
    expect(trino.validate('SELECT eventname FROM cloudtrail_logs WHERE eventname = ? ?').length).toBeGreaterThan(0);
    expect(parametersOutsideWhere(trino, 'SELECT eventname FROM cloudtrail_logs WHERE eventname = ? LIMIT ?')).toBe(1);
    expect(parametersOutsideWhere(trino, 'SELECT * FROM (SELECT ? AS a FROM t) WHERE a = ?')).toBe(1);
    const duckOnly = functionsCalled(trino, "SELECT json_extract_string(requestparameters, '$.groupId') FROM t");
    expect([...duckOnly].filter((n) => !trinoFunctions().has(n))).toEqual(['json_extract_string']);
  });
});
