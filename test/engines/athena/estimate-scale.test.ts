import type { BoundQuery } from '../../../src/core/query';
import { S3PartitionEstimator } from '../../../src/engines/athena/estimate';
import { createS3Client } from '../../../src/engines/athena/s3';
import { FakeS3 } from '../../helpers/fake-s3';

/**
 * The pre-flight at organization scale: 10 accounts × 17 Regions × 30 days is 5,100 day folders, one ListObjectsV2
 * each. Closed days never change (folders are named by delivery time), so a second question over the same days
 * lists only what is still open; one estimate's work is bounded, and a bounded estimate says it is partial.
 */
const ORG = 'o-a1b2c3d4e5';
const ACCOUNTS = Array.from({ length: 10 }, (_, i) => String(111111111100 + i));
const REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-north-1',
  'ap-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-southeast-1',
  'ap-southeast-2',
  'ca-central-1',
  'sa-east-1',
];
// 2026-11-01 … 2026-11-30; "now" is the 30th at noon, so 29 days are closed and one is still being written.
const DAYS = Array.from({ length: 30 }, (_, i) => `2026/11/${String(i + 1).padStart(2, '0')}`);
const NOW = new Date('2026-11-30T12:00:00Z');
const FILE_BYTES = 1000;

function objects(): Record<string, number> {
  const all: Record<string, number> = {};
  for (const account of ACCOUNTS) {
    for (const region of REGIONS) {
      for (const day of DAYS) {
        all[`AWSLogs/${ORG}/${account}/CloudTrail/${region}/${day}/${account}_CloudTrail_${region}_x.json.gz`] =
          FILE_BYTES;
      }
    }
  }
  return all;
}

const query: BoundQuery = {
  template: 'console_logins',
  sql: 'SELECT 1',
  params: [],
  partitions: DAYS,
  window: { start: '2026-11-01T00:00:00.000Z', end: '2026-11-30T12:00:00.000Z', label: '30d', partitions: DAYS },
};

let s3: FakeS3;
beforeAll(async () => {
  s3 = await FakeS3.start(objects());
});
afterAll(() => s3.close());
beforeEach(() => {
  s3.requests.length = 0;
});

const estimator = (maxRequests?: number) =>
  new S3PartitionEstimator({
    client: createS3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
    }),
    bucket: 'org-log-archive',
    prefix: '',
    accounts: ACCOUNTS,
    regions: REGIONS,
    organizationId: ORG,
    concurrency: 16,
    now: () => NOW,
    ...(maxRequests !== undefined ? { maxRequests } : {}),
  });

const TOTAL = ACCOUNTS.length * REGIONS.length * DAYS.length;

test('5,100 folders: listed once, then only the open day is listed again', async () => {
  const e = estimator(TOTAL);
  expect(await e.estimate(query)).toEqual({ bytes: TOTAL * FILE_BYTES, objects: TOTAL });
  const first = s3.listed.length;
  expect(first).toBe(5100);

  s3.requests.length = 0;
  expect(await e.estimate(query)).toEqual({ bytes: TOTAL * FILE_BYTES, objects: TOTAL });
  // 29 closed days came from the cache; today's 170 folders (10 accounts × 17 Regions) were listed again.
  expect(s3.listed.length).toBe(ACCOUNTS.length * REGIONS.length);
  process.stdout.write(`pre-flight requests: first run ${first}, second run ${s3.listed.length}\n`);
}, 240_000);

test('with the default budget one estimate makes at most 1,000 listings and says it is partial', async () => {
  const e = estimator();
  const first = await e.estimate(query);
  expect(s3.listed.length).toBe(1000);
  expect(first.partial).toEqual({
    listed: 1000,
    total: TOTAL,
    reason: 'request budget of 1000 listings reached',
  });
  // Every folder holds the same bytes here, so the extrapolation lands on the true total.
  expect(first.bytes).toBe(TOTAL * FILE_BYTES);

  // The next question over the same days starts from what the first one cached: no closed folder is listed twice.
  const closedListedFirst = new Set(s3.listed.map((r) => r.prefix).filter((p) => !p.endsWith('/2026/11/30/')));
  s3.requests.length = 0;
  const second = await e.estimate(query);
  expect(s3.listed.length).toBe(1000);
  expect(s3.listed.filter((r) => closedListedFirst.has(r.prefix))).toEqual([]);
  expect(second.partial?.listed).toBe(closedListedFirst.size + 1000);
});
