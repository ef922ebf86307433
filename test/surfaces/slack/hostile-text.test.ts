/**
 * Issue 13 item 3: data inside risk flags, summaries and failure reasons can only ever be data in Slack. A record's
 * fields (user names, request parameters, error messages) are set by whoever made the call; they must not forge a
 * line ("approved change"), quote, format, link, ping `@here` or turn text around.
 */
import type { WebClient } from '@slack/web-api';
import type { ResultSummary } from '../../../src/core/publisher';
import { createWebClient } from '../../../src/surfaces/slack/client';
import type { SlackMessage } from '../../../src/surfaces/slack/kit';
import { renderFailure, renderParent, renderResult, renderShowSql } from '../../../src/surfaces/slack/messages';
import { SlackPublisher } from '../../../src/surfaces/slack/publisher';
import { blockKitProblems, type FakeSlack, startFakeSlack } from '../../helpers/fake-slack';
import { execution, memoryLogger, resultWithCsv } from './fixtures';

const opts = { timeZone: 'UTC', now: new Date('2026-11-21T00:00:00Z') };

/** Values an attacker can put into userName, requestParameters or an error message. */
const HOSTILE = [
  'bob\n:white_check_mark: approved change by security team',
  'bob\r\n> *Approved* by _security_ ~nothing~ to see',
  'bob `code` ``` fence ```` four',
  '@here @channel please click https://evil.example/login',
  'alice\u202etxt.exe\u202c and \u2066isolate\u2069',
  'zero\u200bwidth\u200c\u200d\u2060\ufeffjoin',
  '<!channel> <@U0EVIL> <https://evil.example|Approve>',
  'tab\there\u2028line\u2029para\u0085next\u000bvt',
];

/** The flag messages commands build, with a hostile user name in them (as sg's annotator does). */
function hostileFlags(): ResultSummary['flags'] {
  return HOSTILE.map((name, row) => ({
    row,
    code: 'world-open',
    message: `tcp/22 opened to 0.0.0.0/0 on sg-1 by ${name}`,
  }));
}

function summary(flags: ResultSummary['flags']): ResultSummary {
  return {
    columns: ['eventname', 'username'],
    topRows: HOSTILE.map((h) => ['AuthorizeSecurityGroupIngress', h]),
    totalRows: HOSTILE.length,
    flags,
    flagsTotal: flags.length,
    csvPath: '/tmp/none.csv',
    csvBytes: 1,
  };
}

function sectionsOf(m: SlackMessage) {
  return m.blocks.flatMap((b) => (b.type === 'section' && b.text ? [b.text] : []));
}

/** Outside inline code spans, a line holds only what trailbot wrote. */
function outsideCode(line: string): string {
  return line.replace(/`[^`\n]*`/g, '');
}

/** Invisible or direction-changing characters (Unicode Cf) and controls other than the line breaks trailbot writes. */
const INVISIBLE = /[\p{Cf}\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/u;

describe('risk flags with hostile data', () => {
  test('each flag is exactly one line, its message entirely inside inline code, in a verbatim section', () => {
    const m = renderResult(execution(), summary(hostileFlags()), opts);
    const flags = sectionsOf(m).find((t) => t.text.startsWith(':warning:'))!;
    expect(flags).toMatchObject({ type: 'mrkdwn', verbatim: true });
    const lines = flags.text.split('\n');
    expect(lines).toHaveLength(1 + HOSTILE.length);
    for (const line of lines.slice(1)) {
      expect(line).toMatch(/^• row \d+ `world-open` `[^`\n]+`$/);
      expect(outsideCode(line)).toMatch(/^• row \d+ {2}$/);
      expect(line).not.toMatch(INVISIBLE);
      expect(line).not.toMatch(/[<>]/);
    }
    // The data is still there to read, as data.
    expect(flags.text).toContain(
      '`tcp/22 opened to 0.0.0.0/0 on sg-1 by bob :white_check_mark: approved change by security team`',
    );
    expect(flags.text).toContain('by @here @channel please click https://evil.example/login`');
    expect(flags.text).toContain('by alicetxt.exe and isolate`');
    expect(flags.text).toContain('by &lt;!channel&gt; &lt;@U0EVIL&gt; &lt;https://evil.example|Approve&gt;`');
    expect(flags.text).toContain('by bob ˋcodeˋ ˋˋˋ fence ˋˋˋˋ four`');
  });

  test('the plain-text fallback (no blocks) keeps flags to one line of code each', async () => {
    let slack: FakeSlack | undefined;
    try {
      slack = await startFakeSlack();
      slack.refuse((method, params) =>
        method === 'chat.postMessage' && params.blocks !== undefined ? 'invalid_blocks' : undefined,
      );
      const client: WebClient = createWebClient('xoxb-x', { slackApiUrl: slack.url, logger: memoryLogger() });
      const parent = slack.seedMessage('C0SECOPS');
      const { result, cleanup } = resultWithCsv();
      try {
        await new SlackPublisher({ client, timeZone: 'UTC', logger: memoryLogger() }).postResult(
          execution({ parentRef: parent.ts }),
          { ...result, flags: hostileFlags(), flagsTotal: HOSTILE.length },
        );
      } finally {
        cleanup();
      }
      const reply = slack.messages.find((m) => m.thread_ts === parent.ts)!;
      const flagLines = reply.text!.split('\n').filter((l) => l.startsWith('• row'));
      expect(flagLines).toHaveLength(HOSTILE.length);
      for (const line of flagLines) expect(outsideCode(line)).toMatch(/^• row \d+ {2}$/);
      expect(reply.text).not.toMatch(INVISIBLE);
      expect(reply.text!.split('\n').some((l) => /^\s*>/.test(l) || /approved/i.test(outsideCode(l)))).toBe(false);
    } finally {
      await slack?.close();
    }
  });

  test('every message with hostile flags passes the fake Slack Block Kit checks', async () => {
    const slack = await startFakeSlack();
    try {
      const client = createWebClient('xoxb-x', { slackApiUrl: slack.url, logger: memoryLogger() });
      const parent = slack.seedMessage('C0SECOPS');
      const m = renderResult(execution(), summary(hostileFlags()), opts);
      await client.chat.postMessage({ channel: 'C0SECOPS', thread_ts: parent.ts, text: m.text, blocks: m.blocks });
      expect(slack.calls.filter((c) => c.response?.error)).toEqual([]);
      expect(blockKitProblems(slack.messages[1].blocks)).toEqual([]);
    } finally {
      await slack.close();
    }
  });
});

