/**
 * The command handlers: each validates the caller's right to act, applies the change to the meeting's
 * documents and returns an outcome. They run synchronously; durability and answering happen in the
 * meeting's flush. Args arrive already parsed by the schemas in shared/protocol/commands.ts.
 */
import crypto from 'node:crypto';
import * as Y from 'yjs';
import type { z } from 'zod';
import { CloseCode, type CommandArgs, type CommandError, type CommandType, type ResultOf } from '../../shared/protocol/index.ts';
import { Layout, ParticipantSchema, AgendaItemSchema, AnnotationSchema, HandSchema, type Participant, type AgendaItem, type QuestionRecord } from '../../shared/docs.ts';
import type { Meeting } from './Meeting.ts';
import { SYSTEM } from './Meeting.ts';
import type { MeetingSession } from './MeetingSession.ts';
import { recomputeQuorum } from './participants.ts';

/** A command's outcome: a value, or a readable refusal. */
export type Outcome<T = unknown> = { ok: true; value: T } | { ok: false; error: CommandError };

/** What a handler may use. */
export interface CommandContext {
  meeting: Meeting;
  session: MeetingSession;
  now: number;
  /** Actions to run once the command is durable. */
  effects: (() => void)[];
  maxSpeakers: number;
}

type Handler<T extends CommandType> = (ctx: CommandContext, args: z.output<(typeof CommandArgs)[T]>) => Outcome<ResultOf<T>>;

const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
const refuse = (code: CommandError['code'], message: string): { ok: false; error: CommandError } => ({ ok: false, error: { code, message } });
const newId = (prefix: string): string => `${prefix}-${crypto.randomBytes(9).toString('base64url')}`;

function participant(ctx: CommandContext, userId: string): Participant | null {
  const p = ParticipantSchema.safeParse(Layout.people(ctx.meeting.docs.participants).get(userId));
  return p.success ? p.data : null;
}

/** Organizers may always act; others must be admitted. Returns a refusal or null. */
function requireAdmitted(ctx: CommandContext): { ok: false; error: CommandError } | null {
  if (ctx.session.role === 'organizer') return null;
  const p = participant(ctx, ctx.session.userId);
  if (!p || p.status !== 'admitted') return refuse('forbidden', 'You have not been admitted to the meeting yet.');
  return null;
}

function requireOrganizer(ctx: CommandContext): { ok: false; error: CommandError } | null {
  return ctx.session.role === 'organizer' ? null : refuse('forbidden', 'Only the organizer may do this.');
}

/** Appends an agenda item (and its draft decision text); returns its id. Used by the command and by seeding. */
export function addAgendaItem(
  docs: Pick<Meeting['docs'], 'agenda' | 'drafts'>,
  a: { title: string; description?: string | undefined; draft?: string | undefined; documents?: string[] },
  now: number,
): string {
  const { agenda, drafts } = docs;
  const id = newId('i');
  const item: AgendaItem = { id, title: a.title, description: a.description ?? '', status: 'pending', documents: a.documents ?? [], createdAt: now };
  agenda.transact(() => {
    Layout.agendaItems(agenda).set(id, item);
    Layout.agendaOrder(agenda).push([id]);
  }, SYSTEM);
  if (a.draft) drafts.transact(() => Layout.draft(drafts, id).insert(0, a.draft!), SYSTEM);
  return id;
}

function transact(ctx: CommandContext, doc: Y.Doc, fn: () => void): void {
  doc.transact(fn, SYSTEM);
}

function docTooLarge(ctx: CommandContext, doc: 'chat' | 'annotations', adding: number): boolean {
  return ctx.meeting.docWouldExceed(doc, adding);
}

function agendaItem(ctx: CommandContext, itemId: string): AgendaItem | null {
  const p = AgendaItemSchema.safeParse(Layout.agendaItems(ctx.meeting.docs.agenda).get(itemId));
  return p.success ? p.data : null;
}

function removeHand(queue: Y.Doc, userId: string): void {
  const hands = Layout.hands(queue);
  const idx = hands.toArray().findIndex((h) => HandSchema.safeParse(h).data?.userId === userId);
  if (idx >= 0) hands.delete(idx, 1);
}

