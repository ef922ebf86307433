import { S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from '../../../src/core/errors';
import type { BoundQuery } from '../../../src/core/query';
import { mapWithConcurrency, S3PartitionEstimator } from '../../../src/engines/athena/estimate';
import { FakeS3 } from '../../helpers/fake-s3';

const ORG = 'o-a1b2c3d4e5';
const A = '111122223333';
const B = '444455556666';
const root = `org-trail/AWSLogs/${ORG}`;
const file = (account: string, region: string, day: string, n: number) =>
  `${root}/${account}/CloudTrail/${region}/${day}/${account}_CloudTrail_${region}_${day.replaceAll('/', '')}T0${n}05Z_x${n}.json.gz`;

const OBJECTS: Record<string, number> = {
  // Account A, us-east-1: three files on the 20th (two pages), one on the 21st.
  [file(A, 'us-east-1', '2025/11/20', 1)]: 1000,
  [file(A, 'us-east-1', '2025/11/20', 2)]: 2000,
  [file(A, 'us-east-1', '2025/11/20', 3)]: 3000,
  [file(A, 'us-east-1', '2025/11/21', 1)]: 400,
  // Account A, eu-west-1: one file on the 21st; nothing on the 20th.
  [file(A, 'eu-west-1', '2025/11/21', 1)]: 50,
  // Outside the window, outside the scope, or not a log: never counted.
  [file(A, 'us-east-1', '2025/11/19', 1)]: 777_777,
  [file(B, 'us-east-1', '2025/11/20', 1)]: 888_888,
  [`${root}/${A}/CloudTrail-Digest/us-east-1/2025/11/20/digest.json.gz`]: 999_999,
};

const query = (scope?: BoundQuery['scope']): BoundQuery => ({
  template: 'console_logins',
  sql: 'SELECT 1',
  params: [],
  partitions: ['2025/11/20', '2025/11/21'],
  window: {
    start: '2025-11-20T12:00:00.000Z',
    end: '2025-11-21T12:00:00.000Z',
    label: '24h',
    partitions: ['2025/11/20', '2025/11/21'],
  },
  ...(scope ? { scope } : {}),
});

describe('S3PartitionEstimator against a local S3', () => {
  let s3: FakeS3;
  let client: S3Client;

  beforeAll(async () => {
    s3 = await FakeS3.start(OBJECTS, { pageSize: 2 });
    client = new S3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
    });
  });
  afterAll(async () => {
    client.destroy();
    await s3.close();
  });
  beforeEach(() => {
    s3.requests.length = 0;
    s3.maxInFlight = 0;
  });

  const estimator = (concurrency = 2) =>
    new S3PartitionEstimator({
      client,
      bucket: 'trailbot-org-logs',
      prefix: 'org-trail',
      accounts: [A, B],
      regions: ['us-east-1', 'eu-west-1'],
      organizationId: ORG,
      concurrency,
    });

  test('sums every page of every day prefix the scoped query reads', async () => {
    const result = await estimator().estimate(query({ accounts: [A] }));
    expect(result).toEqual({ bytes: 1000 + 2000 + 3000 + 400 + 50, objects: 5 });

    const prefixes = [...new Set(s3.listed.map((l) => l.prefix))].sort();
    expect(prefixes).toEqual(
      [
        `${root}/${A}/CloudTrail/eu-west-1/2025/11/20/`,
        `${root}/${A}/CloudTrail/eu-west-1/2025/11/21/`,
        `${root}/${A}/CloudTrail/us-east-1/2025/11/20/`,
        `${root}/${A}/CloudTrail/us-east-1/2025/11/21/`,
      ].sort(),
    );
    // The busy prefix took two pages, the second asked for with the token from the first.
    const busy = s3.listed.filter((l) => l.prefix === `${root}/${A}/CloudTrail/us-east-1/2025/11/20/`);
    expect(busy.map((l) => l.continuationToken)).toEqual([null, Buffer.from('2').toString('base64')]);
    expect(s3.maxInFlight).toBeLessThanOrEqual(2);
  });

  test('without a scope every configured account and region is read', async () => {
    const result = await estimator(3).estimate(query());
    expect(result).toEqual({ bytes: 1000 + 2000 + 3000 + 400 + 50 + 888_888, objects: 6 });
    expect(new Set(s3.listed.map((l) => l.prefix)).size).toBe(2 * 2 * 2);
    expect(s3.maxInFlight).toBeLessThanOrEqual(3);
  });

  test('a region scope narrows the prefixes; a scope outside the trail reads nothing', async () => {
    expect(await estimator().estimate(query({ accounts: [A], regions: ['eu-west-1'] }))).toEqual({
      bytes: 50,
      objects: 1,
    });
    s3.requests.length = 0;
    expect(await estimator().estimate(query({ accounts: ['999999999999'] }))).toEqual({ bytes: 0, objects: 0 });
    expect(s3.listed).toEqual([]);
  });

  test('prefixes without an organization or key prefix follow the plain CloudTrail layout', () => {
    const plain = new S3PartitionEstimator({
      client,
      bucket: 'logs-bucket',
      prefix: '',
      accounts: [A],
      regions: ['us-east-1'],
    });
    expect(plain.prefixesFor(query())).toEqual([
      `AWSLogs/${A}/CloudTrail/us-east-1/2025/11/20/`,
      `AWSLogs/${A}/CloudTrail/us-east-1/2025/11/21/`,
    ]);
  });

  test('a malformed partition or location is refused before listing anything', () => {
    expect(() => estimator().prefixesFor({ ...query(), partitions: ['2025-11-20'] })).toThrow(RangeError);
    expect(
      () => new S3PartitionEstimator({ client, bucket: 'Bad_Bucket', prefix: '/x/', accounts: ['12'], regions: [] }),
    ).toThrow(ConfigError);
  });
});

describe('mapWithConcurrency', () => {
  test('keeps input order, never exceeds the limit, and rejects on the first failure', async () => {
    let inFlight = 0;
    let max = 0;
    const out = await mapWithConcurrency([5, 1, 4, 2, 3], 2, async (n) => {
      inFlight += 1;
      max = Math.max(max, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(max).toBeLessThanOrEqual(2);
    await expect(
      mapWithConcurrency([1, 2], 2, async (n) => {
        if (n === 2) throw new Error('boom');
        return n;
      }),
    ).rejects.toThrow('boom');
    expect(await mapWithConcurrency([], 4, async (n: number) => n)).toEqual([]);
  });
});
