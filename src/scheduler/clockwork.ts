import { type Logger, silentLogger } from '../logger';

/**
 * What the two clocks (schedules and watches) share: tick on an interval that does not keep the process alive, after
 * a first recovery; never two ticks at once; stop waits for the current tick and for every run this process started.
 */
export abstract class Clockwork {
  protected readonly log: Logger;
  /** Runs this process is driving now, by key. */
  protected readonly inflight = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<unknown> | undefined;

  constructor(
    private readonly clock: { what: string; tickMs: number },
    logger: Logger | undefined,
  ) {
    this.log = logger ?? silentLogger;
  }

  /** Claims and starts what is due; resolves to how many runs it started. */
  abstract tick(): Promise<number>;
  /** Finishes or restarts runs a process (this one or a dead one) claimed but did not see through. */
  abstract recover(): Promise<number>;

  /** Ticks every `tickMs` after a first recovery now. */
  start(): void {
    if (this.timer) return;
    const run = () => {
      if (this.ticking) return; // a slow tick is still going: skip this one rather than pile up
      this.ticking = this.tick()
        .catch((err) => this.log.error(`${this.clock.what} tick failed`, { error: String(err) }))
        .finally(() => {
          this.ticking = undefined;
        });
    };
    this.timer = setInterval(run, this.clock.tickMs);
    this.timer.unref();
    // The first recovery counts as a tick, so stop() waits for it: a session that ends at once (`printf 'help\n' |
    // npm start`) must not close the store under it. Once stopped, no tick follows it.
    const first = this.recover().catch((err) =>
      this.log.error(`${this.clock.what} recovery failed`, { error: String(err) }),
    );
    this.ticking = first;
    void first.then(() => {
      if (this.ticking === first) this.ticking = undefined;
      if (this.timer) run();
    });
  }

  /** Stops ticking and waits for the current tick and the runs this process started. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    await this.idle();
  }

  /** Resolves when every run this process started has finished (and its result is recorded). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight.values()]);
  }
}
