/** Invitations: a participant record plus a one-time (or, for the demo, reusable) link token stored by hash. */
import crypto from 'node:crypto';
import { z } from 'zod';
import { RoleSchema } from '../../shared/protocol/messages.ts';
import { newOpaqueToken } from '../auth/TokenService.ts';
import type { Hub } from './Hub.ts';

/** Invitation lifetime unless the organizer says otherwise. */
const DEFAULT_INVITATION_HOURS = 24 * 14;

/** What the organizer sends to invite someone. */
export const InvitationSchema = z.object({
  userId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/).optional(),
  name: z.string().trim().min(1).max(300),
  role: RoleSchema,
  rows: z.array(z.string()).max(1000).default([]),
  email: z.string().email().optional(),
  phone: z.string().max(32).optional(),
  ttlHours: z.number().int().min(1).max(24 * 90).default(DEFAULT_INVITATION_HOURS),
});
export type Invitation = z.infer<typeof InvitationSchema>;

/** Creates (or updates) the invitee and their role in the meeting, and a link token. */
export async function createInvitation(
  hub: Hub,
  meetingId: string,
  inv: Invitation,
  opts: { reusable: boolean; publicUrl: string },
): Promise<{ userId: string; token: string; link: string }> {
  const userId = inv.userId ?? `u-${crypto.randomBytes(6).toString('hex')}`;
  await hub.storage.upsertUser({ id: userId, name: inv.name, email: inv.email ?? null, phone: inv.phone ?? null });
  const participant = { meetingId, userId, role: inv.role, rows: inv.rows };
  await hub.storage.upsertParticipant(participant);
  const { token, hash } = newOpaqueToken();
  await hub.storage.putInvitation({
    tokenHash: hash,
    meetingId,
    userId,
    expiresAt: Date.now() + inv.ttlHours * 3600_000,
    usesLeft: opts.reusable ? null : 1,
    revokedAt: null,
  });
  hub.rosterChanged(meetingId, { participant, name: inv.name });
  return { userId, token, link: `${opts.publicUrl}/join?invite=${token}` };
}

// ---- links for validation (server/identity): purpose, single use, revocation --------------------

/** What a link is for: joining the meeting (single use), or the absentee ballot (reusable until it expires). */
export type LinkPurpose = 'join' | 'absentee';

/** The URL a person opens; the client's /join and /absentee pages read `meeting` and the token. */
export function linkUrl(publicUrl: string, meetingId: string, purpose: LinkPurpose, token: string): string {
  const m = encodeURIComponent(meetingId);
  return purpose === 'join' ? `${publicUrl}/join?meeting=${m}&invite=${token}` : `${publicUrl}/absentee?meeting=${m}&ballot=${token}`;
}

/** A new link token for an existing participant, bound to a register row (when sent for one), stored by hash with its purpose. */
export async function issueLink(
  hub: Hub,
  meetingId: string,
  userId: string,
  opts: { purpose: LinkPurpose; row: string | null; expiresAt: number; publicUrl: string },
): Promise<{ token: string; link: string; expiresAt: number }> {
  const { token, hash } = newOpaqueToken();
  await hub.storage.putInvitation({ tokenHash: hash, meetingId, userId, expiresAt: opts.expiresAt, usesLeft: opts.purpose === 'join' ? 1 : null, revokedAt: null });
  await hub.storage.putInvitationLink({ tokenHash: hash, meetingId, userId, purpose: opts.purpose, row: opts.row, createdAt: Date.now() });
  return { token, link: linkUrl(opts.publicUrl, meetingId, opts.purpose, token), expiresAt: opts.expiresAt };
}

/** Revokes every outstanding link of a participant (meeting and absentee links alike); returns how many. */
export function revokeLinks(hub: Hub, meetingId: string, userId: string): Promise<number> {
  return hub.storage.revokeInvitations(meetingId, userId, Date.now());
}
