import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { auditAnswers, auditPublications, classifyNotice, maxConcurrent, type SentCommand } from '../../soak/lib/audit';
import { parseCsvStrict } from '../../soak/lib/csv';
import { startThrottlingProxy, total } from '../../soak/lib/dynamo-throttle';
import { RESULT_COLUMNS, StatefulFakeAthena } from '../../soak/lib/fake-athena';
import { percentile } from '../../soak/lib/report';
import { startTimedFakeSlack, type TimedFakeSlack } from '../../soak/lib/slack';
import { PARTS, parseSoakArgs, SoakUsageError } from '../../soak/run';
import type { ResultPage } from '../../src/core/engine';
import type { ExecutionRecord } from '../../src/core/execution';
import { AthenaEngine, createAthenaClient } from '../../src/engines/athena';
import { AthenaThrottledError } from '../../src/engines/athena/errors';
import { startDynalite } from '../../src/store/dynalite';
import { quietKnownWarnings } from '../../src/util/quiet-warnings';
import { noWaitRetries } from '../engines/athena/no-wait-retries';
import { newExecution } from '../store/helpers';

quietKnownWarnings();

/** The soak's own instruments: each one must see the failure it exists to count. */

function execution(id: string, overrides: Partial<ExecutionRecord> = {}): ExecutionRecord {
  const base = newExecution({ channelId: 'C1', userId: 'U1', commandText: `sg ${id}` });
  return {
    ...base,
    id,
    state: 'PUBLISHED',
    createdAt: '2026-11-21T10:00:00.000Z',
    updatedAt: '2026-11-21T10:00:01.000Z',
    publishedAt: '2026-11-21T10:00:01.000Z',
    expiresAt: 2_000_000_000,
    ...overrides,
  };
}

async function post(fake: TimedFakeSlack, params: Record<string, string>): Promise<string> {
  const res = await fetch(`${fake.url}chat.postMessage`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer xoxb-soak-token' },
    body: new URLSearchParams(params).toString(),
  });
  const body = (await res.json()) as { ts: string };
  return body.ts;
}

