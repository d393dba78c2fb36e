/**
 * The absentee voter's page: questions open for absentee ballots and the materials; casting each
 * ballot once (a re-cast replaces it only where the question allows it); the voter's receipts; and,
 * after close, the results. Ballots go through the meeting's own `vote.cast` command (ledger, audit,
 * durable before the answer), with the voter's session as the caller.
 */
import { z } from 'zod';
import { readAgenda, readQuestions, readTally, type QuestionRecord } from '../../shared/docs.ts';
import type { Receipt } from '../../shared/protocol/index.ts';
import type { TallyReport } from '../../shared/voting/index.ts';
import type { SessionClaims } from '../auth/TokenService.ts';
import type { Hub } from '../hub/Hub.ts';
import type { Meeting } from '../meeting/Meeting.ts';
import { changeMeeting, releaseIfIdle, runCommand } from './meetingEffects.ts';
import type { Notices, PublishedNotice } from './notice.ts';
import { ok, refuse, type Outcome } from './outcome.ts';

/** Answers kept for retries of the same ballot (by command id). */
const REMEMBERED_ANSWERS = 10_000;

const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/);

/** One absentee ballot as the voter sends it (the `vote.cast` arguments, plus an idempotency key). */
export const AbsenteeBallotSchema = z
  .object({
    questionId: Id,
    version: z.string().regex(/^[0-9a-f]{64}$/),
    rows: z.array(Id).min(1).max(1000).optional(),
    choice: z.unknown(),
    /** A retry with the same id is answered, never cast twice. */
    commandId: z.string().min(8).max(64).regex(/^[A-Za-z0-9_.:-]+$/).optional(),
  })
  .strict();
export type AbsenteeBallot = z.infer<typeof AbsenteeBallotSchema>;

/** What the absentee page shows. */
export interface AbsenteeView {
  meeting: { id: string; title: string; startsAt: string };
  voter: { userId: string; name: string; rows: { id: string; name: string; votes: string }[] };
  notice: PublishedNotice | null;
  agenda: { id: string; title: string; description: string; documents: string[] }[];
  questions: {
    id: string;
    itemId: string;
    question: QuestionRecord['question'];
    version: string;
    status: QuestionRecord['status'];
    absentee: { from: number; until: number; recast: boolean };
    /** Ballots are accepted now. */
    acceptsBallots: boolean;
    /** Rows of this voter that already have a counted ballot on it. */
    votedRows: string[];
  }[];
  receipts: (Receipt & { at: number; counted: boolean })[];
  results: { questionId: string; report: TallyReport }[];
  serverTime: number;
}

/** Absentee voting of a hub. */
export class AbsenteeBallots {
  private readonly answered = new Map<string, { receipts: Receipt[] }>();

  constructor(
    private readonly hub: Hub,
    private readonly notices: Notices,
  ) {}

  /** The absentee page of the caller. */
  async view(meetingId: string, c: SessionClaims): Promise<Outcome<AbsenteeView>> {
    const m = await this.hub.getMeeting(meetingId);
    if (!m) return refuse(404, 'no-meeting', 'No such meeting.');
    try {
      const now = Date.now();
      const register = new Map(m.register.map((r) => [r.id, r]));
      const mine = m.voting.ballots.filter((b) => b.userId === c.userId);
      const questions = readQuestions(m.docs.agenda).filter((q) => q.absentee !== undefined && q.status !== 'cancelled');
      const current = new Set(questions.flatMap((q) => m.voting.current(q).map((b) => `${q.id}:${b.row}:${b.seq}`)));
      const latest = new Map<string, number>();
      for (const b of m.voting.ballots) latest.set(`${b.questionId}:${b.row}`, b.seq);
      return ok({
        meeting: { id: m.id, title: m.record.title, startsAt: m.record.startsAt },
        voter: { userId: c.userId, name: c.name, rows: c.rows.map((id) => ({ id, name: register.get(id)?.name ?? id, votes: register.get(id)?.votes ?? '0.00' })) },
        notice: await this.notices.get(meetingId),
        agenda: readAgenda(m.docs.agenda).map((i) => ({ id: i.id, title: i.title, description: i.description, documents: i.documents })),
        questions: questions.map((q) => ({
          id: q.id,
          itemId: q.itemId,
          question: q.question,
          version: q.version,
          status: q.status,
          absentee: { from: q.absentee!.from, until: q.absentee!.until, recast: q.absentee!.recast ?? false },
          acceptsBallots: q.status !== 'closed' && q.absentee!.from <= now && now < q.absentee!.until,
          votedRows: [...new Set(m.voting.current(q).filter((b) => c.rows.includes(b.row)).map((b) => b.row))],
        })),
        receipts: mine.map((b) => ({ questionId: b.questionId, row: b.row, seq: b.seq, hash: b.hash, at: b.at, counted: current.has(`${b.questionId}:${b.row}:${b.seq}`) && latest.get(`${b.questionId}:${b.row}`) === b.seq })),
        results: questions.flatMap((q) => {
          const t = readTally(m.docs.tallies, q.id);
          return q.status === 'closed' && t?.visible && t.report ? [{ questionId: q.id, report: t.report }] : [];
        }),
        serverTime: now,
      });
    } finally {
      releaseIfIdle(m);
    }
  }

