import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import type { CommandContext } from '../../commands/types';
import { DuckDbEngine } from '../../src/engines/duckdb';
import { testConfig } from '../helpers/config';
import { ACCOUNTS, type EventSeed, eventSeed, eventsOf, REGIONS } from '../reference/dataset';
import type { CloudTrailEvent } from '../reference/fields';
import { LAYOUTS, writeDataset } from '../reference/files';
import { HAVE_STRATUS, runDetection, STRATUS, stratusFiles } from './helpers';
import { type DetectionCommand, type DetectionQuestion, detectionListing, SELECTED } from './reference';

/**
 * DuckDB running the detection templates gives the reference evaluator's listing (test/detections/reference.ts):
 * the same events in the same order, on the 310 real records and on generated datasets that mix every selected
 * event with near misses (the same name from another service, reads, GuardDuty updates that do not disable it),
 * clustered at the window's edges, in every file layout, delivered up to 15 minutes late.
 */

const COMMANDS: DetectionCommand[] = ['tamper', 'iam', 'exposed'];

(HAVE_STRATUS ? describe : describe.skip)('reference evaluator = DuckDB on the real records (detections)', () => {
  const ctx: CommandContext = {
    config: testConfig({ window: { ...testConfig().window, maxDays: 200 } }),
    now: new Date('2025-01-02T00:00:00Z'),
  };
  const window = { start: new Date('2024-07-01T00:00:00Z'), end: new Date('2025-01-01T00:00:00Z') };
  let engine: DuckDbEngine;
  beforeAll(() => {
    engine = new DuckDbEngine({ dataDir: STRATUS, logger: () => {} });
  });
  afterAll(() => engine.close());

  test.each(COMMANDS)('%s', async (command) => {
    const events = [...stratusFiles().values()].flat() as CloudTrailEvent[];
    const expected = detectionListing(events, { command, window });
    const answer = await runDetection(engine, `${command} 2024-07-01..2024-12-31`, ctx);
    expect(answer.records.map((r) => String(r.eventid))).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
  });
});

if (!HAVE_STRATUS) console.log(`skipping the reference check on real records: ${STRATUS} does not exist`);

// ---------------------------------------------------------------------------------------------------------------
// Generated datasets

const MIDNIGHT = Date.parse('2026-11-21T00:00:00Z');
const NOW = new Date(MIDNIGHT + 2 * 86_400_000);
const NUM_RUNS = Number(process.env.TRAIL_PROPERTY_RUNS ?? 15);
const TIME_LIMIT_MS = Number(process.env.TRAIL_PROPERTY_SECONDS ?? 20) * 1000;

const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);

const pairsOf = (command: DetectionCommand) =>
  Object.entries(SELECTED[command]).flatMap(([source, names]) => names.map((n): [string, string] => [source, n]));

/** Near misses a template must leave out: a selected name from another service, reads, neighbouring calls. */
const NEAR_MISSES: [string, string][] = [
  ['ec2.amazonaws.com', 'StopLogging'],
  ['cloudtrail.amazonaws.com', 'DescribeTrails'],
  ['cloudtrail.amazonaws.com', 'StartLogging'],
  ['iam.amazonaws.com', 'ListUsers'],
  ['iam.amazonaws.com', 'DeleteLoginProfile'],
  ['sts.amazonaws.com', 'CreateUser'],
  ['s3.amazonaws.com', 'GetBucketPolicy'],
  ['guardduty.amazonaws.com', 'GetDetector'],
  ['rds.amazonaws.com', 'DescribeDBSnapshotAttributes'],
];

/** UpdateDetector's `enable`: false (JSON or text) turns GuardDuty off; true or absent does not. */
const detectorRequest = fc.constantFrom<unknown>(
  { detectorId: 'd1', enable: false },
  { detectorId: 'd1', enable: 'false' },
  { detectorId: 'd1', enable: true },
  { detectorId: 'd1', findingPublishingFrequency: 'SIX_HOURS' },
  null,
);

