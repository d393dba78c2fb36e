/**
 * The shapes of the protocol and its bundle: the protocol JSON (the source of truth the PDF is
 * rendered from), the signed manifest, signatures, and the chained records as the bundle carries
 * them. Each has a runtime schema because the verifier reads them from an untrusted file.
 */
import { z } from 'zod';
import { QuestionSchema } from '../../shared/voting/index.ts';
import { VoteModeSchema, ResultsTimingSchema } from '../../shared/protocol/commands.ts';

/** Format tags: a verifier refuses formats it does not know instead of guessing. */
export const PROTOCOL_FORMAT = 'agora-meet/protocol@1';
export const MANIFEST_FORMAT = 'agora-meet/protocol-manifest@1';
export const SIGNATURE_FORMAT = 'agora-meet/protocol-signature@1';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex');
const Amount = z.string().regex(/^-?\d+\.\d{2}$/, 'an amount with two decimals');

/** A register row as the protocol records it (contacts are left out: the bundle goes to third parties). */
export const ProtocolRegisterRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  inn: z.string().nullable(),
  votes: Amount,
  secured: z.boolean(),
});
export type ProtocolRegisterRow = z.infer<typeof ProtocolRegisterRowSchema>;

const QuorumSnapshotSchema = z.object({ present: Amount, total: Amount, reached: z.boolean() });

const ShareJsonSchema = z.object({ num: z.number(), den: z.number(), atLeast: z.boolean() });

/** The engine's TallyReport as JSON (shared/voting/report.ts); unknown keys are refused. */
export const TallyReportSchema = z.strictObject({
  quorum: z.object({ present: Amount, total: Amount, reached: z.boolean(), needed: Amount, share: ShareJsonSchema }),
  outcome: z.enum(['adopted', 'rejected', 'no-decision']),
  reason: z.string(),
  winners: z.array(z.string()).readonly().optional(),
  tied: z.array(z.string()).readonly().optional(),
  seats: z.object({ total: z.number(), filled: z.number() }).optional(),
  counts: z.record(z.string(), Amount),
  threshold: z.object({ base: z.enum(['present', 'register']), of: Amount, needed: Amount, share: ShareJsonSchema }).optional(),
  classConsent: z.object({ class: z.literal('secured'), members: z.array(z.string()).readonly(), consented: z.array(z.string()).readonly(), missing: z.array(z.string()).readonly() }).optional(),
  median: Amount.optional(),
  rejectReasons: z.array(z.object({ voter: z.string(), reason: z.string() })).readonly().optional(),
  notVoted: Amount,
  invalid: z.object({
    present: Amount,
    notPresent: Amount,
    ballots: z.array(z.object({ voter: z.string(), present: z.boolean(), code: z.string(), message: z.string() })).readonly(),
  }),
  rejected: z.array(z.object({ voter: z.string(), reason: z.string() })).readonly(),
  explanation: z.string(),
});

/** One counted ballot, named (creditors' ballots are named and go to the court). */
export const ProtocolBallotSchema = z.object({
  seq: z.number().int().positive(),
  hash: Sha256,
  row: z.string(),
  rowName: z.string(),
  /** The row's weight on this question. */
  weight: Amount,
  userId: z.string(),
  castBy: z.string(),
  choice: z.unknown(),
  at: z.number(),
  absentee: z.boolean(),
});
export type ProtocolBallot = z.infer<typeof ProtocolBallotSchema>;

/** What a question's version hash covers (server/meeting/Voting.ts `version`). */
export const QuestionDefinitionSchema = z.object({
  question: QuestionSchema,
  mode: VoteModeSchema,
  results: ResultsTimingSchema,
  minOpenSeconds: z.number(),
  absentee: z.object({ from: z.number(), until: z.number() }).nullable(),
});
export type QuestionDefinition = z.infer<typeof QuestionDefinitionSchema>;