/** Every command handler, keyed by command name. */
export const commandHandlers: { [T in CommandType]: Handler<T> } = {
  'chat.post': (ctx, { text }) => {
    const denied = requireAdmitted(ctx);
    if (denied) return denied;
    const chat = ctx.meeting.docs.chat;
    if (docTooLarge(ctx, 'chat', text.length * 4)) return refuse('too-large', 'The chat is full for this meeting.');
    const id = newId('m');
    transact(ctx, chat, () => Layout.chat(chat).push([{ id, userId: ctx.session.userId, name: ctx.session.name, text, at: ctx.now }]));
    return ok({ messageId: id });
  },

  'hand.raise': (ctx) => {
    const denied = requireAdmitted(ctx);
    if (denied) return denied;
    const queue = ctx.meeting.docs.queue;
    const hands = Layout.hands(queue).toArray();
    const at = hands.findIndex((h) => HandSchema.safeParse(h).data?.userId === ctx.session.userId);
    if (at >= 0) return ok({ position: at + 1 });
    if (Layout.floor(queue).has(ctx.session.userId)) return refuse('conflict', 'You already have the floor.');
    transact(ctx, queue, () => Layout.hands(queue).push([{ userId: ctx.session.userId, name: ctx.session.name, at: ctx.now }]));
    return ok({ position: hands.length + 1 });
  },

  'hand.lower': (ctx, { userId }) => {
    const target = userId ?? ctx.session.userId;
    if (target !== ctx.session.userId) {
      const denied = requireOrganizer(ctx);
      if (denied) return denied;
    }
    transact(ctx, ctx.meeting.docs.queue, () => removeHand(ctx.meeting.docs.queue, target));
    return ok({});
  },

  'floor.grant': (ctx, { userId }) => {
    const denied = requireOrganizer(ctx);
    if (denied) return denied;
    const p = participant(ctx, userId);
    if (!p) return refuse('not-found', 'No such participant.');
    if (p.status !== 'admitted') return refuse('conflict', `${p.name} has not been admitted.`);
    const queue = ctx.meeting.docs.queue;
    const floor = Layout.floor(queue);
    if (floor.has(userId)) return ok({});
    if (floor.size >= ctx.maxSpeakers) {
      return refuse('conflict', `At most ${ctx.maxSpeakers} people may hold the floor at once; revoke someone first.`);
    }
    transact(ctx, queue, () => {
      removeHand(queue, userId);
      floor.set(userId, { userId, name: p.name, since: ctx.now });
    });
    return ok({});
  },

  'floor.revoke': (ctx, { userId }) => {
    if (userId !== ctx.session.userId) {
      const denied = requireOrganizer(ctx);
      if (denied) return denied;
    }
    const queue = ctx.meeting.docs.queue;
    if (Layout.floor(queue).has(userId)) transact(ctx, queue, () => Layout.floor(queue).delete(userId));
    return ok({});
  },

  'stage.pin': (ctx, { userId }) => {
    const denied = requireOrganizer(ctx);
    if (denied) return denied;
    if (userId !== null && !participant(ctx, userId)) return refuse('not-found', 'No such participant.');
    const queue = ctx.meeting.docs.queue;
    transact(ctx, queue, () => Layout.stage(queue).set('pinned', userId));
    return ok({});
  },

  'agenda.add': (ctx, { title, description, draft }) => {
    const denied = requireOrganizer(ctx);
    if (denied) return denied;
    return ok({ itemId: addAgendaItem(ctx.meeting.docs, { title, description, draft }, ctx.now) });
  },

  'agenda.update': (ctx, { itemId, title, description, documents }) => {
    const denied = requireOrganizer(ctx);
    if (denied) return denied;
    const item = agendaItem(ctx, itemId);
    if (!item) return refuse('not-found', 'No such agenda item.');
    const next: AgendaItem = {
      ...item,
      title: title ?? item.title,
      description: description ?? item.description,
      documents: documents ?? item.documents,
    };
    transact(ctx, ctx.meeting.docs.agenda, () => Layout.agendaItems(ctx.meeting.docs.agenda).set(itemId, next));
    // The protocol lists attached documents by hash; the audit log proves when each was attached and by whom.
    for (const sha256 of new Set(next.documents)) {
      if (!item.documents.includes(sha256)) ctx.meeting.audit.record('document.attached', { itemId, sha256, by: ctx.session.userId }, ctx.now);
    }
    return ok({});
  },

  'agenda.move': (ctx, { itemId, toIndex }) => {
    const denied = requireOrganizer(ctx);
    if (denied) return denied;
    const agenda = ctx.meeting.docs.agenda;
    const order = Layout.agendaOrder(agenda);
    const from = order.toArray().indexOf(itemId);
    if (from < 0) return refuse('not-found', 'No such agenda item.');
    const to = Math.min(toIndex, order.length - 1);
    if (to !== from) {
      transact(ctx, agenda, () => {
        order.delete(from, 1);
        order.insert(to, [itemId]);
      });
    }
    return ok({});
  },

  'agenda.setStatus': (ctx, { itemId, status }) => {
    const denied = requireOrganizer(ctx);
    if (denied) return denied;
    const item = agendaItem(ctx, itemId);
    if (!item) return refuse('not-found', 'No such agenda item.');
    const agenda = ctx.meeting.docs.agenda;
    const meta = Layout.meeting(agenda);
    transact(ctx, agenda, () => {
      Layout.agendaItems(agenda).set(itemId, { ...item, status });
      if (status === 'active' || status === 'voting') meta.set('currentItem', itemId);
      else if (meta.get('currentItem') === itemId) meta.set('currentItem', null);
    });
    return ok({});
  },

  'annotation.add': (ctx, { docId, page, x, y, text }) => {
    const denied = requireAdmitted(ctx);
    if (denied) return denied;
    const attached = [...Layout.agendaItems(ctx.meeting.docs.agenda).values()].some((v) =>
      AgendaItemSchema.safeParse(v).data?.documents.includes(docId),
    );
    if (!attached) return refuse('not-found', 'That document is not attached to any agenda item.');
    const doc = ctx.meeting.docs.annotations;
    if (docTooLarge(ctx, 'annotations', text.length * 4)) return refuse('too-large', 'Too many annotations in this meeting.');
    const id = newId('a');
    transact(ctx, doc, () =>
      Layout.annotations(doc).set(id, { id, docId, page, x, y, text, userId: ctx.session.userId, name: ctx.session.name, at: ctx.now }),
    );
    return ok({ annotationId: id });
  },

  'annotation.update': (ctx, { annotationId, text }) => {
    const doc = ctx.meeting.docs.annotations;
    const a = AnnotationSchema.safeParse(Layout.annotations(doc).get(annotationId));
    if (!a.success) return refuse('not-found', 'No such annotation.');
    if (a.data.userId !== ctx.session.userId) return refuse('forbidden', 'Only the author may edit an annotation.');
    transact(ctx, doc, () => Layout.annotations(doc).set(annotationId, { ...a.data, text, updatedAt: ctx.now }));
    return ok({});
  },

  'annotation.remove': (ctx, { annotationId }) => {
    const doc = ctx.meeting.docs.annotations;
    const a = AnnotationSchema.safeParse(Layout.annotations(doc).get(annotationId));
    if (!a.success) return refuse('not-found', 'No such annotation.');
    if (a.data.userId !== ctx.session.userId && ctx.session.role !== 'organizer') {
      return refuse('forbidden', 'Only the author or the organizer may remove an annotation.');
    }
    transact(ctx, doc, () => Layout.annotations(doc).delete(annotationId));
    return ok({});
  },

  'participant.admit': (ctx, { userId }) => {
    const denied = requireOrganizer(ctx);
    if (denied) return denied;
    const p = participant(ctx, userId);
    if (!p) return refuse('not-found', 'No such participant.');
    if (p.status === 'admitted') return ok({});
    const doc = ctx.meeting.docs.participants;
    transact(ctx, doc, () => {
      const { reason: _r, ...rest } = p;
      Layout.people(doc).set(userId, { ...rest, status: 'admitted', changedAt: ctx.now });
      recomputeQuorum(doc, ctx.meeting.register);
    });
    // The method is how the participant was validated (server/identity); 'none' when the organizer admits
    // someone no validation method vouched for. `from` shows a reinstatement ('removed') or an absent admit ('invited').
    ctx.meeting.audit.record(
      'participant.admitted',
      { userId, rows: p.rows, weight: p.weight, method: p.method ?? 'none', validatedAt: p.validatedAt ?? null, from: p.status, by: ctx.session.userId },
      ctx.now,
    );
    return ok({});
  },

  'participant.arrive': (ctx) => {
    const p = participant(ctx, ctx.session.userId);
    if (!p) return refuse('not-found', 'No such participant.');
    if (p.status !== 'invited') return ok({});
    const doc = ctx.meeting.docs.participants;
    transact(ctx, doc, () => {
      Layout.people(doc).set(p.userId, { ...p, status: ctx.session.role === 'organizer' ? 'admitted' : 'lobby', changedAt: ctx.now });
      recomputeQuorum(doc, ctx.meeting.register);
    });
    return ok({});
  },

  'participant.remove': (ctx, { userId, reason }) => {
    const denied = requireOrganizer(ctx);
    if (denied) return denied;
    if (userId === ctx.session.userId) return refuse('conflict', 'You cannot remove yourself.');
    const p = participant(ctx, userId);
    if (!p) return refuse('not-found', 'No such participant.');
    const { participants, queue } = ctx.meeting.docs;
    transact(ctx, participants, () => {
      Layout.people(participants).set(userId, { ...p, status: 'removed', reason, changedAt: ctx.now });
      recomputeQuorum(participants, ctx.meeting.register);
    });
    ctx.meeting.audit.record('participant.removed', { userId, rows: p.rows, weight: p.weight, method: p.method ?? 'none', from: p.status, reason, by: ctx.session.userId }, ctx.now);
    transact(ctx, queue, () => {
      removeHand(queue, userId);
      Layout.floor(queue).delete(userId);
    });
    const meeting = ctx.meeting;
    ctx.effects.push(() => meeting.closeUser(userId, CloseCode.Forbidden));
    return ok({});
  },

  'meeting.setStatus': (ctx, { status }) => {
    const denied = requireOrganizer(ctx);
    if (denied) return denied;
    const agenda = ctx.meeting.docs.agenda;
    transact(ctx, agenda, () => Layout.meeting(agenda).set('status', status));
    ctx.meeting.audit.record('meeting.status', { status, by: ctx.session.userId }, ctx.now);
    return ok({});
  },

  'question.create': (ctx, settings) => {
    const denied = requireOrganizer(ctx);
    if (denied) return denied;
    if (!agendaItem(ctx, settings.itemId)) return refuse('not-found', 'No such agenda item.');
    return ok(ctx.meeting.voting.create(settings, ctx.now));
  },

  'question.update': (ctx, { questionId, ...settings }) => {
    const denied = requireOrganizer(ctx);
    if (denied) return denied;
    const q = ctx.meeting.voting.question(questionId);
    if (!q) return refuse('not-found', 'No such question.');
    if (!agendaItem(ctx, settings.itemId)) return refuse('not-found', 'No such agenda item.');
    return done(ctx.meeting.voting.update(q, settings, ctx.now));
  },

  'question.remove': (ctx, { questionId }) => withQuestion(ctx, questionId, (q) => ctx.meeting.voting.remove(q, ctx.now)),
  'vote.open': (ctx, { questionId }) => withQuestion(ctx, questionId, (q) => ctx.meeting.voting.open(q, ctx.now)),
  'vote.cancel': (ctx, { questionId, reason }) => withQuestion(ctx, questionId, (q) => ctx.meeting.voting.cancel(q, reason, ctx.now)),
  'vote.publish': (ctx, { questionId }) => withQuestion(ctx, questionId, (q) => ctx.meeting.voting.publish(q, ctx.now)),

  'vote.close': (ctx, { questionId }) => {
    const denied = requireOrganizer(ctx);
    if (denied) return denied;
    const q = ctx.meeting.voting.question(questionId);
    if (!q) return refuse('not-found', 'No such question.');
    return done(ctx.meeting.voting.close(q, ctx.now));
  },

  'vote.cast': (ctx, { questionId, version, rows, choice }) => {
    const q = ctx.meeting.voting.question(questionId);
    if (!q) return refuse('not-found', 'No such question.');
    const p = participant(ctx, ctx.session.userId);
    const voter = { userId: ctx.session.userId, role: ctx.session.role, rows: ctx.session.rows, admitted: p?.status === 'admitted' };
    return done(ctx.meeting.voting.cast(q, voter, { version, rows, choice }, ctx.now));
  },
};

/** Turns a voting result (a value or a refusal) into an outcome. */
function done<T extends object>(r: T | { ok: false; error: CommandError }): Outcome<T> {
  return 'ok' in r && r.ok === false ? r : ok(r as T);
}

/** Runs an organizer's action on an existing question; the action returns a refusal or null. */
function withQuestion(ctx: CommandContext, questionId: string, act: (q: QuestionRecord) => { ok: false; error: CommandError } | null): Outcome<Record<string, never>> {
  const denied = requireOrganizer(ctx);
  if (denied) return denied;
  const q = ctx.meeting.voting.question(questionId);
  if (!q) return refuse('not-found', 'No such question.');
  return act(q) ?? ok({});
}
