/**
 * Method 4, representatives: a person uploads a power of attorney (PDF, PNG or JPEG; size checked)
 * for one or more creditors' register rows and gets a claim token; the organizer reviews the
 * document beside those rows and approves (all rows or some) or rejects with a reason; with the
 * claim token the representative then logs in and votes for each approved row.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import type { SessionClaims } from '../auth/TokenService.ts';
import { hashToken, newOpaqueToken } from '../auth/TokenService.ts';
import type { Hub } from '../hub/Hub.ts';
import type { PowerOfAttorneyRecord, RegisterRow } from '../storage/Storage.ts';
import { completeValidation, requireEnabled, type Login } from './admission.ts';
import { auditRefusal, changeMeeting } from './meetingEffects.ts';
import { ok, refuse, type Outcome, type Refusal } from './outcome.ts';

const METHOD = 'power-of-attorney';
const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/);

/** What a representative sends: who they are, whom they represent, and the document (base64). */
export const PowerSubmissionSchema = z
  .object({
    name: z.string().trim().min(1).max(300),
    email: z.string().email().max(254).optional(),
    phone: z.string().max(32).optional(),
    rows: z.array(Id).min(1).max(1000),
    file: z.object({ name: z.string().trim().min(1).max(300), data: z.string().min(1) }).strict(),
  })
  .strict();
export type PowerSubmission = z.infer<typeof PowerSubmissionSchema>;

/** The organizer's decision. Rejecting needs a reason; approving may name a subset of the rows. */
export const PowerReviewSchema = z
  .object({
    decision: z.enum(['approve', 'reject']),
    reason: z.string().trim().min(1).max(1000).optional(),
    rows: z.array(Id).min(1).max(1000).optional(),
  })
  .strict()
  .refine((r) => r.decision === 'approve' || r.reason !== undefined, { message: 'A rejection needs a reason the representative can read.', path: ['reason'] });
export type PowerReview = z.infer<typeof PowerReviewSchema>;

/** A power of attorney as the organizer reviews it: the register rows beside it. */
export interface PowerView {
  id: string;
  status: PowerOfAttorneyRecord['status'];
  representative: { userId: string; name: string; email: string | null; phone: string | null };
  rows: { id: string; name: string; inn: string | null; votes: string; secured: boolean; approved: boolean }[];
  reason: string | null;
  document: { sha256: string; type: string; size: number; name: string; url: string };
  createdAt: number;
  reviewedAt: number | null;
  reviewedBy: string | null;
}

