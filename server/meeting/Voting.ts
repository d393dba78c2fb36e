/**
 * Voting inside one meeting: questions and their lifecycle, the ballot ledger (append-only,
 * hash-chained, durable before the voter's acknowledgement), the audit log, and the tallies
 * recomputed from the ledger into the tallies document once per flush.
 */
import crypto from 'node:crypto';
import type * as Y from 'yjs';
import type { z } from 'zod';
import { canonicalJson } from '../../shared/canonical.ts';
import { Layout, QuestionRecordSchema, ParticipantSchema, type QuestionRecord, type TallyRecord } from '../../shared/docs.ts';
import type { QuestionSettingsSchema, Receipt, CommandError } from '../../shared/protocol/index.ts';
import { tally, toReport, validateChoice, computeQuorum, mayVote, parseAmount, formatAmount, type RegisterEntry, type TallyReport } from '../../shared/voting/index.ts';
import type { LedgerRecord, RegisterRow } from '../storage/Storage.ts';
import type { AuditLog } from './AuditLog.ts';
import { GENESIS, ballotBody, chainHash, sha256 } from '../ledger/chain.ts';

/** Settings of a question as the organizer sends them. */
export type QuestionSettings = z.output<typeof QuestionSettingsSchema>;

type Refusal = { ok: false; error: CommandError };
const refuse = (code: CommandError['code'], message: string): Refusal => ({ ok: false, error: { code, message } });

/** What voting needs from its meeting. */
export interface VotingHost {
  readonly id: string;
  readonly docs: { agenda: Y.Doc; participants: Y.Doc; tallies: Y.Doc };
  readonly register: readonly RegisterRow[];
  /** Runs a change on a document with the hub's own origin. */
  change(doc: Y.Doc, fn: () => void): void;
}

/** The voting state of a meeting. */
export class Voting {
  private readonly ledger: LedgerRecord[];
  private pendingBallots: LedgerRecord[] = [];
  private readonly dirty = new Set<string>();
  /** A question changed state or version: its tally must not wait for the throttle. */
  private urgent = false;
  private lastRefresh = -Infinity;

  constructor(
    private readonly host: VotingHost,
    ledger: LedgerRecord[],
    private readonly audit: AuditLog,
  ) {
    this.ledger = ledger;
  }

  /** The ledger's head hash (GENESIS when empty). */
  get ledgerHead(): string {
    return this.ledger.at(-1)?.hash ?? GENESIS;
  }

  /** All ballots, in ledger order (read-only). */
  get ballots(): readonly LedgerRecord[] {
    return this.ledger;
  }

  // ---- durability hooks used by the meeting's flush ---------------------------------------

  /** Takes the ballots appended since the last flush. */
  takePending(): LedgerRecord[] {
    const out = this.pendingBallots;
    this.pendingBallots = [];
    return out;
  }

  /** Marks every open question for a tally refresh (admissions changed the present weight). */
  presenceChanged(): void {
    for (const q of this.questions()) if (q.status === 'open') this.dirty.add(q.id);
  }

  /**
   * Recomputes the tallies of questions that changed. A change of state (opened, closed, edited,
   * published) is shown at once; new ballots and admissions move the turnout at most once per
   * `throttleMs`, so that a ballot storm does not rebroadcast the tallies after every ballot.
   * Returns in how many milliseconds a deferred refresh is due (null when nothing waits).
   */
  refreshTallies(now: number, throttleMs = 0): number | null {
    if (this.dirty.size === 0) return null;
    const wait = this.lastRefresh + throttleMs - now;
    if (!this.urgent && wait > 0) return wait;
    for (const id of this.dirty) {
      const q = this.question(id);
      if (q) this.publishTally(q, now);
    }
    this.dirty.clear();
    this.urgent = false;
    this.lastRefresh = now;
    return null;
  }

  /**
   * Derived views of the register and the roster, kept until what they derive from changes: a
   * tally refresh in a room of 1,000 otherwise parses 1,000 participants and 1,000 amounts several
   * times over, ten times a second during a vote.
   */
  private derived: { register: readonly RegisterRow[]; byId: ReadonlyMap<string, RegisterRow>; entries: RegisterEntry[] } | null = null;
  private admitted: { doc: Y.Doc; rows: ReadonlySet<string> | null } | null = null;

  private registerViews(): { byId: ReadonlyMap<string, RegisterRow>; entries: RegisterEntry[] } {
    const rows = this.host.register;
    if (this.derived?.register !== rows) this.derived = { register: rows, byId: new Map(rows.map((r) => [r.id, r])), entries: rows.map(toEntry) };
    return this.derived;
  }

