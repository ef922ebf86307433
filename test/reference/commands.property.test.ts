import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { parseRequest } from '../../commands';
import type { CommandContext } from '../../commands/types';
import type { BoundQuery } from '../../src/core/query';
import { DuckDbEngine } from '../../src/engines/duckdb';
import { testConfig } from '../helpers/config';
import { runCommand } from '../helpers/run-query';
import { answerOf, flaggedByDirection } from './answers';
import { ACCOUNTS, eventSeed, eventsOf, REGIONS } from './dataset';
import {
  type Answer,
  type CloudTrailEvent,
  evaluate,
  inQuestion,
  type Question,
  type QuestionSpec,
  type Scope,
  seriesOf,
  worldOpen,
} from './evaluator';
import { type WrittenFile, writeDataset } from './files';
import { seriesRows } from './series';

/**
 * For every query command, DuckDB running the real template over generated CloudTrail files must give the reference
 * evaluator's answer (test/reference/evaluator.ts): the same event ids in the same order for listings, the same rows
 * in the same top-N order for summaries, and for `sg` the same events flagged world-open, by direction.
 *
 * Each run generates one dataset (4 to 40 events clustered at the window's edges and around midnight, written in
 * every supported layout, files in the day folder of their delivery up to 15 minutes late) and asks it one or more
 * questions. The number of questions compared per command is printed at the end.
 */

const MIDNIGHT = Date.parse('2026-11-21T00:00:00Z');
const NOW = new Date(MIDNIGHT + 2 * 86_400_000);
/** Datasets per command; raise it for a deeper search (`TRAIL_PROPERTY_RUNS=200 npx jest test/reference`). */
const NUM_RUNS = Number(process.env.TRAIL_PROPERTY_RUNS ?? 20);
/** Seconds per command before fast-check stops (shrinking a failure included), so a failure cannot hold npm test. */
const TIME_LIMIT_MS = Number(process.env.TRAIL_PROPERTY_SECONDS ?? 20) * 1000;

const hhmm = (ms: number) => new Date(ms).toISOString().slice(0, 16);

/** Windows around one midnight: two days, a whole day, evenings, the last minutes of a day, just before midnight. */
const windowArb = fc
  .record({
    startMinutes: fc.constantFrom(-2880, -1440, -360, -60, -30, -10),
    endMinutes: fc.constantFrom(-5, 0, 0, 10, 60, 180),
  })
  .filter(({ startMinutes, endMinutes }) => startMinutes < endMinutes)
  .map(({ startMinutes, endMinutes }) => ({
    start: new Date(MIDNIGHT + startMinutes * 60_000),
    end: new Date(MIDNIGHT + endMinutes * 60_000),
  }));

const scopeArb: fc.Arbitrary<Scope | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant(undefined),
  fc.constantFrom(...ACCOUNTS).map((a): Scope => ({ accounts: [a] })),
  fc.constantFrom(...REGIONS).map((r): Scope => ({ regions: [r] })),
  fc.constant<Scope>({ accounts: [ACCOUNTS[1]!], regions: [REGIONS[0]!] }),
);

const datasetArb = fc.record({
  window: windowArb,
  scope: scopeArb,
  seeds: fc.array(eventSeed, { minLength: 4, maxLength: 40 }),
});
type Dataset = typeof datasetArb extends fc.Arbitrary<infer T> ? T : never;

/** A question as the evaluator takes it, and the `/trail` text that asks it. */
interface Asked {
  question: Question;
  text: string;
  ctx: CommandContext;
}

const OFFHOURS_CONFIGS = [
  { offHours: { start: '00:00', end: '05:00', weekends: false }, timeZone: 'UTC' },
  { offHours: { start: '22:00', end: '06:00', weekends: true }, timeZone: 'Europe/Berlin' },
];

type Spec = QuestionSpec;

