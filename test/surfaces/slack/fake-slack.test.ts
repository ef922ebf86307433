import { WebClient, type WebClientOptions } from '@slack/web-api';
import { toSlackLogger } from '../../../src/surfaces/slack/logger';
import { blockKitProblems, type FakeSlack, messageWarnings, startFakeSlack } from '../../helpers/fake-slack';
import { memoryLogger } from './fixtures';

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const cell = (text: string) => ({ type: 'raw_text', text });

describe('blockKitProblems', () => {
  test('a valid message has no problems', () => {
    expect(
      blockKitProblems([
        { type: 'header', text: { type: 'plain_text', text: 'Security groups' } },
        section('*3 rows*'),
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'Nov 20' }] },
        {
          type: 'table',
          rows: [
            [cell('a'), cell('b')],
            [cell('1'), cell('2')],
          ],
        },
        {
          type: 'actions',
          elements: [
            { type: 'button', text: { type: 'plain_text', text: 'Re-run' }, action_id: 'trail_rerun', value: 'x' },
          ],
        },
        { type: 'divider' },
      ]),
    ).toEqual([]);
  });

  test('more than 50 blocks', () => {
    const blocks = Array.from({ length: 51 }, () => section('x'));
    expect(blockKitProblems(blocks)).toEqual(['51 blocks (max 50)']);
    expect(blockKitProblems(blocks.slice(0, 50))).toEqual([]);
  });

  test('section text over 3000 characters, or empty', () => {
    expect(blockKitProblems([section('x'.repeat(3000))])).toEqual([]);
    expect(blockKitProblems([section('x'.repeat(3001))])[0]).toMatch(/3001 characters \(max 3000\)/);
    expect(blockKitProblems([section('')])[0]).toMatch(/must not be empty/);
    expect(blockKitProblems([{ type: 'section' }])[0]).toMatch(/needs text or fields/);
  });

  test('section fields: at most 10 of at most 2000 characters', () => {
    const field = (n: number) => ({ type: 'mrkdwn', text: 'f'.repeat(n) });
    expect(blockKitProblems([{ type: 'section', fields: Array.from({ length: 11 }, () => field(1)) }])).toEqual([
      'block 0 (section): 11 fields (max 10)',
    ]);
    expect(blockKitProblems([{ type: 'section', fields: [field(2001)] }])[0]).toMatch(/max 2000/);
  });

  test('header must be plain_text of at most 150 characters', () => {
    expect(blockKitProblems([{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }])[0]).toMatch(
      /151 characters \(max 150\)/,
    );
    expect(blockKitProblems([{ type: 'header', text: { type: 'mrkdwn', text: '*h*' } }])).toEqual([
      'block 0 (header): text type must be plain_text',
    ]);
  });

  test('table: at most 100 rows of at most 20 cells, non-empty raw_text, one table per message', () => {
    const row = (n: number) => Array.from({ length: n }, (_, i) => cell(String(i)));
    expect(blockKitProblems([{ type: 'table', rows: Array.from({ length: 100 }, () => row(20)) }])).toEqual([]);
    expect(blockKitProblems([{ type: 'table', rows: Array.from({ length: 101 }, () => row(1)) }])).toEqual([
      'block 0 (table): 101 rows (max 100)',
    ]);
    expect(blockKitProblems([{ type: 'table', rows: [row(21)] }])).toEqual([
      'block 0 (table) row 0: 21 cells (max 20)',
    ]);
    expect(blockKitProblems([{ type: 'table', rows: [[cell('')]] }])[0]).toMatch(/non-empty text/);
    expect(blockKitProblems([{ type: 'table', rows: [[{ type: 'mrkdwn', text: 'x' }]] }])[0]).toMatch(/cell type/);
    const table = { type: 'table', rows: [row(1)] };
    expect(blockKitProblems([table, table])).toEqual(['2 table blocks (only one table is allowed per message)']);
  });

  test('context: 1 to 10 elements', () => {
    const el = { type: 'mrkdwn', text: 'c' };
    expect(blockKitProblems([{ type: 'context', elements: Array.from({ length: 11 }, () => el) }])).toEqual([
      'block 0 (context): 11 elements (max 10)',
    ]);
    expect(blockKitProblems([{ type: 'context', elements: [] }])[0]).toMatch(/non-empty/);
  });

  test('buttons: text ≤ 75 plain_text, value ≤ 2000, unique action_id per block', () => {
    const btn = (text: string, action_id: string, value = 'v') => ({
      type: 'button',
      text: { type: 'plain_text', text },
      action_id,
      value,
    });
    expect(blockKitProblems([{ type: 'actions', elements: [btn('b'.repeat(76), 'a')] }])[0]).toMatch(/max 75/);
    expect(blockKitProblems([{ type: 'actions', elements: [btn('ok', 'a', 'v'.repeat(2001))] }])[0]).toMatch(
      /value longer than 2000/,
    );
    expect(blockKitProblems([{ type: 'actions', elements: [btn('1', 'a'), btn('2', 'a')] }])).toEqual([
      'block 0 (actions): duplicate action_id a',
    ]);
  });

  test('text objects: verbatim only on mrkdwn, emoji only on plain_text, both booleans', () => {
    expect(blockKitProblems([{ type: 'section', text: { type: 'mrkdwn', text: 'x', verbatim: true } }])).toEqual([]);
    expect(blockKitProblems([{ type: 'section', text: { type: 'plain_text', text: 'x', verbatim: true } }])).toEqual([
      'block 0 (section): verbatim must be a boolean on a mrkdwn text object',
    ]);
    expect(blockKitProblems([{ type: 'section', text: { type: 'mrkdwn', text: 'x', emoji: true } }])).toEqual([
      'block 0 (section): emoji must be a boolean on a plain_text text object',
    ]);
    expect(blockKitProblems([{ type: 'section', text: { type: 'mrkdwn', text: 'x', verbatim: 'yes' } }])).toHaveLength(
      1,
    );
  });

  test('unknown block types, duplicate block ids and non-arrays', () => {
    expect(blockKitProblems({})).toEqual(['blocks must be an array']);
    expect(blockKitProblems([{ type: 'tabel' }])).toEqual(['block 0: unknown block type tabel']);
    expect(
      blockKitProblems([
        { ...section('a'), block_id: 'x' },
        { ...section('b'), block_id: 'x' },
      ]),
    ).toEqual(['block 1: duplicate block_id x']);
  });
});

