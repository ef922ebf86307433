import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { BoundQuery } from '../../../src/core/query';
import { S3PartitionEstimator } from '../../../src/engines/athena/estimate';
import { createS3Client } from '../../../src/engines/athena/s3';
import { FakeS3 } from '../../helpers/fake-s3';

const ACCOUNT = '111122223333';
const CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };
const key = (day: string, n: number) =>
  `AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/${day}/${ACCOUNT}_CloudTrail_us-east-1_${day.replaceAll('/', '')}T0${n}05Z_x.json.gz`;

const query: BoundQuery = {
  template: 'console_logins',
  sql: 'SELECT 1',
  params: [],
  partitions: ['2026/11/20', '2026/11/21'],
  window: {
    start: '2026-11-20T12:00:00.000Z',
    end: '2026-11-21T12:00:00.000Z',
    label: '24h',
    partitions: ['2026/11/20', '2026/11/21'],
  },
};

describe('the trail bucket in another Region than the bot', () => {
  let s3: FakeS3;
  beforeAll(async () => {
    s3 = await FakeS3.start(
      { [key('2026/11/20', 1)]: 1200, [key('2026/11/21', 1)]: 800, [key('2026/11/21', 2)]: 100 },
      { bucketRegion: 'eu-west-1' },
    );
  });
  afterAll(() => s3.close());
  beforeEach(() => {
    s3.requests.length = 0;
  });

  test('a plain S3 client in the bot Region gets 301 PermanentRedirect (what every question hit before)', async () => {
    const plain = s3.client('us-east-1');
    await expect(
      plain.send(new ListObjectsV2Command({ Bucket: 'trail-bucket', Prefix: `AWSLogs/${ACCOUNT}/` })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 301 } });
    plain.destroy();
  });

  test('the estimator finds the bucket Region once and lists there; the second estimate pays no redirect', async () => {
    const made: string[] = [];
    const clientFor = (region: string) => {
      made.push(region);
      return createS3Client({ region, endpoint: s3.endpoint, credentials: CREDENTIALS });
    };
    const estimator = new S3PartitionEstimator({
      client: clientFor('us-east-1'),
      clientForRegion: clientFor,
      bucket: 'trail-bucket',
      prefix: '',
      accounts: [ACCOUNT],
      regions: ['us-east-1'],
      now: () => new Date('2026-11-21T13:00:00Z'),
    });
    expect(await estimator.estimate(query)).toEqual({ bytes: 2100, objects: 3 });
    expect(made).toEqual(['us-east-1', 'eu-west-1']);
    // One redirect in all: HeadBucket signed for us-east-1. Every listing went to the bucket's Region.
    expect(s3.requests.filter((r) => r.status === 301).map((r) => r.method)).toEqual(['HEAD']);
    expect(new Set(s3.listed.map((r) => r.signedRegion))).toEqual(new Set(['eu-west-1']));

    s3.requests.length = 0;
    expect((await estimator.estimate(query)).bytes).toBe(2100);
    expect(s3.requests.filter((r) => r.status === 301)).toEqual([]);
  });

  test('without a Region lookup the client still follows the redirect', async () => {
    const estimator = new S3PartitionEstimator({
      client: createS3Client({ region: 'us-east-1', endpoint: s3.endpoint, credentials: CREDENTIALS }),
      bucket: 'trail-bucket',
      prefix: '',
      accounts: [ACCOUNT],
      regions: ['us-east-1'],
    });
    expect((await estimator.estimate(query)).bytes).toBe(2100);
  });

  test('AccessDenied or SlowDown on every listing: no estimate, and the error says so', async () => {
    const estimator = new S3PartitionEstimator({
      client: createS3Client({ region: 'eu-west-1', endpoint: s3.endpoint, credentials: CREDENTIALS, maxAttempts: 1 }),
      bucket: 'trail-bucket',
      prefix: '',
      accounts: [ACCOUNT],
      regions: ['us-east-1'],
    });
    s3.listFault = { status: 403, code: 'AccessDenied', message: 'Access Denied' };
    await expect(estimator.estimate(query)).rejects.toThrow(
      /cost estimate unavailable: S3 refused a listing: AccessDenied/,
    );
    s3.listFault = { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' };
    await expect(estimator.estimate(query)).rejects.toThrow(/SlowDown/);
    s3.listFault = undefined;
  });
});
