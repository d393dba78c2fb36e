/**
 * How identity flows change a meeting: audit records and participants-document changes applied to
 * the loaded meeting in one durable write, and commands run on behalf of a person or of the hub.
 *
 * Audit records become durable with the meeting's next flush, and a flush runs only after a document
 * change; so every identity change also stamps the lobby's identity summary, which makes the write
 * happen at once, with the records in it. (On a cluster replica the owner must apply these changes;
 * this file is the one place to route them through a hub-only command when the cluster needs it.)
 */
import crypto from 'node:crypto';
import { Layout, IdentitySummarySchema, type IdentitySummary } from '../../shared/docs.ts';
import { Op, ResultSchema, decodeFrame, type CommandType, type ArgsOf, type Result as WireResult, type Role } from '../../shared/protocol/index.ts';
import type { Hub } from '../hub/Hub.ts';
import { SYSTEM, type Meeting } from '../meeting/Meeting.ts';
import type { MeetingSession } from '../meeting/MeetingSession.ts';
import type { Refusal } from './outcome.ts';

/** How long an HTTP request waits for a command's durable result. */
const COMMAND_TIMEOUT_MS = 10_000;

/** What a change may do to the meeting, inside one write. */
export interface MeetingChange {
  meeting: Meeting;
  now: number;
  audit(type: string, data: Record<string, unknown>): void;
  /** Changes the lobby's identity summary. */
  summary(fn: (s: IdentitySummary) => IdentitySummary): void;
}

/**
 * Runs `fn` on the loaded meeting (loading it if needed) and waits until what it recorded is durable.
 * Returns null when the meeting does not exist, or when this hub holds only a replica of it (a
 * replica never writes: the change would be dropped and its audit records would fork the chain).
 */
export async function changeMeeting<T>(hub: Hub, meetingId: string, fn: (c: MeetingChange) => T): Promise<{ value: T } | null> {
  const m = await hub.getMeeting(meetingId);
  if (!m) return null;
  if (m.isReplica) {
    hub.log.error({ meeting: meetingId }, 'identity change on a replica refused: the owner hub must apply it (needs a hub-only command)');
    return null;
  }
  const now = Date.now();
  let value!: T;
  await m.systemChange((docs) => {
    const map = Layout.identity(docs.participants);
    const parsed = IdentitySummarySchema.safeParse(map.get('summary'));
    let summary: IdentitySummary = parsed.success ? parsed.data : { refusals: 0, lastRefusalAt: null, pendingPowers: 0, updatedAt: now };
    value = fn({
      meeting: m,
      now,
      audit: (type, data) => m.audit.record(type, data, now),
      summary: (f) => {
        summary = f(summary);
      },
    });
    docs.participants.transact(() => map.set('summary', { ...summary, updatedAt: now }), SYSTEM);
  });
  releaseIfIdle(m);
  return { value };
}

/** Audits a refused validation in the meeting it concerns, and counts it in the lobby's summary. */
export async function auditRefusal(hub: Hub, meetingId: string, method: string, r: Refusal, data: Record<string, unknown> = {}): Promise<void> {
  await changeMeeting(hub, meetingId, (c) => {
    c.audit('identity.refused', { method, code: r.code, reason: r.message, ...data });
    c.summary((s) => ({ ...s, refusals: s.refusals + 1, lastRefusalAt: c.now }));
  }).catch((err: unknown) => hub.log.error({ err, meeting: meetingId }, 'identity refusal not audited'));
}

/** Lets a meeting that HTTP loaded unload again once nobody is connected (as the demo seed does). */
export function releaseIfIdle(m: Meeting): void {
  if (m.sessions.size === 0) m.onIdle(m);
}

/** Who a command runs as: a person (with their session claims) or the hub itself (role organizer, an id no token can carry). */
export interface Actor {
  userId: string;
  name: string;
  role: Role;
  rows: readonly string[];
}

/** The hub admitting automatically where the meeting allows it. */
export const AUTO_ADMISSION: Actor = { userId: '@auto-admission', name: 'Automatic admission', role: 'organizer', rows: [] };

/**
 * Runs one command on the meeting through its normal path (validation, authorization, the durable
 * flush, idempotent retries by `id`) for a caller that has no socket, and resolves with its result.
 */
export function runCommand<T extends CommandType>(m: Meeting, actor: Actor, type: T, args: ArgsOf<T>, id: string = crypto.randomUUID()): Promise<WireResult> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ id, ok: false, error: { code: 'unavailable', message: 'The meeting did not answer in time; retry.' } }), COMMAND_TIMEOUT_MS);
    const session: MeetingSession = {
      userId: actor.userId,
      name: actor.name,
      role: actor.role,
      rows: actor.rows,
      awarenessClientId: 0,
      writableDocs: [],
      send(frame) {
        const f = decodeFrame(frame);
        if ('error' in f || f.op !== Op.Result) return;
        const r = ResultSchema.safeParse(f.json);
        if (!r.success || r.data.id !== id) return;
        clearTimeout(timer);
        resolve(r.data);
      },
      close() {},
    };
    m.handleCommand(session, { id, type, args });
  });
}