function ask(d: Dataset, spec: Spec, words: string, config = OFFHOURS_CONFIGS[0]!): Asked {
  const cfg = testConfig(config);
  const scopeText = [
    ...(d.scope?.accounts ?? []).map((a) => `account:${a}`),
    ...(d.scope?.regions ?? []).map((r) => `region:${r}`),
  ];
  const text = [
    spec.command,
    words,
    ...scopeText,
    `${hhmm(d.window.start.getTime())}Z..${hhmm(d.window.end.getTime())}Z`,
  ]
    .filter((w) => w !== '')
    .join(' ');
  const base = { window: d.window, ...(d.scope ? { scope: d.scope } : {}) };
  const question =
    spec.command === 'logins'
      ? { ...base, ...spec, knownNetworks: cfg.knownNetworks, offHours: cfg.offHours, timeZone: cfg.timeZone }
      : { ...base, ...spec };
  return { question: question as Question, text, ctx: { config: cfg, now: NOW } };
}

/** The questions one run asks per command: every mode, and parameters drawn from the dataset's pools. */
const questionsArb: Record<string, fc.Arbitrary<(d: Dataset) => Asked[]>> = {
  sg: fc
    .record({ ids: fc.subarray(['sg-5887f224', 'sg-0a1b2c3d', 'eni-6c5ca5a8'], { maxLength: 2 }), all: fc.boolean() })
    .map(({ ids, all }) => (d) => [
      ask(d, { command: 'sg', ids: [], all: false }, ''),
      ask(d, { command: 'sg', ids, all }, [...ids, ...(all ? ['--all'] : [])].join(' ')),
    ]),
  // Three of the six modes per run (every mode is asked across the runs) keep the file within npm test's budget.
  logins: fc
    .record({
      config: fc.constantFrom(...OFFHOURS_CONFIGS),
      modes: fc.shuffledSubarray(['all', 'offhours', 'mobile', 'external', 'nomfa', 'failed'] as const, {
        minLength: 3,
        maxLength: 3,
      }),
    })
    .map(
      ({ config, modes }) =>
        (d) =>
          modes.map((mode) => ask(d, { command: 'logins', mode } as Spec, mode, config)),
    ),
  errors: fc.integer({ min: 1, max: 6 }).map((top) => (d) => [ask(d, { command: 'errors', top }, `top ${top}`)]),
  users: fc.integer({ min: 1, max: 4 }).map((top) => (d) => [ask(d, { command: 'users', top }, `top ${top}`)]),
  root: fc.constant((d) => [ask(d, { command: 'root' }, '')]),
  who: fc
    .constantFrom(
      'sg-5887f224',
      'i-0abc123def4567890',
      'trail-bucket-1',
      'arn:aws:s3:::payroll-exports',
      'arn:aws:ec2:us-east-1:111122223333:instance/i-0fedcba9876543210',
      'alice',
    )
    .map((resource) => (d) => [ask(d, { command: 'who', resource }, resource)]),
  user: fc
    .constantFrom(
      'alice',
      'Deploy.Bot',
      'Admin',
      'arn:aws:iam::111122223333:user/bob',
      'arn:aws:iam::444455556666:role/ci-runner',
    )
    .map((user) => (d) => [ask(d, { command: 'user', user }, user)]),
  ip: fc
    .constantFrom(
      '198.51.100.0/24',
      '198.51.100.7',
      '2001:db8:100::/48',
      '2001:db8::/32',
      '2001:db8:100::7',
      '0.0.0.0/0',
      '::/0',
    )
    .map((network) => (d) => [ask(d, { command: 'ip', network }, network)]),
  recent: fc
    .shuffledSubarray(['all', 'writes', 'errors'] as const, { minLength: 2, maxLength: 2 })
    .map((modes) => (d) => modes.map((mode) => ask(d, { command: 'recent', mode }, mode))),
};

/**
 * A readable difference: for listings, which events one side has and the other lacks; for summaries, both answers.
 * Either way the events the question is about are listed with the file that holds each.
 */