describe('messageWarnings', () => {
  test('blocks without a text fallback are a warning, not an error', () => {
    expect(messageWarnings({ blocks: [section('x')] })).toEqual([expect.stringMatching(/text fallback/)]);
    expect(messageWarnings({ text: 'x', blocks: [section('x')] })).toEqual([]);
  });

  test('very long text and very large blocks are warnings', () => {
    expect(messageWarnings({ text: 'x'.repeat(4001) })[0]).toMatch(/4,000/);
    const big = Array.from({ length: 5 }, () => section('x'.repeat(2900)));
    expect(messageWarnings({ text: 'x', blocks: big })[0]).toMatch(/14500 characters/);
  });
});

describe('fake Slack Web API, driven by the real WebClient', () => {
  let slack: FakeSlack;
  let client: WebClient;
  let logger: ReturnType<typeof memoryLogger>;
  const clientFor = (token: string, extra: WebClientOptions = {}) =>
    new WebClient(token, {
      slackApiUrl: slack.url,
      retryConfig: { retries: 0 },
      logger: toSlackLogger(logger),
      ...extra,
    });
  beforeEach(async () => {
    slack = await startFakeSlack({ token: 'xoxb-test' });
    logger = memoryLogger();
    client = clientFor('xoxb-test');
  });
  afterEach(() => slack.close());

  test('auth.test answers and a wrong token is refused', async () => {
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true, user_id: 'U000BOT' });
    const stranger = clientFor('xoxb-wrong');
    await expect(stranger.auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
  });

  test('postMessage stores form-encoded blocks; update keeps the history; replies must name a parent', async () => {
    const parent = await client.chat.postMessage({ channel: 'C1', text: 'hi', blocks: [section('*hi*')] });
    expect(slack.messages[0]).toMatchObject({ channel: 'C1', ts: parent.ts, blocks: [section('*hi*')] });
    expect(slack.calls[0].params.blocks).toEqual([section('*hi*')]); // JSON string in the form, decoded

    await client.chat.update({ channel: 'C1', ts: parent.ts!, text: 'bye' });
    expect(slack.messages[0]).toMatchObject({ text: 'bye', history: [{ text: 'hi' }] });

    const reply = await client.chat.postMessage({ channel: 'C1', thread_ts: parent.ts, text: 'in thread' });
    await expect(client.chat.postMessage({ channel: 'C1', thread_ts: reply.ts, text: 'nested' })).rejects.toMatchObject(
      { data: { error: 'invalid_thread_ts' } },
    );
    await expect(client.chat.postMessage({ channel: 'C1', thread_ts: '1.000001', text: 'x' })).rejects.toMatchObject({
      data: { error: 'thread_not_found' },
    });
    expect(slack.messages).toHaveLength(2);
  });

  test('a message breaking Block Kit limits is rejected with every problem listed', async () => {
    await expect(
      client.chat.postMessage({ channel: 'C1', text: 'x', blocks: [section('x'.repeat(3001)) as never] }),
    ).rejects.toMatchObject({ data: { error: 'invalid_blocks', errors: [expect.stringMatching(/max 3000/)] } });
    expect(slack.messages).toHaveLength(0);
    // The WebClient logs response_metadata "[ERROR]" lines, so the reason shows up in trailbot's log too.
    expect(logger.lines).toContainEqual({ level: 'error', text: expect.stringMatching(/max 3000/) });
  });

  test('a missing text fallback is recorded as a warning', async () => {
    await client.chat.postMessage({ channel: 'C1', blocks: [section('only blocks') as never] });
    expect(slack.warnings).toEqual([{ method: 'chat.postMessage', message: expect.stringMatching(/fallback/) }]);
  });

  test('filesUploadV2 runs the three steps against the fake and the bytes arrive', async () => {
    const parent = await client.chat.postMessage({ channel: 'C1', text: 'parent' });
    const bytes = Buffer.from('a,b\r\n1,2\r\n');
    const res = await client.filesUploadV2({
      channel_id: 'C1',
      thread_ts: parent.ts!,
      file: bytes,
      filename: 'r.csv',
      title: 'Result',
      initial_comment: 'all rows',
    });
    expect(slack.callsTo('upload')).toHaveLength(1);
    expect(slack.files[0]).toMatchObject({
      filename: 'r.csv',
      length: bytes.length,
      completed: true,
      title: 'Result',
      channel_id: 'C1',
      thread_ts: parent.ts,
      initial_comment: 'all rows',
    });
    expect(slack.files[0].bytes?.equals(bytes)).toBe(true);
    expect(res.files[0].files?.[0]?.id).toBe(slack.files[0].id);
  });

  test('the upload URL also takes a raw body, and completing needs the bytes first', async () => {
    const { upload_url, file_id } = await client.files.getUploadURLExternal({ filename: 'raw.csv', length: 3 });
    await expect(
      client.files.completeUploadExternal({ files: [{ id: file_id! }], channel_id: 'C1' }),
    ).rejects.toMatchObject({ data: { error: 'file_upload_not_found' } });
    const res = await fetch(upload_url!, { method: 'POST', body: 'a,b' });
    expect(res.status).toBe(200);
    expect(slack.files[0].bytes?.toString()).toBe('a,b');
    await client.files.completeUploadExternal({ files: [{ id: file_id!, title: 'Raw' }], channel_id: 'C1' });
    expect(slack.files[0]).toMatchObject({ completed: true, title: 'Raw', channel_id: 'C1', thread_ts: undefined });
  });

  test('failNext: 429 with Retry-After, HTTP 500 and ok:false errors', async () => {
    slack.failNext('chat.postMessage', { error: 'ratelimited' });
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({
      data: { error: 'ratelimited' },
    });
    slack.failNext('chat.postMessage', { status: 500 }, 2);
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({ statusCode: 500 });
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({ statusCode: 500 });
    const limited = clientFor('xoxb-test', { rejectRateLimitedCalls: true });
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 7 });
    await expect(limited.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({ retryAfter: 7 });
    await client.chat.postMessage({ channel: 'C1', text: 'finally' });
    expect(slack.messages.map((m) => m.text)).toEqual(['finally']);
    expect(slack.callsTo('chat.postMessage').map((c) => c.status)).toEqual([200, 500, 500, 429, 200]);
  });

  test('rejectBlockTypes: a workspace that does not accept a block type answers invalid_blocks', async () => {
    const table = { type: 'table', rows: [[cell('a')], [cell('1')]] };
    await client.chat.postMessage({ channel: 'C1', text: 'x', blocks: [table] as never });
    slack.rejectBlockTypes(['table']);
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x', blocks: [table] as never })).rejects.toMatchObject(
      {
        data: { error: 'invalid_blocks', errors: ['block 0: block type table is not accepted in this workspace'] },
      },
    );
    await client.chat.postMessage({ channel: 'C1', text: 'x', blocks: [section('fine')] as never });
    expect(slack.messages).toHaveLength(2);
  });

  test('refuse: a rule answers with its error until removed; other calls pass', async () => {
    const remove = slack.refuse((method, params) =>
      method === 'chat.postMessage' && String(params.text).includes('secret') ? 'restricted_action' : undefined,
    );
    await expect(client.chat.postMessage({ channel: 'C1', text: 'a secret' })).rejects.toMatchObject({
      data: { error: 'restricted_action' },
    });
    await client.chat.postMessage({ channel: 'C1', text: 'public' });
    remove();
    await client.chat.postMessage({ channel: 'C1', text: 'a secret' });
    expect(slack.messages.map((m) => m.text)).toEqual(['public', 'a secret']);
  });

  test('a response_url message breaking Block Kit limits is refused too', async () => {
    const res = await fetch(slack.responseUrl('r1'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'x', blocks: [section('y'.repeat(3001))] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect(slack.responses).toEqual([]);
  });

  test('response URLs record JSON posts', async () => {
    const url = slack.responseUrl('abc');
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', text: 'only you' }),
    });
    expect(res.status).toBe(200);
    expect(slack.responses).toEqual([{ id: 'abc', body: { response_type: 'ephemeral', text: 'only you' } }]);
  });
});
