/**
 * Sign-ins remembered in this browser: one session token per meeting (localStorage), so a reload
 * or a new tab resumes the meeting without the invitation link.
 */
import { z } from 'zod';
import { RoleSchema } from '$shared/protocol/messages.ts';

const PREFIX = 'agora.session.';
const TAB_PREFIX = 'agora.tab.';

/** What the login flow returned, kept per meeting. */
export const StoredSessionSchema = z.object({
  meetingId: z.string(),
  userId: z.string(),
  role: RoleSchema,
  name: z.string(),
  token: z.string(),
  expiresAt: z.number(),
  meetingTitle: z.string().optional(),
});
export type StoredSession = z.infer<typeof StoredSessionSchema>;

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

/** The remembered sign-in for a meeting, or null. */
export function loadSession(meetingId: string): StoredSession | null {
  const raw = storage()?.getItem(PREFIX + meetingId);
  if (!raw) return null;
  try {
    const p = StoredSessionSchema.safeParse(JSON.parse(raw));
    return p.success ? p.data : null;
  } catch {
    return null;
  }
}

/** Remembers a sign-in for its meeting. */
export function saveSession(s: StoredSession): void {
  storage()?.setItem(PREFIX + s.meetingId, JSON.stringify(s));
}

/** Updates the token of a remembered sign-in (the hub pushes fresh tokens before expiry). */
export function updateToken(meetingId: string, token: string, expiresAt: number): void {
  const s = loadSession(meetingId);
  if (s) saveSession({ ...s, token, expiresAt });
}

/** Remembers the meeting's title for the home page list. */
export function rememberTitle(meetingId: string, title: string): void {
  const s = loadSession(meetingId);
  if (s && s.meetingTitle !== title) saveSession({ ...s, meetingTitle: title });
}

/** Forgets a meeting's sign-in. */
export function forgetSession(meetingId: string): void {
  storage()?.removeItem(PREFIX + meetingId);
}

/** Every remembered sign-in. */
export function listSessions(): StoredSession[] {
  const s = storage();
  if (!s) return [];
  const out: StoredSession[] = [];
  for (let i = 0; i < s.length; i++) {
    const key = s.key(i);
    if (!key?.startsWith(PREFIX)) continue;
    const v = loadSession(key.slice(PREFIX.length));
    if (v) out.push(v);
  }
  return out;
}

/**
 * The hub session id of this browser for a meeting, shared by its tabs: a second tab of the same
 * meeting replaces the first (which then shows "opened in another tab").
 */
export function browserSessionId(meetingId: string): string {
  const s = storage();
  const key = TAB_PREFIX + meetingId;
  const existing = s?.getItem(key);
  if (existing && /^[A-Za-z0-9_-]{8,64}$/.test(existing)) return existing;
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  const id = [...bytes].map((b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[b & 63]).join('');
  s?.setItem(key, id);
  return id;
}
