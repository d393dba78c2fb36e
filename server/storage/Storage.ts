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

  // ---- the protocol: one-time signature codes (server/protocol) -------------------------------
  // Issued protocols, signatures and attached scans live in the audit log and the blob store;
  // only the one-time codes of simple electronic signatures need a table of their own.

  /** Stores a new one-time code and retires the signer's earlier unused codes in the same meeting. */
  putSignatureCode(c: SignatureCodeRecord): Promise<void>;
  /** The signer's codes created at or after `since` (for rate limits), newest first. */
  recentSignatureCodes(meetingId: string, userId: string, since: number): Promise<SignatureCodeRecord[]>;
  /**
   * Spends one attempt at a code, atomically: compares `candidateHash` with the stored hash in constant
   * time, marks the code used on a match, counts a miss otherwise and locks the code after `maxAttempts`
   * misses. Expired, used, retired and locked codes are refused without counting.
   */
  spendSignatureCode(id: string, userId: string, candidateHash: string, now: number, maxAttempts: number): Promise<SignatureCodeAttempt>;

  // ---- identity: settings, notices, links, one-time codes, keys, powers of attorney (server/identity) ----
  // Secrets are stored by hash only: link tokens, codes (keyed hash), challenge nonces, claim tokens.

  /** The meeting's identity settings (JSON validated by server/identity), or null for the defaults. */
  getIdentitySettings(meetingId: string): Promise<unknown>;
  putIdentitySettings(meetingId: string, settings: unknown, at: number): Promise<void>;

  /** Stores the meeting's published notice (one per meeting; a later one replaces it). */
  putNotice(n: NoticeRecord): Promise<void>;
  getNotice(meetingId: string): Promise<NoticeRecord | null>;

  /** Records what an invitation token is for (a meeting link or an absentee ballot link). */
  putInvitationLink(l: InvitationLinkRecord): Promise<void>;
  /** An invitation and its purpose by token hash, without spending it (to tell why a link is refused). */
  getInvitation(tokenHash: string): Promise<{ invitation: InvitationRecord; link: InvitationLinkRecord | null } | null>;
  /** Revokes every unrevoked invitation of a participant; returns how many. */
  revokeInvitations(meetingId: string, userId: string, now: number): Promise<number>;

  /** Stores a new one-time login code and retires the participant's earlier unused ones. */
  putLoginCode(c: LoginCodeRecord): Promise<void>;
  /** Codes created at or after `since` for a register row of a meeting, or for an address (any meeting). */
  countLoginCodes(by: { meetingId: string; row: string } | { addressHash: string }, since: number): Promise<number>;
  /**
   * Spends one attempt at a login code of meeting `meetingId`, atomically: a match marks it used; a miss
   * counts, and the code locks after `maxAttempts` misses. Codes of another meeting, expired, used,
   * retired and locked codes are refused without counting.
   */
  spendLoginCode(id: string, meetingId: string, candidateHash: string, now: number, maxAttempts: number): Promise<LoginCodeAttempt>;

  putParticipantKey(k: ParticipantKeyRecord): Promise<void>;
  getParticipantKey(meetingId: string, keyId: string): Promise<ParticipantKeyRecord | null>;
  listParticipantKeys(meetingId: string): Promise<ParticipantKeyRecord[]>;
  putKeyChallenge(c: KeyChallengeRecord): Promise<void>;
  /** Marks a challenge used, atomically; says why when it cannot be used. */
  useKeyChallenge(nonceHash: string, now: number): Promise<KeyChallengeUse>;

  putPowerOfAttorney(p: PowerOfAttorneyRecord): Promise<void>;
  getPowerOfAttorney(meetingId: string, id: string): Promise<PowerOfAttorneyRecord | null>;
  findPowerOfAttorneyByClaim(claimHash: string): Promise<PowerOfAttorneyRecord | null>;
  listPowersOfAttorney(meetingId: string): Promise<PowerOfAttorneyRecord[]>;
  /** Records the organizer's decision on a pending power of attorney; null when it is not pending (already reviewed). */
  reviewPowerOfAttorney(meetingId: string, id: string, r: PowerOfAttorneyReview): Promise<PowerOfAttorneyRecord | null>;
}