export const ProtocolQuestionSchema = z.object({
  id: z.string(),
  /** "2.1": the item's number and the question's number within it. */
  number: z.string(),
  version: Sha256,
  status: z.enum(['draft', 'open', 'closed', 'cancelled']),
  definition: QuestionDefinitionSchema,
  openedAt: z.number().nullable(),
  closedAt: z.number().nullable(),
  cancelReason: z.string().nullable(),
  /** The quorum the audit log recorded when the vote opened. */
  quorumAtOpen: QuorumSnapshotSchema.nullable(),
  /** Register rows counted as present at the close: admitted (replayed from the audit log) or with a ballot. */
  present: z.array(z.string()),
  /** The tally recomputed from the ledger (closed votes only). */
  result: TallyReportSchema.nullable(),
  /** The ballot that counts for each row (the last one cast for the current version), in register order. */
  ballots: z.array(ProtocolBallotSchema),
  /** Ballots replaced by a later ballot of the same row. */
  superseded: z.number().int(),
  /** Ballots cast for an earlier version of the question (no longer counted). */
  invalidated: z.number().int(),
});
export type ProtocolQuestion = z.infer<typeof ProtocolQuestionSchema>;

export const ProtocolDocumentSchema = z.object({
  itemId: z.string(),
  sha256: Sha256,
  name: z.string(),
  type: z.string(),
  size: z.number().int().nonnegative(),
  attachedAt: z.number().nullable(),
  attachedBy: z.string().nullable(),
});
export type ProtocolDocument = z.infer<typeof ProtocolDocumentSchema>;

export const ProtocolItemSchema = z.object({
  id: z.string(),
  number: z.number().int().positive(),
  title: z.string(),
  description: z.string(),
  status: z.string(),
  documents: z.array(ProtocolDocumentSchema),
  questions: z.array(ProtocolQuestionSchema),
});
export type ProtocolItem = z.infer<typeof ProtocolItemSchema>;

export const ProtocolParticipantSchema = z.object({
  userId: z.string(),
  name: z.string(),
  role: z.enum(['organizer', 'voter', 'representative', 'observer']),
  rows: z.array(z.string()),
  weight: Amount,
  status: z.string(),
  method: z.string().nullable(),
  admittedAt: z.number().nullable(),
  removedAt: z.number().nullable(),
  removedReason: z.string().nullable(),
});
export type ProtocolParticipant = z.infer<typeof ProtocolParticipantSchema>;

/** The protocol (minutes) of one meeting: language-neutral codes and exact amounts; renderers translate. */
export const ProtocolSchema = z.object({
  format: z.literal(PROTOCOL_FORMAT),
  /** A preview built before the protocol was issued: not signable. */
  draft: z.boolean(),
  /** 1 for the first issue, 2 for a re-issue...; 0 for a draft. */
  version: z.number().int().nonnegative(),
  issuedAt: z.number(),
  /** The zone the renderer shows times in. */
  timeZone: z.string(),
  meeting: z.object({
    id: z.string(),
    title: z.string(),
    kind: z.string(),
    form: z.enum(['in-person-online', 'absentee', 'mixed']),
    startsAt: z.string(),
    openedAt: z.number().nullable(),
    closedAt: z.number().nullable(),
    place: z.object({ platform: z.string(), url: z.string() }),
    organizer: z.object({ userId: z.string(), name: z.string() }),
  }),
  register: z.object({
    rows: z.array(ProtocolRegisterRowSchema),
    /** All claims, the claims that vote at the meeting level (unsecured), and the secured ones. */
    total: Amount,
    voting: Amount,
    secured: Amount,
    /** SHA-256 of the canonical JSON of `rows`. */
    sha256: Sha256,
  }),
  quorumAtOpening: z.object({ at: z.number(), present: Amount, total: Amount, reached: z.boolean() }).nullable(),
  participants: z.array(ProtocolParticipantSchema),
  items: z.array(ProtocolItemSchema),
  chain: z.object({
    /** The audit log's head when the protocol was made, and its sequence number. */
    auditHead: Sha256,
    auditSeq: z.number().int().nonnegative(),
    ledgerHead: Sha256,
    ledgerSeq: z.number().int().nonnegative(),
  }),
  signing: z.object({
    organizer: z.object({ userId: z.string(), name: z.string(), kid: z.string() }),
    /** The hub's attestation key: it signs the record of each simple electronic signature (one-time code). */
    hubKid: z.string(),
  }),
});
export type Protocol = z.infer<typeof ProtocolSchema>;