describe('publication and answer audits', () => {
  let fake: TimedFakeSlack;
  beforeEach(async () => {
    fake = await startTimedFakeSlack();
  });
  afterEach(async () => {
    await fake.close();
  });

  test('one reply is once; none is lost; two is twice; a stray message and an unfinished execution are counted', async () => {
    const p1 = await post(fake, { channel: 'C1', text: 'q1' });
    const p2 = await post(fake, { channel: 'C1', text: 'q2' });
    const p3 = await post(fake, { channel: 'C1', text: 'q3' });
    await post(fake, { channel: 'C1', text: 'r1', thread_ts: p1 });
    await post(fake, { channel: 'C1', text: 'r2', thread_ts: p2 });
    await post(fake, { channel: 'C1', text: 'r2 again', thread_ts: p2 });
    await post(fake, { channel: 'C1', text: 'a second announce nobody recorded' });
    const audit = auditPublications(fake, [
      execution('e1', { parentRef: p1 }),
      execution('e2', { parentRef: p2 }),
      execution('e3', { parentRef: p3, state: 'RUNNING', publishedAt: undefined }),
    ]);
    expect(audit).toMatchObject({
      executions: 3,
      published: 2,
      unfinished: 1,
      answeredOnce: 1,
      repliedTwice: 1,
      noReply: 1,
      orphanMessages: 1,
      parentProblems: 0,
    });
    expect(audit.problemIds.sort()).toEqual(['e2', 'e3']);
    expect(audit.replyAt.get('e1')).toEqual(expect.any(Number));
  });

  test('each command is answered by its ack, a notice on its response_url, or an execution; never two', async () => {
    const sent = (index: number, text: string, kind: SentCommand['kind'], body = ''): SentCommand => ({
      index,
      kind,
      text,
      userId: 'U1',
      channelId: 'C1',
      responseId: `cmd${index}`,
      result: { status: 200, body, ackMs: 5, sentAt: Date.now() },
    });
    const commands = [
      sent(0, 'sg e1', 'query'),
      sent(1, 'sg e1', 'duplicate'),
      sent(2, 'help', 'help', JSON.stringify({ text: 'usage' })),
      sent(3, 'sg zz', 'query'),
      sent(4, 'history', 'history', JSON.stringify({ text: 'oops' })),
    ];
    const respond = (id: string, text: string) =>
      fetch(fake.responseUrl(id), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      });
    await respond('cmd1', 'The same question is already running in this channel (execution `e1`, asked by <@U1>)');
    await respond('cmd4', 'Last 1 questions in this channel:');
    const audit = auditAnswers(commands, fake, [execution('e1')], new Map());
    expect(audit.answeredOnce).toBe(3);
    expect(audit.unanswered).toBe(1); // `sg zz`: no ack text, no notice, no execution
    expect(audit.answeredTwice).toBe(1); // history: an ack reply and a notice
    expect(audit.duplicatesDeduped).toBe(1);
    expect(audit.dedupeDangling).toBe(0);

    // Told "Sorry" and then answered in a thread anyway: twice.
    await respond('cmd3', 'Sorry, that did not work: DynamoDB is throttling table `trailbot` even after retries');
    const again = auditAnswers(commands, fake, [execution('e1'), execution('e9', { commandText: 'sg zz' })], new Map());
    expect(again.unanswered).toBe(0);
    expect(again.answeredTwice).toBe(2);
    expect(again.problems.join('\n')).toContain('#3 query `sg zz`: answered sorry + execution');
  });

  test('notices are told apart; the most executions unfinished at once is counted per key', () => {
    expect(classifyNotice('You already have 3 questions running (the limit is 3).')).toBe('limited');
    expect(classifyNotice('This channel already has 10 questions running')).toBe('limited');
    expect(classifyNotice('The same question was just answered in this channel (execution `x`')).toBe('duplicate');
    expect(classifyNotice('Sorry, that did not work: …')).toBe('sorry');
    expect(classifyNotice('`abc123` · Nov 21 · <@U1>')).toBe('status');
    const at = (s: number) => new Date(Date.UTC(2026, 10, 21, 10, 0, s)).toISOString();
    const runs = [
      execution('a', { createdAt: at(0), publishedAt: at(10) }),
      execution('b', { createdAt: at(1), publishedAt: at(5) }),
      execution('c', { createdAt: at(2), publishedAt: at(3) }),
      execution('d', { createdAt: at(10), publishedAt: at(12) }),
    ];
    expect(maxConcurrent(runs, (e) => e.userId)).toEqual({ max: 3, key: 'U1' });
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 99)).toBe(5);
  });
});

describe('strict RFC 4180 reader', () => {
  test('reads quoted fields with commas, quotes and line breaks', () => {
    const text = 'a,b,c\r\n"x, y","say ""hi""","line\nbreak"\r\n,,\r\n';
    expect(parseCsvStrict(text)).toEqual({
      records: [
        ['a', 'b', 'c'],
        ['x, y', 'say "hi"', 'line\nbreak'],
        ['', '', ''],
      ],
      problems: [],
    });
  });

  test('reports what breaks the RFC', () => {
    expect(parseCsvStrict('a,b\nc,d\r\n').problems[0]).toMatch(/unexpected "\\n"/);
    expect(parseCsvStrict('a,b"c\r\n').problems[0]).toMatch(/quote inside an unquoted field/);
    expect(parseCsvStrict('"a"b\r\n').problems[0]).toMatch(/unexpected "b"/);
    expect(parseCsvStrict('"a\r\n').problems[0]).toMatch(/unterminated/);
    expect(parseCsvStrict('a,b').problems[0]).toMatch(/CRLF/);
  });
});