/** The document type from its first bytes, or null when not allowed. */
export function sniffDocumentType(b: Buffer): 'application/pdf' | 'image/png' | 'image/jpeg' | null {
  if (b.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  return null;
}

/** Powers of attorney of a hub. */
export class PowersOfAttorney {
  constructor(private readonly hub: Hub) {}

  private async refused(meetingId: string, r: Refusal, data: Record<string, unknown> = {}): Promise<Refusal> {
    await auditRefusal(this.hub, meetingId, METHOD, r, data);
    return r;
  }

  /** Stores a submitted power of attorney (pending review); the claim token is the representative's login. */
  async submit(meetingId: string, caller: SessionClaims | null, s: PowerSubmission): Promise<Outcome<{ powerId: string; claimToken: string; status: 'pending'; rows: string[] }>> {
    const disabled = await requireEnabled(this.hub, meetingId, METHOD);
    if (disabled) return disabled;
    const max = this.hub.config.identity.powerOfAttorneyMaxBytes;
    const maxText = `${(max / 1024 / 1024).toFixed(max < 1024 * 1024 ? 2 : 0)} MB`;
    // Check the size before decoding: base64 is 4 characters per 3 bytes.
    if (Math.floor((s.file.data.length * 3) / 4) > max + 2) return this.refused(meetingId, refuse(413, 'too-large', `A power of attorney may be at most ${maxText}. Scan it at a lower resolution or as a PDF.`), { name: s.name });
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s.file.data)) return refuse(422, 'invalid-args', 'file.data must be the document in base64.');
    const data = Buffer.from(s.file.data, 'base64');
    if (data.byteLength === 0) return refuse(422, 'invalid-args', 'The document is empty.');
    if (data.byteLength > max) return this.refused(meetingId, refuse(413, 'too-large', `A power of attorney may be at most ${maxText}. Scan it at a lower resolution or as a PDF.`), { name: s.name });
    const type = sniffDocumentType(data);
    if (!type) return this.refused(meetingId, refuse(415, 'forbidden-type', 'A power of attorney must be a PDF, PNG or JPEG file.'), { name: s.name, file: s.file.name.slice(0, 100) });
    const register = new Map((await this.hub.storage.listRegister(meetingId)).map((r) => [r.id, r]));
    const rows = [...new Set(s.rows)];
    const unknown = rows.filter((r) => !register.has(r));
    if (unknown.length > 0) return refuse(422, 'unknown-rows', `These claims are not in the register of this meeting: ${unknown.join(', ')}.`);
    let userId: string;
    if (caller) {
      if (caller.meetingId !== meetingId) return refuse(403, 'forbidden', 'Your session belongs to another meeting.');
      userId = caller.userId;
    } else {
      userId = `rep-${crypto.randomBytes(8).toString('hex')}`;
      await this.hub.storage.upsertUser({ id: userId, name: s.name, email: s.email ?? null, phone: s.phone ?? null });
    }
    const sha256 = crypto.createHash('sha256').update(data).digest('hex');
    await this.hub.storage.putBlob({ sha256, type, size: data.byteLength, name: s.file.name, data });
    const claim = newOpaqueToken();
    const powerId = `poa-${crypto.randomBytes(9).toString('base64url')}`;
    await this.hub.storage.putPowerOfAttorney({
      id: powerId,
      meetingId,
      userId,
      rows,
      approvedRows: [],
      status: 'pending',
      reason: null,
      sha256,
      type,
      size: data.byteLength,
      fileName: s.file.name,
      claimHash: claim.hash,
      createdAt: Date.now(),
      reviewedAt: null,
      reviewedBy: null,
    });
    await changeMeeting(this.hub, meetingId, (c) => {
      c.audit('power.submitted', { powerId, userId, name: s.name, rows, sha256, type, size: data.byteLength });
      c.summary((x) => ({ ...x, pendingPowers: x.pendingPowers + 1 }));
    });
    return ok({ powerId, claimToken: claim.token, status: 'pending', rows });
  }

  /** Every power of attorney of the meeting with the register rows beside it (the organizer's review list). */
  async list(meetingId: string): Promise<PowerView[]> {
    const [powers, register] = await Promise.all([this.hub.storage.listPowersOfAttorney(meetingId), this.hub.storage.listRegister(meetingId)]);
    const byId = new Map(register.map((r) => [r.id, r]));
    return Promise.all(powers.map((p) => this.view(p, byId)));
  }

  private async view(p: PowerOfAttorneyRecord, register: Map<string, RegisterRow>): Promise<PowerView> {
    const user = await this.hub.storage.getUser(p.userId);
    return {
      id: p.id,
      status: p.status,
      representative: { userId: p.userId, name: user?.name ?? p.userId, email: user?.email ?? null, phone: user?.phone ?? null },
      rows: p.rows.map((id) => {
        const r = register.get(id);
        return { id, name: r?.name ?? '(no longer in the register)', inn: r?.inn ?? null, votes: r?.votes ?? '0.00', secured: r?.secured ?? false, approved: p.approvedRows.includes(id) };
      }),
      reason: p.reason,
      document: { sha256: p.sha256, type: p.type, size: p.size, name: p.fileName, url: `/api/meetings/${p.meetingId}/powers/${p.id}/document` },
      createdAt: p.createdAt,
      reviewedAt: p.reviewedAt,
      reviewedBy: p.reviewedBy,
    };
  }

  /** The uploaded document, for the organizer or for the representative who holds the claim token. */
  async document(meetingId: string, powerId: string, who: { organizer: boolean; claimToken: string | null }): Promise<Outcome<{ type: string; name: string; data: Uint8Array }>> {
    const p = await this.hub.storage.getPowerOfAttorney(meetingId, powerId);
    if (!p) return refuse(404, 'not-found', 'No such power of attorney.');
    if (!who.organizer && (who.claimToken === null || hashToken(who.claimToken) !== p.claimHash)) return refuse(403, 'forbidden', 'Only the organizer and the representative may open this document.');
    const blob = await this.hub.storage.getBlob(p.sha256);
    if (!blob) return refuse(404, 'not-found', 'The document is missing from storage.');
    return ok({ type: blob.type, name: p.fileName, data: blob.data });
  }

  /** The organizer approves (all or some rows) or rejects with a reason; approval makes the person a participant voting for those rows. */
  async review(meetingId: string, organizer: SessionClaims, powerId: string, r: PowerReview): Promise<Outcome<PowerView>> {
    const p = await this.hub.storage.getPowerOfAttorney(meetingId, powerId);
    if (!p) return refuse(404, 'not-found', 'No such power of attorney.');
    if (p.status !== 'pending') return refuse(409, 'already-reviewed', `This power of attorney was already ${p.status}.`);
    const approvedRows = r.decision === 'approve' ? [...new Set(r.rows ?? p.rows)] : [];
    const outside = approvedRows.filter((row) => !p.rows.includes(row));
    if (outside.length > 0) return refuse(422, 'invalid-args', `The power of attorney does not cover ${outside.join(', ')}; approve only rows it names.`);
    const reviewed = await this.hub.storage.reviewPowerOfAttorney(meetingId, powerId, {
      status: r.decision === 'approve' ? 'approved' : 'rejected',
      approvedRows,
      reason: r.reason ?? null,
      reviewedAt: Date.now(),
      reviewedBy: organizer.userId,
    });
    if (!reviewed) return refuse(409, 'already-reviewed', 'This power of attorney was reviewed a moment ago.');
    if (r.decision === 'approve') {
      const [existing, user] = await Promise.all([this.hub.storage.getParticipant(meetingId, p.userId), this.hub.storage.getUser(p.userId)]);
      const role = existing?.role === 'voter' || existing?.role === 'representative' ? existing.role : 'representative';
      const participant = { meetingId, userId: p.userId, role, rows: [...new Set([...(existing?.rows ?? []), ...approvedRows])] };
      await this.hub.storage.upsertParticipant(participant);
      this.hub.rosterChanged(meetingId, { participant, name: user?.name ?? p.userId });
    }
    const notApproved = p.rows.filter((row) => !approvedRows.includes(row));
    await changeMeeting(this.hub, meetingId, (c) => {
      if (r.decision === 'approve') c.audit('power.approved', { powerId, userId: p.userId, rows: approvedRows, notApproved, reason: r.reason ?? null, sha256: p.sha256, by: organizer.userId });
      else c.audit('power.rejected', { powerId, userId: p.userId, rows: p.rows, reason: r.reason, sha256: p.sha256, by: organizer.userId });
      c.summary((x) => ({ ...x, pendingPowers: Math.max(0, x.pendingPowers - 1) }));
    });
    const register = new Map((await this.hub.storage.listRegister(meetingId)).map((row) => [row.id, row]));
    return ok(await this.view(reviewed, register));
  }

  /** Logs in with the claim token: pending says so, rejected says why, approved validates. */
  async login(meetingId: string, claimToken: string): Promise<Outcome<Login | { status: 'pending'; message: string; powerId: string }>> {
    const p = await this.hub.storage.findPowerOfAttorneyByClaim(hashToken(claimToken));
    if (!p) return this.refused(meetingId, refuse(401, 'unknown-claim', 'This claim token is not valid. Use the token you received when you uploaded the power of attorney.'));
    const tag = { userId: p.userId, powerId: p.id };
    if (p.meetingId !== meetingId) return this.refused(p.meetingId, refuse(403, 'other-meeting', 'This power of attorney was submitted for another meeting.'), { ...tag, presentedFor: meetingId });
    if (p.status === 'pending') return ok({ status: 'pending', powerId: p.id, message: 'The organizer has not reviewed your power of attorney yet. Come back later; you will be able to log in once it is approved.' });
    if (p.status === 'rejected') return this.refused(meetingId, refuse(403, 'rejected', `The organizer rejected your power of attorney: ${p.reason ?? 'no reason given'}.`), tag);
    const disabled = await requireEnabled(this.hub, meetingId, METHOD);
    if (disabled) return disabled;
    return completeValidation(this.hub, meetingId, p.userId, METHOD, { powerId: p.id, rows: p.approvedRows, sha256: p.sha256 });
  }
}