/** What the signatures cover: the hashes of the protocol JSON and of its renderings, and the chain heads. */
export const ManifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  meetingId: z.string(),
  version: z.number().int().positive(),
  issuedAt: z.number(),
  files: z.record(z.string(), z.object({ sha256: Sha256, size: z.number().int().nonnegative() })),
  /** SHA-256 of protocol.json (the protocol's hash). */
  protocol: Sha256,
  auditHead: Sha256,
  auditSeq: z.number().int().nonnegative(),
  ledgerHead: Sha256,
  ledgerSeq: z.number().int().nonnegative(),
  /** The renderer that made the PDFs: a verifier with the same renderer re-renders and compares bytes. */
  renderer: z.string(),
});
export type Manifest = z.infer<typeof ManifestSchema>;

export const SignerSchema = z.object({
  userId: z.string(),
  name: z.string(),
  role: z.enum(['organizer', 'voter', 'representative', 'observer']),
  rows: z.array(z.string()),
});
export type Signer = z.infer<typeof SignerSchema>;

/** The payload of every signature JWS. */
export const SignaturePayloadSchema = z.object({
  typ: z.literal(SIGNATURE_FORMAT),
  meetingId: z.string(),
  /** SHA-256 of the canonical manifest JSON. */
  manifest: Sha256,
  /** SHA-256 of protocol.json (also inside the manifest, repeated for readers of the JWS alone). */
  protocol: Sha256,
  /** 'key': signed with the signer's own key. 'code': a simple electronic signature, attested by the hub's key. */
  method: z.enum(['key', 'code']),
  signer: SignerSchema,
  signedAt: z.number(),
  code: z.object({ id: z.string(), channel: z.enum(['email', 'sms']), sentTo: z.string(), requestedAt: z.number() }).optional(),
});
export type SignaturePayload = z.infer<typeof SignaturePayloadSchema>;

/** One entry of signatures.json. */
export const SignatureEntrySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('key'), auditSeq: z.number().int(), kid: z.string(), jws: z.string() }),
  z.object({ kind: z.literal('code'), auditSeq: z.number().int(), kid: z.string(), jws: z.string() }),
  z.object({
    kind: z.literal('scan'),
    auditSeq: z.number().int(),
    sha256: Sha256,
    file: z.string(),
    type: z.string(),
    name: z.string(),
    reason: z.string(),
    by: z.string(),
    manifest: Sha256.nullable(),
    at: z.number(),
  }),
]);
export type SignatureEntry = z.infer<typeof SignatureEntrySchema>;

/** A ledger record as the bundle carries it (server/storage/Storage.ts LedgerRecord). */
export const LedgerRecordSchema = z.object({
  seq: z.number().int(),
  questionId: z.string(),
  version: z.string(),
  row: z.string(),
  userId: z.string(),
  choice: z.unknown(),
  at: z.number(),
  prev: z.string(),
  hash: z.string(),
});

/** An audit record as the bundle carries it (server/storage/Storage.ts AuditRecord). */
export const AuditRecordSchema = z.object({
  seq: z.number().int(),
  type: z.string(),
  data: z.unknown(),
  at: z.number(),
  prev: z.string(),
  hash: z.string(),
});

/** Audit events of the protocol itself: issuing, signing, attaching scans. */
export const PROTOCOL_EVENTS: ReadonlySet<string> = new Set(['protocol.issued', 'signature.key', 'signature.code', 'scan.attached']);

/**
 * Audit events the protocol is drawn from. One of them after the protocol's audit head means the
 * meeting changed after the protocol was made: it is out of date and must be issued again. Other
 * events (identity refusals, notices...) may follow without touching what the protocol says.
 */
export const PROTOCOL_FACT_EVENTS: ReadonlySet<string> = new Set([
  'meeting.status',
  'participant.admitted',
  'participant.removed',
  'question.created',
  'question.edited',
  'question.removed',
  'vote.opened',
  'vote.closed',
  'vote.cancelled',
  'vote.published',
  'ballot.accepted',
  'document.attached',
]);

/** The zone times are shown in unless a meeting says otherwise. */
export const DEFAULT_TIME_ZONE = 'Europe/Moscow';
