import type { RunnerContext } from './context';

/** The lease on an execution passed to another worker (ours ran out): stop driving it. */
export class LeaseLostError extends Error {}

/** This process is shutting down (handOver): stop driving, release the lease, leave the rest to another process. */
export class HandedOverError extends LeaseLostError {}

/** The engine is at its quota of active queries: stop driving for now and leave the question to the next sweep. */
export class QueuedForSweepError extends LeaseLostError {}

/**
 * This worker's claims on executions (ExecutionStore.claim), so that of several replicas one drives each execution,
 * and a dead worker's executions pass to another when its lease runs out.
 */
export class Leases {
  private readonly claimedAt = new Map<string, number>();
  private stopping = false;

  constructor(private readonly c: RunnerContext) {}

  /** SIGTERM: every renew from now on throws HandedOverError, so each drive stops at its next step. */
  handOver(): void {
    this.stopping = true;
  }

  get handingOver(): boolean {
    return this.stopping;
  }

  /** False when another worker holds the execution. */
  async claim(id: string): Promise<boolean> {
    if (!(await this.c.store.claim(id, this.c.workerId, this.c.leaseMs))) return false;
    this.claimedAt.set(id, Date.now());
    return true;
  }

  /** Renews the lease once a third of it has passed; throws LeaseLostError if another worker has taken over. */
  async renew(id: string): Promise<void> {
    if (this.stopping) throw new HandedOverError(id);
    const at = this.claimedAt.get(id) ?? 0;
    if (Date.now() - at < this.c.leaseMs / 3) return;
    if (!(await this.c.store.claim(id, this.c.workerId, this.c.leaseMs))) throw new LeaseLostError(id);
    this.claimedAt.set(id, Date.now());
  }

  /** Lets the execution go, so a sweep anywhere may take it at once (best effort: otherwise the lease runs out). */
  async release(id: string): Promise<void> {
    this.claimedAt.delete(id);
    await this.c.store.release(id, this.c.workerId).catch(() => {});
  }
}
