/** Log lines to stderr, one per event, with a level filter; procd passes stderr to the system log. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const max = LOG_LEVELS.indexOf(level);
  const emit = (l: LogLevel) => (message: string) => {
    if (LOG_LEVELS.indexOf(l) <= max) write(`${l}: ${message}\n`);
  };
  return { error: emit('error'), warn: emit('warn'), info: emit('info'), debug: emit('debug') };
}

/** A logger that drops everything, for tests and library use. */
export const silentLogger: Logger = createLogger('error', () => {});
