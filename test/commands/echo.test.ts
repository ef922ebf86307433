/**
 * Issue 13 items 4 and 5: one user's command text in another user's replies, and code fences.
 * - The ARN grammar takes only the characters AWS documents, so a crafted ARN cannot carry a link, a mention or a
 *   backtick into the command text that `history`, `status`, `schedules`, Re-run, Confirm and Show SQL echo.
 * - Everything echoed is escaped anyway (records made before the grammar was tightened are still in the table).
 * - A code fence survives any run of backticks in what it holds.
 */

import { historyLine, statusText } from '../../commands/status';
import type { Schedule } from '../../src/core/schedule';
import { fencedQueryText } from '../../src/query/show';
import { scheduleLine } from '../../src/time/schedule-text';
import { codeBlock, codeSpan, echoCommand, fenceBody } from '../../src/util/echo';
import { queryOf, usageMessage } from '../helpers/commands';
import { execution } from '../surfaces/slack/fixtures';

/** A command text that, echoed raw into mrkdwn, would show a live link, ping, break out of code and forge a line. */
const CRAFTED =
  'who arn:aws:iam::111122223333:user/x`<https://evil.example/login|Approve the change>`<!here>|y\n> *approved*';

/** Slack control sequences left in a text once trailbot's own mentions (`<@U…>`) are taken out. */
function foreignControls(text: string): string[] {
  return text.replace(/<@U[A-Z0-9]+>/g, '').match(/[<>]/g) ?? [];
}

/** The runs of three or more backticks in a text. */
function fences(text: string): string[] {
  return text.match(/`{3,}/g) ?? [];
}

describe('ARNs: only the characters AWS documents', () => {
  test.each([
    ['who', 'arn:aws:iam::123456789012:user/alice'],
    ['who', 'arn:aws:s3:::my-bucket/logs/2026/*'],
    ['who', 'arn:aws:ec2:eu-west-1:123456789012:security-group/sg-5887f224'],
    ['user', 'arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com'],
    ['user', 'arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/bob+ops=1,2.x'],
    ['who', 'arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:my-function:1'],
    ['who', 'arn:aws-cn:iam::123456789012:role/service-role/ci'],
  ])('%s %s is accepted', (command, arn) => {
    expect(queryOf(`${command} ${arn}`).query.params.map((p) => p.value)).toContain(arn);
  });

  test.each([
    'arn:aws:iam::123456789012:user/x`y',
    'arn:aws:iam::123456789012:user/<https://evil.example|Click>',
    'arn:aws:iam::123456789012:user/a|b',
    'arn:aws:iam::123456789012:user/a>b',
    'arn:aws:iam::123456789012:user/a&b',
    'arn:aws:iam::123456789012:user/"quoted"',
    "arn:aws:iam::123456789012:user/o'brien",
    'arn:aws:iam::123456789012:user/a;b',
    'arn:aws:iam::123456789012:user/a%0Ab',
  ])('%s is refused, with what is accepted', (arn) => {
    for (const command of ['who', 'user']) {
      const message = usageMessage(`${command} ${arn}`);
      expect(message).toMatch(/is not (a resource id or ARN|an IAM user name or ARN)/);
      expect(message).toContain('Accepted:');
      // The message says what an ARN may hold, since the word looked like one.
      expect(message).toContain('its resource part letters, digits and + = , . @ _ - / : *');
    }
  });
});

