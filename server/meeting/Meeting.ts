/**
 * One live meeting on its owner hub: the Yjs documents, the sessions joined to it, command
 * application, and the per-tick flush that makes changes durable before anyone sees them.
 *
 * Order of a change: a command (or an organizer's draft edit) is applied to the documents in memory;
 * at the end of the tick all updates and command results of that tick are appended to the log in one
 * durable write; only then are the merged updates broadcast and the results sent. Nothing a client
 * saw or was told "ok" about can be lost by a crash.
 */
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import { DOC_NAMES, COLLABORATIVE_DOCS, isDocName, PresenceSchema, type DocName } from '../../shared/docs.ts';
import {
  CloseCode,
  CommandArgs,
  Limits,
  Op,
  encodeAwareness,
  encodeJson,
  encodeSync,
  isCommandType,
  type CommandEnvelope,
  type CommandError,
  type Result as WireResult,
} from '../../shared/protocol/index.ts';
import type { Logger } from '../log.ts';
import type { HubMetrics } from '../metrics.ts';
import type { MeetingRecord, RegisterRow, Storage, ParticipantRecord } from '../storage/Storage.ts';
import { commandHandlers, type CommandContext, type Outcome } from './commands.ts';
import { syncParticipants, recomputeQuorum } from './participants.ts';
import type { MeetingSession } from './MeetingSession.ts';
import { Voting } from './Voting.ts';
import { AuditLog } from './AuditLog.ts';
import { DocStateCache } from './DocStateCache.ts';
import type { AuditRecord, LedgerRecord } from '../storage/Storage.ts';

/** Transaction origin of updates replayed from storage: not logged again. */
const RESTORE = Symbol('restore');
/** Transaction origin of updates that came from the owner hub (on a replica): not logged, only fanned out. */
const REMOTE = Symbol('remote');
/** Transaction origin of changes the hub itself makes. */
export const SYSTEM = Symbol('system');

/** Meeting options (from the hub's config). */
export interface MeetingOptions {
  maxDocBytes: number;
  awarenessIntervalMs: number;
  compactEveryUpdates: number;
  maxSpeakers: number;
  /** Least time between two tally refreshes caused by ballots or admissions (state changes are immediate). */
  tallyIntervalMs?: number;
  /** How many recent command results to keep for idempotent retries. */
  recentCommands: number;
  /** Owner (applies commands, writes the log) or replica (forwards commands, mirrors the owner). */
  mode?: 'owner' | 'replica';
}

/**
 * What a meeting needs from the cluster (server/cluster/MeetingLink.ts). Absent on a single node.
 * On the owner it publishes what became durable; on a replica it forwards what only the owner may do.
 */
export interface ClusterHooks {
  /** Owner: these updates are durable; tell the replicas. */
  published(entries: { doc: DocName; update: Uint8Array }[]): void;
  /** Owner: a user's sessions on every hub must close. */
  closeUser(userId: string, code: number): void;
  /** Any: local presence changed; tell the other hubs. */
  awareness(update: Uint8Array): void;
  /** Replica: send a command to the owner; its result comes back as a frame for the session. */
  forwardCommand(s: MeetingSession, env: CommandEnvelope): void;
  /** Replica: send an organizer's edit of a collaborative document to the owner. */
  forwardUpdate(s: MeetingSession, doc: DocName, update: Uint8Array): void;
}

interface PendingResult {
  key: string;
  id: string;
  type: string;
  started: number;
  outcome: Outcome;
  waiters: MeetingSession[];
  /** Runs after the result is durable (e.g. closing a removed participant's sockets). */
  effects: (() => void)[];
}