describe('summaries and failure reasons with hostile data', () => {
  // A command text recorded before the ARN grammar was tightened, or an engine reason quoting what was queried.
  const evilCommand = 'who arn:aws:iam::111122223333:user/x\n> :white_check_mark: *approved change*';
  const evilReason = 'SYNTAX_ERROR: line 1\n> :white_check_mark: *approved* by @here\u202e https://evil.example';

  test('the summary line, the parent and the fallback text hold the command as one line of code', () => {
    const e = execution({ commandText: evilCommand });
    for (const m of [renderResult(e, summary([]), opts), renderParent(e, opts)]) {
      for (const text of [m.text, ...sectionsOf(m).map((t) => t.text)]) {
        for (const line of text.split('\n')) {
          expect(outsideCode(line)).not.toMatch(/approved|^\s*>/);
          expect(line).not.toMatch(INVISIBLE);
        }
      }
    }
    expect(sectionsOf(renderResult(e, summary([]), opts))[0].text).toContain(
      '`/trail who arn:aws:iam::111122223333:user/x &gt; :white_check_mark: *approved change*`',
    );
  });

  test('a failure reason is one quoted line of code: no second line, no link, no bidi', () => {
    const e = execution({ state: 'FAILED', error: evilReason });
    for (const m of [renderFailure(e, opts), renderParent(e, opts)]) {
      const quote = sectionsOf(m).find((t) => t.text.startsWith('> '))!;
      expect(quote).toMatchObject({ verbatim: true });
      expect(quote.text.split('\n')).toHaveLength(1);
      expect(quote.text).toBe(
        '> `SYNTAX_ERROR: line 1 &gt; :white_check_mark: *approved* by @here https://evil.example`',
      );
      for (const line of m.text.split('\n')) expect(outsideCode(line)).not.toMatch(/approved|^\s*>/);
    }
  });
});

test('every mrkdwn object trailbot renders is verbatim: no auto-linked URL, channel name or @here in plain text', () => {
  const objects: Record<string, unknown>[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      if (o.type === 'mrkdwn') objects.push(o);
      Object.values(o).forEach(walk);
    }
  };
  const e = execution({ commandText: 'who my-bucket.example.com' });
  for (const m of [
    renderResult(e, summary(hostileFlags()), opts),
    renderParent(e, opts),
    renderFailure({ ...e, state: 'FAILED', error: 'see https://evil.example #general @here' }, opts),
    renderShowSql(e, opts),
  ])
    walk(m.blocks);
  expect(objects.length).toBeGreaterThan(8);
  for (const o of objects) expect(o).toMatchObject({ verbatim: true });
});

describe('code fences (issue 13 item 5)', () => {
  /** The runs of three or more backticks in a text. */
  const fences = (text: string) => text.match(/`{3,}/g) ?? [];

  test.each([3, 4, 5, 8])('a cell with %i backticks stays inside the aligned-text block', (n) => {
    const cell = `x${'`'.repeat(n)}*bold* <!here>${'`'.repeat(n)}`;
    const m = renderResult(
      execution(),
      {
        ...summary([]),
        topRows: [
          ['AuthorizeSecurityGroupIngress', cell],
          [`${'`'.repeat(n)}`, 'y'],
        ],
      },
      { ...opts, table: 'monospace' },
    );
    const blocks = sectionsOf(m).filter((t) => t.text.startsWith('```'));
    expect(blocks.length).toBeGreaterThan(0);
    for (const t of blocks) {
      expect(fences(t.text)).toEqual(['```', '```']);
      expect(t.text.endsWith('```')).toBe(true);
    }
  });

  test('Show SQL: a parameter with a run of backticks cannot end the SQL block', () => {
    const e = execution();
    const q = { ...e.query, params: [{ type: 'varchar' as const, value: 'a````b`````c' }, ...e.query.params.slice(1)] };
    const m = renderShowSql({ ...e, query: { ...q, sql: `${q.sql} -- \`\`\`\`` } }, opts);
    for (const t of sectionsOf(m).filter((s) => s.text.startsWith('```')))
      expect(fences(t.text)).toEqual(['```', '```']);
  });
});
