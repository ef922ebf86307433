/**
 * Leases on executions (`leaseOwner`, `leaseUntil` on the execution item): who drives an execution right now, so two
 * workers (replicas, or a resume racing a live runner) never both publish one answer (ExecutionStore.claim).
 */
import { allOf, attributeIs, itemExists, leaseFreeOrMine, liveAt, UpdateExpression } from './expression';
import { keys } from './schema';
import { TableStore } from './table';

export class Leases extends TableStore {
  /** Takes or renews the lease for `leaseMs`; false when another owner holds a lease that has not run out. */
  claim(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = this.now();
    const update = new UpdateExpression().set('leaseOwner', owner).set('leaseUntil', now.getTime() + leaseMs);
    return this.applied(() =>
      this.updateIf(
        `lease on ${id} is free or ${owner}'s`,
        keys.execution(id),
        update,
        allOf(itemExists(), liveAt(now), leaseFreeOrMine(owner, now)),
        { returns: 'NONE', carryItem: false },
      ),
    );
  }

  /** Gives the lease back early; nothing happens unless `owner` holds it. */
  async release(id: string, owner: string): Promise<void> {
    const update = new UpdateExpression().remove('leaseOwner').remove('leaseUntil');
    await this.applied(() =>
      this.updateIf(
        `lease on ${id} is ${owner}'s`,
        keys.execution(id),
        update,
        allOf(itemExists(), attributeIs('leaseOwner', owner)),
        { returns: 'NONE', carryItem: false },
      ),
    );
  }
}
