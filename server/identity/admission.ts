/**
 * The end of every validation: the participant is marked with the method (participants document and
 * audit log), waits in the lobby or is admitted automatically where the meeting allows it, and gets
 * a session token. Also: finding (or creating) the participant that holds given register rows.
 */
import crypto from 'node:crypto';
import { Layout, ParticipantSchema, type Participant } from '../../shared/docs.ts';
import type { Role } from '../../shared/protocol/index.ts';
import type { Hub } from '../hub/Hub.ts';
import type { ParticipantRecord, RegisterRow } from '../storage/Storage.ts';
import { SYSTEM } from '../meeting/Meeting.ts';
import { ABSENTEE_METHOD, METHOD_TITLES, loadSettings, type LoginMethod, type Method } from './methods.ts';
import { AUTO_ADMISSION, auditRefusal, changeMeeting, releaseIfIdle, runCommand } from './meetingEffects.ts';
import { ok, refuse, type Outcome, type Refusal } from './outcome.ts';

/** What a successful login answers. */
export interface Login {
  token: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  meetingId: string;
  userId: string;
  role: Role;
  name: string;
  rows: string[];
  method: LoginMethod;
  /** Where the participant is now: 'lobby' (waiting for the organizer), 'admitted', or 'invited' (absentee logins). */
  status: Participant['status'];
}

/** Refuses a method the meeting does not accept (audited). */
export async function requireEnabled(hub: Hub, meetingId: string, method: Method): Promise<Refusal | null> {
  const s = await loadSettings(hub.storage, meetingId);
  if (s.methods[method].enabled) return null;
  const r = refuse(403, 'method-disabled', `This meeting does not accept login by ${METHOD_TITLES[method]}. Use another way the notice names, or ask the organizer.`);
  await auditRefusal(hub, meetingId, method, r);
  return r;
}

/**
 * Completes a validation: marks the participant (method, time; lobby unless already admitted), audits
 * it, admits automatically if the meeting allows it for this method, and issues a session token.
 * Absentee logins change nothing but the method of a participant who has not joined.
 */
export async function completeValidation(hub: Hub, meetingId: string, userId: string, method: LoginMethod, detail: Record<string, unknown>): Promise<Outcome<Login>> {
  const [p, user, settings] = await Promise.all([hub.storage.getParticipant(meetingId, userId), hub.storage.getUser(userId), loadSettings(hub.storage, meetingId)]);
  if (!p || !user) {
    const r = refuse(401, 'not-a-participant', 'This login no longer names a participant of the meeting. Ask the organizer.');
    await auditRefusal(hub, meetingId, method, r, { userId });
    return r;
  }
  const changed = await changeMeeting(hub, meetingId, (c): { refused: Refusal } | { status: Participant['status'] } => {
    const doc = c.meeting.docs.participants;
    const people = Layout.people(doc);
    if (!people.has(userId)) c.meeting.refreshRoster({ participant: p, name: user.name });
    const cur = ParticipantSchema.safeParse(people.get(userId));
    if (!cur.success) return { refused: refuse(500, 'internal', 'The participant could not be placed in the meeting.') };
    if (cur.data.status === 'removed') {
      const r = refuse(403, 'removed', `You were removed from this meeting${cur.data.reason ? ` (${cur.data.reason})` : ''}. Only the organizer can let you back in.`);
      c.audit('identity.refused', { method, code: r.code, reason: r.message, userId });
      c.summary((s) => ({ ...s, refusals: s.refusals + 1, lastRefusalAt: c.now }));
      return { refused: r };
    }
    const absentee = method === ABSENTEE_METHOD;
    const next: Participant = { ...cur.data, validatedAt: c.now };
    if (!absentee || cur.data.status === 'invited') next.method = method;
    if (!absentee && cur.data.status === 'invited') {
      // The organizer runs the meeting and is never kept waiting in its lobby.
      next.status = p.role === 'organizer' ? 'admitted' : 'lobby';
      next.changedAt = c.now;
    }
    doc.transact(() => people.set(userId, next), SYSTEM);
    c.audit('participant.validated', { userId, rows: p.rows, role: p.role, method, ...detail });
    return { status: next.status };
  });
  if (!changed) return refuse(503, 'unavailable', 'The meeting cannot record your login on this server right now. Try again in a moment.');
  const placed = changed.value;
  if ('refused' in placed) return placed.refused;
  let status = placed.status;
  if (method !== ABSENTEE_METHOD && status === 'lobby' && settings.methods[method].autoAdmit) {
    const m = await hub.getMeeting(meetingId);
    const r = m ? await runCommand(m, AUTO_ADMISSION, 'participant.admit', { userId }, `auto-admit:${userId}:${crypto.randomUUID()}`) : null;
    if (m) releaseIfIdle(m);
    if (r?.ok) status = 'admitted';
    else hub.log.warn({ meeting: meetingId, userId, result: r }, 'automatic admission failed; the participant waits in the lobby');
  }
  const { token, exp } = await hub.tokens.issue({ userId, meetingId, role: p.role, name: user.name, rows: p.rows });
  return ok({ token, expiresAt: exp * 1000, meetingId, userId, role: p.role, name: user.name, rows: p.rows, method, status });
}

/** The participant id the hub gives the creditor of a register row (stable, so a notice sent twice names the same person). */
export function creditorUserId(meetingId: string, rowId: string): string {
  return `cr-${crypto.createHash('sha256').update(`${meetingId}\u0000${rowId}`).digest('hex').slice(0, 20)}`;
}

/**
 * The voter who holds these register rows: the one existing voter participant holding any of them,
 * or, for a single row nobody holds yet, a new participant for its creditor. Several holders, or
 * several unheld rows, are ambiguous: the caller refuses with the rows to choose from.
 */
export async function creditorFor(hub: Hub, meetingId: string, rows: readonly RegisterRow[]): Promise<{ ok: true; participant: ParticipantRecord } | { ok: false; reason: 'unknown' | 'ambiguous' }> {
  if (rows.length === 0) return { ok: false, reason: 'unknown' };
  const ids = new Set(rows.map((r) => r.id));
  const holders = (await hub.storage.listParticipants(meetingId)).filter((p) => p.role === 'voter' && p.rows.some((r) => ids.has(r)));
  if (holders.length === 1) return { ok: true, participant: holders[0]! };
  if (holders.length > 1 || rows.length > 1) return { ok: false, reason: 'ambiguous' };
  return { ok: true, participant: await ensureCreditor(hub, meetingId, rows[0]!) };
}

/** Creates (or refreshes) the participant of a register row's creditor: a voter for that row, with the row's contacts. */
export async function ensureCreditor(hub: Hub, meetingId: string, row: RegisterRow): Promise<ParticipantRecord> {
  const userId = creditorUserId(meetingId, row.id);
  const existing = await hub.storage.getParticipant(meetingId, userId);
  await hub.storage.upsertUser({ id: userId, name: row.name, email: row.email, phone: row.phone });
  const participant: ParticipantRecord = existing ?? { meetingId, userId, role: 'voter', rows: [row.id] };
  if (!existing) await hub.storage.upsertParticipant(participant);
  hub.rosterChanged(meetingId, { participant, name: row.name });
  return participant;
}