function explain(asked: Asked, expected: Answer, actual: Answer, events: CloudTrailEvent[], files: WrittenFile[]) {
  const fileOf = new Map(files.flatMap((f) => f.ids.map((id) => [id, f.path] as const)));
  const shown = (e: CloudTrailEvent | undefined) => `${fileOf.get(String(e?.eventID))}: ${JSON.stringify(e)}`;
  const lines = [`/trail ${asked.text}`];
  if (expected.kind === 'listing' && actual.kind === 'listing') {
    const missing = expected.ids.filter((id) => !actual.ids.includes(id));
    const extra = actual.ids.filter((id) => !expected.ids.includes(id));
    const byId = new Map(events.map((e) => [String(e.eventID), e]));
    lines.push(`expected ${expected.ids.length} rows, DuckDB returned ${actual.ids.length}`);
    for (const id of missing) lines.push(`  missing: ${shown(byId.get(id))}`);
    for (const id of extra) lines.push(`  not expected: ${shown(byId.get(id))}`);
    if (!missing.length && !extra.length) {
      lines.push(`  order: expected ${expected.ids.join(' ')}; got ${actual.ids.join(' ')}`);
    }
  } else {
    lines.push(`expected ${JSON.stringify(expected)}`, `DuckDB   ${JSON.stringify(actual)}`, 'events in the window:');
    for (const e of events.filter((x) => inQuestion(x, asked.question))) lines.push(`  ${shown(e)}`);
  }
  return lines.join('\n');
}

describe('reference evaluator = DuckDB running the templates (property)', () => {
  let instance: DuckDBInstance;
  /** Per command: datasets generated, events in them, questions compared (shrinking a failure adds to these). */
  const cases = new Map<string, { datasets: number; events: number; questions: number }>();

  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  });
  afterAll(() => {
    instance.closeSync();
    const summary = [...cases].map(
      ([c, n]) => `${c}: ${n.questions} questions over ${n.datasets} datasets (${n.events} events)`,
    );
    console.log(`reference evaluator vs DuckDB, cases per command:\n${summary.join('\n')}`);
  });

  test.each(Object.keys(questionsArb))(
    '%s',
    async (command) => {
      await fc.assert(
        fc.asyncProperty(datasetArb, questionsArb[command]!, async (dataset, questionsOf) => {
          const dir = mkdtempSync(path.join(os.tmpdir(), 'trail-reference-'));
          const engine = new DuckDbEngine({ dataDir: dir, instance, logger: () => {} });
          try {
            const anchors = [dataset.window.start.getTime(), dataset.window.end.getTime(), MIDNIGHT];
            const events = eventsOf(dataset.seeds, anchors);
            const files = writeDataset(dir, events);
            const count = cases.get(command) ?? { datasets: 0, events: 0, questions: 0 };
            cases.set(command, count);
            count.datasets += 1;
            count.events += events.length;
            for (const asked of questionsOf(dataset)) {
              const expected = evaluate(events, asked.question);
              const result = await runCommand(engine, asked.text, asked.ctx);
              const actual = answerOf(expected.kind, result.records);
              count.questions += 1;
              if (JSON.stringify(actual) !== JSON.stringify(expected)) {
                throw new Error(explain(asked, expected, actual, events, files));
              }
              // errors and root: their chart's series query counts, per bucket, the events their groups count.
              const { query } = parseRequest(asked.text, asked.ctx) as { query: BoundQuery };
              if (query.series) {
                const want = seriesOf(events, asked.question, query.series.bucket);
                const got = await seriesRows(engine, query.series);
                if (JSON.stringify(got) !== JSON.stringify(want)) {
                  throw new Error(
                    `/trail ${asked.text} chart series\nexpected ${JSON.stringify(want)}\nDuckDB   ${JSON.stringify(got)}`,
                  );
                }
              }
              if (command === 'sg') {
                const flagged = flaggedByDirection(result.records, asked.ctx);
                const byId = new Map(events.map((e) => [String(e.eventID), e]));
                for (const id of actual.kind === 'listing' ? actual.ids : []) {
                  const want = worldOpen(byId.get(id)!);
                  const got = flagged.get(id) ?? { ingress: 0, egress: 0 };
                  if (want.ingress !== got.ingress || want.egress !== got.egress) {
                    throw new Error(
                      `/trail ${asked.text}\nworld-open rules of ${id}: expected ${JSON.stringify(want)}, flagged ${JSON.stringify(got)}\n${JSON.stringify(byId.get(id))}`,
                    );
                  }
                }
              }
            }
          } finally {
            await engine.close();
            rmSync(dir, { recursive: true, force: true });
          }
        }),
        // Shrinking re-runs DuckDB; the time limit keeps a failing run from holding npm test for minutes.
        { numRuns: NUM_RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS },
      );
    },
    120_000,
  );
});
