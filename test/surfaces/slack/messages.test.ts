import type { KnownBlock } from '@slack/web-api';
import type { ExecutionRecord } from '../../../src/core/execution';
import type { ResultSummary, RiskFlag } from '../../../src/core/publisher';
import { escapeMrkdwn } from '../../../src/surfaces/slack/escape';
import { outcomeOf } from '../../../src/surfaces/slack/facts';
import { ACTION_IDS, type SlackMessage } from '../../../src/surfaces/slack/kit';
import {
  csvFileName,
  renderFailure,
  renderParent,
  renderResult,
  renderShowSql,
} from '../../../src/surfaces/slack/messages';
import { blockKitProblems, messageWarnings } from '../../helpers/fake-slack';
import { execution } from './fixtures';

const opts = { timeZone: 'Europe/Berlin', now: new Date('2026-11-21T00:00:00Z') };
const EVIL = '<!channel> `tick` ```fence``` & <@U0EVIL> <https://evil.example|click> > done';

function summary(overrides: Partial<ResultSummary> = {}): ResultSummary {
  return {
    columns: ['eventtime', 'eventname', 'actor'],
    topRows: [
      ['2026-11-20T09:12:00Z', 'AuthorizeSecurityGroupIngress', 'bob'],
      ['2026-11-20T10:00:00Z', 'RevokeSecurityGroupIngress', null],
    ],
    totalRows: 2,
    flags: [],
    flagsTotal: 0,
    csvPath: '/tmp/none.csv',
    csvBytes: 100,
    ...overrides,
  };
}

/** Every string Slack would parse as mrkdwn: the fallback `text` and mrkdwn text objects. */
function mrkdwnStrings(m: SlackMessage): string[] {
  const out = [m.text];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      if (o.type === 'mrkdwn' && typeof o.text === 'string') out.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(m.blocks);
  return out;
}

function rawTextCells(blocks: KnownBlock[]): string[] {
  return blocks.flatMap((b) =>
    b.type === 'table' ? b.rows.flat().map((c) => ('text' in c ? String(c.text) : '')) : [],
  );
}

