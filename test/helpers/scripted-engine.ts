import { type QueryEngine, type QueryStatus, type ResultPage, UnknownQueryError } from '../../src/core/engine';
import type { BoundQuery } from '../../src/core/query';

/**
 * A QueryEngine test double for the runner (the contract is ours, so a double is the right seam here; the real
 * engines have their own tests against DuckDB and a recorded Athena). Each query reports RUNNING for `pollsBeforeDone`
 * status calls, then `outcome`; `forget()` simulates a restart of the embedded engine.
 */
export class ScriptedEngine implements QueryEngine {
  readonly kind = 'duckdb' as const;
  starts: { query: BoundQuery; executionId: string; engineId: string }[] = [];
  cancels: string[] = [];
  private polls = new Map<string, number>();
  private known = new Set<string>();
  pollsBeforeDone = 1;
  outcome: QueryStatus['state'] = 'SUCCEEDED';
  reason?: string;
  columns = ['eventname', 'username'];
  rows: (string | null)[][] = [
    ['AuthorizeSecurityGroupIngress', 'bobodell'],
    ['ModifyNetworkInterfaceAttribute', 'bobodell'],
  ];
  pageSize = 1;
  /** What `estimate` answers (the cost pre-flight). */
  estimateBytes = 0;

  async estimate(): Promise<{ bytes: number; objects: number }> {
    return { bytes: this.estimateBytes, objects: 1 };
  }

  async start(query: BoundQuery, o: { executionId: string }): Promise<string> {
    const engineId = `q-${this.starts.length + 1}`;
    this.starts.push({ query, executionId: o.executionId, engineId });
    this.known.add(engineId);
    this.polls.set(engineId, 0);
    return engineId;
  }

  async status(id: string): Promise<QueryStatus> {
    if (!this.known.has(id)) throw new UnknownQueryError(id);
    if (this.cancels.includes(id))
      return { state: 'CANCELLED', reason: 'Cancelled.', stats: { bytesScanned: 0, elapsedMs: 5 } };
    const n = (this.polls.get(id) ?? 0) + 1;
    this.polls.set(id, n);
    if (n <= this.pollsBeforeDone) return { state: 'RUNNING', stats: { bytesScanned: 0, elapsedMs: n } };
    return { state: this.outcome, reason: this.reason, stats: { bytesScanned: 2048, elapsedMs: 42, filesRead: 3 } };
  }

  async *results(id: string): AsyncIterable<ResultPage> {
    if (!this.known.has(id)) throw new UnknownQueryError(id);
    for (let i = 0; i < Math.max(1, this.rows.length); i += this.pageSize) {
      yield { columns: this.columns, rows: this.rows.slice(i, i + this.pageSize) };
    }
  }

  async cancel(id: string): Promise<void> {
    this.cancels.push(id);
  }

  /** The process died: the embedded engine no longer knows any query. */
  forget(): void {
    this.known.clear();
  }
}
