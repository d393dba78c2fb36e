/**
 * Builds the protocol JSON of a meeting from its durable facts: the register, the ballot ledger and
 * the audit log, with names and wording from the meeting's documents. Every number is recomputed
 * with the rules engine from the ledger; nothing comes from a client. Pure: the caller gathers the
 * inputs (ProtocolService) and decides what to do with the problems found.
 */
import type { AgendaItem, Participant, QuestionRecord } from '../../shared/docs.ts';
import type { AuditRecord, LedgerRecord, MeetingRecord, RegisterRow } from '../storage/Storage.ts';
import { GENESIS } from '../ledger/chain.ts';
import {
  PROTOCOL_FORMAT,
  type Protocol,
  type ProtocolBallot,
  type ProtocolDocument,
  type ProtocolItem,
  type ProtocolParticipant,
  type ProtocolQuestion,
  type ProtocolRegisterRow,
  type QuestionDefinition,
} from './model.ts';
import { meetingQuorum, questionEvent, questionFacts, recomputeTally, registerTotals, sameJson, weightOn, presentRowsBefore } from './facts.ts';

/** What the builder reads. */
export interface ProtocolInputs {
  meeting: MeetingRecord;
  organizerName: string;
  /** Where the meeting took place: the platform's public address. */
  publicUrl: string;
  platform: string;
  register: readonly RegisterRow[];
  participants: readonly Participant[];
  agenda: readonly AgendaItem[];
  questions: readonly QuestionRecord[];
  ledger: readonly LedgerRecord[];
  audit: readonly AuditRecord[];
  /** Name, type and size of attached documents, by hash (missing blobs are reported as problems). */
  documents: ReadonlyMap<string, { name: string; type: string; size: number }>;
  issuedAt: number;
  version: number;
  draft: boolean;
  timeZone: string;
  organizerKid: string;
  hubKid: string;
}

/** Builds the protocol; `problems` lists contradictions between the documents and the chains (an issued protocol must have none). */
export function buildProtocol(x: ProtocolInputs): { protocol: Protocol; problems: string[] } {
  const problems: string[] = [];
  const register: ProtocolRegisterRow[] = x.register.map((r) => ({ id: r.id, name: r.name, inn: r.inn, votes: r.votes, secured: r.secured }));
  const rowsById = new Map(register.map((r) => [r.id, r]));
  const names = new Map(x.participants.map((p) => [p.userId, p.name]));
  names.set(x.meeting.organizerUserId, x.organizerName);
  const audit = x.audit;

  const statusEvents = audit.filter((r) => r.type === 'meeting.status');
  const opened = statusEvents.find((r) => (r.data as { status?: unknown }).status === 'open') ?? null;
  const closed = statusEvents.filter((r) => (r.data as { status?: unknown }).status === 'closed').at(-1) ?? null;
  const absenteeWindows = x.questions.some((q) => q.absentee !== undefined);
  const form = absenteeWindows ? (opened ? 'mixed' : 'absentee') : 'in-person-online';

  const absenteeByHash = new Map<string, boolean>();
  for (const r of audit) {
    if (r.type !== 'ballot.accepted') continue;
    const d = r.data as { hash?: unknown; absentee?: unknown };
    if (typeof d.hash === 'string') absenteeByHash.set(d.hash, d.absentee === true);
  }

  const items: ProtocolItem[] = x.agenda.map((item, i) => {
    const documents = item.documents.map((sha): ProtocolDocument => {
      const meta = x.documents.get(sha);
      if (!meta) problems.push(`agenda item ${i + 1}: document ${sha} is attached but not stored`);
      const ev = audit.find((r) => r.type === 'document.attached' && (r.data as { sha256?: unknown; itemId?: unknown }).sha256 === sha && (r.data as { itemId?: unknown }).itemId === item.id);
      return {
        itemId: item.id,
        sha256: sha,
        name: meta?.name ?? '',
        type: meta?.type ?? '',
        size: meta?.size ?? 0,
        attachedAt: ev?.at ?? null,
        attachedBy: ev ? names.get(String((ev.data as { by?: unknown }).by)) ?? String((ev.data as { by?: unknown }).by) : null,
      };
    });
    const questions = x.questions
      .filter((q) => q.itemId === item.id)
      .map((q, j) => buildQuestion(x, q, `${i + 1}.${j + 1}`, register, rowsById, names, absenteeByHash, problems));
    return { id: item.id, number: i + 1, title: item.title, description: item.description, status: item.status, documents, questions };
  });
  const placed = new Set(x.agenda.map((a) => a.id));
  for (const q of x.questions) if (!placed.has(q.itemId)) problems.push(`question ${q.id} belongs to agenda item ${q.itemId}, which is not on the agenda`);

  const voted = new Set(x.ledger.map((b) => b.userId));
  const admittedEvents = new Map<string, { at: number; method: string | null }>();
  const removedEvents = new Map<string, { at: number; reason: string | null }>();
  for (const r of audit) {
    const d = r.data as { userId?: unknown; reason?: unknown; method?: unknown };
    if (typeof d.userId !== 'string') continue;
    if (r.type === 'participant.admitted') admittedEvents.set(d.userId, { at: r.at, method: typeof d.method === 'string' ? d.method : null });
    if (r.type === 'participant.removed') removedEvents.set(d.userId, { at: r.at, reason: typeof d.reason === 'string' ? d.reason : null });
  }
  const firstRow = (p: Participant) => Math.min(...p.rows.map((id) => register.findIndex((r) => r.id === id)).filter((n) => n >= 0), Number.MAX_SAFE_INTEGER);
  const roleOrder = { organizer: 0, voter: 1, representative: 1, observer: 2 } as const;
  const participants: ProtocolParticipant[] = x.participants
    .filter((p) => p.role === 'organizer' || admittedEvents.has(p.userId) || voted.has(p.userId))
    .sort((a, b) => roleOrder[a.role] - roleOrder[b.role] || firstRow(a) - firstRow(b) || a.name.localeCompare(b.name, 'ru'))
    .map((p) => ({
      userId: p.userId,
      name: p.name,
      role: p.role,
      rows: p.rows,
      weight: p.weight,
      status: p.status,
      // How the participant was validated, as the admission recorded it.
      method: admittedEvents.get(p.userId)?.method ?? p.method ?? null,
      admittedAt: admittedEvents.get(p.userId)?.at ?? null,
      removedAt: removedEvents.get(p.userId)?.at ?? null,
      removedReason: removedEvents.get(p.userId)?.reason ?? null,
    }));

  const totals = registerTotals(register);
  const protocol: Protocol = {
    format: PROTOCOL_FORMAT,
    draft: x.draft,
    version: x.version,
    issuedAt: x.issuedAt,
    timeZone: x.timeZone,
    meeting: {
      id: x.meeting.id,
      title: x.meeting.title,
      kind: x.meeting.kind,
      form,
      startsAt: x.meeting.startsAt,
      openedAt: opened?.at ?? null,
      closedAt: closed?.at ?? null,
      place: { platform: x.platform, url: x.publicUrl },
      organizer: { userId: x.meeting.organizerUserId, name: x.organizerName },
    },
    register: { rows: register, ...totals },
    quorumAtOpening: opened ? { at: opened.at, ...meetingQuorum(register, presentRowsBefore(audit, opened.seq)) } : null,
    participants,
    items,
    chain: {
      auditHead: audit.at(-1)?.hash ?? GENESIS,
      auditSeq: audit.length,
      ledgerHead: x.ledger.at(-1)?.hash ?? GENESIS,
      ledgerSeq: x.ledger.length,
    },
    signing: { organizer: { userId: x.meeting.organizerUserId, name: x.organizerName, kid: x.organizerKid }, hubKid: x.hubKid },
  };
  return { protocol, problems };
}

