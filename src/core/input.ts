/** What a surface (Slack listener, terminal, scheduler) hands the dispatcher. */
export interface CommandInput {
  /** Text after `/trail`, exactly as typed. */
  text: string;
  userId: string;
  channelId: string;
  surface: 'slack' | 'terminal' | 'schedule';
  /** Slack response_url, for ephemeral replies after the ack. */
  responseUrl?: string;
}

/**
 * The outcome of validating a command, available within milliseconds (no I/O), so a Slack listener can `ack()` with
 * it at once. `run` does the slow part after the ack; it never throws (failures are posted, not lost).
 */
export type Prepared = { kind: 'reply'; text: string } | { kind: 'run'; ackText?: string; run: () => Promise<void> };

export type ActionName = 'cancel' | 'rerun' | 'show_sql' | 'confirm';

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
}
