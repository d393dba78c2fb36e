/**
 * Commands: the only way a client changes meeting state (besides organizers' collaborative text).
 * Each command has an args schema (validated at the socket boundary) and a result type.
 * The envelope carries a client-chosen id: a retry with the same id gets the same result
 * and changes nothing twice.
 */
import { z } from 'zod';
import { Limits } from './limits.ts';
import { QuestionSchema } from '../voting/schemas.ts';

const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, 'ids use letters, digits and _ . : -');
const Text = (max: number) => z.string().trim().min(1).max(max);

/** The frame around every command. `meeting`, when given, must name the session's meeting. */
export const CommandEnvelopeSchema = z.object({
  id: z.string().min(1).max(Limits.commandIdLength),
  type: z.string().min(1).max(64),
  meeting: z.string().max(64).optional(),
  args: z.unknown().optional(),
});
export type CommandEnvelope = z.infer<typeof CommandEnvelopeSchema>;

/** Agenda item statuses, in the order an item normally goes through them. */
export const AgendaStatusSchema = z.enum(['pending', 'active', 'voting', 'done', 'skipped']);
export type AgendaStatus = z.infer<typeof AgendaStatusSchema>;

/** How a vote is shown: open (each choice visible as cast) or closed (aggregates only). */
export const VoteModeSchema = z.enum(['open', 'closed']);
/** When results become visible: live, after close, or on the chair's command. */
export const ResultsTimingSchema = z.enum(['live', 'after-close', 'on-command']);

/** A question's settings beside its definition (the form, options and rule come from the voting engine's QuestionSchema). */
export const QuestionSettingsSchema = z
  .object({
    itemId: Id,
    question: QuestionSchema,
    mode: VoteModeSchema.default('open'),
    /** Defaults to live for open votes and after-close for closed ones. */
    results: ResultsTimingSchema.optional(),
    /** The vote cannot be closed earlier unless every admitted voter has voted. */
    minOpenSeconds: z.number().int().min(0).max(24 * 3600).default(60),
    /**
     * Absentee ballots are accepted in this window (epoch milliseconds), before and during the meeting.
     * An absentee ballot is final once cast unless `recast` is true (then a new one replaces it within the window).
     */
    absentee: z.object({ from: z.number().int(), until: z.number().int(), recast: z.boolean().optional() }).refine((a) => a.from < a.until, 'the window must end after it starts').optional(),
  })
  .strict();

/** Args schemas of every command the hub knows. Add new commands here and in the hub's handler table. */
export const CommandArgs = {
  'chat.post': z.object({ text: Text(Limits.chatText) }),
  'hand.raise': z.object({}).strict(),
  'hand.lower': z.object({ userId: Id.optional() }).strict(),
  'floor.grant': z.object({ userId: Id }).strict(),
  'floor.revoke': z.object({ userId: Id }).strict(),
  'stage.pin': z.object({ userId: Id.nullable() }).strict(),
  'agenda.add': z
    .object({
      title: Text(Limits.agendaTitle),
      description: z.string().max(Limits.agendaDescription).optional(),
      draft: z.string().max(Limits.agendaDescription).optional(),
    })
    .strict(),
  'agenda.update': z
    .object({
      itemId: Id,
      title: Text(Limits.agendaTitle).optional(),
      description: z.string().max(Limits.agendaDescription).optional(),
      documents: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(20).optional(),
    })
    .strict(),
  'agenda.move': z.object({ itemId: Id, toIndex: z.number().int().nonnegative() }).strict(),
  'agenda.setStatus': z.object({ itemId: Id, status: AgendaStatusSchema }).strict(),
  'annotation.add': z
    .object({
      docId: z.string().regex(/^[0-9a-f]{64}$/, 'a document id is its SHA-256 in hex'),
      page: z.number().int().min(1).max(10_000),
      x: z.number().min(0).max(1),
      y: z.number().min(0).max(1),
      text: Text(Limits.annotationText),
    })
    .strict(),
  'annotation.update': z.object({ annotationId: Id, text: Text(Limits.annotationText) }).strict(),
  'annotation.remove': z.object({ annotationId: Id }).strict(),
  'participant.admit': z.object({ userId: Id }).strict(),
  /** Sent by a hub (not by people) when a participant first connects: invited -> lobby. */
  'participant.arrive': z.object({}).strict(),
  'participant.remove': z.object({ userId: Id, reason: Text(Limits.reason) }).strict(),
  'meeting.setStatus': z.object({ status: z.enum(['scheduled', 'open', 'closed']) }).strict(),
  'question.create': QuestionSettingsSchema,
  'question.update': QuestionSettingsSchema.safeExtend({ questionId: Id }),
  'question.remove': z.object({ questionId: Id }).strict(),
  'vote.open': z.object({ questionId: Id }).strict(),
  'vote.cast': z
    .object({
      questionId: Id,
      /** The question version the voter saw; a ballot for an outdated version is refused. */
      version: z.string().regex(/^[0-9a-f]{64}$/),
      /** Register rows this ballot is for (a representative may vote several at once); default: all of the voter's rows. */
      rows: z.array(Id).min(1).max(1000).optional(),
      choice: z.unknown(),
    })
    .strict(),
  'vote.close': z.object({ questionId: Id }).strict(),
  'vote.cancel': z.object({ questionId: Id, reason: Text(Limits.reason) }).strict(),
  'vote.publish': z.object({ questionId: Id }).strict(),
} as const;

/** Names of all commands. */
export type CommandType = keyof typeof CommandArgs;
/** The args a command takes. */
export type ArgsOf<T extends CommandType> = z.input<(typeof CommandArgs)[T]>;

/** What each command returns on success. */
export interface CommandResults {
  'chat.post': { messageId: string };
  'hand.raise': { position: number };
  'hand.lower': Record<string, never>;
  'floor.grant': Record<string, never>;
  'floor.revoke': Record<string, never>;
  'stage.pin': Record<string, never>;
  'agenda.add': { itemId: string };
  'agenda.update': Record<string, never>;
  'agenda.move': Record<string, never>;
  'agenda.setStatus': Record<string, never>;
  'annotation.add': { annotationId: string };
  'annotation.update': Record<string, never>;
  'annotation.remove': Record<string, never>;
  'participant.admit': Record<string, never>;
  'participant.arrive': Record<string, never>;
  'participant.remove': Record<string, never>;
  'meeting.setStatus': Record<string, never>;
  'question.create': { questionId: string; version: string };
  'question.update': { version: string; invalidated: number };
  'question.remove': Record<string, never>;
  'vote.open': Record<string, never>;
  'vote.cast': { receipts: Receipt[] };
  'vote.close': { outcome: string };
  'vote.cancel': Record<string, never>;
  'vote.publish': Record<string, never>;
}

/** Proof that a ballot entered the ledger: its position and hash. */
export interface Receipt {
  questionId: string;
  row: string;
  seq: number;
  hash: string;
}
/** The result value of a command. */
export type ResultOf<T extends CommandType> = CommandResults[T];

/** Whether a string names a known command. */
export function isCommandType(type: string): type is CommandType {
  return Object.prototype.hasOwnProperty.call(CommandArgs, type);
}
