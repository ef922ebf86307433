import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';

/** The logging trailbot's Slack code needs: console-compatible, so `console` itself qualifies. */
export interface TrailLogger {
  debug(...msg: unknown[]): void;
  info(...msg: unknown[]): void;
  warn(...msg: unknown[]): void;
  error(...msg: unknown[]): void;
}

const SEVERITY: Record<LogLevel, number> = {
  [LogLevel.DEBUG]: 0,
  [LogLevel.INFO]: 1,
  [LogLevel.WARN]: 2,
  [LogLevel.ERROR]: 3,
};

/**
 * Adapts a TrailLogger to the `Logger` Bolt and the WebClient expect (they also call setLevel/getLevel/setName), so
 * Slack's own log lines go where trailbot's go. Bolt sets the level to INFO unless told otherwise; debug lines (which
 * include request bodies) are dropped below that.
 */
export function toSlackLogger(target: TrailLogger = console, level: LogLevel = LogLevel.INFO): SlackLogger {
  let current = level;
  let name = 'slack';
  const at =
    (lvl: LogLevel, write: (...msg: unknown[]) => void) =>
    (...msg: unknown[]): void => {
      if (SEVERITY[lvl] >= SEVERITY[current]) write(`[${name}]`, ...msg);
    };
  return {
    debug: at(LogLevel.DEBUG, (...m) => target.debug(...m)),
    info: at(LogLevel.INFO, (...m) => target.info(...m)),
    warn: at(LogLevel.WARN, (...m) => target.warn(...m)),
    error: at(LogLevel.ERROR, (...m) => target.error(...m)),
    setLevel: (l: LogLevel) => {
      current = l;
    },
    getLevel: () => current,
    setName: (n: string) => {
      name = n;
    },
  };
}
