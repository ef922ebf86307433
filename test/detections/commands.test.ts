import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderHelp } from '../../commands';
import { UsageError } from '../../src/core/errors';
import { SQL_DIR } from '../../src/query/bind';
import { testConfig } from '../helpers/config';
import { DETECTIONS, parseDetection } from './helpers';

const ctx = { config: testConfig(), now: new Date('2026-11-21T12:00:00Z') };

function usage(text: string): string {
  try {
    parseDetection(text, ctx);
  } catch (err) {
    if (err instanceof UsageError) return err.userMessage;
    throw err;
  }
  throw new Error(`expected a usage error for: ${text}`);
}

function query(text: string) {
  const r = parseDetection(text, ctx);
  if (r.kind !== 'query') throw new Error(`${text} is not a query`);
  return r;
}

describe.each(DETECTIONS.map((c) => [c.name, c] as const))('%s', (name, command) => {
  test('takes only a window: 24 hours by default; its parameters are the window and nothing else', () => {
    const r = query(name);
    expect(r.window.label).toBe('24h');
    expect(r.normalized).toBe(`${name} 24h`);
    expect(r.query.params.map((p) => p.value)).toEqual([
      '2026/11/20',
      '2026/11/21',
      '2026-11-20T12:00:00.000Z',
      '2026-11-21T12:00:00.000Z',
    ]);
    expect(query(`${name} 7d`).query.partitions).toHaveLength(8);
    // account:/region: narrow it like any question, as parameters.
    const scoped = query(`${name} account:111122223333 region:eu-west-1 12h`);
    expect(scoped.query.params.map((p) => p.value)).toEqual(expect.arrayContaining(['111122223333', 'eu-west-1']));
  });

  test('the default window is a setting (TRAIL_DEFAULT_WINDOW_<CMD>)', () => {
    const config = testConfig({ window: { ...testConfig().window, defaults: { [name]: '15m' } } });
    const r = parseDetection(name, { config, now: ctx.now });
    expect(r.kind === 'query' && r.window.label).toBe('15m');
  });

  test('renders its template for a fixed window (snapshot)', () => {
    const r = query(`${name} 12h`);
    expect(r.query.sql).toMatchSnapshot();
    expect(r.query.params).toMatchSnapshot();
  });

  test('the template filters the day partition and eventtime, and its LIMIT is the declared row cap', () => {
    const r = query(`${name} 12h`);
    expect(r.query.sql).toContain('"timestamp" BETWEEN ? AND ?');
    expect(r.query.sql).toContain('from_iso8601_timestamp(eventtime) >= from_iso8601_timestamp(?)');
    const file = readFileSync(path.join(SQL_DIR, `${r.query.template}.sql`), 'utf8');
    expect(/LIMIT (\d+)\s*$/.exec(file.trim())?.[1]).toBe(String(command.rowCap?.rows));
    // Who, what, when, where first, as investigators read them.
    const columns = /SELECT([\s\S]*?)FROM cloudtrail_logs/
      .exec(r.query.sql)![1]!
      .split('\n')
      .map((l) => /AS (\w+),?$/.exec(l.trim())?.[1] ?? l.trim().replace(/,$/, ''))
      .filter(Boolean);
    expect(columns.slice(0, 8)).toEqual([
      'username',
      'principal_arn',
      'eventname',
      'eventsource',
      'eventtime',
      'sourceipaddress',
      'awsregion',
      'recipientaccountid',
    ]);
  });

  test('unexpected words, unknown options and bad windows are refused, naming what was wrong', () => {
    expect(usage(`${name} everything`)).toBe(`\`${name}\`: unexpected argument \`everything\`.`);
    expect(usage(`${name} 12h sg-5887f224`)).toBe(`\`${name}\`: unexpected argument \`sg-5887f224\`.`);
    expect(usage(`${name} --all`)).toBe(`\`${name}\`: unknown option \`--all\`. Accepted: --sql, --no-cache, --help.`);
    expect(usage(`${name} 200d`)).toMatch(/^`\w+`: `200d` is longer than the 90-day maximum/);
    expect(usage(`${name} 2026-11-20..2026-11-19`)).toBe(`\`${name}\`: \`2026-11-20..2026-11-19\` is an empty window.`);
    // Quotes and SQL never get near the SQL text: they are refused as words.
    expect(usage(`${name} ' OR 1=1`)).toBe(`\`${name}\`: unexpected argument \`'\`.`);
  });

  test('help names the command, its window and examples that parse', () => {
    expect(command.usage).toBe(`${name} [window]`);
    expect(renderHelp()).toContain(`/trail ${name} [window]`);
    expect(renderHelp(name, ctx)).toContain('(default 24h)');
    for (const example of command.examples) expect(query(example).command.name).toBe(name);
  });
});
