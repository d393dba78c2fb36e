/** Expected failures of identity flows are values: an HTTP status, a stable code for programs and a message for people. */

/** A refusal the user can read. */
export interface Refusal {
  ok: false;
  status: number;
  /** Stable, for the client and the audit log (e.g. 'expired', 'wrong-code', 'replayed'). */
  code: string;
  message: string;
  details?: unknown;
}

export type Outcome<T> = { ok: true; value: T } | Refusal;

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

export function refuse(status: number, code: string, message: string, details?: unknown): Refusal {
  return details === undefined ? { ok: false, status, code, message } : { ok: false, status, code, message, details };
}
