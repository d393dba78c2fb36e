/**
 * Method 1, invitation links: a token bound to a register row's participant, single use, expiring,
 * revocable by the organizer; and the absentee ballot link, which works the same way but is reusable
 * until it expires (the voter comes back for receipts and results). Each refusal says why.
 */
import { hashToken } from '../auth/TokenService.ts';
import type { Hub } from '../hub/Hub.ts';
import { revokeLinks, type LinkPurpose } from '../hub/invitations.ts';
import type { SessionClaims } from '../auth/TokenService.ts';
import { ABSENTEE_METHOD } from './methods.ts';
import { completeValidation, requireEnabled, type Login } from './admission.ts';
import { auditRefusal, changeMeeting, releaseIfIdle, runCommand } from './meetingEffects.ts';
import { ok, refuse, type Outcome, type Refusal } from './outcome.ts';

const when = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

/** Logs in with a meeting link (`join`) or an absentee ballot link (`absentee`) presented for meeting `meetingId`. */
export async function loginWithLink(hub: Hub, meetingId: string, token: string, purpose: LinkPurpose): Promise<Outcome<Login>> {
  const method = purpose === 'join' ? 'invitation-link' : ABSENTEE_METHOD;
  const audited = async (r: Refusal, inMeeting: string, data: Record<string, unknown> = {}): Promise<Refusal> => {
    await auditRefusal(hub, inMeeting, method, r, data);
    return r;
  };
  const tokenHash = hashToken(token);
  const found = await hub.storage.getInvitation(tokenHash);
  if (!found) {
    return audited(refuse(401, 'unknown-link', 'This link is not valid. Check that you opened the whole link from the message, or ask the organizer for a new one.'), meetingId);
  }
  const { invitation: inv, link } = found;
  const tag = { userId: inv.userId, link: tokenHash.slice(0, 12) };
  if (inv.meetingId !== meetingId) {
    // Audited where the link belongs: its meeting should know its link was presented elsewhere.
    return audited(refuse(403, 'other-meeting', 'This link belongs to another meeting. Open the link from the notice of this meeting.'), inv.meetingId, { ...tag, presentedFor: meetingId });
  }
  const actual: LinkPurpose = link?.purpose ?? 'join';
  if (actual !== purpose) {
    const r =
      actual === 'join'
        ? refuse(400, 'wrong-purpose', 'This is a link to join the meeting, not an absentee ballot link. Open it on the meeting page.')
        : refuse(400, 'wrong-purpose', 'This is an absentee ballot link. Open it on the absentee ballot page.');
    return audited(r, meetingId, tag);
  }
  const now = Date.now();
  if (inv.revokedAt !== null) return audited(refuse(401, 'revoked', `The organizer revoked this link on ${when(inv.revokedAt)}. Ask the organizer for a new one.`), meetingId, tag);
  if (inv.expiresAt <= now) return audited(refuse(401, 'expired', `This link expired on ${when(inv.expiresAt)}. Ask the organizer for a new one, or log in with a one-time code.`), meetingId, tag);
  if (inv.usesLeft !== null && inv.usesLeft <= 0) {
    return audited(refuse(401, 'used', 'This link was already used: it works once. Log in with a one-time code, or ask the organizer for a new link.'), meetingId, tag);
  }
  if (purpose === 'join') {
    const disabled = await requireEnabled(hub, meetingId, 'invitation-link');
    if (disabled) return disabled;
  }
  // Spend it atomically: of two simultaneous uses, one wins.
  const spent = await hub.storage.redeemInvitation(tokenHash, now);
  if (!spent) return audited(refuse(401, 'used', 'This link was just used: it works once. Ask the organizer for a new one.'), meetingId, tag);
  return completeValidation(hub, meetingId, inv.userId, method, { row: link?.row ?? null, link: tokenHash.slice(0, 12) });
}

/**
 * The organizer revokes a participant's links; with `sessions`, also their access: the participant
 * is removed (the meeting's own removal: audited, quorum updated, sockets closed at once with 4403,
 * kept out on reconnect and token refresh).
 */
export async function revokeAccess(
  hub: Hub,
  meetingId: string,
  organizer: SessionClaims,
  a: { userId: string; reason: string; sessions: boolean },
): Promise<Outcome<{ revokedLinks: number; removed: boolean }>> {
  const p = await hub.storage.getParticipant(meetingId, a.userId);
  if (!p) return refuse(404, 'not-found', 'No such participant in this meeting.');
  if (a.userId === organizer.userId) return refuse(409, 'conflict', 'You cannot revoke your own access.');
  const revokedLinks = await revokeLinks(hub, meetingId, a.userId);
  await changeMeeting(hub, meetingId, (c) => c.audit('invitation.revoked', { userId: a.userId, links: revokedLinks, reason: a.reason, sessions: a.sessions, by: organizer.userId }));
  if (!a.sessions) return ok({ revokedLinks, removed: false });
  const m = await hub.getMeeting(meetingId);
  if (!m) return refuse(404, 'no-meeting', 'No such meeting.');
  const r = await runCommand(m, organizer, 'participant.remove', { userId: a.userId, reason: a.reason });
  releaseIfIdle(m);
  if (!r.ok) return refuse(409, r.error.code, r.error.message);
  return ok({ revokedLinks, removed: true });
}
