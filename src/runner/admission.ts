import type { CreateResult, ExecutionRecord } from '../core/execution';
import type { Recipient } from '../core/publisher';
import type { QuerySubmission, SubmitOutcome } from '../core/runner';
import { watchOf } from '../core/watch';
import { notifyQuietly, type RunnerContext } from './context';
import { channelLimitReached, duplicateQuestion, userLimitReached } from './messages';

export type Admitted = SubmitOutcome | { kind: 'created'; execution: ExecutionRecord };

/** Whose slots a question takes: its asker's and its channel's. */
function slotScopes(s: { userId: string; channelId: string }): { user: string; channel: string } {
  return { user: `user:${s.userId}`, channel: `channel:${s.channelId}` };
}

/**
 * Admission: the per-user and per-channel limits, then the idempotent create, whose duplicate points the asker to
 * the execution that already holds the question. Scheduled runs skip the limits (the person who set them up is not
 * there to be told).
 */
export class Admission {
  private readonly locks = new KeyedLocks();

  constructor(private readonly c: RunnerContext) {}

  /** Limits, then the idempotent create. */
  admit(s: QuerySubmission, recipient: Recipient, requestKey: string): Promise<Admitted> {
    // Counting and creating happen under the asker's and the channel's locks, so a burst of questions cannot all
    // read the same count and all pass (the soak suite saw 5 running against a limit of 3 before this).
    const scopes = slotScopes(s);
    return this.locks.holding([scopes.user, scopes.channel], () => this.admitLocked(s, recipient, requestKey));
  }

  private async admitLocked(s: QuerySubmission, recipient: Recipient, requestKey: string): Promise<Admitted> {
    const slotted = s.surface !== 'schedule' && this.c.store.acquireSlots !== undefined;
    if (s.surface !== 'schedule') {
      const refused = slotted ? await this.takeSlots(s, requestKey) : await this.countLimits(s);
      if (refused) {
        await notifyQuietly(this.c, recipient, refused);
        return { kind: 'limited', message: refused };
      }
    }
    let result: CreateResult;
    try {
      result = await this.c.store.create(
        {
          requestKey,
          commandText: s.commandText,
          command: s.command,
          request: { normalized: s.normalized },
          query: s.query,
          userId: s.userId,
          channelId: s.channelId,
          surface: s.surface,
          engine: this.c.engine.kind,
          ...(s.scheduleId ? { scheduleId: s.scheduleId } : {}),
          ...(watchOf(s) ? { watch: watchOf(s) } : {}),
          ...(s.threadTs ? { threadTs: s.threadTs } : {}),
          ...(s.origin ? { origin: s.origin } : {}),
        },
        { dedupeSeconds: this.c.limits.dedupeSeconds },
      );
    } catch (err) {
      if (slotted) await this.giveSlotsBack(s, requestKey);
      throw err;
    }
    const { execution, created } = result;
    if (!created) {
      // A duplicate already answered holds no slot, so the one just taken goes back. A running duplicate shares the
      // request key: taking its slot again changed nothing.
      if (slotted && execution.state === 'PUBLISHED') await this.giveSlotsBack(s, requestKey);
      await notifyQuietly(this.c, recipient, duplicateQuestion(execution));
      return { kind: 'duplicate', execution };
    }
    return { kind: 'created', execution };
  }

  /**
   * Per-user and per-channel limits as conditional counter items: exact across replicas, unlike a count through the
   * eventually consistent index (src/store/slots.ts). Returns the refusal text, or undefined when admitted.
   */
  private async takeSlots(s: QuerySubmission, requestKey: string): Promise<string | undefined> {
    const scopes = slotScopes(s);
    const outcome = await this.c.store.acquireSlots!(requestKey, [
      { scope: scopes.user, limit: this.c.limits.perUser },
      { scope: scopes.channel, limit: this.c.limits.perChannel },
    ]);
    if (outcome.ok) return undefined;
    return outcome.scope === scopes.user
      ? userLimitReached(outcome.holders, outcome.limit)
      : channelLimitReached(outcome.holders, outcome.limit);
  }

  /** Frees the slots a question held (it was published, or its create failed). Best effort. */
  async giveSlotsBack(s: { userId: string; channelId: string }, requestKey: string): Promise<void> {
    const scopes = slotScopes(s);
    await this.c.store
      .releaseSlots?.(requestKey, [scopes.user, scopes.channel])
      .catch((err) => this.c.log.warn('could not release limit slots', { error: String(err) }));
  }

  /** Limits counted through the store's index: a store without slot counters. */
  private async countLimits(s: QuerySubmission): Promise<string | undefined> {
    const mine = await this.c.store.countActive({ userId: s.userId });
    if (mine >= this.c.limits.perUser) return userLimitReached(mine, this.c.limits.perUser);
    const channel = await this.c.store.countActive({ channelId: s.channelId });
    if (channel >= this.c.limits.perChannel) return channelLimitReached(channel, this.c.limits.perChannel);
    return undefined;
  }
}

/**
 * In-process locks by key, taken in a fixed order. They make the per-user and per-channel limits exact within one
 * bot; across replicas the count is still read before the write (documented in the README as a soft limit).
 */
class KeyedLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async holding<T>(keys: string[], work: () => Promise<T>): Promise<T> {
    const releases: (() => void)[] = [];
    for (const key of [...new Set(keys)].sort()) releases.push(await this.lock(key));
    try {
      return await work();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  private async lock(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    return () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}
