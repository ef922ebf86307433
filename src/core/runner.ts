import type { ExecutionRecord } from './execution';
import type { BoundQuery } from './query';

/** What to run: the validated request, as the catalog's parser produced it. */
export interface QuerySubmission {
  command: string;
  commandText: string;
  normalized: string;
  query: BoundQuery;
  userId: string;
  channelId: string;
  surface: ExecutionRecord['surface'];
  responseUrl?: string;
  scheduleId?: string;
  /** Overrides the dedupe key (Re-run, schedules). */
  requestKey?: string;
  /** The asker already confirmed the pre-flight estimate (or it is a scheduled run they set up). */
  confirmed?: boolean;
}

export type SubmitOutcome =
  | { kind: 'started'; execution: ExecutionRecord }
  | { kind: 'duplicate'; execution: ExecutionRecord }
  | { kind: 'limited'; message: string }
  | { kind: 'needs-confirmation'; token: string; bytes: number }
  | { kind: 'over-budget'; message: string };

/** Who asks, where: enough to answer them (Slack's response_url when there is one). */
export interface Asker {
  userId: string;
  channelId: string;
  responseUrl?: string;
}

/**
 * The lifecycle of questions as the front door sees it (src/runner implements it): submit one, run one its asker
 * confirmed, cancel one. The runner never calls back into the front door.
 */
export interface QueryRunner {
  submit(submission: QuerySubmission): Promise<SubmitOutcome>;
  /** Runs a question its asker confirmed. Returns text for the person who clicked. */
  confirm(token: string, by: Asker): Promise<string | undefined>;
  /** Cancels a question; returns text for the person who asked to cancel. */
  cancel(id: string, by: string): Promise<string>;
}
