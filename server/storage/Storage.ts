/**
 * The storage interface of the hub: meetings and their registers, users, invitations, the per-meeting
 * Yjs update log with snapshots, command results for idempotency, and content-addressed documents.
 * SQLite implements it for a single node; a cluster implementation keeps the live log where every hub reads it.
 * Every write method resolves only once the write is durable.
 */

/** A meeting's static facts (the live state is in its Yjs documents). */
export interface MeetingRecord {
  id: string;
  title: string;
  /** The preset: 'creditors', 'shareholders', 'board', 'association'. */
  kind: string;
  startsAt: string;
  organizerUserId: string;
  createdAt: number;
}

/** One row of the register of claims (or of shareholders, members...). Votes are a decimal string. */
export interface RegisterRow {
  id: string;
  name: string;
  inn: string | null;
  votes: string;
  secured: boolean;
  email: string | null;
  phone: string | null;
}

/** A person known to the hub. */
export interface UserRecord {
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
}

/** A person's role in one meeting and the register rows they vote for. */
export interface ParticipantRecord {
  meetingId: string;
  userId: string;
  role: 'organizer' | 'voter' | 'representative' | 'observer';
  rows: string[];
}

/** An invitation token (stored by hash only). `usesLeft` null means reusable (demo links). */
export interface InvitationRecord {
  tokenHash: string;
  meetingId: string;
  userId: string;
  expiresAt: number;
  usesLeft: number | null;
  revokedAt: number | null;
}

/** One Yjs update in a meeting's log. */
export interface LogEntry {
  doc: string;
  update: Uint8Array;
}

/** A command's durable result, kept so that a retry with the same id is answered, not re-applied. */
export interface CommandRecord {
  key: string;
  result: unknown;
}

/** One ballot in the meeting's ledger: hash-chained to the previous ballot. */
export interface LedgerRecord {
  seq: number;
  questionId: string;
  /** The question version (hash) the ballot answers. */
  version: string;
  row: string;
  userId: string;
  choice: unknown;
  at: number;
  prev: string;
  hash: string;
}

/** One legally relevant event in the meeting's audit log: hash-chained to the previous event. */
export interface AuditRecord {
  seq: number;
  type: string;
  data: unknown;
  at: number;
  prev: string;
  hash: string;
}

/** Everything one flush makes durable, atomically. */
export interface WriteBatch {
  entries: LogEntry[];
  commands: CommandRecord[];
  ballots: LedgerRecord[];
  audit: AuditRecord[];
}

/** What restoring a meeting needs: per document the snapshot and the log after it, and the recent command results. */
export interface MeetingState {
  docs: Map<string, { snapshot: Uint8Array | null; updates: Uint8Array[] }>;
  commands: CommandRecord[];
  /** Updates appended since the last snapshot, per document (for compaction scheduling). */
  sinceSnapshot: Map<string, number>;
}

/** A stored document (a PDF, an image). */
export interface BlobRecord {
  sha256: string;
  type: string;
  size: number;
  name: string;
  data: Uint8Array;
}

/** The storage interface. */
export interface Storage {
  createMeeting(m: MeetingRecord): Promise<void>;
  getMeeting(id: string): Promise<MeetingRecord | null>;
  listMeetings(): Promise<MeetingRecord[]>;

  upsertUser(u: UserRecord): Promise<void>;
  getUser(id: string): Promise<UserRecord | null>;

  /** Replaces the meeting's register in one transaction: all rows or none. */
  replaceRegister(meetingId: string, rows: RegisterRow[]): Promise<void>;
  listRegister(meetingId: string): Promise<RegisterRow[]>;

  upsertParticipant(p: ParticipantRecord): Promise<void>;
  getParticipant(meetingId: string, userId: string): Promise<ParticipantRecord | null>;
  listParticipants(meetingId: string): Promise<ParticipantRecord[]>;

  putInvitation(i: InvitationRecord): Promise<void>;
  /** Spends one use of an invitation, atomically; returns it if it was valid at `now`, else null. */
  redeemInvitation(tokenHash: string, now: number): Promise<InvitationRecord | null>;

  /** Appends updates, command results, ballots and audit records atomically; resolves when durable. */
  appendLog(meetingId: string, batch: WriteBatch): Promise<void>;
  /** The whole ballot ledger of a meeting, in order. */
  loadLedger(meetingId: string): Promise<LedgerRecord[]>;
  /** The whole audit log of a meeting, in order. */
  loadAudit(meetingId: string): Promise<AuditRecord[]>;
  /** Replaces the log of `doc` up to now with a snapshot of its state. */
  compact(meetingId: string, doc: string, state: Uint8Array): Promise<void>;
  loadMeetingState(meetingId: string, recentCommands: number): Promise<MeetingState>;

  putBlob(b: BlobRecord): Promise<void>;
  getBlob(sha256: string): Promise<BlobRecord | null>;

  close(): Promise<void>;
}
