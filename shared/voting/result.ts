/** A value or a readable refusal: expected failures are values, never exceptions. */
export type Result<T, C extends string = string> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: C; readonly message: string };

/** Wraps a successful value. */
export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

/** Builds a refusal with a machine code and a message a voter can read. */
export function fail<C extends string>(code: C, message: string): { readonly ok: false; readonly code: C; readonly message: string } {
  return { ok: false, code, message };
}