/** A loaded meeting. Create with `Meeting.load`. */
export class Meeting {
  readonly docs: Record<DocName, Y.Doc>;
  readonly awareness: awarenessProtocol.Awareness;
  readonly sessions = new Set<MeetingSession>();
  readonly voting: Voting;
  readonly audit: AuditLog;
  private pendingUpdates = new Map<DocName, Uint8Array[]>();
  private pendingResults: PendingResult[] = [];
  private readonly inflight = new Map<string, PendingResult>();
  private readonly completed = new Map<string, WireResult>();
  private readonly sinceSnapshot = new Map<string, number>();
  private flushScheduled = false;
  private writeChain: Promise<void> = Promise.resolve();
  /** Durable writes started and not yet published. */
  private writesInFlight = 0;
  /** Replies that show document state, held until what they show is durable. */
  private afterDurable: (() => void)[] = [];
  private readonly stateCache: DocStateCache<DocName>;
  private awarenessChanged = new Set<number>();
  private awarenessTimer: NodeJS.Timeout | null = null;
  private tallyTimer: NodeJS.Timeout | null = null;
  /** What the owner's updates changed here, collected while `applyRemote` applies them. */
  private readonly remoteChanges: Uint8Array[] = [];
  private lastAwarenessFlush = 0;
  private closed = false;
  private closing: Promise<void> | null = null;
  private broken = false;
  /** Called when the meeting has no sessions left, or broke and must be reloaded. */
  onIdle: (m: Meeting) => void = () => {};
  /** Called after a durable change with the names of documents that changed. */
  onChange: (docs: DocName[]) => void = () => {};
  /** The cluster link, when this hub is part of a cluster. */
  cluster: ClusterHooks | null = null;

