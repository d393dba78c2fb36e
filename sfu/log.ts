/**
 * The slice of a structured logger the SFU uses; a pino logger fits as it is. The hub
 * passes its child logger; tests and tools get `silentLogger`.
 */
export interface SfuLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): SfuLogger;
}

/** Drops everything. */
export const silentLogger: SfuLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

/** An error as a loggable object. */
export function errorInfo(err: unknown): { err: string } {
  return { err: err instanceof Error ? (err.stack ?? err.message) : String(err) };
}
