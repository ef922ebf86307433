import type { WebClient } from '@slack/web-api';
import { createWebClient, SLACK_RETRY_POLICY } from '../../../src/surfaces/slack/client';
import { SlackPublishError } from '../../../src/surfaces/slack/publish-errors';
import { SlackPublisher } from '../../../src/surfaces/slack/publisher';
import { blockKitProblems, type FakeSlack, startFakeSlack } from '../../helpers/fake-slack';
import { execution, memoryLogger, resultWithCsv } from './fixtures';

const TOKEN = 'xoxb-test-token';
/** Fast retries for tests that exhaust them; the 429 test uses the production policy. */
const FAST_RETRIES = { retries: 2, minTimeout: 10, maxTimeout: 20, factor: 1 };

describe('SlackPublisher against the fake Slack Web API', () => {
  let slack: FakeSlack;
  let client: WebClient;
  let logger: ReturnType<typeof memoryLogger>;
  let cleanups: (() => void)[];

  beforeEach(async () => {
    slack = await startFakeSlack({ token: TOKEN });
    logger = memoryLogger();
    client = createWebClient(TOKEN, { slackApiUrl: slack.url, logger });
    cleanups = [];
  });
  afterEach(async () => {
    for (const cleanup of cleanups) cleanup();
    await slack.close();
  });

  function publisher(o: { client?: WebClient; now?: () => number; progressIntervalMs?: number } = {}) {
    return new SlackPublisher({ client: o.client ?? client, timeZone: 'UTC', logger, ...o });
  }

  test('announce → postResult → uploadCsv → updateParent: one thread, CSV bytes intact', async () => {
    const p = publisher();
    const running = execution({ state: 'RUNNING', stats: undefined, finishedAt: undefined });
    const parentTs = await p.announce(running);
    expect(parentTs).toBe(slack.messages[0].ts);
    expect(slack.messages[0]).toMatchObject({ channel: 'C0SECOPS', thread_ts: undefined });
    expect(slack.messages[0].text).toContain('<@U0ASKER> asked `/trail sg 12h`');

    const done = execution({ parentRef: parentTs });
    const { result, csv, cleanup } = resultWithCsv();
    cleanups.push(cleanup);
    const resultTs = await p.postResult(done, result);
    expect(slack.messages[1]).toMatchObject({ ts: resultTs, channel: 'C0SECOPS', thread_ts: parentTs });
    expect(slack.messages[1].blocks?.some((b) => (b as { type: string }).type === 'table')).toBe(true);

    const fileId = await p.uploadCsv(done, result);
    expect(slack.files).toHaveLength(1);
    const file = slack.files[0];
    expect(file.id).toBe(fileId);
    // The file on disk, after a UTF-8 byte-order mark (so Excel reads non-ASCII names right); the declared length counts it.
    expect(file.bytes?.equals(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), csv]))).toBe(true);
    expect(file.length).toBe(csv.length + 3);
    expect(file).toMatchObject({
      completed: true,
      channel_id: 'C0SECOPS',
      thread_ts: parentTs, // the parent, never the result reply's ts
      filename: 'trail-sg-ex-20261120-0001.csv',
      initial_comment: expect.stringContaining('All 3 rows as CSV'),
    });
    expect(slack.callsTo('files.completeUploadExternal')[0].params).toMatchObject({
      channel_id: 'C0SECOPS',
      thread_ts: parentTs,
    });

    await p.updateParent(done);
    expect(slack.messages[0].history).toHaveLength(1);
    expect(slack.messages[0].text).toContain('Done');
    expect(JSON.stringify(slack.messages[0].blocks)).toContain('trail_rerun');

    expect(slack.warnings).toEqual([]);
    for (const m of slack.messages) expect(blockKitProblems(m.blocks)).toEqual([]);
  });

  test('postFailure replies in the thread, or in the channel when there is no parent', async () => {
    const p = publisher();
    const parent = slack.seedMessage('C0SECOPS');
    const failed = execution({ state: 'FAILED', error: 'TABLE_NOT_FOUND: cloudtrail_logs', parentRef: parent.ts });
    const ts = await p.postFailure(failed);
    expect(slack.messages.find((m) => m.ts === ts)).toMatchObject({ thread_ts: parent.ts });
    expect(slack.messages.find((m) => m.ts === ts)?.text).toContain('TABLE_NOT_FOUND');

    const orphan = await p.postFailure(execution({ state: 'FAILED', error: 'boom', parentRef: undefined }));
    expect(slack.messages.find((m) => m.ts === orphan)).toMatchObject({ thread_ts: undefined, channel: 'C0SECOPS' });
  });

  test('progress updates the parent at most once per interval', async () => {
    let now = 0;
    const p = publisher({ now: () => now, progressIntervalMs: 10_000 });
    const e = execution({ state: 'RUNNING', stats: undefined });
    const parentRef = await p.announce(e);
    const running = { ...e, parentRef };
    now = 5_000;
    await p.progress(running, 5_000); // too soon after the announcement
    now = 11_000;
    await p.progress(running, 11_000);
    now = 15_000;
    await p.progress(running, 15_000); // too soon after the last update
    now = 21_500;
    await p.progress(running, 21_500);
    expect(slack.callsTo('chat.update')).toHaveLength(2);
    expect(slack.messages[0].text).toContain('Running');
    expect(JSON.stringify(slack.messages[0].blocks)).toContain('21.5 s');
  });

  test('a failed progress update is logged, not thrown', async () => {
    const p = publisher({
      client: createWebClient(TOKEN, { slackApiUrl: slack.url, logger, retryConfig: FAST_RETRIES }),
    });
    const running = execution({ state: 'RUNNING', parentRef: slack.seedMessage('C0SECOPS').ts });
    slack.failNext('chat.update', { error: 'message_not_found' });
    await expect(p.progress(running, 30_000)).resolves.toBeUndefined();
    expect(logger.lines.some((l) => l.level === 'warn' && l.text.includes('progress update'))).toBe(true);
  });

  test('notify posts to the response_url; an expired one falls back to chat.postEphemeral', async () => {
    const p = publisher();
    await p.notify({ channelId: 'C0SECOPS', userId: 'U0ASKER', responseUrl: slack.responseUrl('r1') }, 'Usage: …');
    expect(slack.responses).toEqual([
      { id: 'r1', body: { response_type: 'ephemeral', replace_original: false, text: 'Usage: …' } },
    ]);

    slack.failNext('response', { status: 404 });
    await p.notify({ channelId: 'C0SECOPS', userId: 'U0ASKER', responseUrl: slack.responseUrl('r2') }, 'expired');
    expect(slack.ephemerals).toEqual([
      expect.objectContaining({ channel: 'C0SECOPS', user: 'U0ASKER', text: 'expired' }),
    ]);

    await p.notify({ channelId: 'C0SECOPS', userId: 'U0OTHER' }, 'no url');
    expect(slack.ephemerals[1]).toMatchObject({ user: 'U0OTHER', text: 'no url' });
  });

  test('chat.postMessage answered 429 once (Retry-After: 1) → the message arrives exactly once', async () => {
    const p = publisher(); // production retry policy
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const ts = await p.announce(execution({ state: 'RUNNING' }));
    expect(slack.callsTo('chat.postMessage').map((c) => c.status)).toEqual([429, 200]);
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0].ts).toBe(ts);
  });

  test('Slack down (persistent 500) → the publisher throws a retryable error, nothing is posted', async () => {
    const p = publisher({
      client: createWebClient(TOKEN, { slackApiUrl: slack.url, logger, retryConfig: FAST_RETRIES }),
    });
    slack.failNext('chat.postMessage', { status: 500 }, Number.POSITIVE_INFINITY);
    const err = await p.announce(execution()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlackPublishError);
    expect(err).toMatchObject({
      code: 'SLACK_PUBLISH',
      step: 'announce the query',
      slackError: 'http_500',
      retryable: true,
    });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1 + FAST_RETRIES.retries);
    expect(slack.messages).toHaveLength(0);
  });

  test('a permanent Slack error says what to do and is not retryable', async () => {
    const p = publisher();
    slack.failNext('chat.postMessage', { error: 'not_in_channel' });
    const err = (await p.announce(execution()).catch((e: unknown) => e)) as SlackPublishError;
    expect(err.retryable).toBe(false);
    expect(err.slackError).toBe('not_in_channel');
    expect(err.userMessage).toContain('/invite @trailbot');
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
  });

  test('posting into a thread needs a parent; a missing CSV is a clear error', async () => {
    const p = publisher();
    const { result, cleanup } = resultWithCsv();
    cleanup(); // the file is gone
    await expect(p.postResult(execution({ parentRef: undefined }), result)).rejects.toMatchObject({
      slackError: 'no_parent',
      retryable: false,
    });
    await expect(p.uploadCsv(execution({ parentRef: slack.seedMessage('C0SECOPS').ts }), result)).rejects.toMatchObject(
      {
        code: 'CSV_MISSING',
      },
    );
    expect(slack.callsTo('files.getUploadURLExternal')).toHaveLength(0);
  });

  test('the retry policy stays bounded: worst-case backoff under 30 s', () => {
    const { retries = 0, minTimeout = 1000, maxTimeout = Number.POSITIVE_INFINITY, factor = 2 } = SLACK_RETRY_POLICY;
    let worst = 0;
    for (let i = 0; i < retries; i++) worst += Math.min(maxTimeout, 2 * minTimeout * factor ** i); // randomize ≤ ×2
    expect(worst).toBeLessThanOrEqual(30_000);
    expect(retries).toBeGreaterThan(0);
  });
});
