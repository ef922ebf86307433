import { COMMANDS } from '../../../commands';
import type { ResultSummary } from '../../../src/core/publisher';
import { pivotFinder } from '../../../src/dispatch/pivots';
import { renderResult } from '../../../src/surfaces/slack/messages';
import { PIVOT_LIMITS, pivotClick } from '../../../src/surfaces/slack/pivots';
import { testConfig } from '../../helpers/config';
import { blockKitProblems } from '../../helpers/fake-slack';
import { execution } from './fixtures';

interface Element {
  type: string;
  action_id: string;
  value?: string;
  text?: { text: string };
  options?: { value: string; text: { text: string } }[];
}
interface Block {
  type: string;
  block_id?: string;
  text?: { text: string };
  elements?: Element[];
  accessory?: Element;
}

const now = new Date('2026-11-20T20:00:00Z');
const pivots = pivotFinder(testConfig(), COMMANDS, () => now);
// An assumed-role ARN as long as IAM allows (role name 64, session name 64): the principal question is ~200 characters.
const LONG_ARN = `arn:aws:sts::111122223333:assumed-role/${'r'.repeat(64)}/${'s'.repeat(64)}`;
const columns = ['eventname', 'eventtime', 'principal_arn', 'sourceipaddress', 'requestparameters'];

function result(rows: (string | null)[][], flaggedRows: number[] = []): ResultSummary {
  return {
    columns,
    topRows: rows,
    totalRows: rows.length,
    flags: flaggedRows.map((row) => ({ row, code: 'world-open', message: 'opened to the world' })),
    flagsTotal: flaggedRows.length,
    csvPath: '/nonexistent.csv',
    csvBytes: 1,
  };
}

const render = (r: ResultSummary, maxRows?: number) =>
  renderResult(execution(), r, { timeZone: 'UTC', now, pivots, ...(maxRows ? { maxRows } : {}) }).blocks as Block[];

describe('pivot buttons and menus in the result reply', () => {
  const rows: (string | null)[][] = [
    [
      'AuthorizeSecurityGroupIngress',
      '2026-11-20T09:12:00Z',
      'arn:aws:iam::111122223333:user/bob',
      '203.0.113.9',
      '{"groupId":"sg-5887f224"}',
    ],
    ['AssumeRole', '2026-11-20T10:00:00Z', LONG_ARN, '198.51.100.7', null],
    // Only the address is a valid pivot here: the "ARN" holds a backtick and the request names nothing.
    ['`<!here>` *bold*', '2026-11-20T11:00:00Z', 'arn:aws:iam::1:user/`x`', '10.0.0.1', '{}'],
    // Nothing valid at all: no menu for this row.
    ['Describe', '2026-11-20T11:30:00Z', null, 'ec2.amazonaws.com', null],
  ];
  const blocks = render(result(rows, [1]));

  test('the message passes every Block Kit check of the fake Slack, overflow menus included', () => {
    expect(blockKitProblems(blocks)).toEqual([]);
  });

  test('a flagged row gets buttons; the long principal question fits a button but not a menu option', () => {
    const flagged = blocks.find(
      (b) => b.block_id === 'trail_pivot/f/ex-20261120-0001/1/2026-11-20T09:00Z..2026-11-20T11:00Z',
    );
    // The fixture's id has dashes, which pivotClick refuses (execution ids are [0-9a-z]); see the last test.
    expect(flagged?.elements?.map((e) => e.action_id)).toEqual(['trail_pivot_principal', 'trail_pivot_source']);
    const principal = flagged!.elements![0]!;
    // The value is the question without its window, which the block id carries for every pivot of the row.
    expect(principal.value).toBe(`user ${LONG_ARN}`);
    expect(`principal ${principal.value}`.length).toBeGreaterThan(PIVOT_LIMITS.optionValue);
    const menu = blocks.find((b) => b.block_id?.startsWith('trail_pivot/r/ex-20261120-0001/1/'))!.accessory!;
    expect(menu.type).toBe('button'); // one option left (the address): a button, since a menu needs two
    expect(menu.value).toBe('source ip 198.51.100.7');
  });

  test('each shown row with pivots gets a menu; values stay within 150; record values are shown as data', () => {
    const rowBlocks = blocks.filter((b) => b.block_id?.startsWith('trail_pivot/r/'));
    expect(rowBlocks.map((b) => b.block_id!.split('/')[3])).toEqual(['0', '1', '2']);
    const first = rowBlocks[0]!.accessory!;
    expect(first.type).toBe('overflow');
    expect(first.options!.map((o) => o.value.split(' ').slice(0, 2).join(' '))).toEqual([
      'principal user',
      'source ip',
      'resource who',
    ]);
    for (const b of rowBlocks)
      for (const o of b.accessory!.options ?? []) expect(o.value.length).toBeLessThanOrEqual(150);
    // The hostile event name is inline code: no mention, no bold, no backtick to break out of it.
    const hostile = rowBlocks[2]!.text!.text;
    expect(hostile).toContain('`\u02cb&lt;!here&gt;\u02cb *bold*`');
    expect(hostile).not.toContain('<!here>');
  });

  test('99 shown rows stay within 50 blocks', () => {
    const many = Array.from({ length: 99 }, (_, i) => [
      'PutObject',
      `2026-11-20T1${i % 10}:00:00Z`,
      `arn:aws:iam::111122223333:user/u${i}`,
      `10.0.${i}.1`,
      null,
    ]);
    const big = render(result(many, [0, 1, 2, 3, 4, 5, 6]), 99);
    expect(big.length).toBeLessThanOrEqual(50);
    expect(blockKitProblems(big)).toEqual([]);
  });

  test('a click reads back the execution, row, pivot and question; anything else is refused', () => {
    const w = '2026-11-20T09:00Z..2026-11-20T11:00Z';
    expect(pivotClick(`trail_pivot/r/mx3g16kndlc6/4/${w}`, 'trail_pivot_row', 'source ip 10.0.0.1')).toEqual({
      executionId: 'mx3g16kndlc6',
      row: 4,
      kind: 'source',
      question: `ip 10.0.0.1 ${w}`,
    });
    expect(pivotClick(`trail_pivot/f/mx3g16kndlc6/1/${w}`, 'trail_pivot_principal', 'user bob')).toEqual({
      executionId: 'mx3g16kndlc6',
      row: 1,
      kind: 'principal',
      question: `user bob ${w}`,
    });
    expect(pivotClick(`trail_pivot/r/mx3g16kndlc6/1/${w}`, 'trail_pivot_row', 'admin users')).toBeUndefined();
    expect(pivotClick(`trail_pivot/f/ex-1/1/${w}`, 'trail_pivot_principal', 'user bob')).toBeUndefined();
    expect(pivotClick(`other/f/mx3g16kndlc6/1/${w}`, 'trail_pivot_principal', 'user bob')).toBeUndefined();
    expect(pivotClick(`trail_pivot/f/mx3g16kndlc6/1/${w}`, 'trail_pivot_principal', '')).toBeUndefined();
    // The window part holds nothing but a window's characters.
    expect(pivotClick('trail_pivot/f/mx3g16kndlc6/1/24h --sql', 'trail_pivot_principal', 'user bob')).toBeUndefined();
  });

  test('a typical SSO assumed-role ARN fits a menu option, since the window rides in the block id', () => {
    const sso =
      'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/alice@example.com';
    const b = render(result([['ConsoleLogin', '2026-11-20T09:12:00Z', sso, '203.0.113.9', null]]));
    const menu = b.find((x) => x.block_id?.startsWith('trail_pivot/r/'))!.accessory!;
    expect(menu.options!.map((o) => o.value)).toEqual([`principal user ${sso}`, 'source ip 203.0.113.9']);
    expect(blockKitProblems(b)).toEqual([]);
  });
});

