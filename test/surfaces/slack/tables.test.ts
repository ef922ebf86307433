import type { KnownBlock, TableBlock } from '@slack/web-api';
import { SecurityGroupChanges } from '../../../commands/sg';
import { TopUsers } from '../../../commands/users';
import type { ResultSummary } from '../../../src/core/publisher';
import { ACTION_IDS } from '../../../src/surfaces/slack/kit';
import { renderResult } from '../../../src/surfaces/slack/messages';
import { answerTable, planColumns, renderRowsPage } from '../../../src/surfaces/slack/tables';
import { consoleEventUrl } from '../../../src/util/console-link';
import { blockKitProblems } from '../../helpers/fake-slack';
import { execution } from './fixtures';

const opts = { timeZone: 'UTC', now: new Date('2026-11-21T00:00:00Z') };

/** The columns `sg` returns, in the template's order, plus the console link the runner adds. */
const SG_COLUMNS = [
  'eventname',
  'username',
  'sourceipaddress',
  'eventtime',
  'requestparameters',
  'principal_arn',
  'awsregion',
  'recipientaccountid',
  'errorcode',
  'eventid',
  'useragent',
  'console_url',
];

const uuid = (n: number) => `3f0e6c5a-9b1d-4c2e-8f7a-${String(n).padStart(12, '0')}`;

function sgRow(n: number, o: { eventId?: string; url?: string | null } = {}): (string | null)[] {
  const eventId = o.eventId ?? uuid(n);
  const url =
    o.url !== undefined ? o.url : (consoleEventUrl({ eventId, region: 'eu-west-1', account: '111122223333' }) ?? null);
  return [
    'AuthorizeSecurityGroupIngress',
    'bobodell',
    '198.51.100.134',
    `2026-11-20T09:${String(n % 60).padStart(2, '0')}:00Z`,
    `{"groupId":"sg-5887f224","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":${n}}]}}`,
    'arn:aws:iam::111122223333:user/bobodell',
    'eu-west-1',
    '111122223333',
    null,
    eventId,
    'aws-cli/2.15.0 Python/3.11.6 Linux/6.1',
    url,
  ];
}

/** `sg` as the catalog declares it: the bound query carries the command's column layout. */
function sgExecution() {
  const e = execution();
  return { ...e, query: { ...e.query, columns: SecurityGroupChanges.columns } };
}

function summary(rows: (string | null)[][], totalRows = rows.length, columns = SG_COLUMNS): ResultSummary {
  return { columns, topRows: rows, totalRows, flags: [], flagsTotal: 0, csvPath: '/tmp/x.csv', csvBytes: 1 };
}

const tableOf = (blocks: KnownBlock[]) => blocks.find((b): b is TableBlock => b.type === 'table')!;
const headerOf = (t: TableBlock) => t.rows[0]!.map((c) => (c.type === 'raw_text' ? c.text : '?'));
const buttons = (blocks: KnownBlock[]) =>
  blocks.flatMap((b) => (b.type === 'actions' ? b.elements : [])).filter((el) => el.action_id === ACTION_IDS.page);