  /** Register rows by id (the register is replaced, never changed in place). */
  private registerById(): ReadonlyMap<string, RegisterRow> {
    return this.registerViews().byId;
  }

  /** The register as the voting engine takes it (shared, never mutated). */
  private registerEntries(): RegisterEntry[] {
    return this.registerViews().entries;
  }

  /** Rows held by admitted participants, recomputed after any change to the participants document. */
  private admittedRows(): ReadonlySet<string> {
    const doc = this.host.docs.participants;
    if (this.admitted?.doc !== doc) {
      const entry: { doc: Y.Doc; rows: ReadonlySet<string> | null } = { doc, rows: null };
      doc.on('update', () => {
        entry.rows = null;
      });
      this.admitted = entry;
    }
    if (!this.admitted.rows) {
      const rows = new Set<string>();
      for (const v of Layout.people(doc).values()) {
        const p = ParticipantSchema.safeParse(v);
        if (p.success && p.data.status === 'admitted') for (const r of p.data.rows) rows.add(r);
      }
      this.admitted.rows = rows;
    }
    return this.admitted.rows;
  }

  // ---- questions ----------------------------------------------------------------------------

  private questions(): QuestionRecord[] {
    return [...Layout.questions(this.host.docs.agenda).values()].flatMap((v) => {
      const p = QuestionRecordSchema.safeParse(v);
      return p.success ? [p.data] : [];
    });
  }

  /** A question by id, or null. */
  question(id: string): QuestionRecord | null {
    const p = QuestionRecordSchema.safeParse(Layout.questions(this.host.docs.agenda).get(id));
    return p.success ? p.data : null;
  }

  private save(q: QuestionRecord): void {
    this.host.change(this.host.docs.agenda, () => Layout.questions(this.host.docs.agenda).set(q.id, q));
    this.dirty.add(q.id);
    this.urgent = true;
  }

  private static version(s: QuestionSettings): string {
    return sha256(canonicalJson({ question: s.question, mode: s.mode, results: s.results, minOpenSeconds: s.minOpenSeconds, absentee: s.absentee ?? null }));
  }

  private static withDefaults(s: QuestionSettings): QuestionSettings & { results: NonNullable<QuestionSettings['results']> } {
    return { ...s, results: s.results ?? (s.mode === 'open' ? 'live' : 'after-close') };
  }

  /** Creates a question in draft. */
  create(settings: QuestionSettings, now: number): { questionId: string; version: string } {
    const s = Voting.withDefaults(settings);
    const id = `q-${crypto.randomBytes(9).toString('base64url')}`;
    const version = Voting.version(s);
    const q: QuestionRecord = {
      id,
      itemId: s.itemId,
      question: s.question,
      mode: s.mode,
      results: s.results,
      minOpenSeconds: s.minOpenSeconds,
      ...(s.absentee ? { absentee: s.absentee } : {}),
      version,
      status: 'draft',
      createdAt: now,
      published: false,
    };
    this.save(q);
    this.audit.record('question.created', { questionId: id, itemId: s.itemId, version, question: s.question, mode: s.mode, results: s.results }, now);
    return { questionId: id, version };
  }

  /** Edits a question; ballots cast for the earlier version stop counting, visibly. */
  update(q: QuestionRecord, settings: QuestionSettings, now: number): { version: string; invalidated: number } | Refusal {
    if (q.status !== 'draft' && q.status !== 'open') return refuse('conflict', 'Only a draft or open question can be edited.');
    const s = Voting.withDefaults(settings);
    const version = Voting.version(s);
    const invalidated = new Set(this.ledger.filter((b) => b.questionId === q.id && b.version !== version).map((b) => b.row)).size;
    const { absentee: _a, ...rest } = q;
    this.save({ ...rest, ...(s.absentee ? { absentee: s.absentee } : {}), itemId: s.itemId, question: s.question, mode: s.mode, results: s.results, minOpenSeconds: s.minOpenSeconds, version });
    this.audit.record('question.edited', { questionId: q.id, version, previousVersion: q.version, invalidatedBallots: invalidated }, now);
    return { version, invalidated };
  }

