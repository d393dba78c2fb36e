/** HTTP routes of the protocol (minutes): generation, signing, the bundle. */
import type { HttpContext, Route } from '../api.ts';

/** The protocol routes. */
export function protocolRoutes(_ctx: HttpContext): Route[] {
  return [];
}