  private constructor(
    readonly record: MeetingRecord,
    public register: RegisterRow[],
    private roster: ParticipantRecord[],
    private names: Map<string, string>,
    private readonly storage: Storage,
    private readonly opts: MeetingOptions,
    readonly log: Logger,
    private readonly metrics: HubMetrics,
    ledger: LedgerRecord[],
    audit: AuditRecord[],
  ) {
    const meeting = this;
    this.audit = new AuditLog(record.id, audit);
    this.voting = new Voting(
      {
        id: record.id,
        get docs() {
          return meeting.docs;
        },
        get register() {
          return meeting.register;
        },
        change: (doc, fn) => doc.transact(fn, SYSTEM),
      },
      ledger,
      this.audit,
    );
    this.docs = Object.fromEntries(DOC_NAMES.map((n) => [n, new Y.Doc({ gc: n !== 'drafts' })])) as Record<DocName, Y.Doc>;
    this.awareness = new awarenessProtocol.Awareness(new Y.Doc());
    this.awareness.setLocalState(null);
    this.stateCache = new DocStateCache(this.docs);
    for (const name of DOC_NAMES) {
      this.docs[name].on('update', (update: Uint8Array, origin: unknown) => {
        this.stateCache.changed(name, update.byteLength);
        if (origin === REMOTE) this.remoteChanges.push(update);
        if (origin === RESTORE || origin === REMOTE) return;
        let list = this.pendingUpdates.get(name);
        if (!list) this.pendingUpdates.set(name, (list = []));
        list.push(update);
        this.schedule();
      });
    }
    this.awareness.on('update', ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      const changed = [...added, ...updated, ...removed];
      for (const id of changed) this.awarenessChanged.add(id);
      this.scheduleAwareness();
      if (origin !== REMOTE && this.cluster) this.cluster.awareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed));
    });
  }

  /** Loads a meeting from storage: snapshot and log per document, recent command results; then brings the roster up to date. */
  static async load(
    record: MeetingRecord,
    storage: Storage,
    opts: MeetingOptions,
    log: Logger,
    metrics: HubMetrics,
  ): Promise<Meeting> {
    const [state, register, roster, ledger, audit] = await Promise.all([
      storage.loadMeetingState(record.id, opts.recentCommands),
      storage.listRegister(record.id),
      storage.listParticipants(record.id),
      storage.loadLedger(record.id),
      storage.loadAudit(record.id),
    ]);
    const names = new Map<string, string>();
    for (const p of roster) names.set(p.userId, (await storage.getUser(p.userId))?.name ?? p.userId);
    const m = new Meeting(record, register, roster, names, storage, opts, log, metrics, ledger, audit);
    for (const [doc, s] of state.docs) {
      if (!isDocName(doc)) continue;
      Y.transact(
        m.docs[doc],
        () => {
          if (s.snapshot) Y.applyUpdate(m.docs[doc], s.snapshot, RESTORE);
          for (const u of s.updates) Y.applyUpdate(m.docs[doc], u, RESTORE);
        },
        RESTORE,
      );
    }
    for (const [doc, n] of state.sinceSnapshot) m.sinceSnapshot.set(doc, n);
    for (const c of state.commands) m.remember(c.key, c.result as WireResult);
    if (opts.mode !== 'replica') {
      m.initialize();
      await m.drain();
    }
    return m;
  }

  get id(): string {
    return this.record.id;
  }

  /** Whether this hub owns the meeting (applies commands) or mirrors it. */
  get isReplica(): boolean {
    return this.opts.mode === 'replica';
  }

  /** Writes the meeting's facts and roster into the documents where they are missing (first load, new invitees). */
  private initialize(): void {
    const meta = this.docs.agenda.getMap<unknown>('meeting');
    if (!meta.has('id')) {
      this.docs.agenda.transact(() => {
        meta.set('id', this.record.id);
        meta.set('title', this.record.title);
        meta.set('kind', this.record.kind);
        meta.set('startsAt', this.record.startsAt);
        meta.set('status', 'scheduled');
        meta.set('currentItem', null);
      }, SYSTEM);
    }
    this.refreshRoster();
  }

  /** Brings the participants document in line with the roster and register (after an import or a new invitation). */
  refreshRoster(update?: { register?: RegisterRow[]; participant?: ParticipantRecord; name?: string }): void {
    if (update?.register) this.register = update.register;
    if (update?.participant) {
      this.roster = [...this.roster.filter((r) => r.userId !== update.participant!.userId), update.participant];
      if (update.name) this.names.set(update.participant.userId, update.name);
    }
    this.docs.participants.transact(() => {
      syncParticipants(this.docs.participants, this.roster, this.register, this.names);
      recomputeQuorum(this.docs.participants, this.register);
    }, SYSTEM);
  }

  /** Re-reads the roster, names and register from storage (another hub changed them). */
  async reloadRoster(): Promise<void> {
    const [register, roster] = await Promise.all([this.storage.listRegister(this.id), this.storage.listParticipants(this.id)]);
    for (const p of roster) if (!this.names.has(p.userId)) this.names.set(p.userId, (await this.storage.getUser(p.userId))?.name ?? p.userId);
    this.roster = roster;
    this.refreshRoster({ register });
  }

  /** Applies a change made by the hub itself (seeding, HTTP actions); it is logged and broadcast like any other. */
  systemChange(fn: (docs: Record<DocName, Y.Doc>) => void): Promise<void> {
    fn(this.docs);
    return this.drain();
  }

  /** Resolves when every change made so far is durable. */
  async drain(): Promise<void> {
    if (this.flushScheduled) this.flush();
    await this.writeChain;
  }

  // ---- sessions ----------------------------------------------------------------------------

  /** Joins a session: marks the participant present, sends the welcome's follow-ups (awareness, sync step 1 of writable docs). */
  addSession(s: MeetingSession): void {
    this.sessions.add(s);
    const people = this.docs.participants.getMap<unknown>('people');
    const p = people.get(s.userId) as { status?: string } | undefined;
    if (p && p.status === 'invited') {
      // The same path on owner and replica: the owner applies it, a replica forwards it.
      this.handleCommand(s, { id: `arrive.${s.awarenessClientId}`, type: 'participant.arrive', args: {} });
    }
    const states = [...this.awareness.getStates().keys()];
    if (states.length > 0) s.send(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, states)));
    for (const name of s.writableDocs) {
      const e = encoding.createEncoder();
      syncProtocol.writeSyncStep1(e, this.docs[name]);
      s.send(encodeSync(name, encoding.toUint8Array(e)));
    }
  }

  /** Removes a session and its presence. */
  removeSession(s: MeetingSession): void {
    if (!this.sessions.delete(s)) return;
    if (this.awareness.getStates().has(s.awarenessClientId)) {
      awarenessProtocol.removeAwarenessStates(this.awareness, [s.awarenessClientId], 'session closed');
    }
    if (this.sessions.size === 0) this.onIdle(this);
  }

  /** Closes every session of a user (removal, revoked access). */
  closeUser(userId: string, code: number): void {
    for (const s of [...this.sessions]) if (s.userId === userId) s.close(code);
    if (!this.isReplica) this.cluster?.closeUser(userId, code);
  }

  /**
   * Replica: applies updates the owner made durable, and fans out to this hub's sessions what they
   * add. A repair diff and the live stream overlap (an update can arrive by both), so what is sent
   * is the change the update made here, never the update as received: nothing new, nothing sent.
   */
  applyRemote(docName: string, update: Uint8Array): void {
    if (!isDocName(docName)) return;
    this.remoteChanges.length = 0;
    Y.applyUpdate(this.docs[docName], update, REMOTE);
    const fresh = this.remoteChanges.splice(0);
    if (fresh.length === 0) return;
    for (const u of fresh) {
      const frame = updateFrame(docName, u);
      for (const s of this.sessions) s.send(frame);
    }
    this.onChange([docName]);
  }

  /** Applies another hub's presence update. */
  applyRemoteAwareness(update: Uint8Array): void {
    awarenessProtocol.applyAwarenessUpdate(this.awareness, update, REMOTE);
  }

  // ---- sync and awareness ------------------------------------------------------------------

  /** Handles a y-protocols sync message from a session. Returns a close code when the session must go. */
  onSync(s: MeetingSession, docName: string, message: Uint8Array): number | null {
    if (!isDocName(docName)) return CloseCode.BadFrame;
    const doc = this.docs[docName];
    const d = decoding.createDecoder(message);
    const type = decoding.readVarUint(d);
    switch (type) {
      case syncProtocol.messageYjsSyncStep1: {
        const sv = decoding.readVarUint8Array(d);
        this.whenDurable(() => {
          // An empty state vector (a first join) gets the cached full state, shared by every joiner until the next change.
          if (sv.byteLength === 1 && sv[0] === 0) return s.send(this.stateCache.fullStep2Frame(docName));
          const e = encoding.createEncoder();
          encoding.writeVarUint(e, syncProtocol.messageYjsSyncStep2);
          encoding.writeVarUint8Array(e, Y.encodeStateAsUpdate(doc, sv));
          s.send(encodeSync(docName, encoding.toUint8Array(e)));
        });
        return null;
      }
      case syncProtocol.messageYjsSyncStep2:
      case syncProtocol.messageYjsUpdate: {
        const update = decoding.readVarUint8Array(d);
        if (!s.writableDocs.includes(docName) || !COLLABORATIVE_DOCS.has(docName)) return CloseCode.ReadOnlyDocument;
        try {
          Y.decodeUpdate(update);
        } catch {
          return CloseCode.BadFrame;
        }
        if (this.docWouldExceed(docName, update.length)) return CloseCode.DocumentTooLarge;
        if (this.isReplica) this.cluster?.forwardUpdate(s, docName, update);
        else Y.applyUpdate(doc, update, s);
        return null;
      }
      default:
        return CloseCode.BadFrame;
    }
  }

  /** Handles an awareness update: only the session's own client id, only a valid presence. */
  onAwareness(s: MeetingSession, update: Uint8Array): number | null {
    const d = decoding.createDecoder(update);
    const n = decoding.readVarUint(d);
    if (n !== 1) return CloseCode.ProtocolViolation;
    const clientId = decoding.readVarUint(d);
    decoding.readVarUint(d); // clock
    const json = decoding.readVarString(d);
    if (decoding.hasContent(d)) return CloseCode.BadFrame;
    if (clientId !== s.awarenessClientId) return CloseCode.ProtocolViolation;
    if (json.length > Limits.awarenessStateBytes) return CloseCode.FrameTooLarge;
    const state: unknown = JSON.parse(json);
    if (state !== null) {
      const p = PresenceSchema.safeParse(state);
      if (!p.success || p.data.userId !== s.userId) return CloseCode.ProtocolViolation;
    }
    awarenessProtocol.applyAwarenessUpdate(this.awareness, update, s);
    return null;
  }

  private scheduleAwareness(): void {
    if (this.awarenessTimer || this.closed) return;
    const wait = Math.max(0, this.lastAwarenessFlush + this.opts.awarenessIntervalMs - Date.now());
    this.awarenessTimer = setTimeout(() => {
      this.awarenessTimer = null;
      this.lastAwarenessFlush = Date.now();
      const changed = [...this.awarenessChanged];
      this.awarenessChanged.clear();
      if (changed.length === 0) return;
      const frame = encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed));
      for (const s of this.sessions) s.send(frame);
    }, wait);
  }

  /** Whether adding `bytes` would take a document over the size limit (cheap unless near it). */
  docWouldExceed(name: DocName, bytes: number): boolean {
    return this.stateCache.wouldExceed(name, bytes, this.opts.maxDocBytes);
  }

  /**
   * Runs `fn` now if every change applied so far is durable, else right after the write that makes
   * it durable: a session is never shown state that a crash could take back.
   */
  private whenDurable(fn: () => void): void {
    if (!this.flushScheduled && this.writesInFlight === 0) return fn();
    this.afterDurable.push(fn);
  }

  // ---- commands ----------------------------------------------------------------------------

  /** Handles a parsed command envelope from a session: dedupe, validate, authorize, apply; answer after the flush. */
  handleCommand(s: MeetingSession, env: CommandEnvelope): void {
    if (this.isReplica && this.cluster) {
      this.cluster.forwardCommand(s, env);
      return;
    }
    const started = performance.now();
    const key = `${s.userId}:${env.id}`;
    const done = this.completed.get(key);
    if (done) {
      s.send(encodeJson(Op.Result, done));
      return;
    }
    const inflight = this.inflight.get(key);
    if (inflight) {
      inflight.waiters.push(s);
      return;
    }
    const effects: (() => void)[] = [];
    const outcome = this.apply(s, env, effects);
    const p: PendingResult = { key, id: env.id, type: env.type, started, outcome, waiters: [s], effects };
    this.inflight.set(key, p);
    this.pendingResults.push(p);
    this.schedule();
  }

  private apply(s: MeetingSession, env: CommandEnvelope, effects: (() => void)[]): Outcome {
    if (this.broken) return { ok: false, error: { code: 'unavailable', message: 'The meeting is being reloaded; retry.' } };
    if (env.meeting !== undefined && env.meeting !== this.id) {
      return { ok: false, error: { code: 'wrong-meeting', message: `This session belongs to meeting ${this.id}, not ${env.meeting}.` } };
    }
    if (!isCommandType(env.type)) {
      return { ok: false, error: { code: 'unknown-command', message: `Unknown command "${env.type.slice(0, 64)}".` } };
    }
    const parsed = CommandArgs[env.type].safeParse(env.args ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const error: CommandError = {
        code: 'invalid-args',
        message: issue ? `${issue.path.join('.') || 'args'}: ${issue.message}` : 'invalid arguments',
      };
      if (issue && issue.path.length > 0) error.path = issue.path.join('.');
      return { ok: false, error };
    }
    const ctx: CommandContext = {
      meeting: this,
      session: s,
      now: Date.now(),
      effects,
      maxSpeakers: this.opts.maxSpeakers,
    };
    try {
      // The handler table is keyed by the same names as CommandArgs; the cast narrows a correlated union TS cannot follow.
      const handler = commandHandlers[env.type] as (c: CommandContext, a: unknown) => Outcome;
      return handler(ctx, parsed.data);
    } catch (err) {
      this.log.error({ err, type: env.type }, 'command handler failed');
      return { ok: false, error: { code: 'internal', message: 'The server failed to apply this command.' } };
    }
  }

  private remember(key: string, r: WireResult): void {
    this.completed.set(key, r);
    if (this.completed.size > this.opts.recentCommands) {
      const oldest = this.completed.keys().next().value;
      if (oldest !== undefined) this.completed.delete(oldest);
    }
  }

  // ---- the flush ---------------------------------------------------------------------------

  private schedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    if (Meeting.due.size === 0) setImmediate(Meeting.flushDue);
    Meeting.due.add(this);
  }

  /**
   * Meetings with changes to flush at the end of this turn. They flush in one callback so that their
   * durable writes reach storage in the same microtask run and share one commit (SqliteStorage).
   */
  private static readonly due = new Set<Meeting>();

  private static flushDue(): void {
    const due = [...Meeting.due];
    Meeting.due.clear();
    for (const m of due) safely(m.log, () => m.flush());
  }

  /** Takes everything applied this tick, makes it durable in one write, then broadcasts and answers. */
  private flush(): void {
    if (!this.flushScheduled) return;
    if (this.isReplica) {
      // A replica never writes: its documents change only by the owner's updates.
      if (this.pendingUpdates.size > 0) this.log.error({ docs: [...this.pendingUpdates.keys()] }, 'replica tried to change documents; dropped');
      this.pendingUpdates.clear();
      this.flushScheduled = false;
      return this.releaseAfterDurable();
    }
    if (this.pendingUpdates.has('participants')) this.voting.presenceChanged();
    const tallyDue = this.voting.refreshTallies(Date.now(), this.opts.tallyIntervalMs ?? 0);
    if (tallyDue !== null && !this.tallyTimer && !this.closed) {
      this.tallyTimer = setTimeout(() => {
        this.tallyTimer = null;
        this.schedule();
      }, tallyDue);
    }
    this.flushScheduled = false;
    const ballots = this.voting.takePending();
    const audit = this.audit.takePending();
    const updates = this.pendingUpdates;
    const results = this.pendingResults;
    this.pendingUpdates = new Map();
    this.pendingResults = [];
    if (updates.size === 0 && results.length === 0 && ballots.length === 0 && audit.length === 0) return this.releaseAfterDurable();
    const entries = [...updates].map(([doc, list]) => ({ doc, update: list.length === 1 ? list[0]! : Y.mergeUpdates(list) }));
    const wire = results.map((r): WireResult => (r.outcome.ok ? { id: r.id, ok: true, value: r.outcome.value } : { id: r.id, ok: false, error: r.outcome.error }));
    const records = results.flatMap((r, i) => (r.outcome.ok ? [{ key: r.key, result: wire[i] }] : []));
    const snapshots: { doc: DocName; state: Uint8Array }[] = [];
    for (const e of entries) {
      const n = (this.sinceSnapshot.get(e.doc) ?? 0) + 1;
      this.sinceSnapshot.set(e.doc, n);
      if (n >= this.opts.compactEveryUpdates) {
        snapshots.push({ doc: e.doc, state: Y.encodeStateAsUpdate(this.docs[e.doc]) });
        this.sinceSnapshot.set(e.doc, 0);
      }
    }
    this.writesInFlight += 1;
    this.writeChain = this.writeChain
      .then(async () => {
        await this.storage.appendLog(this.id, { entries, commands: records, ballots, audit });
        for (const snap of snapshots) await this.storage.compact(this.id, snap.doc, snap.state);
      })
      .then(
        () => this.publish(entries, results, wire),
        (err: unknown) => this.failWrite(err, results),
      )
      .finally(() => {
        this.writesInFlight -= 1;
        this.releaseAfterDurable();
      });
  }

  private releaseAfterDurable(): void {
    if (this.flushScheduled || this.writesInFlight > 0 || this.afterDurable.length === 0) return;
    for (const fn of this.afterDurable.splice(0)) safely(this.log, fn);
  }

  /**
   * Sends what a flush made durable. Every session gets the updates, and a session waiting for a
   * result gets it after the updates it describes; but the waiting sessions are served first, so
   * that an acknowledgement (a ballot's receipt) does not queue behind the copy of the same update
   * (the turnout) sent to everyone else in a room of a thousand.
   */
  private publish(entries: { doc: DocName; update: Uint8Array }[], results: PendingResult[], wire: WireResult[]): void {
    const frames = entries.map((e) => updateFrame(e.doc, e.update));
    const first = new Set<MeetingSession>();
    for (const r of results) for (const s of r.waiters) if (this.sessions.has(s)) first.add(s);
    for (const s of first) for (const f of frames) s.send(f);
    results.forEach((r, i) => {
      const w = wire[i]!;
      this.inflight.delete(r.key);
      this.remember(r.key, w);
      const frame = encodeJson(Op.Result, w);
      for (const s of r.waiters) s.send(frame);
      this.metrics.commandLatency.observe({ type: r.type, ok: String(r.outcome.ok) }, (performance.now() - r.started) / 1000);
    });
    for (const f of frames) for (const s of this.sessions) if (!first.has(s)) s.send(f);
    // Effects (events, closing sessions) run once everyone has the updates, as before.
    for (const r of results) if (r.outcome.ok) for (const fx of r.effects) safely(this.log, fx);
    if (entries.length > 0) {
      this.cluster?.published(entries);
      this.onChange(entries.map((e) => e.doc));
    }
  }

  /** A failed durable write: nobody is told "ok", and the meeting reloads from what is durable. */
  private failWrite(err: unknown, results: PendingResult[]): void {
    this.log.error({ err }, 'durable write failed; reloading the meeting');
    this.broken = true;
    for (const r of results) {
      this.inflight.delete(r.key);
      const frame = encodeJson(Op.Result, { id: r.id, ok: false, error: { code: 'unavailable', message: 'Storage failed; retry shortly.' } });
      for (const s of r.waiters) s.send(frame);
    }
    for (const s of [...this.sessions]) s.close(CloseCode.InternalError);
    this.onIdle(this);
  }

  /** True when the meeting failed a write and must not be used. */
  get isBroken(): boolean {
    return this.broken;
  }

  /** Flushes pending writes, then releases documents and timers. Idempotent. */
  close(code: number = CloseCode.ServerShutdown): Promise<void> {
    this.closing ??= this.doClose(code);
    return this.closing;
  }

  private async doClose(code: number): Promise<void> {
    await this.drain().catch(() => {});
    this.closed = true;
    for (const s of [...this.sessions]) s.close(code);
    if (this.awarenessTimer) clearTimeout(this.awarenessTimer);
    if (this.tallyTimer) clearTimeout(this.tallyTimer);
    this.awareness.destroy();
    for (const d of Object.values(this.docs)) d.destroy();
  }
}

/** A y-protocols update message for a document, framed for the wire. */
function updateFrame(doc: DocName, update: Uint8Array): Uint8Array {
  const enc = encoding.createEncoder();
  syncProtocol.writeUpdate(enc, update);
  return encodeSync(doc, encoding.toUint8Array(enc));
}

function safely(log: Logger, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    log.error({ err }, 'post-commit effect failed');
  }
}
