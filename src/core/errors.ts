/**
 * Small typed errors with a code and a cause. `userMessage` is what a person sees in a channel or terminal: it says
 * what was wrong and what to do, never a stack trace.
 */
export class TrailError extends Error {
  constructor(
    readonly code: string,
    readonly userMessage: string,
    options?: { cause?: unknown },
  ) {
    super(userMessage, options);
    this.name = 'TrailError';
  }
}

/** Bad input typed by a user: shown with the usage of the command. */
export class UsageError extends TrailError {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super('USAGE', message);
    this.name = 'UsageError';
  }
}

/** Bad configuration: lists every problem at once, naming the variable. */
export class ConfigError extends TrailError {
  constructor(readonly problems: string[]) {
    super('CONFIG', `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Text safe to show a user for any error. */
export function userMessageOf(err: unknown): string {
  if (err instanceof TrailError) return err.userMessage;
  return 'Something went wrong inside trailbot; the details are in its log.';
}