describe('the fake Slack checks overflow menus against the documented limits', () => {
  const option = (value: string, text = 'Go') => ({ text: { type: 'plain_text', text }, value });
  const section = (accessory: unknown) => [{ type: 'section', text: { type: 'mrkdwn', text: 'Row 1' }, accessory }];
  const overflow = (options: unknown[]) => ({ type: 'overflow', action_id: 'trail_pivot_row', options });

  test('2 to 5 options, option text plain_text ≤ 75, value ≤ 150 and unique', () => {
    expect(blockKitProblems(section(overflow([option('a'), option('b')])))).toEqual([]);
    expect(blockKitProblems(section(overflow([option('a')])))).toEqual([
      'block 0 (section) accessory: 1 options (2–5)',
    ]);
    expect(blockKitProblems(section(overflow(['a', 'b', 'c', 'd', 'e', 'f'].map((v) => option(v)))))).toEqual([
      'block 0 (section) accessory: 6 options (2–5)',
    ]);
    expect(blockKitProblems(section(overflow([option('a'), option('x'.repeat(151))])))).toEqual([
      'block 0 (section) accessory option 1: value longer than 150',
    ]);
    expect(blockKitProblems(section(overflow([option('a', 't'.repeat(76)), option('b')])))).toEqual([
      'block 0 (section) accessory option 0 text: text is 76 characters (max 75)',
    ]);
    expect(blockKitProblems(section(overflow([option('a'), option('a')])))).toEqual([
      'block 0 (section) accessory option 1: duplicate value',
    ]);
    expect(
      blockKitProblems(section(overflow([{ text: { type: 'mrkdwn', text: '*a*' }, value: 'a' }, option('b')]))),
    ).toEqual(['block 0 (section) accessory option 0 text: text type must be plain_text']);
  });

  test('in an actions block too, and a section accessory button is checked like any button', () => {
    expect(
      blockKitProblems([{ type: 'actions', elements: [overflow([option('a'), option('y'.repeat(151))])] }]),
    ).toEqual(['block 0 (actions) overflow 0 option 1: value longer than 150']);
    expect(
      blockKitProblems(
        section({ type: 'button', action_id: 'x', text: { type: 'plain_text', text: 'Go' }, value: 'v'.repeat(2001) }),
      ),
    ).toEqual(['block 0 (section) accessory: value longer than 2000']);
  });
});
