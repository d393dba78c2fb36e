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
  hub.loadedMeeting(meetingId)?.refreshRoster({ participant, name: inv.name });
  return { userId, token, link: `${opts.publicUrl}/join?invite=${token}` };
}
