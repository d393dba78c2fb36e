/**
 * Facts derived from the chained records, the same way on the hub (building the protocol) and in
 * the offline verifier (checking it): who was present when, which ballots count, the tally of a
 * question recomputed with the rules engine, and the hash that binds a question's wording to its
 * ballots. Pure functions over plain records.
 */
import { canonicalJson } from '../../shared/canonical.ts';
import { tally, toReport, parseAmount, formatAmount, computeQuorum, type RegisterEntry, type TallyReport } from '../../shared/voting/index.ts';
import { sha256 } from '../ledger/chain.ts';
import type { QuestionDefinition, ProtocolRegisterRow } from './model.ts';

/** The record fields facts need (ledger and audit records as stored or as read from a bundle). */
export interface BallotFacts {
  seq: number;
  questionId: string;
  version: string;
  row: string;
  userId: string;
  choice: unknown;
  at: number;
  hash: string;
}
export interface AuditFacts {
  seq: number;
  type: string;
  data: unknown;
  at: number;
  hash: string;
}

/** The hash a question's ballots are bound to (server/meeting/Voting.ts computes it the same way). */
export function questionVersion(d: QuestionDefinition): string {
  return sha256(canonicalJson({ question: d.question, mode: d.mode, results: d.results, minOpenSeconds: d.minOpenSeconds, absentee: d.absentee }));
}

/** A register row as the rules engine takes it. */
export function toEntry(r: Pick<ProtocolRegisterRow, 'id' | 'votes' | 'secured'>): RegisterEntry {
  const v = parseAmount(r.votes);
  return { id: r.id, votes: v.ok ? v.value : 0n, secured: r.secured };
}

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** Admissions replayed from the audit log: who was admitted, with which rows, before audit record `beforeSeq`. */
export function admittedBefore(audit: readonly AuditFacts[], beforeSeq: number): Map<string, { rows: string[]; at: number }> {
  const admitted = new Map<string, { rows: string[]; at: number }>();
  for (const r of audit) {
    if (r.seq >= beforeSeq) break;
    const d = obj(r.data);
    const userId = str(d['userId']);
    if (userId === null) continue;
    if (r.type === 'participant.admitted') admitted.set(userId, { rows: strings(d['rows']), at: r.at });
    else if (r.type === 'participant.removed') admitted.delete(userId);
  }
  return admitted;
}

/** Register rows of the participants admitted before audit record `beforeSeq`. */
export function presentRowsBefore(audit: readonly AuditFacts[], beforeSeq: number): Set<string> {
  const rows = new Set<string>();
  for (const a of admittedBefore(audit, beforeSeq).values()) for (const row of a.rows) rows.add(row);
  return rows;
}

/** The meeting-level quorum from a set of present rows: unsecured claims, more than half (127-FZ art. 12 p. 4). */
export function meetingQuorum(register: readonly ProtocolRegisterRow[], present: ReadonlySet<string>): { present: string; total: string; reached: boolean } {
  let total = 0n;
  let here = 0n;
  for (const r of register) {
    if (r.secured) continue;
    const v = parseAmount(r.votes);
    if (!v.ok) continue;
    total += v.value;
    if (present.has(r.id)) here += v.value;
  }
  return { present: formatAmount(here), total: formatAmount(total), reached: here * 2n > total };
}

/** The first audit record of a type whose data names the question, or null. */
export function questionEvent(audit: readonly AuditFacts[], type: string, questionId: string): AuditFacts | null {
  return audit.find((r) => r.type === type && obj(r.data)['questionId'] === questionId) ?? null;
}

/** What a closed question's tally rests on, replayed from the records. */
export interface QuestionFacts {
  /** Ballots for the current version, in ledger order (the tally uses the last of each row). */
  current: BallotFacts[];
  /** The counting ballot of each row. */
  counting: Map<string, BallotFacts>;
  /** Ballots cast for an earlier version. */
  invalidated: number;
  /** Rows present at the close (or now, for a vote not closed): admitted before the close, or with a ballot. */
  present: Set<string>;
  /** The audit record of the close, if closed. */
  closed: AuditFacts | null;
}

/** Collects the facts of one question from the ledger and the audit log. */
export function questionFacts(ledger: readonly BallotFacts[], audit: readonly AuditFacts[], questionId: string, version: string): QuestionFacts {
  const mine = ledger.filter((b) => b.questionId === questionId);
  const current = mine.filter((b) => b.version === version);
  const counting = new Map<string, BallotFacts>();
  for (const b of current) counting.set(b.row, b);
  const closed = questionEvent(audit, 'vote.closed', questionId);
  const upTo = closed ? closed.seq : Number.MAX_SAFE_INTEGER;
  const present = presentRowsBefore(audit, upTo);
  for (const b of current) present.add(b.row);
  return { current, counting, invalidated: new Set(mine.filter((b) => b.version !== version).map((b) => b.row)).size, present, closed };
}

/** Recomputes a question's tally with the rules engine, exactly as the hub did at the close. */
export function recomputeTally(register: readonly ProtocolRegisterRow[], present: ReadonlySet<string>, d: QuestionDefinition, current: readonly BallotFacts[]): TallyReport {
  return toReport(
    tally({
      register: register.map(toEntry),
      present,
      question: d.question,
      ballots: current.map((b) => ({ voter: b.row, choice: b.choice })),
    }),
  );
}

/** A row's weight on a question (secured claims carry none where the question says so). */
export function weightOn(row: ProtocolRegisterRow, d: QuestionDefinition): string {
  const q = computeQuorum([toEntry(row)], new Set([row.id]), d.question);
  return formatAmount(q.total);
}

/** Register totals: all claims, the unsecured (voting at the meeting level) and the secured. */
export function registerTotals(rows: readonly ProtocolRegisterRow[]): { total: string; voting: string; secured: string; sha256: string } {
  let total = 0n;
  let secured = 0n;
  for (const r of rows) {
    const v = parseAmount(r.votes);
    if (!v.ok) continue;
    total += v.value;
    if (r.secured) secured += v.value;
  }
  return { total: formatAmount(total), voting: formatAmount(total - secured), secured: formatAmount(secured), sha256: sha256(canonicalJson(rows)) };
}

/** Canonical equality of two JSON values. */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
