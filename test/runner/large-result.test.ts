import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { RESULT_COLUMNS, StatefulFakeAthena } from '../../soak/lib/fake-athena';
import { createAthenaClient } from '../../src/engines/athena/client';
import { AthenaEngine } from '../../src/engines/athena/engine';
import { createS3Client } from '../../src/engines/athena/s3';
import { querySubmission } from '../helpers/commands';
import { FakeS3 } from '../helpers/fake-s3';
import { RecordingPublisher } from '../helpers/recording-publisher';
import type { TestClock } from '../store/helpers';
import { pause, runnerWorld, testRunner } from './helpers';

/**
 * A 300,000-row answer (`sg` and `logins` have no row limit) collected through the real AthenaEngine: streamed from
 * the query's result file in S3 (one GetObject, no GetQueryResults paging), with the lease renewed while the rows
 * are written, so a second worker cannot take the execution over and repeat the work halfway.
 */
const ROWS = 300_000;
const CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

const world = runnerWorld('trail-large-');
let athena: StatefulFakeAthena;
let s3: FakeS3;

beforeAll(async () => {
  athena = await StatefulFakeAthena.start({
    seed: 7,
    rows: ROWS,
    queuedPolls: 0,
    runningPolls: 1,
    outputLocation: 's3://trailbot-results/athena/',
  });
  s3 = await FakeS3.start({});
  // Paced at 10 ms per 1,000 rows: the download lasts at least 3 s, twice the lease below.
  s3.onMissing = (key) => athena.resultCsvStream(key.replace(/^athena\//, '').replace(/\.csv$/, ''), 10);
});
afterAll(async () => {
  await athena.close();
  await s3.close();
});

test('300,000 rows streamed from the result file, the lease renewed while they are written', async () => {
  // The store's clock is the real one, so a lease that is not renewed really runs out.
  const { store } = await world.dynamo.newStore({ clock: { now: () => new Date() } as unknown as TestClock });
  const engine = new AthenaEngine({
    client: createAthenaClient({ region: 'us-east-1', endpoint: athena.endpoint, credentials: CREDENTIALS }),
    resultsClient: createS3Client({ region: 'us-east-1', endpoint: s3.endpoint, credentials: CREDENTIALS }),
    workgroup: 'trailbot',
    database: 'security',
  });
  const claims: string[] = [];
  const claim = store.claim.bind(store);
  store.claim = async (id, owner, leaseMs) => {
    claims.push(owner);
    return claim(id, owner, leaseMs);
  };
  const leaseMs = 1500;
  const make = (workerId: string) =>
    testRunner({
      engine,
      store,
      publisher: new RecordingPublisher(),
      resultsDir: world.resultsDir,
      sleep: pause(5),
      poll: { initialMs: 5, maxMs: 10, factor: 2 },
      workerId,
      leaseMs,
    });
  const a = make('replica-a');
  const b = make('replica-b');
  const s = querySubmission('logins all 24h');

  // Replica B sweeps all along, as a second task would: it must never get the execution while A is collecting.
  let sweeping = true;
  const sweeps = (async () => {
    while (sweeping) {
      await b.resume();
      await new Promise((res) => setTimeout(res, leaseMs / 2));
    }
  })();
  const outcome = await a.submit(s);
  sweeping = false;
  await sweeps;
  await b.idle();

  expect(outcome.kind).toBe('started');
  const id = outcome.kind === 'started' ? outcome.execution.id : '';
  const done = await store.get(id);
  expect(done).toMatchObject({ state: 'PUBLISHED', stats: { rows: ROWS } });
  // Every row came from the file: not one GetQueryResults call; the query was started once.
  expect(athena.calls.GetQueryResults ?? 0).toBe(0);
  expect(s3.requests.filter((q) => q.method === 'GET' && q.key.endsWith('.csv'))).toHaveLength(1);
  expect(new Set(athena.starts.map((x) => x.queryExecutionId)).size).toBe(1);
  // A renewed its lease during the run (more than the first claim), and B never won a claim.
  expect(claims.filter((o) => o === 'replica-a').length).toBeGreaterThan(1);
  const csv = path.join(world.resultsDir, `${id}.csv`);
  let lines = 0;
  let header = '';
  for await (const line of createInterface({ input: createReadStream(csv) })) {
    if (lines === 0) header = line;
    lines++;
  }
  expect(header).toBe(RESULT_COLUMNS.join(','));
  expect(lines).toBe(ROWS + 1);
}, 240_000);
