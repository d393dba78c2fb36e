/** Storage on one SQLite file (better-sqlite3, WAL): the embedded single-node default. */
import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type {
  AuditRecord,
  BlobRecord,
  LedgerRecord,
  WriteBatch,
  InvitationRecord,
  MeetingRecord,
  MeetingState,
  ParticipantRecord,
  RegisterRow,
  Storage,
  UserRecord,
  SignatureCodeRecord,
  SignatureCodeAttempt,
  NoticeRecord,
  InvitationLinkRecord,
  LoginCodeRecord,
  LoginCodeAttempt,
  ParticipantKeyRecord,
  KeyChallengeRecord,
  KeyChallengeUse,
  PowerOfAttorneyRecord,
  PowerOfAttorneyReview,
} from './Storage.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meetings (
  id TEXT PRIMARY KEY, title TEXT NOT NULL, kind TEXT NOT NULL, starts_at TEXT NOT NULL,
  organizer_user_id TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT, phone TEXT);
CREATE TABLE IF NOT EXISTS register_rows (
  meeting_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, inn TEXT, votes TEXT NOT NULL,
  secured INTEGER NOT NULL, email TEXT, phone TEXT, ord INTEGER NOT NULL, PRIMARY KEY (meeting_id, id));
CREATE TABLE IF NOT EXISTS participants (
  meeting_id TEXT NOT NULL, user_id TEXT NOT NULL, role TEXT NOT NULL, rows TEXT NOT NULL,
  PRIMARY KEY (meeting_id, user_id));
CREATE TABLE IF NOT EXISTS invitations (
  token_hash TEXT PRIMARY KEY, meeting_id TEXT NOT NULL, user_id TEXT NOT NULL, expires_at INTEGER NOT NULL,
  uses_left INTEGER, revoked_at INTEGER);
CREATE TABLE IF NOT EXISTS log (
  meeting_id TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (meeting_id, seq));
CREATE INDEX IF NOT EXISTS log_doc ON log (meeting_id, doc, seq);
CREATE TABLE IF NOT EXISTS snapshots (
  meeting_id TEXT NOT NULL, doc TEXT NOT NULL, data BLOB NOT NULL, upto_seq INTEGER NOT NULL,
  PRIMARY KEY (meeting_id, doc));
CREATE TABLE IF NOT EXISTS commands (
  meeting_id TEXT NOT NULL, seq INTEGER NOT NULL, key TEXT NOT NULL, result TEXT NOT NULL,
  PRIMARY KEY (meeting_id, key));
CREATE INDEX IF NOT EXISTS commands_seq ON commands (meeting_id, seq);
CREATE TABLE IF NOT EXISTS ballots (
  meeting_id TEXT NOT NULL, seq INTEGER NOT NULL, question_id TEXT NOT NULL, version TEXT NOT NULL, row_id TEXT NOT NULL,
  user_id TEXT NOT NULL, choice TEXT NOT NULL, at INTEGER NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL,
  PRIMARY KEY (meeting_id, seq));
CREATE TABLE IF NOT EXISTS audit (
  meeting_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, at INTEGER NOT NULL,
  prev TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (meeting_id, seq));
CREATE TABLE IF NOT EXISTS blobs (
  sha256 TEXT PRIMARY KEY, type TEXT NOT NULL, size INTEGER NOT NULL, name TEXT NOT NULL, data BLOB NOT NULL);