/** A one-time code for a simple electronic signature (63-FZ art. 9). The code itself is never stored: only a keyed hash. */
export interface SignatureCodeRecord {
  id: string;
  meetingId: string;
  userId: string;
  /** SHA-256 of the protocol manifest the signer confirms. */
  manifest: string;
  channel: 'email' | 'sms';
  /** The address the code went to, masked (e.g. "st***@example.test"). */
  sentTo: string;
  /** HMAC-SHA-256 of the code under the hub's code key, hex. */
  codeHash: string;
  createdAt: number;
  expiresAt: number;
  /** Wrong attempts so far. */
  attempts: number;
  usedAt: number | null;
  /** When a newer code replaced this one, or the attempts ran out. */
  retiredAt: number | null;
}

/** The result of one attempt at a code. */
export type SignatureCodeAttempt =
  | { status: 'confirmed'; code: SignatureCodeRecord }
  | { status: 'wrong'; attemptsLeft: number; code: SignatureCodeRecord }
  | { status: 'locked' | 'expired' | 'used' | 'retired'; code: SignatureCodeRecord }
  | { status: 'unknown' };

// ---- identity records (server/identity) --------------------------------------------------------

/** A meeting's published notice. */
export interface NoticeRecord {
  meetingId: string;
  /** The notice as published (JSON; server/identity validates it on read). */
  notice: unknown;
  publishedAt: number;
  publishedBy: string;
}

/** What an invitation token is for: joining the meeting, or the absentee ballot. */
export interface InvitationLinkRecord {
  tokenHash: string;
  meetingId: string;
  userId: string;
  purpose: 'join' | 'absentee';
  /** The register row the link was sent for (null for links made for a participant, not a row). */
  row: string | null;
  createdAt: number;
}

/** A one-time login code. The code itself is never stored: only a keyed hash. */
export interface LoginCodeRecord {
  id: string;
  meetingId: string;
  userId: string;
  row: string;
  channel: 'email' | 'sms';
  /** Masked address the code went to (e.g. "st***@example.test"). */
  sentTo: string;
  /** SHA-256 of the normalized address (for the per-address rate limit). */
  addressHash: string;
  /** HMAC-SHA-256 of the code under the hub's identity key, hex. */
  codeHash: string;
  createdAt: number;
  expiresAt: number;
  attempts: number;
  usedAt: number | null;
  /** When a newer code replaced this one, or the attempts ran out. */
  retiredAt: number | null;
}

/** The result of one attempt at a login code. */
export type LoginCodeAttempt =
  | { status: 'ok'; code: LoginCodeRecord }
  | { status: 'wrong'; attemptsLeft: number; code: LoginCodeRecord }
  | { status: 'locked' | 'expired' | 'used' | 'retired' | 'other-meeting'; code: LoginCodeRecord }
  | { status: 'unknown' };

/** A participant's public key (WebCrypto P-256, JWK), registered ahead of the meeting. */
export interface ParticipantKeyRecord {
  meetingId: string;
  /** RFC 7638 thumbprint of the key. */
  keyId: string;
  userId: string;
  /** The public JWK (kty, crv, x, y). */
  jwk: unknown;
  createdAt: number;
  createdBy: string;
  revokedAt: number | null;
}

/** A login challenge (a nonce to sign), stored by the nonce's hash. */
export interface KeyChallengeRecord {
  nonceHash: string;
  meetingId: string;
  keyId: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

/** The result of using a challenge. */
export type KeyChallengeUse = { status: 'ok' | 'used' | 'expired'; challenge: KeyChallengeRecord } | { status: 'unknown' };

/** A representative's power of attorney for one or more register rows, and the organizer's decision. */
export interface PowerOfAttorneyRecord {
  id: string;
  meetingId: string;
  /** The representative (a user; a participant once approved). */
  userId: string;
  /** Rows the representative asks to vote for. */
  rows: string[];
  /** Rows the organizer approved (empty until approved). */
  approvedRows: string[];
  status: 'pending' | 'approved' | 'rejected';
  reason: string | null;
  /** The uploaded document, in the blob store. */
  sha256: string;
  type: string;
  size: number;
  fileName: string;
  /** Hash of the representative's claim token (their login before and after review). */
  claimHash: string;
  createdAt: number;
  reviewedAt: number | null;
  reviewedBy: string | null;
}

/** The organizer's decision on a power of attorney. */
export interface PowerOfAttorneyReview {
  status: 'approved' | 'rejected';
  approvedRows: string[];
  reason: string | null;
  reviewedAt: number;
  reviewedBy: string;
}