describe('the Slack table of an answer', () => {
  it('shows who, what, when, where first, in the order the command declares', () => {
    const m = renderResult(sgExecution(), summary([sgRow(1), sgRow(2)]), opts);
    expect(blockKitProblems(m.blocks)).toEqual([]);
    const header = headerOf(tableOf(m.blocks));
    expect(header.slice(0, 4)).toEqual(['username', 'eventname', 'eventtime', 'sourceipaddress']);
    expect(header.at(-1)).toBe('console');
  });

  it('wraps long columns, right-aligns numbers, and sets no more columns than it shows', () => {
    const m = renderResult(sgExecution(), summary([sgRow(1)]), opts);
    const table = tableOf(m.blocks);
    const header = headerOf(table);
    const settings = table.column_settings!;
    expect(settings).toHaveLength(header.length);
    expect(settings[header.indexOf('requestparameters')]).toEqual({ align: 'left', is_wrapped: true });
    expect(settings[header.indexOf('username')]).toEqual({ align: 'left', is_wrapped: false });

    const e = execution({ command: 'users' });
    const users = { ...e, query: { ...e.query, columns: TopUsers.columns } };
    const columns = ['username', 'total_events', 'error_events', 'distinct_actions', 'top_actions'];
    const r = renderResult(
      users,
      summary([['alice', '1200', '3', '14', 'GetObject (900), PutObject (300)']], 1, columns),
      opts,
    );
    const t = tableOf(r.blocks);
    expect(blockKitProblems(r.blocks)).toEqual([]);
    expect(t.column_settings!.map((s) => s.align)).toEqual(['left', 'right', 'right', 'right', 'left']);
  });

  it('names the hidden columns in its note', () => {
    const m = renderResult(sgExecution(), summary([sgRow(1)]), { ...opts, maxColumns: 8 });
    const header = headerOf(tableOf(m.blocks));
    expect(header).toHaveLength(8);
    const note = JSON.stringify(m.blocks);
    // 7 data columns and the link column are shown; the rest are named, declared ones first, then the result's order.
    expect(note).toContain('hidden: awsregion, recipientaccountid, eventid, useragent — in the CSV in this thread.');
    expect(planColumns(SG_COLUMNS, SecurityGroupChanges.columns, 8).hidden).toEqual([
      'awsregion',
      'recipientaccountid',
      'eventid',
      'useragent',
    ]);
  });

  it('links each well-formed event to the console, labelled with its account; a hostile value is no link', () => {
    const rows = [
      sgRow(1),
      sgRow(2, { url: 'javascript:alert(1)' }),
      sgRow(3, { url: 'https://evil.example/cloudtrailv2/home?region=eu-west-1#/events/x' }),
      sgRow(4, { url: null }),
    ];
    const m = renderResult(sgExecution(), summary(rows), opts);
    expect(blockKitProblems(m.blocks)).toEqual([]);
    const cells = tableOf(m.blocks)
      .rows.slice(1)
      .map((r) => r.at(-1)!);
    expect(cells[0]).toEqual({
      type: 'rich_text',
      elements: [{ type: 'rich_text_section', elements: [{ type: 'link', url: rows[0]![11], text: '111122223333' }] }],
    });
    expect(cells.slice(1)).toEqual([
      { type: 'raw_text', text: '—' },
      { type: 'raw_text', text: '—' },
      { type: 'raw_text', text: '—' },
    ]);
    expect(JSON.stringify(m.blocks)).not.toContain('evil.example');
    expect(JSON.stringify(m.blocks)).not.toContain('javascript:');
  });

  it('as aligned text (no table blocks), names the console_url column among the hidden ones', () => {
    const m = renderResult(sgExecution(), summary([sgRow(1)]), { ...opts, table: 'monospace' });
    expect(blockKitProblems(m.blocks)).toEqual([]);
    expect(JSON.stringify(m.blocks)).toMatch(/hidden: [^"]*console_url — in the CSV in this thread\./);
  });
});

describe('paging through a 45-row answer', () => {
  const rows = Array.from({ length: 45 }, (_, i) => sgRow(i + 1));
  const e = sgExecution();

  it('shows rows 1–20 with a button for the next 20', () => {
    const m = renderResult(e, summary(rows.slice(0, 20), 45), opts);
    expect(blockKitProblems(m.blocks)).toEqual([]);
    expect(tableOf(m.blocks).rows).toHaveLength(21);
    expect(JSON.stringify(m.blocks)).toContain('Rows 1–20 of 45');
    const [next] = buttons(m.blocks);
    expect(next).toMatchObject({ text: { text: 'Show next 20 rows' }, value: `${e.id}@20` });
  });

  it('then rows 21–40, then 41–45, then no button', () => {
    const second = renderRowsPage(e, { columns: SG_COLUMNS, rows: rows.slice(20, 40), from: 20, totalRows: 45 }, opts);
    expect(blockKitProblems(second.blocks)).toEqual([]);
    expect(second.text).toContain('Rows 21–40 of 45');
    const secondTimes = tableOf(second.blocks)
      .rows.slice(1)
      .map((r) => r[2]);
    expect(secondTimes[0]).toEqual({ type: 'raw_text', text: rows[20]![3] });
    expect(secondTimes).toHaveLength(20);
    expect(buttons(second.blocks)).toEqual([
      expect.objectContaining({ text: expect.objectContaining({ text: 'Show next 5 rows' }), value: `${e.id}@40` }),
    ]);

    const third = renderRowsPage(e, { columns: SG_COLUMNS, rows: rows.slice(40, 60), from: 40, totalRows: 45 }, opts);
    expect(blockKitProblems(third.blocks)).toEqual([]);
    expect(third.text).toContain('Rows 41–45 of 45');
    expect(tableOf(third.blocks).rows).toHaveLength(6);
    expect(buttons(third.blocks)).toEqual([]);
  });

  it('a page that no longer has rows says so instead of showing an empty table', () => {
    const m = renderRowsPage(e, { columns: SG_COLUMNS, rows: [], from: 45, totalRows: 45 }, opts);
    expect(blockKitProblems(m.blocks)).toEqual([]);
    expect(m.text).toContain('No rows after row 45');
  });

  it('continues where the character budget cut a page short', () => {
    const huge = rows.map((r) => r.map((v, i) => (i < 11 ? 'x'.repeat(400) : v)));
    const page = { columns: SG_COLUMNS, rows: huge.slice(0, 20), from: 0, totalRows: 45 };
    const first = answerTable(e, page, { maxCellChars: 500 });
    expect(first.rowsShown).toBeLessThan(20);
    expect(buttons(first.blocks)[0]).toMatchObject({ value: `${e.id}@${first.rowsShown}` });
  });
});

describe('the fake Slack checks the new table features against the table block reference', () => {
  const cell = (text: string) => ({ type: 'raw_text', text });
  const table = (extra: Record<string, unknown>) => [{ type: 'table', rows: [[cell('a'), cell('b')]], ...extra }];

  it('column_settings: align left|center|right, is_wrapped boolean, ≤ 20 and no more than the columns', () => {
    expect(blockKitProblems(table({ column_settings: [{ align: 'right', is_wrapped: true }] }))).toEqual([]);
    expect(blockKitProblems(table({ column_settings: [{ align: 'middle' }] }))).toEqual([
      expect.stringContaining('align must be left, center or right'),
    ]);
    expect(blockKitProblems(table({ column_settings: [{ is_wrapped: 'yes' }] }))).toEqual([
      expect.stringContaining('is_wrapped must be a boolean'),
    ]);
    expect(blockKitProblems(table({ column_settings: [{ width: 3 }] }))).toEqual([
      expect.stringContaining('unknown field width'),
    ]);
    expect(blockKitProblems(table({ column_settings: [{}, {}, {}] }))).toEqual([
      expect.stringContaining('3 column_settings for 2 columns'),
    ]);
    const wide = Array.from({ length: 21 }, (_, i) => cell(`c${i}`));
    expect(
      blockKitProblems([{ type: 'table', rows: [wide], column_settings: wide.map(() => ({ align: 'left' })) }]),
    ).toEqual(expect.arrayContaining([expect.stringContaining('21 column_settings (max 20)')]));
  });

  it('rich_text link cells need an https URL; rows must have one width; at most 100 rows', () => {
    const link = (url: string) => ({
      type: 'rich_text',
      elements: [{ type: 'rich_text_section', elements: [{ type: 'link', url, text: 'open' }] }],
    });
    expect(blockKitProblems([{ type: 'table', rows: [[cell('a'), link('https://example.com/x')]] }])).toEqual([]);
    expect(blockKitProblems([{ type: 'table', rows: [[cell('a'), link('javascript:alert(1)')]] }])).toEqual([
      expect.stringContaining('link url must be an https URL'),
    ]);
    expect(blockKitProblems([{ type: 'table', rows: [[cell('a'), { type: 'rich_text', elements: [] }]] }])).toEqual([
      expect.stringContaining('non-empty elements'),
    ]);
    expect(blockKitProblems([{ type: 'table', rows: [[cell('a'), cell('b')], [cell('c')]] }])).toEqual([
      expect.stringContaining('rows have different numbers of cells'),
    ]);
    const many = Array.from({ length: 101 }, () => [cell('x')]);
    expect(blockKitProblems([{ type: 'table', rows: many }])).toEqual([expect.stringContaining('101 rows (max 100)')]);
  });
});