`;

interface Row {
  [k: string]: unknown;
}

/** SQLite implementation of Storage. Writes are synchronous transactions, durable when they return. */
export class SqliteStorage implements Storage {
  private readonly db: Database.Database;
  private readonly seqs = new Map<string, number>();
  private readonly appendQueue: { meetingId: string; batch: WriteBatch; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private appendStatements: Record<'log' | 'command' | 'ballot' | 'audit', Database.Statement> | null = null;

  constructor(file: string, opts: { synchronous?: 'FULL' | 'NORMAL' } = {}) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
    this.db.pragma('foreign_keys = ON');
    // Several hub processes may share the file (a cluster on one machine): wait for each other's write locks.
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  async createMeeting(m: MeetingRecord): Promise<void> {
    this.db
      .prepare('INSERT INTO meetings (id, title, kind, starts_at, organizer_user_id, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(m.id, m.title, m.kind, m.startsAt, m.organizerUserId, m.createdAt);
  }

  async getMeeting(id: string): Promise<MeetingRecord | null> {
    const r = this.db.prepare('SELECT * FROM meetings WHERE id = ?').get(id) as Row | undefined;
    return r ? toMeeting(r) : null;
  }

  async listMeetings(): Promise<MeetingRecord[]> {
    return (this.db.prepare('SELECT * FROM meetings ORDER BY created_at').all() as Row[]).map(toMeeting);
  }

  async upsertUser(u: UserRecord): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO users (id, name, email, phone) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, email = excluded.email, phone = excluded.phone',
      )
      .run(u.id, u.name, u.email, u.phone);
  }

  async getUser(id: string): Promise<UserRecord | null> {
    const r = this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as Row | undefined;
    return r ? { id: String(r.id), name: String(r.name), email: nullable(r.email), phone: nullable(r.phone) } : null;
  }

  async replaceRegister(meetingId: string, rows: RegisterRow[]): Promise<void> {
    const del = this.db.prepare('DELETE FROM register_rows WHERE meeting_id = ?');
    const ins = this.db.prepare(
      'INSERT INTO register_rows (meeting_id, id, name, inn, votes, secured, email, phone, ord) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      del.run(meetingId);
      rows.forEach((r, i) => ins.run(meetingId, r.id, r.name, r.inn, r.votes, r.secured ? 1 : 0, r.email, r.phone, i));
    })();
  }

  async listRegister(meetingId: string): Promise<RegisterRow[]> {
    const rows = this.db.prepare('SELECT * FROM register_rows WHERE meeting_id = ? ORDER BY ord').all(meetingId) as Row[];
    return rows.map((r) => ({
      id: String(r.id),
      name: String(r.name),
      inn: nullable(r.inn),
      votes: String(r.votes),
      secured: r.secured === 1,
      email: nullable(r.email),
      phone: nullable(r.phone),
    }));
  }

  async upsertParticipant(p: ParticipantRecord): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO participants (meeting_id, user_id, role, rows) VALUES (?, ?, ?, ?) ON CONFLICT(meeting_id, user_id) DO UPDATE SET role = excluded.role, rows = excluded.rows',
      )
      .run(p.meetingId, p.userId, p.role, JSON.stringify(p.rows));
  }

  async getParticipant(meetingId: string, userId: string): Promise<ParticipantRecord | null> {
    const r = this.db.prepare('SELECT * FROM participants WHERE meeting_id = ? AND user_id = ?').get(meetingId, userId) as Row | undefined;
    return r ? toParticipant(r) : null;
  }

  async listParticipants(meetingId: string): Promise<ParticipantRecord[]> {
    return (this.db.prepare('SELECT * FROM participants WHERE meeting_id = ? ORDER BY rowid').all(meetingId) as Row[]).map(toParticipant);
  }

  async putInvitation(i: InvitationRecord): Promise<void> {
    this.db
      .prepare('INSERT INTO invitations (token_hash, meeting_id, user_id, expires_at, uses_left, revoked_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(i.tokenHash, i.meetingId, i.userId, i.expiresAt, i.usesLeft, i.revokedAt);
  }

  async redeemInvitation(tokenHash: string, now: number): Promise<InvitationRecord | null> {
    return this.db.transaction((): InvitationRecord | null => {
      const r = this.db.prepare('SELECT * FROM invitations WHERE token_hash = ?').get(tokenHash) as Row | undefined;
      if (!r) return null;
      const inv: InvitationRecord = {
        tokenHash: String(r.token_hash),
        meetingId: String(r.meeting_id),
        userId: String(r.user_id),
        expiresAt: Number(r.expires_at),
        usesLeft: r.uses_left === null ? null : Number(r.uses_left),
        revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
      };
      if (inv.revokedAt !== null || inv.expiresAt <= now || (inv.usesLeft !== null && inv.usesLeft <= 0)) return null;
      if (inv.usesLeft !== null) {
        this.db.prepare('UPDATE invitations SET uses_left = uses_left - 1 WHERE token_hash = ?').run(tokenHash);
      }
      return inv;
    })();
  }

  private nextSeq(meetingId: string): number {
    let seq = this.seqs.get(meetingId);
    if (seq === undefined) {
      const a = this.db.prepare('SELECT MAX(seq) AS s FROM log WHERE meeting_id = ?').get(meetingId) as Row;
      const b = this.db.prepare('SELECT MAX(upto_seq) AS s FROM snapshots WHERE meeting_id = ?').get(meetingId) as Row;
      const c = this.db.prepare('SELECT MAX(seq) AS s FROM commands WHERE meeting_id = ?').get(meetingId) as Row;
      seq = Math.max(Number(a.s ?? 0), Number(b.s ?? 0), Number(c.s ?? 0));
    }
    seq += 1;
    this.seqs.set(meetingId, seq);
    return seq;
  }

  /**
   * Appends a meeting's batch. Batches that arrive before the pending microtasks have run (the
   * meetings flush together, see Meeting.schedule) are committed together, one transaction and one
   * fsync (group commit), with no added wait; each batch runs in
   * its own savepoint, so a batch that fails is rolled back and refused alone. Resolves when the
   * batch is durable.
   */
  appendLog(meetingId: string, batch: WriteBatch): Promise<void> {
    return new Promise((resolve, reject) => {
      this.appendQueue.push({ meetingId, batch, resolve, reject });
      if (this.appendQueue.length === 1) queueMicrotask(() => this.commitAppends());
    });
  }

  private commitAppends(): void {
    const queued = this.appendQueue.splice(0);
    if (queued.length === 0) return;
    const st = (this.appendStatements ??= {
      log: this.db.prepare('INSERT INTO log (meeting_id, seq, doc, data) VALUES (?, ?, ?, ?)'),
      command: this.db.prepare('INSERT OR REPLACE INTO commands (meeting_id, seq, key, result) VALUES (?, ?, ?, ?)'),
      ballot: this.db.prepare(
        'INSERT INTO ballots (meeting_id, seq, question_id, version, row_id, user_id, choice, at, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      audit: this.db.prepare('INSERT INTO audit (meeting_id, seq, type, data, at, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    });
    const seqsBefore = new Map(queued.map((q) => [q.meetingId, this.seqs.get(q.meetingId)]));
    /** Puts a meeting's next log position back where it was (rows of a rolled-back write are gone). */
    const restoreSeq = (meetingId: string, before: number | undefined) => {
      if (before === undefined) this.seqs.delete(meetingId);
      else this.seqs.set(meetingId, before);
    };
    const one = this.db.transaction((meetingId: string, batch: WriteBatch) => {
      for (const b of batch.ballots) {
        st.ballot.run(meetingId, b.seq, b.questionId, b.version, b.row, b.userId, JSON.stringify(b.choice), b.at, b.prev, b.hash);
      }
      for (const a of batch.audit) st.audit.run(meetingId, a.seq, a.type, JSON.stringify(a.data), a.at, a.prev, a.hash);
      for (const e of batch.entries) st.log.run(meetingId, this.nextSeq(meetingId), e.doc, e.update);
      for (const c of batch.commands) st.command.run(meetingId, this.nextSeq(meetingId), c.key, JSON.stringify(c.result));
    });
    const failed = new Map<(typeof queued)[number], unknown>();
    const failedMeetings = new Set<string>();
    try {
      this.db.transaction(() => {
        for (const q of queued) {
          // Batches of one meeting are in order; once one fails, the meeting's later batches must not land after the gap.
          if (failedMeetings.has(q.meetingId)) {
            failed.set(q, new Error('an earlier write of this meeting failed'));
            continue;
          }
          const seqBefore = this.seqs.get(q.meetingId);
          try {
            one(q.meetingId, q.batch); // nested: a savepoint of the outer transaction
          } catch (err) {
            restoreSeq(q.meetingId, seqBefore);
            failed.set(q, err);
            failedMeetings.add(q.meetingId);
          }
        }
      })();
    } catch (err) {
      // The commit itself failed: nothing of this group is durable.
      for (const [meetingId, before] of seqsBefore) restoreSeq(meetingId, before);
      for (const q of queued) q.reject(err);
      return;
    }
    for (const q of queued) {
      const err = failed.get(q);
      if (err === undefined) q.resolve();
      else q.reject(err);
    }
  }

  async compact(meetingId: string, doc: string, state: Uint8Array): Promise<void> {
    this.db.transaction(() => {
      const seq = this.nextSeq(meetingId);
      this.db
        .prepare('INSERT OR REPLACE INTO snapshots (meeting_id, doc, data, upto_seq) VALUES (?, ?, ?, ?)')
        .run(meetingId, doc, state, seq);
      this.db.prepare('DELETE FROM log WHERE meeting_id = ? AND doc = ? AND seq < ?').run(meetingId, doc, seq);
    })();
  }

  async loadMeetingState(meetingId: string, recentCommands: number): Promise<MeetingState> {
    const docs = new Map<string, { snapshot: Uint8Array | null; updates: Uint8Array[] }>();
    const sinceSnapshot = new Map<string, number>();
    for (const r of this.db.prepare('SELECT doc, data FROM snapshots WHERE meeting_id = ?').all(meetingId) as Row[]) {
      docs.set(String(r.doc), { snapshot: toBytes(r.data), updates: [] });
    }
    for (const r of this.db.prepare('SELECT doc, data FROM log WHERE meeting_id = ? ORDER BY seq').iterate(meetingId) as Iterable<Row>) {
      const doc = String(r.doc);
      let d = docs.get(doc);
      if (!d) docs.set(doc, (d = { snapshot: null, updates: [] }));
      d.updates.push(toBytes(r.data));
      sinceSnapshot.set(doc, (sinceSnapshot.get(doc) ?? 0) + 1);
    }
    const commands = (
      this.db
        .prepare('SELECT key, result FROM commands WHERE meeting_id = ? ORDER BY seq DESC LIMIT ?')
        .all(meetingId, recentCommands) as Row[]
    )
      .reverse()
      .map((r) => ({ key: String(r.key), result: JSON.parse(String(r.result)) as unknown }));
    return { docs, commands, sinceSnapshot };
  }

  async loadLedger(meetingId: string): Promise<LedgerRecord[]> {
    return (this.db.prepare('SELECT * FROM ballots WHERE meeting_id = ? ORDER BY seq').all(meetingId) as Row[]).map((r) => ({
      seq: Number(r.seq),
      questionId: String(r.question_id),
      version: String(r.version),
      row: String(r.row_id),
      userId: String(r.user_id),
      choice: JSON.parse(String(r.choice)) as unknown,
      at: Number(r.at),
      prev: String(r.prev),
      hash: String(r.hash),
    }));
  }

  async loadAudit(meetingId: string): Promise<AuditRecord[]> {
    return (this.db.prepare('SELECT * FROM audit WHERE meeting_id = ? ORDER BY seq').all(meetingId) as Row[]).map((r) => ({
      seq: Number(r.seq),
      type: String(r.type),
      data: JSON.parse(String(r.data)) as unknown,
      at: Number(r.at),
      prev: String(r.prev),
      hash: String(r.hash),
    }));
  }

  async putBlob(b: BlobRecord): Promise<void> {
    this.db
      .prepare('INSERT OR IGNORE INTO blobs (sha256, type, size, name, data) VALUES (?, ?, ?, ?, ?)')
      .run(b.sha256, b.type, b.size, b.name, b.data);
  }

  async getBlob(sha256: string): Promise<BlobRecord | null> {
    const r = this.db.prepare('SELECT * FROM blobs WHERE sha256 = ?').get(sha256) as Row | undefined;
    return r ? { sha256: String(r.sha256), type: String(r.type), size: Number(r.size), name: String(r.name), data: toBytes(r.data) } : null;
  }

  /**
   * One attempt at a stored one-time code (signature or login), inside the caller's transaction:
   * refuses used, locked, retired and expired codes without counting; compares in constant time;
   * marks a match used; counts a miss and retires the code after `maxAttempts` misses.
   */
  private attemptCode<C extends { id: string; codeHash: string; usedAt: number | null; attempts: number; retiredAt: number | null; expiresAt: number }>(
    table: 'signature_codes' | 'login_codes',
    code: C,
    candidateHash: string,
    now: number,
    maxAttempts: number,
  ):
    | { status: 'ok'; code: C }
    | { status: 'wrong'; attemptsLeft: number; code: C }
    | { status: 'used' | 'locked' | 'retired' | 'expired'; code: C } {
    if (code.usedAt !== null) return { status: 'used', code };
    if (code.attempts >= maxAttempts) return { status: 'locked', code };
    if (code.retiredAt !== null) return { status: 'retired', code };
    if (now >= code.expiresAt) return { status: 'expired', code };
    const a = Buffer.from(code.codeHash, 'hex');
    const b = Buffer.from(candidateHash, 'hex');
    if (a.length === b.length && crypto.timingSafeEqual(a, b)) {
      this.db.prepare(`UPDATE ${table} SET used_at = ? WHERE id = ?`).run(now, code.id);
      return { status: 'ok', code: { ...code, usedAt: now } };
    }
    const attempts = code.attempts + 1;
    const retiredAt = attempts >= maxAttempts ? now : null;
    this.db.prepare(`UPDATE ${table} SET attempts = ?, retired_at = COALESCE(retired_at, ?) WHERE id = ?`).run(attempts, retiredAt, code.id);
    return { status: 'wrong', attemptsLeft: maxAttempts - attempts, code: { ...code, attempts, retiredAt } };
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    if (this.appendQueue.length > 0) this.commitAppends();
    this.db.close();
  }

  // ---- the protocol: one-time signature codes (server/protocol) -------------------------------

  private protocolTablesReady = false;

  /** Creates the protocol's table on first use (kept apart from SCHEMA so this section stands alone). */
  private protocolTables(): void {
    if (this.protocolTablesReady) return;
    this.db.exec(`