describe('echoed command text is data', () => {
  const crafted = execution({ commandText: CRAFTED, stats: { rows: 3, bytesScanned: 10 } });

  test('echoCommand: one inline code span on one line, entities escaped, no backtick inside', () => {
    const echoed = echoCommand(CRAFTED);
    expect(echoed).toBe(
      '`/trail who arn:aws:iam::111122223333:user/xˋ&lt;https://evil.example/login|Approve the change&gt;ˋ&lt;!here&gt;|y &gt; *approved*`',
    );
    expect(echoCommand(`sg ${'x'.repeat(500)}`).length).toBeLessThanOrEqual(202);
  });

  test('history and status lines', () => {
    for (const text of [
      historyLine(crafted, 'UTC'),
      statusText({ ...crafted, error: 'line 1\n> <!channel>' }, 'UTC'),
    ]) {
      expect(foreignControls(text)).toEqual([]);
      expect(text).toContain(echoCommand(CRAFTED));
      // Nothing the user typed starts a line of its own.
      expect(text.split('\n').filter((l) => /approved|^\s*>/.test(l.replace(/`[^`]*`/g, '')))).toEqual([]);
    }
  });

  test('status of an answer not posted yet says why, as data', () => {
    const text = statusText(
      { ...crafted, publishAttempts: 4, lastPublishError: 'Could not post the result in Slack (invalid_blocks)' },
      'UTC',
    );
    expect(text).toContain('not posted yet after 4 attempts: `Could not post the result in Slack (invalid_blocks)`');
    expect(statusText({ ...crafted, state: 'PUBLISHED', lastPublishError: 'old' }, 'UTC')).not.toContain('not posted');
  });

  test('schedules list', () => {
    const schedule: Schedule = {
      id: 'k3x9a1b2q7zc',
      channelId: 'C0SECOPS',
      createdBy: 'U0MALLORY',
      command: 'who',
      commandText: CRAFTED,
      cadence: { every: 'daily', at: '09:00' },
      timeZone: 'UTC',
      nextRunAt: '2026-11-22T09:00:00.000Z',
      createdAt: '2026-11-21T09:00:00.000Z',
    } as Schedule;
    const line = scheduleLine(schedule);
    expect(foreignControls(line)).toEqual([]);
    expect(line).toContain(echoCommand(CRAFTED));
    // The last run's reason quotes the question's words: data too.
    const skipped = scheduleLine({
      ...schedule,
      lastResult: {
        slot: '2026-11-21T09:00:00.000Z',
        outcome: 'skipped',
        error:
          '`who`: resource `arn:aws:iam::1:user/<https://evil.example|Approve>` is not a resource id or ARN.\n> ok',
        at: '2026-11-21T09:00:01.000Z',
      },
    } as Schedule);
    expect(foreignControls(skipped)).toEqual([]);
    expect(skipped.split('\n')).toHaveLength(1);
  });
});

describe('code fences hold any run of backticks', () => {
  test.each([3, 4, 5, 7, 12])('%i backticks inside cannot close the fence', (n) => {
    const value = `a${'`'.repeat(n)}<!channel>${'`'.repeat(n)}b`;
    const block = codeBlock(`SELECT 1 -- ${value}`);
    expect(fences(block)).toEqual(['```', '```']);
    expect(block.startsWith('```\n') && block.endsWith('\n```')).toBe(true);
    expect(foreignControls(block)).toEqual([]);
  });

  test('a backtick at either end of the body is kept away from the fence', () => {
    expect(fences(codeBlock('`x`'))).toEqual(['```', '```']);
    expect(fences(`\`\`\`${fenceBody('`x`')}\`\`\``)).toEqual(['```', '```']);
  });

  test('inline code: backticks of any run length are neutralised', () => {
    expect(codeSpan('a````b')).toBe('`aˋˋˋˋb`');
    expect(codeSpan('')).toBe('`—`');
  });

  test('Show SQL with a parameter holding backticks (a record from before the grammar) stays in one block', () => {
    const q = queryOf('who arn:aws:iam::123456789012:user/alice').query;
    const legacy = {
      ...q,
      params: q.params.map((p) =>
        p.value === 'arn:aws:iam::123456789012:user/alice' ? { ...p, value: 'x````<!here>````y' } : p,
      ),
    };
    const slack = fencedQueryText(legacy, 'slack');
    expect(fences(slack)).toEqual(['```', '```']);
    expect(foreignControls(slack)).toEqual([]);
    expect(slack).toContain('&lt;!here&gt;');
    // The terminal has no mrkdwn: it shows the SQL exactly.
    expect(fencedQueryText(legacy, 'terminal')).toContain("'x````<!here>````y'");
  });
});
