import { createHash } from 'node:crypto';
import type { ExecutionRecord } from './execution';
import type { PivotOrigin } from './input';
import type { ResultRows, RiskFlag } from './publisher';
import type { BoundQuery } from './query';

/** How long a question waits for its Confirm click (Slack's response_url also lasts 30 minutes). */
export const CONFIRM_TTL_SECONDS = 30 * 60;

/**
 * Dedupe key: the same normalised question in the same channel. The front door derives Re-run keys with it too
 * (QuerySubmission.requestKey), so it lives beside the submission.
 */
export function requestKeyOf(channelId: string, normalized: string): string {
  return createHash('sha256').update(`${channelId}\n${normalized}`).digest('hex').slice(0, 32);
}

/** Row annotator: flags for one row, given cell lookup by column name (the catalog's risk flags, bound per question). */
export type Annotator = (row: (column: string) => string | null) => Omit<RiskFlag, 'row'>[];

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
  /** Slack thread to answer in (NewExecution.threadTs). */
  threadTs?: string;
  /** A pivot's origin row (NewExecution.origin). */
  origin?: PivotOrigin;
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
  threadTs?: string;
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
  /**
   * Rows `from`… (at most `count`) of a finished question's answer, read back from its stored result, or fetched again
   * when that is gone (the "Show next 20 rows" button; the front door never reads results itself).
   */
  rowsOf?(execution: ExecutionRecord, from: number, count: number): Promise<ResultRows>;
}