  /** Removes a draft question that has no ballots. */
  remove(q: QuestionRecord, now: number): Refusal | null {
    if (q.status !== 'draft' || this.ledger.some((b) => b.questionId === q.id)) return refuse('conflict', 'Only a draft question without ballots can be removed; cancel it instead.');
    this.host.change(this.host.docs.agenda, () => Layout.questions(this.host.docs.agenda).delete(q.id));
    this.host.change(this.host.docs.tallies, () => Layout.tallies(this.host.docs.tallies).delete(q.id));
    this.audit.record('question.removed', { questionId: q.id }, now);
    return null;
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Opens the vote. */
  open(q: QuestionRecord, now: number): Refusal | null {
    if (q.status !== 'draft') return refuse('conflict', `The vote is ${q.status}; only a draft can be opened.`);
    this.save({ ...q, status: 'open', openedAt: now });
    this.audit.record('vote.opened', { questionId: q.id, version: q.version, quorum: this.quorumJson(q) }, now);
    return null;
  }

  /** Closes the vote, unless its minimum open time has not passed and some admitted voter has not voted. */
  close(q: QuestionRecord, now: number): { outcome: string } | Refusal {
    if (q.status !== 'open') return refuse('conflict', `The vote is ${q.status}, not open.`);
    const left = (q.openedAt ?? now) + q.minOpenSeconds * 1000 - now;
    if (left > 0) {
      const { voted, eligible } = this.turnout(q);
      if (voted < eligible) {
        return refuse('conflict', `The vote must stay open ${Math.ceil(left / 1000)} s more, unless every admitted voter votes first (${voted} of ${eligible} have).`);
      }
    }
    const closed: QuestionRecord = { ...q, status: 'closed', closedAt: now };
    this.save(closed);
    const report = this.report(closed);
    this.audit.record('vote.closed', { questionId: q.id, version: q.version, report, ledgerHead: this.ledgerHead, ballots: this.current(q).length }, now);
    return { outcome: report.outcome };
  }

  /** Cancels a vote, with the reason; its ballots stay in the ledger and do not count. */
  cancel(q: QuestionRecord, reason: string, now: number): Refusal | null {
    if (q.status === 'closed' || q.status === 'cancelled') return refuse('conflict', `The vote is already ${q.status}.`);
    this.save({ ...q, status: 'cancelled', closedAt: now, cancelReason: reason });
    this.audit.record('vote.cancelled', { questionId: q.id, reason }, now);
    return null;
  }

  /** Publishes results of a closed vote whose results wait for the chair. */
  publish(q: QuestionRecord, now: number): Refusal | null {
    if (q.status !== 'closed') return refuse('conflict', 'Results can be published after the vote is closed.');
    if (q.published) return null;
    this.save({ ...q, published: true });
    this.audit.record('vote.published', { questionId: q.id }, now);
    return null;
  }

  // ---- ballots ------------------------------------------------------------------------------

  /** Validates and appends a ballot for each row; every row is checked before any is appended. */
  cast(
    q: QuestionRecord,
    voter: { userId: string; role: string; rows: readonly string[]; admitted: boolean },
    args: { version: string; rows?: string[] | undefined; choice: unknown },
    now: number,
  ): { receipts: Receipt[] } | Refusal {
    if (voter.role !== 'voter' && voter.role !== 'representative') return refuse('forbidden', 'Only voters and representatives cast ballots.');
    const absenteeOpen = q.absentee !== undefined && q.absentee.from <= now && now < q.absentee.until;
    if (q.status === 'closed' || q.status === 'cancelled') return refuse('conflict', `The vote is ${q.status}; ballots are no longer accepted.`);
    const inMeeting = q.status === 'open' && voter.admitted;
    if (!inMeeting && !absenteeOpen) {
      if (q.status !== 'open') return refuse('conflict', 'The vote is not open yet.');
      return refuse('forbidden', 'You have not been admitted to the meeting, so you cannot vote yet.');
    }
    if (args.version !== q.version) return refuse('conflict', 'The question was changed after you opened it. Review the new wording and vote again.');
    const rows = args.rows ?? [...voter.rows];
    if (rows.length === 0) return refuse('forbidden', 'You do not hold any claim in the register.');
    const byId = this.registerById();
    const entries: RegisterEntry[] = [];
    for (const rowId of new Set(rows)) {
      if (!voter.rows.includes(rowId)) return refuse('forbidden', `You may not vote for register row ${rowId}.`);
      const row = byId.get(rowId);
      if (!row) return refuse('not-found', `Register row ${rowId} does not exist.`);
      const entry = toEntry(row);
      if (!mayVote(entry, q.question)) return refuse('forbidden', `The claim of ${row.name} carries no vote on this question (secured claim).`);
      const valid = validateChoice(q.question, args.choice, entry.votes);
      if (!valid.ok) return refuse('invalid-args', `${row.name}: ${valid.message}`);
      entries.push(entry);
    }
    if (!inMeeting && !q.absentee?.recast) {
      const already = new Set(this.current(q).map((b) => b.row));
      const done = entries.find((e) => already.has(e.id));
      if (done) return refuse('conflict', 'An absentee ballot is final once cast; this claim has already voted on this question.');
    }
    const receipts = entries.map((e) => {
      const seq = this.ledger.length + 1;
      const base = { seq, questionId: q.id, version: q.version, row: e.id, userId: voter.userId, choice: args.choice, at: now };
      const prev = this.ledgerHead;
      const hash = chainHash(prev, ballotBody(this.host.id, base));
      const rec: LedgerRecord = { ...base, prev, hash };
      this.ledger.push(rec);
      this.pendingBallots.push(rec);
      this.audit.record('ballot.accepted', { questionId: q.id, row: e.id, seq, hash, absentee: !inMeeting, ...(q.mode === 'open' ? { choice: args.choice } : {}) }, now);
      return { questionId: q.id, row: e.id, seq, hash };
    });
    this.dirty.add(q.id);
    return { receipts };
  }

  // ---- tallies ------------------------------------------------------------------------------

  /** The ballots that count for a question: its current version, in ledger order. */
  current(q: QuestionRecord): LedgerRecord[] {
    return this.ledger.filter((b) => b.questionId === q.id && b.version === q.version);
  }

  /** Rows present for a question: admitted rows, plus rows with an absentee ballot. */
  presentRows(q: QuestionRecord): Set<string> {
    const present = new Set<string>(this.admittedRows());
    for (const b of this.current(q)) present.add(b.row);
    return present;
  }

  private turnout(q: QuestionRecord): { voted: number; eligible: number } {
    const register = this.registerEntries();
    const present = this.presentRows(q);
    const eligible = register.filter((r) => present.has(r.id) && mayVote(r, q.question)).length;
    return { voted: new Set(this.current(q).map((b) => b.row)).size, eligible };
  }

  private quorumJson(q: QuestionRecord): { present: string; total: string; reached: boolean } {
    const quorum = computeQuorum(this.registerEntries(), this.presentRows(q), q.question);
    return { present: formatAmount(quorum.present), total: formatAmount(quorum.total), reached: quorum.reached };
  }

  /** The tally of a question computed from the ledger. */
  report(q: QuestionRecord): TallyReport {
    return toReport(
      tally({
        register: this.registerEntries(),
        present: this.presentRows(q),
        question: q.question,
        ballots: this.current(q).map((b) => ({ voter: b.row, choice: b.choice })),
      }),
    );
  }

  /** The case (in `npm run tally` format) that reproduces a question's result from the ledger. */
  exportCase(q: QuestionRecord): object {
    return {
      register: this.host.register.map((r) => ({ id: r.id, votes: r.votes, ...(r.secured ? { secured: true } : {}) })),
      present: [...this.presentRows(q)],
      question: q.question,
      ballots: this.current(q).map((b) => ({ voter: b.row, choice: b.choice })),
    };
  }

  private publishTally(q: QuestionRecord, now: number): void {
    const visible = q.mode === 'open' || q.results === 'live' || (q.status === 'closed' && (q.results === 'after-close' || q.published));
    const names = new Map(this.host.register.map((r) => [r.id, r.name]));
    const last = new Map<string, LedgerRecord>();
    for (const b of this.current(q)) last.set(b.row, b);
    const t: TallyRecord = {
      questionId: q.id,
      status: q.status,
      turnout: this.turnout(q),
      visible,
      ...(visible && q.status !== 'cancelled' ? { report: this.report(q) } : {}),
      ...(q.mode === 'open' ? { choices: [...last.values()].map((b) => ({ row: b.row, name: names.get(b.row) ?? b.row, choice: b.choice })) } : {}),
      invalidated: new Set(this.ledger.filter((b) => b.questionId === q.id && b.version !== q.version).map((b) => b.row)).size,
      ledgerHead: this.ledgerHead,
      updatedAt: now,
    };
    this.host.change(this.host.docs.tallies, () => Layout.tallies(this.host.docs.tallies).set(q.id, t));
  }
}

/** A register row as the voting engine takes it. */
export function toEntry(r: RegisterRow): RegisterEntry {
  const v = parseAmount(r.votes);
  return { id: r.id, votes: v.ok ? v.value : 0n, secured: r.secured };
}