function buildQuestion(
  x: ProtocolInputs,
  q: QuestionRecord,
  number: string,
  register: readonly ProtocolRegisterRow[],
  rowsById: ReadonlyMap<string, ProtocolRegisterRow>,
  names: ReadonlyMap<string, string>,
  absenteeByHash: ReadonlyMap<string, boolean>,
  problems: string[],
): ProtocolQuestion {
  const definition: QuestionDefinition = { question: q.question, mode: q.mode, results: q.results, minOpenSeconds: q.minOpenSeconds, absentee: q.absentee ?? null };
  const facts = questionFacts(x.ledger, x.audit, q.id, q.version);
  const opened = questionEvent(x.audit, 'vote.opened', q.id);
  const quorumAtOpen = opened ? ((opened.data as { quorum?: { present: string; total: string; reached: boolean } }).quorum ?? null) : null;
  let result: ProtocolQuestion['result'] = null;
  if (q.status === 'closed') {
    result = recomputeTally(register, facts.present, definition, facts.current);
    const recorded = (facts.closed?.data as { report?: unknown; version?: unknown } | undefined) ?? null;
    if (!recorded) problems.push(`question ${number}: closed, but the audit log has no record of the close`);
    else {
      if (recorded.version !== q.version) problems.push(`question ${number}: closed for version ${String(recorded.version)}, but its wording is version ${q.version}`);
      if (!sameJson(recorded.report, result)) problems.push(`question ${number}: the tally recomputed from the ledger differs from the one recorded at the close`);
    }
  }
  const order = new Map(register.map((r, i) => [r.id, i]));
  const ballots: ProtocolBallot[] = [...facts.counting.values()]
    .sort((a, b) => (order.get(a.row) ?? 0) - (order.get(b.row) ?? 0))
    .map((b) => {
      const row = rowsById.get(b.row);
      if (!row) problems.push(`question ${number}: ballot ${b.seq} is for row ${b.row}, which is not in the register`);
      if (!absenteeByHash.has(b.hash)) problems.push(`question ${number}: ballot ${b.seq} has no "ballot.accepted" record in the audit log`);
      return {
        seq: b.seq,
        hash: b.hash,
        row: b.row,
        rowName: row?.name ?? b.row,
        weight: row ? weightOn(row, definition) : '0.00',
        userId: b.userId,
        castBy: names.get(b.userId) ?? b.userId,
        choice: b.choice,
        at: b.at,
        absentee: absenteeByHash.get(b.hash) ?? false,
      };
    });
  return {
    id: q.id,
    number,
    version: q.version,
    status: q.status,
    definition,
    openedAt: q.openedAt ?? null,
    closedAt: q.closedAt ?? null,
    cancelReason: q.cancelReason ?? null,
    quorumAtOpen,
    present: [...facts.present].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0)),
    result,
    ballots,
    superseded: facts.current.length - facts.counting.size,
    invalidated: facts.invalidated,
  };
}
