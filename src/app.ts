import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { findCommand } from '../commands';
import { annotatorsFrom } from '../commands/annotate';
import { seriesBuilder } from './charts/series';
import type { TrailConfig } from './config';
import type { QueryEngine } from './core/engine';
import type { ExecutionRecord, ExecutionStore } from './core/execution';
import type { Dispatcher } from './core/input';
import type { Publisher, SeriesBuilder } from './core/publisher';
import { AliasBook } from './dispatch/aliases';
import { TrailDispatcher } from './dispatch/dispatcher';
import { createEngine } from './engines';
import type { Logger } from './logger';
import { Runner } from './runner/runner';
import { Scheduler, type SchedulerOptions } from './scheduler/scheduler';
import { Watcher, type WatcherOptions } from './scheduler/watcher';
import { DynamoAliasStore } from './store/aliases';
import { openStore } from './store/dynalite';
import { ScheduleStore } from './store/schedules';
import { WatchStore } from './store/watches';
import { isOffHours } from './time/window';

export interface TrailParts {
  config: TrailConfig;
  engine: QueryEngine;
  store: ExecutionStore;
  runner: Runner;
  dispatcher: TrailDispatcher;
  /** Schedules (when the store's table is reachable for them); `start()` it once the runner has resumed. */
  scheduler?: Scheduler;
  /** Watches (issue 19), beside the scheduler; `start()` it once the runner has resumed. */
  watcher?: Watcher;
  /** Waits for the runner and the scheduler, closes the engine and the store. */
  close(): Promise<void>;
}

export interface BuildOptions {
  config: TrailConfig;
  logger: Logger;
  /** The surface's publisher, or a function that builds it once the dispatcher exists (Slack needs both ways). */
  publisher: Publisher;
  now?: () => Date;
  /** Replaces the configured engine (tests, one-shot CLI). */
  engine?: QueryEngine;
  /** Options for the store (tests pass an in-memory dynalite); with a client and table, schedules are enabled. */
  store?: { store: ExecutionStore; close(): Promise<void>; client?: DynamoDBClient; tableName?: string };
  scheduler?: Partial<SchedulerOptions>;
  watcher?: Partial<WatcherOptions>;
  runner?: Partial<ConstructorParameters<typeof Runner>[0]>;
}

/**
 * Wires the parts along the one way through (ARCHITECTURE.md): dispatcher → runner → engine / store / publisher.
 * The surface (terminal REPL, Slack app, one-shot CLI) only decides where text comes from and where it goes.
 */
