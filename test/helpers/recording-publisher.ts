import type { ExecutionRecord } from '../../src/core/execution';
import type { Publisher, Recipient, ResultSummary } from '../../src/core/publisher';

export interface PublishedEvent {
  kind: 'announce' | 'result' | 'csv' | 'failure' | 'parent' | 'notify' | 'progress';
  id?: string;
  text?: string;
  summary?: ResultSummary;
  state?: string;
}

/** A Publisher that records what it was asked to show; `failNext(kind, n)` makes the surface fail n times. */
export class RecordingPublisher implements Publisher {
  events: PublishedEvent[] = [];
  private failures = new Map<string, number>();

  failNext(kind: PublishedEvent['kind'], times = 1): void {
    this.failures.set(kind, times);
  }

  private maybeFail(kind: string): void {
    const left = this.failures.get(kind) ?? 0;
    if (left > 0) {
      this.failures.set(kind, left - 1);
      throw new Error(`surface down (${kind})`);
    }
  }

  of(kind: PublishedEvent['kind'], id?: string): PublishedEvent[] {
    return this.events.filter((e) => e.kind === kind && (id === undefined || e.id === id));
  }

  async announce(e: ExecutionRecord) {
    this.maybeFail('announce');
    this.events.push({ kind: 'announce', id: e.id });
    return `parent-${e.id}`;
  }
  async progress(e: ExecutionRecord) {
    this.events.push({ kind: 'progress', id: e.id });
  }
  async postResult(e: ExecutionRecord, summary: ResultSummary) {
    this.maybeFail('result');
    this.events.push({ kind: 'result', id: e.id, summary });
    return `result-${e.id}`;
  }
  async uploadCsv(e: ExecutionRecord, summary: ResultSummary) {
    this.maybeFail('csv');
    this.events.push({ kind: 'csv', id: e.id, summary });
    return `file-${e.id}`;
  }
  async postFailure(e: ExecutionRecord) {
    this.maybeFail('failure');
    this.events.push({ kind: 'failure', id: e.id, text: e.error, state: e.state });
    return `failure-${e.id}`;
  }
  async updateParent(e: ExecutionRecord) {
    this.maybeFail('parent');
    this.events.push({ kind: 'parent', id: e.id, state: e.state });
  }
  async notify(_to: Recipient, text: string) {
    this.events.push({ kind: 'notify', text });
  }
}
