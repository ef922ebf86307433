import { PassThrough } from 'node:stream';
import { COMMANDS } from '../../../commands';
import type { QueryCommand } from '../../../commands/types';
import type { ExecutionRecord } from '../../../src/core/execution';
import type { ResultSummary } from '../../../src/core/publisher';
import { planColumns } from '../../../src/surfaces/slack/tables';
import { TerminalPublisher } from '../../../src/surfaces/terminal/publisher';
import { consoleEventUrl } from '../../../src/util/console-link';
import { queryOf } from '../../helpers/commands';

/** The columns `sg` returns (sql/security_group_changes.sql), in the template's order, and the added console link. */
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
  'console_url',
];
const EVENT_ID = '3f0e6c5a-9b1d-4c2e-8f7a-1b2c3d4e5f60';
const ROW = [
  'AuthorizeSecurityGroupIngress',
  'bobodell',
  '198.51.100.134',
  '2026-11-20T09:14:16Z',
  '{"groupId":"sg-5887f224"}',
  'arn:aws:iam::111122223333:user/bobodell',
  'eu-west-1',
  '111122223333',
  null,
  EVENT_ID,
  consoleEventUrl({ eventId: EVENT_ID, region: 'eu-west-1', account: '111122223333' }) ?? null,
];

function execution(text: string): ExecutionRecord {
  const r = queryOf(text);
  return {
    id: 'mx0test00002',
    requestKey: 'k',
    commandText: text,
    command: r.command.name,
    request: {},
    query: r.query,
    userId: 'alice',
    channelId: 'terminal',
    surface: 'terminal',
    engine: 'duckdb',
    state: 'SUCCEEDED',
    createdAt: '2026-11-21T11:00:00Z',
    updatedAt: '2026-11-21T11:00:01Z',
    stats: { rows: 1, bytesScanned: 2048, filesRead: 3, elapsedMs: 42 },
    expiresAt: 0,
  };
}

async function terminalHeader(width: number): Promise<{ header: string[]; out: string }> {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (d) => {
    out += String(d);
  });
  const summary: ResultSummary = {
    columns: SG_COLUMNS,
    topRows: [ROW],
    totalRows: 1,
    flags: [],
    flagsTotal: 0,
    csvPath: '/nonexistent/x.csv',
    csvBytes: 1,
  };
  await new TerminalPublisher({ out: stream, timeZone: 'UTC', width }).postResult(execution('sg 12h'), summary);
  const headerLine = out.split('\n').find((l) => /^ {2}\S+ {2}/.test(l) && l.includes('eventname'))!;
  return { header: headerLine.trim().split(/\s{2,}/), out };
}

describe('the terminal shows the columns in the order Slack does', () => {
  it('who, what, when, where first: the command’s declaration, as in the Slack table', async () => {
    const { header } = await terminalHeader(240);
    const slack = planColumns(SG_COLUMNS, execution('sg 12h').query.columns, 20).shown.map((i) => SG_COLUMNS[i]);
    expect(header.slice(0, 6)).toEqual(slack.slice(0, 6));
    expect(header.slice(0, 4)).toEqual(['username', 'eventname', 'eventtime', 'sourceipaddress']);
  });

  it('a narrow terminal keeps the first of them and names the hidden ones in the declared order', async () => {
    const { header, out } = await terminalHeader(80);
    expect(header.slice(0, 3)).toEqual(['username', 'eventname', 'eventtime']);
    expect(out).toContain('(hidden: requestparameters, principal_arn, errorcode');
  });

  it('a console link is shown whole or not at all (then named among the hidden columns)', async () => {
    for (const width of [120, 160, 240]) {
      const { out } = await terminalHeader(width);
      expect(out).not.toMatch(/https:\/\/\S*…/);
      if (!out.includes('https://')) expect(out).toMatch(/\(hidden: [^)]*console_url/);
    }
  });
});

describe('every query command declares columns its template returns', () => {
  const queries = COMMANDS.filter((c): c is QueryCommand => c.kind === 'query');
  /** Arguments for the commands that need some. */
  const args: Record<string, string> = { who: 'sg-5887f224', user: 'alice', ip: '198.51.100.7' };
  it.each(queries.map((c) => [c.name] as const))('%s', (name) => {
    const { query } = queryOf(`${name} ${args[name] ?? ''}`.trim());
    expect(query.columns?.order.length).toBeGreaterThan(0);
    for (const column of [...(query.columns?.order ?? []), ...(query.columns?.numeric ?? [])]) {
      // Each is a column of the template's result: selected by that name, or aliased to it.
      expect(query.sql).toMatch(
        new RegExp(`(?:AS ${column}\\b|^\\s*(?:SELECT\\s+)?${column}(?:,|\\s*$)|[ ,]${column},)`, 'm'),
      );
    }
  });
});
