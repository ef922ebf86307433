import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunnerOptions } from '../../src/runner/context';
import { Runner } from '../../src/runner/runner';
import { type LocalDynamo, startLocalDynamo } from '../store/helpers';

/** What the runner tests share: one dynalite for the file and a results folder, removed after the last test. */
export interface RunnerWorld {
  readonly dynamo: LocalDynamo;
  readonly resultsDir: string;
}

/** Starts the world before the file's first test and tears it down after its last (call at the top level). */
export function runnerWorld(folderPrefix: string): RunnerWorld {
  let dynamo: LocalDynamo | undefined;
  let resultsDir: string | undefined;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    resultsDir = mkdtempSync(path.join(os.tmpdir(), folderPrefix));
  });
  afterAll(async () => {
    await dynamo?.close();
    if (resultsDir) rmSync(resultsDir, { recursive: true, force: true });
  });
  return {
    get dynamo() {
      if (!dynamo) throw new Error('dynalite is not started: use the world inside a test or a hook');
      return dynamo;
    },
    get resultsDir() {
      if (!resultsDir) throw new Error('the results folder is not made: use the world inside a test or a hook');
      return resultsDir;
    },
  };
}

/** A real pause of `ms` milliseconds (the runner's `sleep`), short so tests poll quickly. */
export function pause(ms: number): (delayMs: number) => Promise<void> {
  return () => new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls a minute apart with a pause that never ends (shorter pauses, such as the publisher's retries, take 2 ms): the
 * answer's wait only moves on when the engine says the query has ended (`QueryEngine.ended`).
 */
export function pollsOnlyEndedCanEnd(): Pick<RunnerOptions, 'poll' | 'sleep'> {
  return {
    poll: { initialMs: 60_000, maxMs: 60_000, factor: 1 },
    sleep: (ms) => (ms >= 60_000 ? new Promise<void>(() => {}) : new Promise((r) => setTimeout(r, 2))),
  };
}

/**
 * A Runner as the tests build it: limits of 3 per user and 10 per channel, no dedupe window, polling every
 * millisecond or two. `options` names the parts and overrides any of that.
 */
export function testRunner(
  options: Pick<RunnerOptions, 'engine' | 'store' | 'publisher' | 'resultsDir'> & Partial<RunnerOptions>,
): Runner {
  return new Runner(testRunnerOptions(options));
}

export function testRunnerOptions(
  options: Pick<RunnerOptions, 'engine' | 'store' | 'publisher' | 'resultsDir'> & Partial<RunnerOptions>,
): RunnerOptions {
  return {
    limits: { perUser: 3, perChannel: 10, dedupeSeconds: 0 },
    sleep: pause(2),
    poll: { initialMs: 1, maxMs: 2, factor: 2 },
    ...options,
  };
}