const identity = (account: string) =>
  fc.oneof(
    pick(['alice', 'bob']).map((u) => ({
      type: 'IAMUser',
      arn: `arn:aws:iam::${account}:user/${u}`,
      accountId: account,
      userName: u,
    })),
    pick(['Admin', 'ci-runner']).map((r) => ({
      type: 'AssumedRole',
      arn: `arn:aws:sts::${account}:assumed-role/${r}/session`,
      accountId: account,
      userName: '',
      sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${account}:role/${r}`, userName: r } },
    })),
  );

/** A detection-relevant call, with the seed fields of test/reference/dataset.ts (times at the anchors, lag, layout). */
const detectionSeed = (pairs: [string, string][]): fc.Arbitrary<EventSeed> =>
  fc
    .record({
      anchor: fc.nat(3),
      offsetSeconds: fc.integer({ min: -40, max: 40 }).map((n) => n * 30),
      lagSeconds: fc.integer({ min: 0, max: 899 }),
      layout: fc.nat(LAYOUTS.length - 1),
      account: pick(ACCOUNTS),
      region: pick(REGIONS),
      pair: pick(pairs),
      errorCode: fc.constantFrom<string | undefined>(undefined, '', 'AccessDenied', 'NoSuchEntity'),
    })
    .chain((s) =>
      fc
        .tuple(identity(s.account), s.pair[1] === 'UpdateDetector' ? detectorRequest : fc.constant({ name: 'x' }))
        .map(([userIdentity, requestParameters]) => ({
          kind: 'api' as const,
          anchor: s.anchor,
          offsetSeconds: s.offsetSeconds,
          lagSeconds: s.lagSeconds,
          layout: s.layout,
          account: s.account,
          region: s.region,
          source: '203.0.113.9',
          body: {
            eventSource: s.pair[0],
            eventName: s.pair[1],
            eventType: 'AwsApiCall',
            readOnly: false,
            userIdentity,
            requestParameters,
            responseElements: null,
            ...(s.errorCode === undefined ? {} : { errorCode: s.errorCode }),
          },
        })),
    );

const hhmm = (ms: number) => new Date(ms).toISOString().slice(0, 16);

/**
 * A dataset for one command: its own calls three times as likely as the other commands' calls and the near misses,
 * so most questions have rows to compare.
 */
const datasetArb = (command: DetectionCommand) => {
  const others = COMMANDS.filter((c) => c !== command).flatMap(pairsOf);
  const own = pairsOf(command);
  const pairs = [...own, ...own, ...own, ...others, ...NEAR_MISSES];
  return fc.record({
    window: fc
      .record({
        startMinutes: fc.constantFrom(-2880, -1440, -60, -10),
        endMinutes: fc.constantFrom(-5, 0, 10, 180),
      })
      .map(({ startMinutes, endMinutes }) => ({
        start: new Date(MIDNIGHT + startMinutes * 60_000),
        end: new Date(MIDNIGHT + endMinutes * 60_000),
      })),
    scope: fc.constantFrom<DetectionQuestion['scope']>(
      undefined,
      undefined,
      { accounts: [ACCOUNTS[1]!] },
      { regions: [REGIONS[0]!] },
    ),
    // Mostly detection calls, with the reference dataset's other events around them.
    seeds: fc.array(fc.oneof({ weight: 3, arbitrary: detectionSeed(pairs) }, { weight: 1, arbitrary: eventSeed }), {
      minLength: 4,
      maxLength: 40,
    }),
  });
};

describe('reference evaluator = DuckDB running the detection templates (property)', () => {
  let instance: DuckDBInstance;
  const compared = new Map<string, { questions: number; rows: number }>();
  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  });
  afterAll(() => {
    instance.closeSync();
    console.log(
      `detections, reference vs DuckDB: ${[...compared].map(([c, n]) => `${c} ${n.questions} questions, ${n.rows} rows`).join('; ')}`,
    );
  });

  test.each(COMMANDS)(
    '%s',
    async (command) => {
      await fc.assert(
        fc.asyncProperty(datasetArb(command), async (d) => {
          const dir = mkdtempSync(path.join(os.tmpdir(), 'trail-detections-ref-'));
          const engine = new DuckDbEngine({ dataDir: dir, instance, logger: () => {} });
          try {
            const events = eventsOf(d.seeds, [d.window.start.getTime(), d.window.end.getTime(), MIDNIGHT]);
            writeDataset(dir, events);
            const scopeText = [
              ...(d.scope?.accounts ?? []).map((a) => `account:${a}`),
              ...(d.scope?.regions ?? []).map((r) => `region:${r}`),
            ].join(' ');
            const text = `${command} ${scopeText} ${hhmm(d.window.start.getTime())}Z..${hhmm(d.window.end.getTime())}Z`;
            const expected = detectionListing(events, {
              command,
              window: d.window,
              ...(d.scope ? { scope: d.scope } : {}),
            });
            const answer = await runDetection(engine, text, { config: testConfig(), now: NOW });
            const actual = answer.records.map((r) => String(r.eventid));
            const n = compared.get(command) ?? { questions: 0, rows: 0 };
            compared.set(command, { questions: n.questions + 1, rows: n.rows + actual.length });
            if (JSON.stringify(actual) !== JSON.stringify(expected)) {
              const byId = new Map(events.map((e) => [String(e.eventID), e]));
              const missing = expected.filter((id) => !actual.includes(id)).map((id) => JSON.stringify(byId.get(id)));
              const extra = actual.filter((id) => !expected.includes(id)).map((id) => JSON.stringify(byId.get(id)));
              throw new Error(
                `/trail ${text}\nexpected ${expected.join(' ')}\nDuckDB   ${actual.join(' ')}\nmissing:\n${missing.join('\n')}\nnot expected:\n${extra.join('\n')}`,
              );
            }
          } finally {
            await engine.close();
            rmSync(dir, { recursive: true, force: true });
          }
        }),
        { numRuns: NUM_RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS },
      );
    },
    120_000,
  );
});