export async function buildTrail(o: BuildOptions): Promise<TrailParts> {
  const { config, logger } = o;
  const opened = o.store ?? (await openStore(config.store, { retentionDays: config.limits.retentionDays }));
  const engine = o.engine ?? createEngine(config, logger);
  const now = o.now ?? (() => new Date());
  // The embedded engine answers in milliseconds to seconds: poll it closely. Athena takes seconds to minutes and
  // its GetQueryExecution is rate-limited: start at half a second.
  const poll =
    engine.kind === 'duckdb'
      ? { initialMs: 50, maxMs: 1000, factor: 1.5 }
      : { initialMs: 500, maxMs: 5000, factor: 1.6 };
  // Watches live in the same table as schedules; their posted-event-id records are what the runner claims rows in.
  const watches =
    opened.client && opened.tableName
      ? new WatchStore({
          client: opened.client,
          tableName: opened.tableName,
          now,
          retentionDays: config.limits.retentionDays,
        })
      : undefined;
  const runner = new Runner({
    engine,
    ...(watches ? { posted: watches } : {}),
    poll,
    store: opened.store,
    publisher: o.publisher,
    resultsDir: config.resultsDir,
    limits: config.limits,
    cost: config.cost,
    annotatorFor: annotatorsFrom(config, now),
    seriesFor: seriesFrom(config),
    now,
    logger,
    ...o.runner,
  });
  const schedules =
    opened.client && opened.tableName
      ? new ScheduleStore({
          client: opened.client,
          tableName: opened.tableName,
          now,
          retentionDays: config.limits.retentionDays,
        })
      : undefined;
  // Saved questions (issue 17 item 6) live in the same table; the dispatcher expands them from a copy loaded here and
  // reloaded every minute (src/dispatch/aliases.ts), so `prepare` stays free of I/O.
  const aliases =
    opened.client && opened.tableName
      ? new AliasBook(
          new DynamoAliasStore({
            client: opened.client,
            tableName: opened.tableName,
            now,
            retentionDays: config.limits.retentionDays,
          }),
          logger,
        )
      : undefined;
  await aliases?.start();
  const dispatcher = new TrailDispatcher({
    config,
    runner,
    store: opened.store,
    publisher: o.publisher,
    now,
    logger,
    // `schedule` tells when results arrive: after the delivery delay this build's scheduler really waits.
    ...(schedules ? { schedules: { store: schedules, deliveryDelayMs: o.scheduler?.deliveryDelayMs } } : {}),
    ...(watches ? { watches: { store: watches } } : {}),
    // `cache status` reads the engine's columnar cache (the embedded engine's; Athena has none).
    cache: { engine: engine.kind, status: () => engine.cache?.status() },
    ...(aliases ? { aliases } : {}),
  });
  // The clock asks the front door for each due run, like any surface.
  const scheduler = schedules
    ? new Scheduler({
        schedules,
        frontDoor: dispatcher,
        executions: opened.store,
        config,
        now,
        logger,
        notify: (to, text) => o.publisher.notify(to, text),
        ...o.scheduler,
      })
    : undefined;
  const watcher = watches
    ? new Watcher({
        watches,
        frontDoor: dispatcher,
        executions: opened.store,
        config,
        now,
        logger,
        notify: (to, text) => o.publisher.notify(to, text),
        ...o.watcher,
      })
    : undefined;
  return {
    config,
    engine,
    store: opened.store,
    runner,
    dispatcher,
    scheduler,
    watcher,
    async close() {
      aliases?.stop();
      await scheduler?.stop();
      await watcher?.stop();
      await runner.idle();
      await engine.close?.();
      await opened.close();
    },
  };
}

/**
 * The chart series of an execution whose command declares one (issue 17): the catalog's ChartSpec bound to the
 * question's window and the configured off-hours. Here because the runner knows neither the catalog nor src/charts.
 */
export function seriesFrom(config: TrailConfig) {
  return (e: ExecutionRecord): SeriesBuilder | undefined => {
    const command = findCommand(e.command);
    if (command?.kind !== 'query' || !command.chart) return undefined;
    // A series template's rows are counts per bucket (the bucket the parser bound it to), complete, never capped.
    const series = e.query.series;
    if (series) {
      return seriesBuilder(
        { ...command.chart, timeColumn: 'bucket', bucket: series.bucket, markOffHours: false },
        { window: { start: new Date(e.query.window.start), end: new Date(e.query.window.end) }, bucketed: true },
      );
    }
    // A chart drawn from a series template cannot be counted from the answer's rows (groups, not events): an
    // execution bound without its series query (before this version) has no chart.
    if (command.chart.template) return undefined;
    return seriesBuilder(command.chart, {
      window: { start: new Date(e.query.window.start), end: new Date(e.query.window.end) },
      isOffHours: (t) => isOffHours(t, config.offHours, config.timeZone),
      ...(command.rowCap ? { rowCap: command.rowCap.rows } : {}),
    });
  };
}

/** A dispatcher whose target is set later: the Slack app needs a dispatcher before the publisher (its client) exists. */
export function lateDispatcher(): Dispatcher & { target?: Dispatcher } {
  const late: Dispatcher & { target?: Dispatcher } = {
    prepare(input) {
      if (!late.target) return { kind: 'reply', text: 'trailbot is starting; try again in a moment.' };
      return late.target.prepare(input);
    },
    async action(input) {
      return late.target ? late.target.action(input) : 'trailbot is starting; try again in a moment.';
    },
    async pivot(input) {
      if (!late.target?.pivot) return 'trailbot is starting; try again in a moment.';
      return late.target.pivot(input);
    },
  };
  return late;
}
