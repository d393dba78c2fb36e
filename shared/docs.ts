/**
 * The layout of a meeting's Yjs documents: their names, the shared types inside them and the
 * shapes of the records they hold. The owner hub writes them; clients hold read-only replicas,
 * except the `drafts` document, which organizers edit together.
 */
import type * as Y from 'yjs';
import { z } from 'zod';
import { RoleSchema } from './protocol/messages.ts';
import { AgendaStatusSchema, VoteModeSchema, ResultsTimingSchema } from './protocol/commands.ts';
import { QuestionSchema } from './voting/schemas.ts';
import type { TallyReport } from './voting/report.ts';

/** Document names, in the order a client syncs them. */
export const DOC_NAMES = ['agenda', 'participants', 'queue', 'chat', 'annotations', 'tallies', 'drafts'] as const;
export type DocName = (typeof DOC_NAMES)[number];

/** Whether a string names one of the meeting's documents. */
export function isDocName(name: string): name is DocName {
  return (DOC_NAMES as readonly string[]).includes(name);
}

/** Documents that organizer clients may change with Yjs updates; every other change is a command. */
export const COLLABORATIVE_DOCS: ReadonlySet<DocName> = new Set(['drafts']);

/** Meeting-level facts kept in the agenda document's `meeting` map. */
export const MeetingMetaSchema = z.object({
  id: z.string(),
  title: z.string(),
  kind: z.string(),
  status: z.enum(['scheduled', 'open', 'closed']),
  startsAt: z.string(),
  currentItem: z.string().nullable(),
});
export type MeetingMeta = z.infer<typeof MeetingMetaSchema>;

/** One agenda item (a value of the agenda document's `items` map, ordered by `order`). */
export const AgendaItemSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  status: AgendaStatusSchema,
  documents: z.array(z.string()),
  createdAt: z.number(),
});
export type AgendaItem = z.infer<typeof AgendaItemSchema>;

/** Admission status of a participant. */
export const AdmissionSchema = z.enum(['invited', 'lobby', 'admitted', 'removed']);
export type Admission = z.infer<typeof AdmissionSchema>;

/** One participant (a value of the participants document's `people` map, keyed by user id). */
export const ParticipantSchema = z.object({
  userId: z.string(),
  name: z.string(),
  role: RoleSchema,
  rows: z.array(z.string()),
  /** Voting weight as a decimal string (rubles for creditors). */
  weight: z.string(),
  /** Each register row this participant holds: its whole claim and whether it is secured (for ballot budgets). */
  claims: z.array(z.object({ row: z.string(), votes: z.string(), secured: z.boolean() })).optional(),
  status: AdmissionSchema,
  /** How the participant was validated (server/identity: invitation-link, one-time-code, external-idp, power-of-attorney, key-challenge, absentee-link). */
  method: z.string().optional(),
  /** When the participant last passed validation. */
  validatedAt: z.number().optional(),
  changedAt: z.number().optional(),
  reason: z.string().optional(),
});
export type Participant = z.infer<typeof ParticipantSchema>;

/** The live quorum (participants document, `quorum` map, key `current`). */
export const QuorumSchema = z.object({ present: z.string(), total: z.string(), reached: z.boolean() });
export type Quorum = z.infer<typeof QuorumSchema>;

/**
 * What the organizer's lobby shows about validation (participants document, `identity` map, key
 * `summary`): counts only, since every participant holds this document; details are in the audit log.
 */
export const IdentitySummarySchema = z.object({
  /** Validation attempts refused (wrong codes, reused links, bad signatures...). */
  refusals: z.number(),
  lastRefusalAt: z.number().nullable(),
  /** Powers of attorney waiting for the organizer's review. */
  pendingPowers: z.number(),
  /** When the notice was published (absent before). */
  noticePublishedAt: z.number().optional(),
  updatedAt: z.number(),
});
export type IdentitySummary = z.infer<typeof IdentitySummarySchema>;

/** A raised hand (queue document, `hands` array, in order of raising). */
export const HandSchema = z.object({ userId: z.string(), name: z.string(), at: z.number() });
export type Hand = z.infer<typeof HandSchema>;

