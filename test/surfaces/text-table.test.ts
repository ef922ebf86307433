import { columnPriority, ESSENTIAL_COLUMNS } from '../../src/surfaces/terminal/columns';
import { plainText } from '../../src/surfaces/terminal/publisher';
import { hiddenNote, layoutTable, shorten, textTable } from '../../src/surfaces/text-table';

describe('textTable', () => {
  test('aligns columns under their headers', () => {
    const { text } = textTable(
      ['a', 'bb'],
      [
        ['xxx', 'y'],
        [null, 'zz'],
      ],
    );
    expect(text.split('\n')).toEqual(['a    bb', '───  ──', 'xxx  y', '     zz']);
  });
  test('drops columns from the right to fit and says how many', () => {
    const { text, droppedColumns } = textTable(
      ['one', 'two', 'three'],
      [['1'.repeat(30), '2'.repeat(30), '3'.repeat(30)]],
      70,
    );
    expect(droppedColumns).toBe(1);
    expect(text).not.toContain('three');
  });
  test('long cells are shortened with an ellipsis; control characters are shown, not obeyed', () => {
    expect(shorten('a\nb')).toBe('a\\nb');
    expect(shorten('a\u001b[2Jb')).toBe('a\\u001b[2Jb');
    expect(shorten('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
  });
  test('an ARN is cut at the front, so the user or role name stays', () => {
    expect(shorten('arn:aws:sts::111122223333:assumed-role/DeveloperAccess/bobodell@example.com', 30)).toBe(
      '…eveloperAccess/bobodell@example.com'.slice(-30).replace(/^./, '…'),
    );
  });
});

/** Rows shaped like the real templates' results (sql/recent_events.sql, sql/console_logins.sql). */
const RECENT_COLUMNS = [
  'eventtime',
  'eventname',
  'eventsource',
  'identity_type',
  'principal_arn',
  'sourceipaddress',
  'awsregion',
  'recipientaccountid',
  'errorcode',
  'eventid',
];
const RECENT_ROW = [
  '2026-11-30T12:30:56Z',
  'AuthorizeSecurityGroupIngress',
  'secretsmanager.amazonaws.com',
  'AssumedRole',
  'arn:aws:sts::111122223333:assumed-role/DeveloperAccess/bobodell@example.com',
  '2001:db8:100:58a::cdfc',
  'eu-west-1',
  '111122223333',
  null,
  '3f1c2a9e-8d4b-4f6a-9c1e-2b7d5e8f0a11',
];
const LOGINS_COLUMNS = [
  'eventtime',
  'identity_type',
  'username',
  'sourceipaddress',
  'result',
  'mfa_used',
  'used_mfa',
  'mobile',
  'errormessage',
  'useragent',
  'principal_arn',
  'awsregion',
  'recipientaccountid',
  'eventid',
];
const LOGINS_ROW = [
  '2026-11-30T01:33:05Z',
  'IAMUser',
  'oscar.diaz@corp.example.com',
  '2001:db8:100:376::6b17',
  'Success',
  'No',
  'false',
  'No',
  null,
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36',
  'arn:aws:iam::111122223333:user/oscar.diaz',
  'us-east-1',
  '111122223333',
  'e0c1b7a2-51f4-4c0e-9a51-0f5b8d1c2e3f',
];

const header = (text: string) => text.split('\n')[0]!.split(/\s+/);

describe('per-command column priorities (issue 18)', () => {
  const layout = (command: string, columns: string[], row: (string | null)[], width: number) =>
    layoutTable(columns, [row], { width, priority: columnPriority(command), essential: ESSENTIAL_COLUMNS });

  test('recent at 120 columns keeps who and where before the service name; the rest is named', () => {
    const t = layout('recent', RECENT_COLUMNS, RECENT_ROW, 118);
    expect(t.vertical).toBe(false);
    expect(header(t.text)).toEqual(
      expect.arrayContaining(['principal_arn', 'sourceipaddress', 'eventtime', 'eventname']),
    );
    expect(t.hidden).toContain('eventsource');
    expect(t.hidden).not.toContain('principal_arn');
    for (const line of t.text.split('\n')) expect(line.length).toBeLessThanOrEqual(118);
    // Shown columns keep the template's order.
    expect(header(t.text).indexOf('eventtime')).toBeLessThan(header(t.text).indexOf('principal_arn'));
  });

  test('logins at 80 columns keeps the address (whole) and MFA', () => {
    const t = layout('logins', LOGINS_COLUMNS, LOGINS_ROW, 78);
    expect(t.vertical).toBe(false);
    expect(header(t.text)).toEqual(expect.arrayContaining(['eventtime', 'username', 'sourceipaddress', 'used_mfa']));
    expect(t.text).toContain('2001:db8:100:376::6b17');
    for (const line of t.text.split('\n')) expect(line.length).toBeLessThanOrEqual(78);
  });

  test('sg at 120 columns shows the start of the request parameters rather than narrower, later columns', () => {
    const columns = [
      'eventname',
      'username',
      'sourceipaddress',
      'eventtime',
      'requestparameters',
      'awsregion',
      'errorcode',
    ];
    const row = [
      'AuthorizeSecurityGroupIngress',
      'bobodell',
      '198.51.100.134',
      '2026-11-30T09:14:16Z',
      '{"groupId":"sg-5887f224","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":143}]}}',
      'us-east-1',
      null,
    ];
    const t = layout('sg', columns, row, 118);
    expect(header(t.text)).toEqual(['eventname', 'username', 'sourceipaddress', 'eventtime', 'requestparameters']);
    expect(t.text).toContain('{"groupId":"sg-5887f224"');
    expect(t.hidden).toEqual(['awsregion', 'errorcode']);
    for (const line of t.text.split('\n')) expect(line.length).toBeLessThanOrEqual(118);
  });

  test('too narrow for the essential columns: one field per line, important ones first, nothing hidden', () => {
    const t = layout('recent', RECENT_COLUMNS, RECENT_ROW, 40);
    expect(t.vertical).toBe(true);
    expect(t.hidden).toEqual([]);
    const lines = t.text.split('\n');
    expect(lines[0]).toBe('── 1 ──');
    expect(lines[1]).toMatch(/^ {2}eventtime +2026-11-30T12:30:56Z$/);
    expect(lines[2]).toMatch(/^ {2}principal_arn +…/);
    expect(t.text).not.toContain('errorcode'); // empty fields are left out
  });

  test('the hidden-columns note names them and says where they are', () => {
    expect(hiddenNote(['useragent', 'awsregion'])).toBe('(hidden: useragent, awsregion — all in the CSV)');
    const long = hiddenNote(
      Array.from({ length: 20 }, (_, i) => `column_${i}`),
      60,
    );
    expect(long.length).toBeLessThanOrEqual(60);
    expect(long).toMatch(/^\(hidden: column_0, column_1, .* … — all in the CSV\)$/);
  });
});

describe('terminal text', () => {
  test('Slack mentions read as plain names', () => {
    expect(plainText('asked by <@U0ALICE> in <#C0SECOPS|secops>')).toBe('asked by U0ALICE in #secops');
  });
});
