/**
 * Questions waiting for their asker's confirmation (`PEND#<token>`, schema.ts): saved once, handed out once. A
 * conditional update marks one taken, so a double click runs one query.
 */
import type { PendingOwner } from '../core/execution';
import { ConditionFailedError } from './errors';
import {
  allOf,
  attributeIs,
  epochSeconds,
  itemExists,
  itemIsNew,
  liveAt,
  notExists,
  UpdateExpression,
} from './expression';
import { keys } from './schema';
import { TableStore } from './table';

export class PendingConfirmations extends TableStore {
  /** Keeps `payload` for `ttlSeconds`; never replaces a waiting question with the same id. */
  async save(id: string, owner: PendingOwner, payload: Record<string, unknown>, ttlSeconds: number): Promise<void> {
    const now = this.now();
    const item = {
      ...keys.pending(id),
      ...owner,
      payload,
      createdAt: now.toISOString(),
      expiresAt: epochSeconds(now) + ttlSeconds,
    };
    await this.putIf(`pending question ${id} is new`, item, itemIsNew());
  }

  /** The payload, `'not-owner'` when someone else asks for it (it stays waiting), or undefined (taken or expired). */
  async take(id: string, owner: PendingOwner): Promise<Record<string, unknown> | 'not-owner' | undefined> {
    const now = this.now();
    const waitingFor = allOf(
      itemExists(),
      notExists('takenAt'),
      liveAt(now),
      attributeIs('userId', owner.userId),
      attributeIs('channelId', owner.channelId),
    );
    try {
      const update = new UpdateExpression().set('takenAt', now.toISOString());
      const taken = await this.updateIf(
        `pending question ${id} waits for its asker`,
        keys.pending(id),
        update,
        waitingFor,
      );
      return taken?.payload as Record<string, unknown>;
    } catch (err) {
      if (!(err instanceof ConditionFailedError)) throw err;
      // Why not, from the item the failed condition carries: someone else's question still waiting, or nothing to take.
      const found = err.item;
      const waiting = found && found.takenAt === undefined && Number(found.expiresAt) > epochSeconds(now);
      return waiting ? 'not-owner' : undefined;
    }
  }
}