/** A floor holder (queue document, `floor` map, keyed by user id). */
export const FloorSchema = z.object({ userId: z.string(), name: z.string(), since: z.number() });
export type Floor = z.infer<typeof FloorSchema>;

/** A chat message (chat document, `messages` array). */
export const ChatMessageSchema = z.object({
  id: z.string(),
  userId: z.string(),
  name: z.string(),
  text: z.string(),
  at: z.number(),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

/** An annotation on a page of a document (annotations document, `annotations` map, keyed by id). */
export const AnnotationSchema = z.object({
  id: z.string(),
  docId: z.string(),
  page: z.number(),
  x: z.number(),
  y: z.number(),
  text: z.string(),
  userId: z.string(),
  name: z.string(),
  at: z.number(),
  updatedAt: z.number().optional(),
});
export type Annotation = z.infer<typeof AnnotationSchema>;

/** Lifecycle of a vote. */
export const VoteStatusSchema = z.enum(['draft', 'open', 'closed', 'cancelled']);
export type VoteStatus = z.infer<typeof VoteStatusSchema>;

/** A question put to the vote (agenda document, `questions` map, keyed by id). */
export const QuestionRecordSchema = z.object({
  id: z.string(),
  itemId: z.string(),
  question: QuestionSchema,
  mode: VoteModeSchema,
  results: ResultsTimingSchema,
  minOpenSeconds: z.number(),
  /** Absentee window; `recast` lets an absentee ballot be replaced within it (otherwise it is final once cast). */
  absentee: z.object({ from: z.number(), until: z.number(), recast: z.boolean().optional() }).optional(),
  /** SHA-256 of the canonical question definition: ballots are bound to it. */
  version: z.string(),
  status: VoteStatusSchema,
  createdAt: z.number(),
  openedAt: z.number().optional(),
  closedAt: z.number().optional(),
  cancelReason: z.string().optional(),
  /** Results published (for `on-command` timing). */
  published: z.boolean(),
});
export type QuestionRecord = z.infer<typeof QuestionRecordSchema>;

/** The live tally of a question (tallies document, `tallies` map, keyed by question id). */
export const TallyRecordSchema = z.object({
  questionId: z.string(),
  status: VoteStatusSchema,
  /** Register rows that have a ballot, and rows that may vote (admitted or absentee). */
  turnout: z.object({ voted: z.number(), eligible: z.number() }),
  /** Whether the numbers below may be shown (open votes, or closed votes whose settings allow it). */
  visible: z.boolean(),
  report: z.custom<TallyReport>((v) => typeof v === 'object' && v !== null).optional(),
  /** Open votes only: each row's current choice, named. */
  choices: z.array(z.object({ row: z.string(), name: z.string(), choice: z.unknown() })).optional(),
  /** Ballots cast for an earlier version of the question, no longer counted. */
  invalidated: z.number(),
  ledgerHead: z.string(),
  updatedAt: z.number(),
});
export type TallyRecord = z.infer<typeof TallyRecordSchema>;

/** Presence a client publishes through awareness. Anything else is refused by the server. */
export const PresenceSchema = z
  .object({
    userId: z.string().max(64),
    name: z.string().max(300),
    online: z.boolean(),
    speaking: z.boolean().optional(),
    hand: z.boolean().optional(),
    view: z.string().max(64).optional(),
  })
  .strict();
export type Presence = z.infer<typeof PresenceSchema>;

/** Typed accessors for the shared types of each document, used by the hub and by clients alike. */
export const Layout = {
  meeting: (d: Y.Doc) => d.getMap<unknown>('meeting'),
  agendaItems: (d: Y.Doc) => d.getMap<unknown>('items'),
  agendaOrder: (d: Y.Doc) => d.getArray<string>('order'),
  people: (d: Y.Doc) => d.getMap<unknown>('people'),
  quorum: (d: Y.Doc) => d.getMap<unknown>('quorum'),
  /** Participants document: `summary` is the IdentitySummary. */
  identity: (d: Y.Doc) => d.getMap<unknown>('identity'),
  hands: (d: Y.Doc) => d.getArray<unknown>('hands'),
  floor: (d: Y.Doc) => d.getMap<unknown>('floor'),
  /** Queue document: `pinned` is the user id on everyone's stage, or null. */
  stage: (d: Y.Doc) => d.getMap<unknown>('stage'),
  chat: (d: Y.Doc) => d.getArray<unknown>('messages'),
  annotations: (d: Y.Doc) => d.getMap<unknown>('annotations'),
  tallies: (d: Y.Doc) => d.getMap<unknown>('tallies'),
  questions: (d: Y.Doc) => d.getMap<unknown>('questions'),
  draft: (d: Y.Doc, itemId: string) => d.getText(`draft:${itemId}`),
};

/** Reads the agenda in order, skipping anything that does not match the schema. */
export function readAgenda(agenda: Y.Doc): AgendaItem[] {
  const items = Layout.agendaItems(agenda);
  const out: AgendaItem[] = [];
  for (const id of Layout.agendaOrder(agenda).toArray()) {
    const parsed = AgendaItemSchema.safeParse(items.get(id));
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

/** Reads the meeting's facts, or null before the hub has written them. */
export function readMeta(agenda: Y.Doc): MeetingMeta | null {
  const parsed = MeetingMetaSchema.safeParse(Layout.meeting(agenda).toJSON());
  return parsed.success ? parsed.data : null;
}

/** Reads all participants. */
export function readParticipants(doc: Y.Doc): Participant[] {
  const out: Participant[] = [];
  for (const v of Layout.people(doc).values()) {
    const parsed = ParticipantSchema.safeParse(v);
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

/** Reads chat messages in order. */
export function readChat(doc: Y.Doc): ChatMessage[] {
  return Layout.chat(doc)
    .toArray()
    .flatMap((v) => {
      const parsed = ChatMessageSchema.safeParse(v);
      return parsed.success ? [parsed.data] : [];
    });
}

/** Reads the speaker queue: raised hands in order and current floor holders. */
export function readQueue(doc: Y.Doc): { hands: Hand[]; floor: Floor[]; pinned: string | null } {
  const hands = Layout.hands(doc)
    .toArray()
    .flatMap((v) => {
      const p = HandSchema.safeParse(v);
      return p.success ? [p.data] : [];
    });
  const floor = [...Layout.floor(doc).values()].flatMap((v) => {
    const p = FloorSchema.safeParse(v);
    return p.success ? [p.data] : [];
  });
  const pinned = Layout.stage(doc).get('pinned');
  return { hands, floor, pinned: typeof pinned === 'string' ? pinned : null };
}

/** Reads annotations of one document (or all). */
export function readAnnotations(doc: Y.Doc, docId?: string): Annotation[] {
  return [...Layout.annotations(doc).values()]
    .flatMap((v) => {
      const p = AnnotationSchema.safeParse(v);
      return p.success ? [p.data] : [];
    })
    .filter((a) => docId === undefined || a.docId === docId)
    .sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
}

/** Reads the live quorum, or null before the hub computed it. */
export function readQuorum(doc: Y.Doc): Quorum | null {
  const p = QuorumSchema.safeParse(Layout.quorum(doc).get('current'));
  return p.success ? p.data : null;
}

/** Reads the validation summary of the lobby, or null before anything happened. */
export function readIdentitySummary(doc: Y.Doc): IdentitySummary | null {
  const p = IdentitySummarySchema.safeParse(Layout.identity(doc).get('summary'));
  return p.success ? p.data : null;
}

/** Reads the questions of the meeting (optionally of one agenda item), oldest first. */
export function readQuestions(agenda: Y.Doc, itemId?: string): QuestionRecord[] {
  return [...Layout.questions(agenda).values()]
    .flatMap((v) => {
      const p = QuestionRecordSchema.safeParse(v);
      return p.success ? [p.data] : [];
    })
    .filter((q) => itemId === undefined || q.itemId === itemId)
    .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
}

/** Reads the live tally of a question, or null. */
export function readTally(tallies: Y.Doc, questionId: string): TallyRecord | null {
  const p = TallyRecordSchema.safeParse(Layout.tallies(tallies).get(questionId));
  return p.success ? p.data : null;
}