CREATE TABLE IF NOT EXISTS signature_codes (
  id TEXT PRIMARY KEY, meeting_id TEXT NOT NULL, user_id TEXT NOT NULL, manifest TEXT NOT NULL, channel TEXT NOT NULL,
  sent_to TEXT NOT NULL, code_hash TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL, used_at INTEGER, retired_at INTEGER);
CREATE INDEX IF NOT EXISTS signature_codes_signer ON signature_codes (meeting_id, user_id, created_at);
`);
    this.protocolTablesReady = true;
  }

  async putSignatureCode(c: SignatureCodeRecord): Promise<void> {
    this.protocolTables();
    this.db.transaction(() => {
      this.db
        .prepare('UPDATE signature_codes SET retired_at = ? WHERE meeting_id = ? AND user_id = ? AND used_at IS NULL AND retired_at IS NULL')
        .run(c.createdAt, c.meetingId, c.userId);
      this.db
        .prepare(
          `INSERT INTO signature_codes (id, meeting_id, user_id, manifest, channel, sent_to, code_hash, created_at, expires_at, attempts, used_at, retired_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(c.id, c.meetingId, c.userId, c.manifest, c.channel, c.sentTo, c.codeHash, c.createdAt, c.expiresAt, c.attempts, c.usedAt, c.retiredAt);
    })();
  }

  async recentSignatureCodes(meetingId: string, userId: string, since: number): Promise<SignatureCodeRecord[]> {
    this.protocolTables();
    const rows = this.db
      .prepare('SELECT * FROM signature_codes WHERE meeting_id = ? AND user_id = ? AND created_at >= ? ORDER BY created_at DESC')
      .all(meetingId, userId, since) as Row[];
    return rows.map(toSignatureCode);
  }

  async spendSignatureCode(id: string, userId: string, candidateHash: string, now: number, maxAttempts: number): Promise<SignatureCodeAttempt> {
    this.protocolTables();
    return this.db.transaction((): SignatureCodeAttempt => {
      const r = this.db.prepare('SELECT * FROM signature_codes WHERE id = ? AND user_id = ?').get(id, userId) as Row | undefined;
      if (!r) return { status: 'unknown' };
      const code = toSignatureCode(r);
      const a = this.attemptCode('signature_codes', code, candidateHash, now, maxAttempts);
      return a.status === 'ok' ? { status: 'confirmed', code: a.code } : a;
    })();
  }

  // ---- identity: settings, notices, links, one-time codes, keys, powers of attorney (server/identity) ----

  private identityTablesReady = false;

  /** Creates the identity tables on first use (kept apart from SCHEMA so this section stands alone). */
  private identityTables(): void {
    if (this.identityTablesReady) return;
    this.db.exec(`
CREATE TABLE IF NOT EXISTS identity_settings (meeting_id TEXT PRIMARY KEY, settings TEXT NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS notices (meeting_id TEXT PRIMARY KEY, notice TEXT NOT NULL, published_at INTEGER NOT NULL, published_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS invitation_links (
  token_hash TEXT PRIMARY KEY, meeting_id TEXT NOT NULL, user_id TEXT NOT NULL, purpose TEXT NOT NULL, row_id TEXT, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS invitations_user ON invitations (meeting_id, user_id);
CREATE TABLE IF NOT EXISTS login_codes (
  id TEXT PRIMARY KEY, meeting_id TEXT NOT NULL, user_id TEXT NOT NULL, row_id TEXT NOT NULL, channel TEXT NOT NULL,
  sent_to TEXT NOT NULL, address_hash TEXT NOT NULL, code_hash TEXT NOT NULL, created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL, attempts INTEGER NOT NULL, used_at INTEGER, retired_at INTEGER);
CREATE INDEX IF NOT EXISTS login_codes_row ON login_codes (meeting_id, row_id, created_at);
CREATE INDEX IF NOT EXISTS login_codes_address ON login_codes (address_hash, created_at);
CREATE TABLE IF NOT EXISTS participant_keys (
  meeting_id TEXT NOT NULL, key_id TEXT NOT NULL, user_id TEXT NOT NULL, jwk TEXT NOT NULL, created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL, revoked_at INTEGER, PRIMARY KEY (meeting_id, key_id));
CREATE TABLE IF NOT EXISTS key_challenges (
  nonce_hash TEXT PRIMARY KEY, meeting_id TEXT NOT NULL, key_id TEXT NOT NULL, user_id TEXT NOT NULL,
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER);
CREATE TABLE IF NOT EXISTS powers_of_attorney (
  id TEXT PRIMARY KEY, meeting_id TEXT NOT NULL, user_id TEXT NOT NULL, rows TEXT NOT NULL, approved_rows TEXT NOT NULL,
  status TEXT NOT NULL, reason TEXT, sha256 TEXT NOT NULL, type TEXT NOT NULL, size INTEGER NOT NULL, file_name TEXT NOT NULL,
  claim_hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, reviewed_at INTEGER, reviewed_by TEXT);
CREATE INDEX IF NOT EXISTS powers_meeting ON powers_of_attorney (meeting_id, created_at);
`);
    this.identityTablesReady = true;
  }

  async getIdentitySettings(meetingId: string): Promise<unknown> {
    this.identityTables();
    const r = this.db.prepare('SELECT settings FROM identity_settings WHERE meeting_id = ?').get(meetingId) as Row | undefined;
    return r ? (JSON.parse(String(r.settings)) as unknown) : null;
  }

  async putIdentitySettings(meetingId: string, settings: unknown, at: number): Promise<void> {
    this.identityTables();
    this.db.prepare('INSERT OR REPLACE INTO identity_settings (meeting_id, settings, updated_at) VALUES (?, ?, ?)').run(meetingId, JSON.stringify(settings), at);
  }

  async putNotice(n: NoticeRecord): Promise<void> {
    this.identityTables();
    this.db
      .prepare('INSERT OR REPLACE INTO notices (meeting_id, notice, published_at, published_by) VALUES (?, ?, ?, ?)')
      .run(n.meetingId, JSON.stringify(n.notice), n.publishedAt, n.publishedBy);
  }

  async getNotice(meetingId: string): Promise<NoticeRecord | null> {
    this.identityTables();
    const r = this.db.prepare('SELECT * FROM notices WHERE meeting_id = ?').get(meetingId) as Row | undefined;
    return r ? { meetingId, notice: JSON.parse(String(r.notice)) as unknown, publishedAt: Number(r.published_at), publishedBy: String(r.published_by) } : null;
  }

  async putInvitationLink(l: InvitationLinkRecord): Promise<void> {
    this.identityTables();
    this.db
      .prepare('INSERT OR REPLACE INTO invitation_links (token_hash, meeting_id, user_id, purpose, row_id, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(l.tokenHash, l.meetingId, l.userId, l.purpose, l.row, l.createdAt);
  }

  async getInvitation(tokenHash: string): Promise<{ invitation: InvitationRecord; link: InvitationLinkRecord | null } | null> {
    this.identityTables();
    const r = this.db.prepare('SELECT * FROM invitations WHERE token_hash = ?').get(tokenHash) as Row | undefined;
    if (!r) return null;
    const l = this.db.prepare('SELECT * FROM invitation_links WHERE token_hash = ?').get(tokenHash) as Row | undefined;
    const purpose = l ? String(l.purpose) : 'join';
    return {
      invitation: {
        tokenHash: String(r.token_hash),
        meetingId: String(r.meeting_id),
        userId: String(r.user_id),
        expiresAt: Number(r.expires_at),
        usesLeft: r.uses_left === null ? null : Number(r.uses_left),
        revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
      },
      link: l
        ? {
            tokenHash,
            meetingId: String(l.meeting_id),
            userId: String(l.user_id),
            purpose: purpose === 'absentee' ? 'absentee' : 'join',
            row: nullable(l.row_id),
            createdAt: Number(l.created_at),
          }
        : null,
    };
  }

  async revokeInvitations(meetingId: string, userId: string, now: number): Promise<number> {
    this.identityTables();
    return this.db.prepare('UPDATE invitations SET revoked_at = ? WHERE meeting_id = ? AND user_id = ? AND revoked_at IS NULL').run(now, meetingId, userId).changes;
  }

  async putLoginCode(c: LoginCodeRecord): Promise<void> {
    this.identityTables();
    this.db.transaction(() => {
      this.db
        .prepare('UPDATE login_codes SET retired_at = ? WHERE meeting_id = ? AND user_id = ? AND used_at IS NULL AND retired_at IS NULL')
        .run(c.createdAt, c.meetingId, c.userId);
      this.db
        .prepare(
          `INSERT INTO login_codes (id, meeting_id, user_id, row_id, channel, sent_to, address_hash, code_hash, created_at, expires_at, attempts, used_at, retired_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(c.id, c.meetingId, c.userId, c.row, c.channel, c.sentTo, c.addressHash, c.codeHash, c.createdAt, c.expiresAt, c.attempts, c.usedAt, c.retiredAt);
    })();
  }

  async countLoginCodes(by: { meetingId: string; row: string } | { addressHash: string }, since: number): Promise<number> {
    this.identityTables();
    const r =
      'addressHash' in by
        ? (this.db.prepare('SELECT COUNT(*) AS n FROM login_codes WHERE address_hash = ? AND created_at >= ?').get(by.addressHash, since) as Row)
        : (this.db.prepare('SELECT COUNT(*) AS n FROM login_codes WHERE meeting_id = ? AND row_id = ? AND created_at >= ?').get(by.meetingId, by.row, since) as Row);
    return Number(r.n);
  }

  async spendLoginCode(id: string, meetingId: string, candidateHash: string, now: number, maxAttempts: number): Promise<LoginCodeAttempt> {
    this.identityTables();
    return this.db.transaction((): LoginCodeAttempt => {
      const r = this.db.prepare('SELECT * FROM login_codes WHERE id = ?').get(id) as Row | undefined;
      if (!r) return { status: 'unknown' };
      const code = toLoginCode(r);
      if (code.meetingId !== meetingId) return { status: 'other-meeting', code };
      return this.attemptCode('login_codes', code, candidateHash, now, maxAttempts);
    })();
  }

  async putParticipantKey(k: ParticipantKeyRecord): Promise<void> {
    this.identityTables();
    this.db
      .prepare('INSERT OR REPLACE INTO participant_keys (meeting_id, key_id, user_id, jwk, created_at, created_by, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(k.meetingId, k.keyId, k.userId, JSON.stringify(k.jwk), k.createdAt, k.createdBy, k.revokedAt);
  }

  async getParticipantKey(meetingId: string, keyId: string): Promise<ParticipantKeyRecord | null> {
    this.identityTables();
    const r = this.db.prepare('SELECT * FROM participant_keys WHERE meeting_id = ? AND key_id = ?').get(meetingId, keyId) as Row | undefined;
    return r ? toParticipantKey(r) : null;
  }

  async listParticipantKeys(meetingId: string): Promise<ParticipantKeyRecord[]> {
    this.identityTables();
    return (this.db.prepare('SELECT * FROM participant_keys WHERE meeting_id = ? ORDER BY created_at').all(meetingId) as Row[]).map(toParticipantKey);
  }

  async putKeyChallenge(c: KeyChallengeRecord): Promise<void> {
    this.identityTables();
    this.db
      .prepare('INSERT INTO key_challenges (nonce_hash, meeting_id, key_id, user_id, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(c.nonceHash, c.meetingId, c.keyId, c.userId, c.createdAt, c.expiresAt, c.usedAt);
    // Spent and expired challenges are worthless: keep the table small.
    this.db.prepare('DELETE FROM key_challenges WHERE expires_at < ?').run(c.createdAt - 24 * 3600_000);
  }

  async useKeyChallenge(nonceHash: string, now: number): Promise<KeyChallengeUse> {
    this.identityTables();
    return this.db.transaction((): KeyChallengeUse => {
      const r = this.db.prepare('SELECT * FROM key_challenges WHERE nonce_hash = ?').get(nonceHash) as Row | undefined;
      if (!r) return { status: 'unknown' };
      const challenge: KeyChallengeRecord = {
        nonceHash,
        meetingId: String(r.meeting_id),
        keyId: String(r.key_id),
        userId: String(r.user_id),
        createdAt: Number(r.created_at),
        expiresAt: Number(r.expires_at),
        usedAt: r.used_at === null ? null : Number(r.used_at),
      };
      if (challenge.usedAt !== null) return { status: 'used', challenge };
      // A challenge is spent by any attempt, right or wrong: one nonce, one try.
      this.db.prepare('UPDATE key_challenges SET used_at = ? WHERE nonce_hash = ?').run(now, nonceHash);
      if (now >= challenge.expiresAt) return { status: 'expired', challenge };
      return { status: 'ok', challenge: { ...challenge, usedAt: now } };
    })();
  }

  async putPowerOfAttorney(p: PowerOfAttorneyRecord): Promise<void> {
    this.identityTables();
    this.db
      .prepare(
        `INSERT OR REPLACE INTO powers_of_attorney (id, meeting_id, user_id, rows, approved_rows, status, reason, sha256, type, size, file_name, claim_hash, created_at, reviewed_at, reviewed_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        p.id, p.meetingId, p.userId, JSON.stringify(p.rows), JSON.stringify(p.approvedRows), p.status, p.reason, p.sha256, p.type, p.size,
        p.fileName, p.claimHash, p.createdAt, p.reviewedAt, p.reviewedBy,
      );
  }

  async getPowerOfAttorney(meetingId: string, id: string): Promise<PowerOfAttorneyRecord | null> {
    this.identityTables();
    const r = this.db.prepare('SELECT * FROM powers_of_attorney WHERE meeting_id = ? AND id = ?').get(meetingId, id) as Row | undefined;
    return r ? toPowerOfAttorney(r) : null;
  }

  async findPowerOfAttorneyByClaim(claimHash: string): Promise<PowerOfAttorneyRecord | null> {
    this.identityTables();
    const r = this.db.prepare('SELECT * FROM powers_of_attorney WHERE claim_hash = ?').get(claimHash) as Row | undefined;
    return r ? toPowerOfAttorney(r) : null;
  }

  async listPowersOfAttorney(meetingId: string): Promise<PowerOfAttorneyRecord[]> {
    this.identityTables();
    return (this.db.prepare('SELECT * FROM powers_of_attorney WHERE meeting_id = ? ORDER BY created_at, id').all(meetingId) as Row[]).map(toPowerOfAttorney);
  }

  async reviewPowerOfAttorney(meetingId: string, id: string, r: PowerOfAttorneyReview): Promise<PowerOfAttorneyRecord | null> {
    this.identityTables();
    const changed = this.db
      .prepare(
        `UPDATE powers_of_attorney SET status = ?, approved_rows = ?, reason = ?, reviewed_at = ?, reviewed_by = ?
         WHERE meeting_id = ? AND id = ? AND status = 'pending'`,
      )
      .run(r.status, JSON.stringify(r.approvedRows), r.reason, r.reviewedAt, r.reviewedBy, meetingId, id).changes;
    return changed === 1 ? this.getPowerOfAttorney(meetingId, id) : null;
  }
}

function toLoginCode(r: Row): LoginCodeRecord {
  const channel = String(r.channel);
  if (channel !== 'email' && channel !== 'sms') throw new Error(`corrupt login code channel ${channel}`);
  return {
    id: String(r.id),
    meetingId: String(r.meeting_id),
    userId: String(r.user_id),
    row: String(r.row_id),
    channel,
    sentTo: String(r.sent_to),
    addressHash: String(r.address_hash),
    codeHash: String(r.code_hash),
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    attempts: Number(r.attempts),
    usedAt: r.used_at === null ? null : Number(r.used_at),
    retiredAt: r.retired_at === null ? null : Number(r.retired_at),
  };
}

function toParticipantKey(r: Row): ParticipantKeyRecord {
  return {
    meetingId: String(r.meeting_id),
    keyId: String(r.key_id),
    userId: String(r.user_id),
    jwk: JSON.parse(String(r.jwk)) as unknown,
    createdAt: Number(r.created_at),
    createdBy: String(r.created_by),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  };
}

function toPowerOfAttorney(r: Row): PowerOfAttorneyRecord {
  const status = String(r.status);
  if (status !== 'pending' && status !== 'approved' && status !== 'rejected') throw new Error(`corrupt power of attorney status ${status}`);
  return {
    id: String(r.id),
    meetingId: String(r.meeting_id),
    userId: String(r.user_id),
    rows: JSON.parse(String(r.rows)) as string[],
    approvedRows: JSON.parse(String(r.approved_rows)) as string[],
    status,
    reason: nullable(r.reason),
    sha256: String(r.sha256),
    type: String(r.type),
    size: Number(r.size),
    fileName: String(r.file_name),
    claimHash: String(r.claim_hash),
    createdAt: Number(r.created_at),
    reviewedAt: r.reviewed_at === null ? null : Number(r.reviewed_at),
    reviewedBy: nullable(r.reviewed_by),
  };
}

function toSignatureCode(r: Row): SignatureCodeRecord {
  const channel = String(r.channel);
  if (channel !== 'email' && channel !== 'sms') throw new Error(`corrupt signature code channel ${channel}`);
  return {
    id: String(r.id),
    meetingId: String(r.meeting_id),
    userId: String(r.user_id),
    manifest: String(r.manifest),
    channel,
    sentTo: String(r.sent_to),
    codeHash: String(r.code_hash),
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    attempts: Number(r.attempts),
    usedAt: r.used_at === null ? null : Number(r.used_at),
    retiredAt: r.retired_at === null ? null : Number(r.retired_at),
  };
}

function nullable(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function toBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new Error('expected a BLOB column');
}

function toMeeting(r: Row): MeetingRecord {
  return {
    id: String(r.id),
    title: String(r.title),
    kind: String(r.kind),
    startsAt: String(r.starts_at),
    organizerUserId: String(r.organizer_user_id),
    createdAt: Number(r.created_at),
  };
}

function toParticipant(r: Row): ParticipantRecord {
  const role = String(r.role);
  if (role !== 'organizer' && role !== 'voter' && role !== 'representative' && role !== 'observer') {
    throw new Error(`corrupt participant role ${role}`);
  }
  return { meetingId: String(r.meeting_id), userId: String(r.user_id), role, rows: JSON.parse(String(r.rows)) as string[] };
}
