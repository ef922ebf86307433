/**
 * Real parts for scheduler tests: the real Runner on the real store (dynalite), a small scripted QueryEngine that
 * honours the engine contract (start → status → results pages), and a Publisher that records what it would post.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type QueryEngine,
  type QueryStatus,
  type ResultPage,
  type StartOptions,
  UnknownQueryError,
} from '../../src/core/engine';
import type { ExecutionRecord } from '../../src/core/execution';
import type { Publisher, Recipient, ResultSummary } from '../../src/core/publisher';
import type { BoundQuery } from '../../src/core/query';
import type { QueryRunner } from '../../src/core/runner';
import { TrailDispatcher } from '../../src/dispatch/dispatcher';
import { Runner } from '../../src/runner/runner';
import { Scheduler, type SchedulerOptions } from '../../src/scheduler/scheduler';
import { ScheduleStore } from '../../src/store/schedules';
import { testConfig } from '../helpers/config';
import type { LocalDynamo, TestClock } from '../store/helpers';

/** What the scripted engine answers for a query: rows, or a failure reason. */
export type Script = (query: BoundQuery) => { columns: string[]; rows: (string | null)[][] } | { fail: string };

export const ROOT_ROWS: Script = () => ({
  columns: ['eventtime', 'eventname', 'invoked_by', 'without_mfa'],
  rows: [['2026-11-20T10:00:00Z', 'ConsoleLogin', null, '1']],
});

export class ScriptedEngine implements QueryEngine {
  readonly kind = 'duckdb' as const;
  /** Every query started, in order. */
  readonly started: BoundQuery[] = [];
  private readonly queries = new Map<string, BoundQuery>();

  constructor(private readonly script: Script = ROOT_ROWS) {}

  async start(query: BoundQuery, options: StartOptions): Promise<string> {
    const id = `q-${options.executionId}`;
    if (!this.queries.has(id)) this.started.push(query);
    this.queries.set(id, query);
    return id;
  }

  async status(engineId: string): Promise<QueryStatus> {
    const query = this.queries.get(engineId);
    if (!query) throw new UnknownQueryError(engineId);
    const answer = this.script(query);
    const stats = { bytesScanned: 2048, elapsedMs: 12 };
    return 'fail' in answer ? { state: 'FAILED', reason: answer.fail, stats } : { state: 'SUCCEEDED', stats };
  }

  async *results(engineId: string): AsyncIterable<ResultPage> {
    const query = this.queries.get(engineId);
    if (!query) throw new UnknownQueryError(engineId);
    const answer = this.script(query);
    if ('fail' in answer) throw new Error('no results for a failed query');
    yield { columns: answer.columns, rows: answer.rows };
  }

  async cancel(): Promise<void> {}
}

export type Posted =
  | { kind: 'announce'; execution: ExecutionRecord }
  | { kind: 'result'; execution: ExecutionRecord; totalRows: number; columns: string[] }
  | { kind: 'csv'; execution: ExecutionRecord }
  | { kind: 'failure'; execution: ExecutionRecord }
  | { kind: 'parent'; execution: ExecutionRecord }
  | { kind: 'notify'; to: Recipient; text: string };

export class RecordingPublisher implements Publisher {
  readonly posted: Posted[] = [];

  /** Result and failure replies: what a channel reads as "the answer". */
  get answers(): Extract<Posted, { kind: 'result' | 'failure' }>[] {
    return this.posted.filter((p): p is Extract<Posted, { kind: 'result' | 'failure' }> =>
      ['result', 'failure'].includes(p.kind),
    );
  }

  async announce(execution: ExecutionRecord): Promise<string> {
    this.posted.push({ kind: 'announce', execution });
    return `parent-${execution.id}`;
  }

  async postResult(execution: ExecutionRecord, result: ResultSummary): Promise<string> {
    this.posted.push({ kind: 'result', execution, totalRows: result.totalRows, columns: result.columns });
    return `result-${execution.id}`;
  }

  async uploadCsv(execution: ExecutionRecord): Promise<string> {
    this.posted.push({ kind: 'csv', execution });
    return `file-${execution.id}`;
  }

  async postFailure(execution: ExecutionRecord): Promise<string> {
    this.posted.push({ kind: 'failure', execution });
    return `failure-${execution.id}`;
  }

  async updateParent(execution: ExecutionRecord): Promise<void> {
    this.posted.push({ kind: 'parent', execution });
  }

  async notify(to: Recipient, text: string): Promise<void> {
    this.posted.push({ kind: 'notify', to, text });
  }
}

export interface Bot {
  scheduler: Scheduler;
  runner: Runner;
  /** The front door the scheduler asks (and the one `schedule` is typed into). */
  dispatcher: TrailDispatcher;
  engine: ScriptedEngine;
  publisher: RecordingPublisher;
}

/**
 * One table, one clock, and `bot()` to start a "replica": its own engine, publisher, runner and scheduler on the
 * shared table. `close()` stops them and removes the results folder.
 */
export async function schedulerWorld(dynamo: LocalDynamo, clock: TestClock, configOverrides = {}) {
  const { store, tableName } = await dynamo.newStore({ clock });
  const schedules = new ScheduleStore({ client: dynamo.client, tableName, now: clock.now });
  const resultsDir = await mkdtemp(path.join(tmpdir(), 'trail-sched-'));
  const config = testConfig({ resultsDir, ...configOverrides });
  const bots: Bot[] = [];
  const bot = ({
    script,
    submit,
    ...options
  }: {
    script?: Script;
    /** Replaces the runner's submit behind the front door (a test of the scheduler alone). */
    submit?: QueryRunner['submit'];
  } & Partial<SchedulerOptions> = {}): Bot => {
    const engine = new ScriptedEngine(script);
    const publisher = new RecordingPublisher();
    const runner = new Runner({
      engine,
      store,
      publisher,
      resultsDir,
      limits: config.limits,
      now: clock.now,
      sleep: async () => {},
      poll: { initialMs: 1, maxMs: 1, factor: 1 },
      publishAttempts: 1,
    });
    const dispatcher = new TrailDispatcher({
      config: options.config ?? config,
      runner: {
        submit: submit ?? ((s) => runner.submit(s)),
        confirm: (token, by) => runner.confirm(token, by),
        cancel: (id, by) => runner.cancel(id, by),
      },
      store,
      publisher,
      now: clock.now,
      schedules: { store: schedules },
    });
    const scheduler = new Scheduler({
      schedules,
      frontDoor: dispatcher,
      executions: store,
      config: options.config ?? config,
      now: clock.now,
      deliveryDelayMs: 0,
      recoverEveryTicks: 1_000_000,
      notify: (to, text) => publisher.notify(to, text),
      ...options,
    });
    const made = { scheduler, runner, dispatcher, engine, publisher };
    bots.push(made);
    return made;
  };
  return {
    store,
    schedules,
    tableName,
    config,
    bot,
    async close() {
      await Promise.all(bots.map((b) => b.scheduler.stop()));
      await rm(resultsDir, { recursive: true, force: true });
    },
  };
}
