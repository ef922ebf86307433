import type { ScheduleStore } from '../../src/core/schedule';
import { silentLogger } from '../../src/logger';
import { Scheduler } from '../../src/scheduler/scheduler';
import { testConfig } from '../helpers/config';

/**
 * Issue 18: `printf 'help\n' | npm start` ended with "schedule recovery failed … Cannot reach DynamoDB" because the
 * session closed the store while the recovery that start() fires was still reading it. stop() must wait for it, and
 * no tick may follow a stop.
 */
describe('Scheduler start/stop', () => {
  test('stop() waits for the first recovery, and nothing runs after it', async () => {
    const calls: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const schedules = {
      async listAll() {
        calls.push('listAll');
        await gate;
        calls.push('listAll done');
        return [];
      },
      async listDue() {
        calls.push('listDue');
        return [];
      },
    } as unknown as ScheduleStore;
    const errors: string[] = [];
    const scheduler = new Scheduler({
      schedules,
      frontDoor: { runScheduled: async () => ({ kind: 'limited', message: '' }) },
      executions: { get: async () => undefined },
      config: testConfig(),
      logger: { ...silentLogger, error: (m: string) => errors.push(m) },
      tickMs: 60_000,
    });
    scheduler.start();
    const stopped = scheduler.stop().then(() => calls.push('stopped'));
    await Promise.resolve();
    release();
    await stopped;
    // Let any tick chained to the recovery run, if one were still scheduled.
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual(['listAll', 'listAll done', 'stopped']);
    expect(errors).toEqual([]);
  });
});
