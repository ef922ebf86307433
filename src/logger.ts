/** Structured log lines on stderr; the terminal surface keeps stdout for answers. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function consoleLogger(stream: NodeJS.WritableStream = process.stderr, level: 'info' | 'warn' = 'info'): Logger {
  const write = (lvl: string) => (message: string, fields?: Record<string, unknown>) => {
    stream.write(`${JSON.stringify({ at: new Date().toISOString(), level: lvl, message, ...fields })}\n`);
  };
  return {
    info: level === 'info' ? write('info') : () => {},
    warn: write('warn'),
    error: write('error'),
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
