import { FollowUps } from '../../../src/surfaces/slack/follow-ups';

/** Lets setImmediate callbacks and pending promise jobs run a few times over. */
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`never happened: ${what}`);
}

describe('FollowUps: a command’s slow part waits while an ack is owed', () => {
  test('with no request open, a follow-up starts on a later turn, not inside the call', async () => {
    const gate = new FollowUps();
    const started: string[] = [];
    gate.later(() => started.push('a'));
    expect(started).toEqual([]);
    await turns();
    expect(started).toEqual(['a']);
  });

  test('queued while requests are open, follow-ups start in order once the last one is answered', async () => {
    const gate = new FollowUps({ maxHoldMs: 60_000, quietMs: 0 });
    const started: string[] = [];
    const first = gate.requestBegan();
    const second = gate.requestBegan();
    gate.later(() => started.push('a'));
    gate.later(() => started.push('b'));
    await turns();
    expect(started).toEqual([]);
    expect(gate.queued).toBe(2);
    first();
    first(); // a second call for the same request changes nothing
    await turns();
    expect(started).toEqual([]);
    expect(gate.pendingRequests).toBe(1);
    second();
    await turns();
    expect(started).toEqual(['a', 'b']);
    expect(gate.queued).toBe(0);
  });

  test('quiet() resolves as a follow-up would start: after the open requests are answered, in turn with the queue', async () => {
    const gate = new FollowUps({ maxHoldMs: 60_000, quietMs: 0 });
    const order: string[] = [];
    const answered = gate.requestBegan();
    gate.later(() => order.push('queued first'));
    const quiet = gate.quiet().then(() => order.push('quiet'));
    await turns();
    expect(order).toEqual([]);
    answered();
    await quiet;
    expect(order).toEqual(['queued first', 'quiet']);
  });

  test('after flush() (stopping) a follow-up or a pace no longer waits for a request that is still open', async () => {
    const gate = new FollowUps({ maxHoldMs: 60_000, quietMs: 0 });
    gate.requestBegan(); // half-read, never answered
    gate.flush();
    const started: string[] = [];
    gate.later(() => started.push('late'));
    const quiet = gate.quiet().then(() => started.push('quiet'));
    await quiet;
    expect(started).toEqual(['late', 'quiet']);
    expect(gate.pendingRequests).toBe(1);
  });

  test('a request arriving between two starts holds the rest of the queue', async () => {
    const gate = new FollowUps({ maxHoldMs: 60_000, quietMs: 0 });
    const started: string[] = [];
    let open: (() => void) | undefined;
    gate.later(() => {
      started.push('a');
      open = gate.requestBegan(); // a new command comes in right after the first follow-up started
    });
    gate.later(() => started.push('b'));
    await turns();
    expect(started).toEqual(['a']);
    open?.();
    await turns();
    expect(started).toEqual(['a', 'b']);
  });

  test('all answered is not enough: the receiver must also have had no new request for quietMs', async () => {
    let clock = 0;
    const gate = new FollowUps({ maxHoldMs: 60_000, quietMs: 10, now: () => clock });
    const started: string[] = [];
    gate.requestBegan()(); // a request came in at 0 and was answered at once, as in a burst's short gaps
    gate.later(() => started.push('a'));
    await turns();
    expect(started).toEqual([]);
    clock = 5;
    gate.requestBegan()(); // the next request of the burst
    clock = 12;
    await turns();
    expect(started).toEqual([]);
    clock = 16;
    await eventually(() => started.length === 1, 'started once quiet');
  });

  test('a steady stream of requests cannot starve a follow-up: it starts after maxHoldMs anyway', async () => {
    let clock = 0;
    const gate = new FollowUps({ maxHoldMs: 20, now: () => clock });
    const started: string[] = [];
    gate.requestBegan(); // never answered
    gate.later(() => started.push('a'));
    await turns();
    expect(started).toEqual([]);
    clock = 25;
    await eventually(() => started.length === 1, 'the held follow-up started');
    expect(started).toEqual(['a']);
  });

  test('flush() starts everything queued at once (shutdown), and a throwing follow-up does not stop the rest', async () => {
    const gate = new FollowUps({ maxHoldMs: 60_000 });
    const started: string[] = [];
    gate.requestBegan();
    gate.later(() => {
      started.push('a');
      throw new Error('boom');
    });
    gate.later(() => started.push('b'));
    gate.flush();
    expect(started).toEqual(['a', 'b']);
    expect(gate.queued).toBe(0);
  });
});
