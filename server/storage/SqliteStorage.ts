/** Storage on one SQLite file (better-sqlite3, WAL): the embedded single-node default. */
import Database from 'better-sqlite3';
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

  constructor(file: string, opts: { synchronous?: 'FULL' | 'NORMAL' } = {}) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
    this.db.pragma('foreign_keys = ON');
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

  async appendLog(meetingId: string, batch: WriteBatch): Promise<void> {
    const ins = this.db.prepare('INSERT INTO log (meeting_id, seq, doc, data) VALUES (?, ?, ?, ?)');
    const cmd = this.db.prepare('INSERT OR REPLACE INTO commands (meeting_id, seq, key, result) VALUES (?, ?, ?, ?)');
    const ballot = this.db.prepare(
      'INSERT INTO ballots (meeting_id, seq, question_id, version, row_id, user_id, choice, at, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const audit = this.db.prepare('INSERT INTO audit (meeting_id, seq, type, data, at, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const before = this.seqs.get(meetingId);
    try {
      this.db.transaction(() => {
        for (const b of batch.ballots) {
          ballot.run(meetingId, b.seq, b.questionId, b.version, b.row, b.userId, JSON.stringify(b.choice), b.at, b.prev, b.hash);
        }
        for (const a of batch.audit) audit.run(meetingId, a.seq, a.type, JSON.stringify(a.data), a.at, a.prev, a.hash);
        for (const e of batch.entries) ins.run(meetingId, this.nextSeq(meetingId), e.doc, e.update);
        for (const c of batch.commands) cmd.run(meetingId, this.nextSeq(meetingId), c.key, JSON.stringify(c.result));
      })();
    } catch (err) {
      if (before === undefined) this.seqs.delete(meetingId);
      else this.seqs.set(meetingId, before);
      throw err;
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

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
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
