/** What a surface (Slack listener, terminal, scheduler) hands the dispatcher. */
export interface CommandInput {
  /** Text after `/trail`, exactly as typed. */
  text: string;
  userId: string;
  channelId: string;
  surface: 'slack' | 'terminal' | 'schedule';
  /** Slack response_url, for ephemeral replies after the ack. */
  responseUrl?: string;
  /**
   * Slack: the thread the question was asked in (an `app_mention` in a thread, or the mention's own ts at top level).
   * The answer goes into it, and dedupe is per thread. Absent for `/trail`, which Slack does not allow in threads.
   */
  threadTs?: string;
  /** A pivot: the row of an earlier answer this question drills down from (its parent names it). */
  origin?: PivotOrigin;
}

/** The next questions a row of an answer offers (issue 17 item 2). */
export type PivotKind = 'principal' | 'source' | 'resource';

/** Which row of which question a pivot came from. */
export interface PivotOrigin {
  executionId: string;
  /** 0-based row of the origin's full result. */
  row: number;
  kind: PivotKind;
  /** The origin's command as typed (shown as data). */
  commandText: string;
}

/**
 * A pivot button or overflow option: the question it stands for (carried in the element's value, which Slack caps),
 * and the row of which earlier answer it came from. It is answered in the thread of that answer.
 */
export interface PivotInput {
  executionId: string;
  row: number;
  kind: PivotKind;
  question: string;
  userId: string;
  channelId: string;
  responseUrl?: string;
}

/**
 * The outcome of validating a command, available within milliseconds (no I/O), so a Slack listener can `ack()` with
 * it at once. `run` does the slow part after the ack; it never throws (failures are posted, not lost).
 */
export type Prepared = { kind: 'reply'; text: string } | { kind: 'run'; ackText?: string; run: () => Promise<void> };

/** `page`: "Show next 20 rows"; its `executionId` carries `<execution id>@<first row>` (src/dispatch/page.ts). */
export type ActionName = 'cancel' | 'rerun' | 'show_sql' | 'confirm' | 'page';

export interface ActionInput {
  action: ActionName;
  executionId: string;
  userId: string;
  channelId: string;
  responseUrl?: string;
}

export interface Dispatcher {
  prepare(input: CommandInput): Prepared;
  /** Buttons in a thread. Resolves to text for the clicking user, if any. */
  action(input: ActionInput): Promise<string | undefined>;
  /** A pivot button / overflow option: runs as its own question; resolves to text for the clicking user, if any. */
  pivot?(input: PivotInput): Promise<string | undefined>;
}
