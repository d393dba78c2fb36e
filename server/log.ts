/** The one logger module: structured JSON logs; child loggers per meeting and per session. */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Creates the root logger at the given level. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { svc: 'hub' }, timestamp: pino.stdTimeFunctions.isoTime });
}
