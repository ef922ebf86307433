import type { BoundQuery } from '../../src/core/query';
import type { QuerySubmission } from '../../src/core/runner';
import { S3PartitionEstimator } from '../../src/engines/athena/estimate';
import { createS3Client } from '../../src/engines/athena/s3';
import type { Logger } from '../../src/logger';
import { querySubmission } from '../helpers/commands';
import { FakeS3 } from '../helpers/fake-s3';
import { RecordingPublisher } from '../helpers/recording-publisher';
import { ScriptedEngine } from '../helpers/scripted-engine';
import { runnerWorld, testRunner } from './helpers';

/**
 * The cost pre-flight fails open: when the trail bucket cannot be listed (AccessDenied on a cross-account log
 * archive, S3 SlowDown) the question runs anyway and the reason is logged, instead of "Sorry, that did not work".
 */
const world = runnerWorld('trail-preflight-');
let s3: FakeS3;

beforeAll(async () => {
  s3 = await FakeS3.start({}, { bucketRegion: 'eu-west-1' });
});
afterAll(() => s3.close());

function recordingLogger(lines: { level: string; msg: string; fields?: Record<string, unknown> }[]): Logger {
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    lines.push({ level, msg, ...(fields ? { fields } : {}) });
  };
  return { info: at('info'), warn: at('warn'), error: at('error') };
}

async function runnerOverS3(logs: { level: string; msg: string; fields?: Record<string, unknown> }[]) {
  const { store } = await world.dynamo.newStore();
  const engine = new ScriptedEngine();
  const estimator = new S3PartitionEstimator({
    // The bot's Region is not the bucket's: the redirect is followed too.
    client: createS3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
      maxAttempts: 1,
    }),
    bucket: 'log-archive',
    prefix: '',
    accounts: ['111122223333'],
    regions: ['us-east-1'],
  });
  Object.assign(engine, { estimate: (q: BoundQuery) => estimator.estimate(q) });
  const publisher = new RecordingPublisher();
  const runner = testRunner({
    engine,
    store,
    publisher,
    resultsDir: world.resultsDir,
    cost: { confirmAboveBytes: 1_000_000 },
    logger: recordingLogger(logs),
  });
  return { runner, engine, publisher };
}

function submission(text = 'logins 24h'): QuerySubmission {
  return querySubmission(text);
}

describe.each([
  { status: 403, code: 'AccessDenied', message: 'Access Denied' },
  { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' },
])('listing the trail bucket fails with $code', (fault) => {
  afterEach(() => {
    s3.listFault = undefined;
  });

  test('the question still runs and is answered; the reason is logged', async () => {
    s3.listFault = fault;
    const logs: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
    const { runner, engine, publisher } = await runnerOverS3(logs);
    const outcome = await runner.submit(submission());
    expect(outcome.kind).toBe('started');
    expect(engine.starts).toHaveLength(1);
    expect(publisher.of('result')).toHaveLength(1);
    expect(publisher.of('notify')).toEqual([]);
    const line = logs.find((l) => l.msg === 'cost estimate unavailable; running without it');
    expect(String(line?.fields?.error)).toContain(fault.code);
    // The bucket was asked (through the redirect), and refused.
    expect(s3.requests.some((r) => r.status === fault.status)).toBe(true);
  });
});

test('a partial estimate says so in the confirmation it asks for', async () => {
  const logs: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const { runner, engine, publisher } = await runnerOverS3(logs);
  Object.assign(engine, {
    estimate: async () => ({
      bytes: 4_000_000,
      objects: 40,
      partial: { listed: 1, total: 2, reason: 'request budget of 1 listings reached' },
    }),
  });
  const outcome = await runner.submit(submission());
  expect(outcome.kind).toBe('needs-confirmation');
  expect(publisher.of('notify').at(-1)?.text).toContain(
    '(estimate partial: 1 of 2 day folders sized, the rest extrapolated)',
  );
  expect(logs.some((l) => l.msg === 'cost estimate partial')).toBe(true);
});