  /** Casts one absentee ballot (for all the voter's rows, or the rows named). */
  async cast(meetingId: string, c: SessionClaims, b: AbsenteeBallot): Promise<Outcome<{ receipts: Receipt[] }>> {
    const m = await this.hub.getMeeting(meetingId);
    if (!m) return refuse(404, 'no-meeting', 'No such meeting.');
    try {
      return await this.castOn(m, c, b);
    } finally {
      releaseIfIdle(m);
    }
  }

  private async castOn(m: Meeting, c: SessionClaims, b: AbsenteeBallot): Promise<Outcome<{ receipts: Receipt[] }>> {
    const meetingId = m.id;
    const retryKey = b.commandId ? `${meetingId}:${c.userId}:${b.commandId}` : null;
    const earlier = retryKey ? this.answered.get(retryKey) : undefined;
    if (earlier) return ok(earlier);
    const q = m.voting.question(b.questionId);
    const rows = b.rows ?? [...c.rows];
    const refused = async (status: number, code: string, message: string) => {
      await changeMeeting(this.hub, meetingId, (ch) => ch.audit('ballot.refused', { questionId: b.questionId, userId: c.userId, rows, code, reason: message, absentee: true }));
      return refuse(status, code, message);
    };
    if (!q) return refused(404, 'not-found', 'No such question.');
    if (!q.absentee) return refused(409, 'not-absentee', 'This question takes no absentee ballots: vote in the meeting.');
    // One absentee ballot per row and question, unless the question lets it be replaced. Checked and
    // cast in the same tick, so two requests cannot both pass the check.
    if (!q.absentee.recast) {
      const voted = new Set(m.voting.current(q).map((x) => x.row));
      const again = rows.filter((r) => voted.has(r));
      if (again.length > 0) {
        const names = again.map((r) => m.register.find((x) => x.id === r)?.name ?? r).join(', ');
        return refused(409, 'already-voted', `You have already voted on this question for ${names}; an absentee ballot cannot be changed on this question. Your receipt is on this page.`);
      }
    }
    const r = await runCommand(m, c, 'vote.cast', { questionId: b.questionId, version: b.version, rows, choice: b.choice }, b.commandId ? `absentee:${b.commandId}` : undefined);
    if (!r.ok) {
      const status = r.error.code === 'forbidden' ? 403 : r.error.code === 'not-found' ? 404 : r.error.code === 'invalid-args' ? 422 : 409;
      return refused(status, r.error.code, r.error.message);
    }
    const value = z.object({ receipts: z.array(z.object({ questionId: z.string(), row: z.string(), seq: z.number(), hash: z.string() })) }).safeParse(r.value);
    if (value.success && retryKey) {
      this.answered.set(retryKey, value.data);
      if (this.answered.size > REMEMBERED_ANSWERS) this.answered.delete(this.answered.keys().next().value!);
    }
    return value.success ? ok(value.data) : refuse(500, 'internal', 'The ballot was accepted but its receipt could not be read; reload the page to see it.');
  }
}