/** Valid for Slack, no soft-limit warnings, and no control sequence except trailbot's own mentions. */
function expectSafe(m: SlackMessage, ownMentions: string[] = ['<@U0ASKER>']): void {
  expect(blockKitProblems(m.blocks)).toEqual([]);
  expect(messageWarnings(m)).toEqual([]);
  for (const s of mrkdwnStrings(m)) {
    let rest = s.replace(/^> /gm, ''); // our own block quotes
    for (const own of ownMentions) rest = rest.replaceAll(own, '');
    expect(rest).not.toContain('<');
    expect(rest).not.toContain('>');
    expect(rest).not.toMatch(/&(?!amp;|lt;|gt;)/); // every & starts an entity we wrote
  }
  for (const cell of rawTextCells(m.blocks)) expect(cell).not.toMatch(/<[!@#^]/);
}

function sectionTexts(m: SlackMessage): string[] {
  return m.blocks.flatMap((b) => (b.type === 'section' && b.text ? [b.text.text] : []));
}

function buttons(m: SlackMessage): { action_id?: string; value?: string }[] {
  return m.blocks.flatMap((b) =>
    b.type === 'actions' ? (b.elements as { action_id?: string; value?: string }[]) : [],
  );
}

describe('renderParent', () => {
  test('while running: who asked, the command in code, the window in the team zone, and Cancel', () => {
    const m = renderParent(execution({ state: 'RUNNING', stats: undefined, finishedAt: undefined }), opts);
    expectSafe(m);
    expect(sectionTexts(m)[0]).toBe(':hourglass_flowing_sand: *Running* · <@U0ASKER> asked `/trail sg 12h`');
    expect(JSON.stringify(m.blocks)).toContain('Nov 20 09:00 – 21:00 (Europe/Berlin)');
    expect(buttons(m)).toEqual([expect.objectContaining({ action_id: ACTION_IDS.cancel, value: 'ex-20261120-0001' })]);
    expect(m.text).toContain('Running: <@U0ASKER> asked `/trail sg 12h`');
  });

  test('progress shows the elapsed time', () => {
    const m = renderParent(execution({ state: 'RUNNING' }), { ...opts, elapsedMs: 25_000 });
    expect(sectionTexts(m)[0]).toContain('*Running* · 25 s ·');
  });

  test('when done: rows, bytes scanned, cost, duration, and Re-run / Show SQL', () => {
    const m = renderParent(execution(), opts);
    expectSafe(m);
    const facts = JSON.stringify(m.blocks);
    // 1,234,567,890 bytes bill as 1,235 MB at $5/TB = $0.006175.
    expect(facts).toContain('3 rows · 1.2 GB scanned · $0.0062 · 4.2 s');
    expect(buttons(m).map((b) => [b.action_id, b.value])).toEqual([
      [ACTION_IDS.rerun, 'ex-20261120-0001'],
      [ACTION_IDS.showSql, 'ex-20261120-0001'],
    ]);
  });

  test('the embedded engine shows no cost', () => {
    const m = renderParent(
      execution({ engine: 'duckdb', stats: { rows: 3, bytesScanned: 5_000, elapsedMs: 80 } }),
      opts,
    );
    expect(JSON.stringify(m.blocks)).toContain('3 rows · 5 kB scanned · 80 ms');
    expect(JSON.stringify(m.blocks)).not.toContain('$');
  });

  test('failed: the reason, escaped and cut', () => {
    const m = renderParent(execution({ state: 'FAILED', error: `${EVIL}\n${'x'.repeat(5000)}` }), opts);
    expectSafe(m);
    expect(sectionTexts(m)[0]).toContain(':x: *Failed*');
    // One line of inline code: the newline in the reason cannot start a line of its own.
    expect(sectionTexts(m)[1]).toMatch(/^> `&lt;!channel&gt; ˋtickˋ ˋˋˋfenceˋˋˋ [^\n`]*…`$/);
    expect(sectionTexts(m)[1].length).toBeLessThan(1700);
  });

  test('cancelled names who cancelled; PUBLISHED keeps the outcome', () => {
    const cancelled = execution({ state: 'CANCELLED', cancelledBy: 'U0CANCEL' });
    expect(sectionTexts(renderParent(cancelled, opts))[0]).toContain('*Cancelled* by <@U0CANCEL>');
    expect(outcomeOf({ ...cancelled, state: 'PUBLISHED' })).toBe('cancelled');
    expect(outcomeOf(execution({ state: 'PUBLISHED', error: 'boom' }))).toBe('failed');
    expect(outcomeOf(execution({ state: 'PUBLISHED' }))).toBe('succeeded');
    expect(outcomeOf(execution({ state: 'SUBMITTED' }))).toBe('queued');
  });

  test('hostile command text and user ids stay inert', () => {
    const m = renderParent(
      execution({ commandText: `ip ${EVIL} ${'y'.repeat(5000)}`, userId: '<!here>', state: 'RUNNING' }),
      opts,
    );
    expectSafe(m, []);
    expect(sectionTexts(m)[0]).toContain('&lt;!here&gt; asked `/trail ip &lt;!channel&gt; ˋtickˋ');
  });
});

describe('renderResult', () => {
  test('summary, flags and the top rows as a table with a header row', () => {
    const flags: RiskFlag[] = [{ row: 0, code: 'world-open', message: 'tcp/22 opened to 0.0.0.0/0 on sg-1 by bob' }];
    const m = renderResult(execution(), summary({ flags, flagsTotal: 1 }), opts);
    expectSafe(m);
    expect(sectionTexts(m)[0]).toBe(':bar_chart: *2 rows* for `/trail sg 12h` · Nov 20 09:00 – 21:00 (Europe/Berlin)');
    expect(sectionTexts(m)[1]).toBe(
      ':warning: *1 risk flag*\n• row 1 `world-open` `tcp/22 opened to 0.0.0.0/0 on sg-1 by bob`',
    );
    const table = m.blocks.find((b) => b.type === 'table');
    expect(table).toBeDefined();
    expect(rawTextCells([table!])).toEqual([
      'eventtime',
      'eventname',
      'actor',
      '2026-11-20T09:12:00Z',
      'AuthorizeSecurityGroupIngress',
      'bob',
      '2026-11-20T10:00:00Z',
      'RevokeSecurityGroupIngress',
      '—',
    ]);
    expect(JSON.stringify(m.blocks)).toContain('The CSV in this thread has the same rows.');
    expect(m.text).toContain('2 rows for `/trail sg 12h`');
    expect(m.text).toContain('1 risk flag');
  });

  test('10,000 rows, 60 columns, huge cells: capped, with a note saying what was left out', () => {
    const columns = Array.from({ length: 60 }, (_, i) => `column_${i}_${'n'.repeat(i)}`);
    const huge = `${EVIL} ${'z'.repeat(100_000)}`;
    const json = JSON.stringify({ deep: 'j'.repeat(5000) });
    const topRows = Array.from({ length: 10_000 }, () => columns.map((_, c) => (c === 3 ? json : huge)));
    const m = renderResult(execution(), summary({ columns, topRows, totalRows: 1_234_567 }), opts);
    expectSafe(m);
    const table = m.blocks.find((b) => b.type === 'table');
    expect(table?.type === 'table' && table.rows[0]).toHaveLength(10);
    const note = JSON.stringify(m.blocks);
    // The note names the hidden columns (issue 17, item 5): the first 10 are shown, the 11th is the first hidden.
    expect(note).toMatch(
      /Rows 1–\d+ of 1,234,567 · hidden: column_10_n{10}, column_11_n{11}, .*— in the CSV in this thread\./,
    );
    for (const cell of rawTextCells(m.blocks)) expect(cell.length).toBeLessThanOrEqual(80);
  });

  test('a note when only the rows were cut: "Rows 1–20 of 1,234"', () => {
    const topRows = Array.from({ length: 50 }, (_, r) => [`t${r}`, 'AuthorizeSecurityGroupIngress', 'bob']);
    const m = renderResult(execution(), summary({ topRows, totalRows: 1234 }), opts);
    expectSafe(m);
    expect(JSON.stringify(m.blocks)).toContain('Rows 1–20 of 1,234 · the CSV in this thread has all of them.');
    const table = m.blocks.find((b) => b.type === 'table');
    expect(table?.type === 'table' && table.rows).toHaveLength(21);
  });

  test('500 flags: the first ones listed, the count covers all', () => {
    const flags = Array.from({ length: 500 }, (_, i) => ({
      row: i,
      code: `code-${i}`,
      message: `${EVIL} ${'m'.repeat(400)}`,
    }));
    const m = renderResult(execution(), summary({ flags: flags.slice(0, 100), flagsTotal: 500 }), opts);
    expectSafe(m);
    const flagText = sectionTexts(m)[1];
    expect(flagText).toMatch(/^:warning: \*500 risk flags\*/);
    expect(flagText).toMatch(/_…and 48\d more; the CSV has every row\._$/);
  });

  test('no rows: a plain sentence and no table', () => {
    const m = renderResult(execution(), summary({ topRows: [], totalRows: 0 }), opts);
    expectSafe(m);
    expect(m.blocks.map((b) => b.type)).toEqual(['section']);
    expect(sectionTexts(m)[0]).toContain('*No matching events* for `/trail sg 12h`');
  });

  test('monospace: aligned columns in a code block, within the section limit', () => {
    const m = renderResult(execution(), summary(), { ...opts, table: 'monospace' });
    expectSafe(m);
    expect(m.blocks.some((b) => b.type === 'table')).toBe(false);
    expect(sectionTexts(m)[1]).toBe(
      '```' +
        'eventtime             eventname                      actor\n' +
        '--------------------  -----------------------------  -----\n' +
        '2026-11-20T09:12:00Z  AuthorizeSecurityGroupIngress  bob\n' +
        '2026-11-20T10:00:00Z  RevokeSecurityGroupIngress     —' +
        '```',
    );
  });

  test('monospace with hostile and huge input still fits', () => {
    const columns = Array.from({ length: 60 }, (_, i) => `c${i}`);
    const topRows = Array.from({ length: 99 }, () => columns.map(() => `${EVIL}${'w'.repeat(500)}`));
    const m = renderResult(execution(), summary({ columns, topRows, totalRows: 10_000 }), {
      ...opts,
      table: 'monospace',
      maxRows: 99,
    });
    expectSafe(m);
    expect(JSON.stringify(m.blocks)).toMatch(/Rows 1–\d+ of 10,000 · hidden: c\d+, c\d+/);
  });

  test('out-of-range options are clamped to what Slack allows', () => {
    const columns = Array.from({ length: 30 }, (_, i) => `c${i}`);
    const topRows = Array.from({ length: 200 }, () => columns.map(() => 'v'));
    const m = renderResult(execution(), summary({ columns, topRows, totalRows: 200 }), {
      ...opts,
      maxRows: 1000,
      maxColumns: 50,
    });
    expectSafe(m);
    const table = m.blocks.find((b) => b.type === 'table');
    expect(table?.type === 'table' && table.rows.length).toBe(100);
    expect(table?.type === 'table' && table.rows[0].length).toBe(20);
  });
});

describe('renderFailure', () => {
  test('a failure carries the reason; a cancellation says who', () => {
    const failed = renderFailure(execution({ state: 'FAILED', error: `TABLE_NOT_FOUND ${EVIL}` }), opts);
    expectSafe(failed);
    expect(sectionTexts(failed)[0]).toContain(':x: *The query failed* · <@U0ASKER> asked `/trail sg 12h`');
    expect(sectionTexts(failed)[1]).toBe(`> \`${escapeMrkdwn(`TABLE_NOT_FOUND ${EVIL}`).replaceAll('`', 'ˋ')}\``);
    const cancelled = renderFailure(execution({ state: 'CANCELLED', cancelledBy: 'U0CANCEL' }), opts);
    expectSafe(cancelled, ['<@U0ASKER>', '<@U0CANCEL>']);
    expect(sectionTexts(cancelled)[0]).toContain('Cancelled by <@U0CANCEL>.');
  });

  test('a failure without a reason still says something', () => {
    const m = renderFailure(execution({ state: 'FAILED', error: undefined }), opts);
    expectSafe(m);
    expect(m.text).toContain('failed without a reason');
  });
});

describe('renderShowSql', () => {
  test('SQL in a code block, parameters as the literals Athena receives, partitions', () => {
    const e = execution();
    e.query.params.push({ type: 'varchar', value: "o'brien <!channel>" });
    const m = renderShowSql(e, opts);
    expectSafe(m);
    expect(sectionTexts(m)[1]).toMatch(/^```SELECT eventtime/);
    expect(sectionTexts(m)[2]).toContain("`?4` varchar = `'o''brien &lt;!channel&gt;'`");
    expect(JSON.stringify(m.blocks)).toContain('partition 2026/11/20');
  });

  test('long SQL is split across sections of at most 3000 characters', () => {
    const line = "  AND eventname <> 'X&Y<Z>' -- ``` fence\n";
    const e: ExecutionRecord = execution();
    e.query = { ...e.query, sql: `SELECT 1\n${line.repeat(150)}` };
    const m = renderShowSql(e, opts);
    expectSafe(m);
    const sql = sectionTexts(m).filter((t) => t.startsWith('```'));
    expect(sql.length).toBeGreaterThan(1);
    for (const s of sql) {
      expect(s.length).toBeLessThanOrEqual(3000);
      expect(s.slice(3, -3)).not.toContain('```');
    }
  });

  test('SQL beyond three sections is cut with a note', () => {
    const e: ExecutionRecord = execution();
    e.query = { ...e.query, sql: 'SELECT 1 -- padding\n'.repeat(2000), params: [] };
    const m = renderShowSql(e, opts);
    expectSafe(m);
    expect(JSON.stringify(m.blocks)).toMatch(/SQL cut after [\d,]+ characters/);
    expect(sectionTexts(m)).toContain('*Parameters:* none');
  });
});

test('csvFileName is safe for any file system', () => {
  expect(csvFileName(execution())).toBe('trail-sg-ex-20261120-0001.csv');
  expect(csvFileName(execution({ command: '../../etc', id: 'a/b c' }))).toBe('trail-etc-a-b-c.csv');
});