describe('DynamoDB throttling proxy', () => {
  test('throttled requests reach the SDK as ThrottlingException; the rest pass through to dynalite', async () => {
    const dynalite = await startDynalite({});
    const proxy = await startThrottlingProxy({ target: dynalite.endpoint, rate: 1, seed: 1 });
    const client = (maxAttempts: number) =>
      new DynamoDBClient({
        endpoint: proxy.endpoint,
        region: 'local',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
        maxAttempts,
        retryStrategy: undefined,
      });
    const once = client(1);
    const retrying = client(8);
    try {
      await expect(once.send(new ListTablesCommand({}))).rejects.toMatchObject({ name: 'ThrottlingException' });
      proxy.setRate(0);
      await expect(once.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: [] });
      // Half the requests throttled: the SDK's retries get every call through.
      proxy.setRate(0.5);
      for (let i = 0; i < 5; i++) await retrying.send(new ListTablesCommand({}));
      expect(total(proxy.stats().throttled)).toBeGreaterThan(0);
      expect(proxy.stats().requests.ListTables).toBeGreaterThanOrEqual(7);
    } finally {
      once.destroy();
      retrying.destroy();
      await proxy.close();
      await dynalite.close();
    }
  });
});

describe('stateful fake Athena', () => {
  test('idempotent starts, paging with the header row on the first page only, throttling as Athena answers it', async () => {
    const fake = await StatefulFakeAthena.start({ seed: 2, maxRows: 2500, queuedPolls: 1, runningPolls: 1 });
    const client = createAthenaClient({
      region: 'us-east-1',
      endpoint: fake.endpoint,
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'x' },
      retryStrategy: noWaitRetries().strategy,
    });
    const engine = new AthenaEngine({ client, workgroup: 'trailbot', database: 'trailbot' });
    const query = {
      template: 't',
      sql: 'SELECT eventtime FROM cloudtrail_logs WHERE eventname = ?',
      params: [{ type: 'varchar' as const, value: "it's" }],
      partitions: [],
      window: { start: '2026-11-21T00:00:00.000Z', end: '2026-11-21T01:00:00.000Z', label: '1h', partitions: [] },
    };
    try {
      const id = await engine.start(query, { executionId: 'e1' });
      expect(await engine.start(query, { executionId: 'e1' })).toBe(id);
      expect(fake.starts.map((s) => s.executionParameters)).toEqual([["'it''s'"], ["'it''s'"]]);
      expect(fake.tokensWithSeveralIds()).toBe(0);
      const states: string[] = [];
      for (let i = 0; i < 4; i++) states.push((await engine.status(id)).state);
      expect(states).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED', 'SUCCEEDED']);
      const pages: ResultPage[] = [];
      for await (const page of engine.results(id)) pages.push(page);
      const rows = pages.flatMap((p) => p.rows);
      expect(pages[0]!.columns).toEqual(RESULT_COLUMNS);
      expect(rows.some((r) => r[0] === 'eventtime')).toBe(false);
      expect(new Set(rows.map((r) => r[4])).size).toBe(rows.length);

      fake.setThrottling({ start: 1 });
      await expect(engine.start(query, { executionId: 'e2' })).rejects.toBeInstanceOf(AthenaThrottledError);
      expect(fake.throttled.StartQueryExecution).toBe(6);
    } finally {
      client.destroy();
      await fake.close();
    }
  });
});

describe('soak options', () => {
  test('defaults are the issue’s figures; --quick shortens; bad options are refused', () => {
    const o = parseSoakArgs([]);
    expect(o).toMatchObject({
      commands: 500,
      durationS: 60,
      users: 20,
      channels: 5,
      kills: 20,
      texts: 10_000,
      rows: 100_000,
    });
    expect(o.parts).toEqual([...PARTS]);
    expect(parseSoakArgs(['--quick'])).toMatchObject({ commands: 100, durationS: 10, kills: 3, texts: 1000 });
    expect(parseSoakArgs(['--parts', 'faults,load']).parts).toEqual([
      'load',
      'faults.slack',
      'faults.athena',
      'faults.dynamodb',
      'faults.kill',
    ]);
    expect(parseSoakArgs(['--duration', '5', '--commands', '40']).durationS).toBe(5);
    expect(() => parseSoakArgs(['--parts', 'nope'])).toThrow(SoakUsageError);
    expect(() => parseSoakArgs(['--commands', 'x'])).toThrow(SoakUsageError);
    expect(() => parseSoakArgs(['--frobnicate'])).toThrow(SoakUsageError);
  });
});
