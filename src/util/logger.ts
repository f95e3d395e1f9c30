import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** pino JSON on stdout (or the given stream); field names are the stable ones listed in ARCHITECTURE.md. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { svc: 'rebound' } }, destination ?? pino.destination({ fd: 1, sync: false }));
}

/** A logger that drops everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** pino JSON on stderr, for a command whose stdout is its report. */
export function stderrLogger(level: string): Logger {
  return createLogger(level, pino.destination({ fd: 2, sync: true }));
}
