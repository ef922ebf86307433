/**
 * Executions by index: the unfinished ones (sparse `gsi2`) for resuming and limits, a channel's history (`gsi1`).
 * GSI reads are eventually consistent (DynamoDB Developer Guide, "Read consistency").
 */
import pLimit from 'p-limit';
import type { ExecutionRecord } from '../core/execution';
import { type Executions, toRecord } from './executions';
import { allOf, attributeIs, type Condition, liveAt, Placeholders } from './expression';
import { fromItem } from './item';
import { keys, STORE_TABLE, UNFINISHED } from './schema';
import { type TableOptions, TableStore } from './table';

/** GetItem calls in flight while confirming the unfinished list. */
const CONFIRM_CONCURRENCY = 8;

export class ExecutionLists extends TableStore {
  constructor(
    options: TableOptions,
    private readonly executions: Executions,
  ) {
    super(options);
  }

  /**
   * Oldest first. The sparse index is eventually consistent, so each listed item is re-read with a consistent
   * GetItem: one that was PUBLISHED a moment ago is not handed to the runner again.
   */
  async unfinished(): Promise<ExecutionRecord[]> {
    const index = STORE_TABLE.indexes.unfinished;
    const listed = await this.queryLive(index.indexName, attributeIs(index.partitionKey, UNFINISHED));
    const limit = pLimit(CONFIRM_CONCURRENCY);
    const confirmed = await Promise.all(listed.map((item) => limit(() => this.executions.get(String(item.id)))));
    return confirmed.filter((r): r is ExecutionRecord => r !== undefined && r.state !== 'PUBLISHED');
  }

  /** A channel's executions, newest first, at most `limit`. */
  async byChannel(channelId: string, limit: number): Promise<ExecutionRecord[]> {
    const index = STORE_TABLE.indexes.channelHistory;
    const key = attributeIs(index.partitionKey, keys.channelHistory(channelId));
    return (await this.queryLive(index.indexName, key, { limit, newestFirst: true })).map(toRecord);
  }

  /**
   * Unfinished executions (any state but PUBLISHED) of a user and/or in a channel, for the concurrency limits.
   * Counted on the sparse index: on AWS an execution created a moment ago may be missing from the count for a
   * fraction of a second.
   */
  async countActive(filter: { userId?: string; channelId?: string }): Promise<number> {
    const index = STORE_TABLE.indexes.unfinished;
    const x = new Placeholders();
    const KeyConditionExpression = attributeIs(index.partitionKey, UNFINISHED)(x);
    const FilterExpression = allOf(
      liveAt(this.now()),
      ...(filter.userId !== undefined ? [attributeIs('userId', filter.userId)] : []),
      ...(filter.channelId !== undefined ? [attributeIs('channelId', filter.channelId)] : []),
    )(x);
    let count = 0;
    for await (const page of this.queryPages({
      IndexName: index.indexName,
      KeyConditionExpression,
      FilterExpression,
      ...x.attributes(),
      Select: 'COUNT',
    })) {
      count += page.Count ?? 0;
    }
    return count;
  }

  /** Query an index's partition until `limit` live (not TTL-expired) items are collected or it ends. */
  private async queryLive(
    indexName: string,
    key: Condition,
    options: { limit?: number; newestFirst?: boolean } = {},
  ): Promise<Record<string, unknown>[]> {
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const items: Record<string, unknown>[] = [];
    if (limit <= 0) return items;
    const x = new Placeholders();
    const KeyConditionExpression = key(x);
    // Expired items linger for up to two days on AWS and forever in dynalite (DynamoDB Developer Guide, "Time to
    // Live"; dynalite has no TTL deletion).
    const FilterExpression = liveAt(this.now())(x);
    // Limit counts items read before the filter, so a page may return fewer; keep paging until enough are live.
    const pages = this.queryPages(
      {
        IndexName: indexName,
        KeyConditionExpression,
        FilterExpression,
        ...x.attributes(),
        ...(options.newestFirst ? { ScanIndexForward: false } : {}),
      },
      () => (Number.isFinite(limit) ? Math.max(limit - items.length, 10) : undefined),
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) if (items.length < limit) items.push(fromItem(item));
      if (items.length >= limit) break;
    }
    return items;
  }
}
