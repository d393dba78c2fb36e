/** Small helpers for JSON HTTP answers. */
import type { HttpResponse } from '../transport/uws.ts';

/** A JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers }, body: JSON.stringify(body) };
}

/** A JSON error response with a readable message. */
export function problem(status: number, error: string, details?: unknown): HttpResponse {
  return json(status, details === undefined ? { error } : { error, details });
}
