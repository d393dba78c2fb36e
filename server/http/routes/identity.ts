/** HTTP routes of identity and admission: notices, invitations, one-time codes, external identity, powers of attorney, key challenges. */
import type { HttpContext, Route } from '../api.ts';

/** The identity routes. */
export function identityRoutes(_ctx: HttpContext): Route[] {
  return [];
}
