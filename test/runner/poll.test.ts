import type { QueryEngine } from '../../src/core/engine';
import { pollPause } from '../../src/runner/poll';
import { ScriptedEngine } from '../helpers/scripted-engine';

/**
 * The pause between two polls (src/runner/poll.ts), shared by the answer's wait, its chart's series query and the
 * refetch of a lost result: it ends with the sleep, or sooner when the engine says the query has ended.
 */
describe('pollPause', () => {
  const never = () => new Promise<void>(() => {});

  test("an engine's `ended` ends a pause whose sleep never would", async () => {
    const asked: string[] = [];
    let end = () => {};
    const engine: QueryEngine = Object.assign(new ScriptedEngine(), {
      ended(id: string) {
        asked.push(id);
        return new Promise<void>((resolve) => {
          end = resolve;
        });
      },
    });
    let over = false;
    const pause = pollPause({ engine, sleep: never }, 'q-7', 60_000).then(() => {
      over = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(over).toBe(false);
    end();
    await pause;
    expect(over).toBe(true);
    expect(asked).toEqual(['q-7']);
  });

  test('an engine without `ended` (Athena) sleeps the whole delay', async () => {
    const slept: number[] = [];
    const engine = new ScriptedEngine();
    expect('ended' in engine).toBe(false);
    await pollPause(
      {
        engine,
        sleep: async (ms) => {
          slept.push(ms);
        },
      },
      'q-1',
      237,
    );
    expect(slept).toEqual([237]);
  });
});
