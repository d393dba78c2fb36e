/**
 * One participant's protocol state, independent of any socket API: the hello, sync of every
 * document (Yjs replicas of the ones asked for, the others only tracked), presence, commands with
 * their latency, latency markers, and resync after a reconnect (the replicas' state vectors are
 * resent). The k6 scripts drive it from k6's WebSocket events (bundled by esbuild into
 * loadtest/k6/gen); it is plain TypeScript so the Node smoke test exercises the same code.
 */
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import { Op } from '../../shared/protocol/opcodes.ts';
import { encodeSync } from '../../shared/protocol/frames.ts';
import { MEETING_DOCS, SyncType, commandFrame, helloFrame, presenceFrame, readIncoming } from './wire.ts';
import { scanMarkers, type Marker } from './markers.ts';

/** Callbacks of a session (all optional). Times are from the `now` the session was given. */
export interface SessionEvents {
  welcome?(at: number): void;
  synced?(at: number): void;
  marker?(m: Marker, at: number): void;
  /** An update to a document, raw (before it is applied if replicated). */
  update?(doc: string, update: Uint8Array, at: number): void;
  /** A replicated document changed. */
  replicaChanged?(doc: string, at: number): void;
  result?(type: string, ok: boolean, ms: number, value: unknown, error: { code: string; message: string } | null): void;
  /** A frame that could not be read. */
  bad?(detail: string): void;
}

/** Session options. */
export interface SessionOptions {
  userId: string;
  /** A stable id for this participant's connection across reconnects (8..64 of [A-Za-z0-9_-]). */
  session: string;
  /** Documents kept as Yjs replicas. */
  replicas?: readonly string[];
  /** Publish presence (awareness) on welcome and on every heartbeat. */
  presence?: boolean;
  name?: string;
}

/** A participant's protocol state across connections. */
export class ProtocolSession {
  readonly docs = new Map<string, Y.Doc>();
  /** Set by the socket layer: sends one binary frame. */
  send: (frame: Uint8Array) => void = () => {};
  awarenessClientId = 0;
  generation = 0;
  isSynced = false;
  token: string | null = null;
  private synced = new Set<string>();
  private clock = 0;
  private counter = 0;
  private readonly pending = new Map<string, { type: string; sentAt: number }>();

  constructor(
    readonly opts: SessionOptions,
    readonly events: SessionEvents = {},
    private readonly now: () => number = () => Date.now(),
  ) {
    for (const name of opts.replicas ?? []) this.docs.set(name, new Y.Doc());
  }

  /** Call when the socket opened: starts a new generation and says hello. */
  opened(): void {
    this.generation += 1;
    this.synced = new Set();
    this.isSynced = false;
    this.send(helloFrame(this.opts.session, this.generation, 'agora-k6/1'));
  }

  /** Call with every binary message. */
  receive(bytes: Uint8Array): void {
    const f = readIncoming(bytes);
    const at = this.now();
    switch (f.op) {
      case Op.Welcome: {
        const w = f.json as { awarenessClientId?: unknown };
        this.awarenessClientId = typeof w.awarenessClientId === 'number' ? w.awarenessClientId : 0;
        this.clock = 0;
        for (const name of MEETING_DOCS) {
          const doc = this.docs.get(name);
          const e = encoding.createEncoder();
          if (doc) syncProtocol.writeSyncStep1(e, doc);
          else {
            encoding.writeVarUint(e, SyncType.Step1);
            encoding.writeVarUint8Array(e, new Uint8Array([0]));
          }
          this.send(encodeSync(name, encoding.toUint8Array(e)));
        }
        if (this.opts.presence) this.heartbeat();
        this.events.welcome?.(at);
        return;
      }
      case Op.Sync: {
        if (f.syncType === SyncType.Update) {
          const hook = this.events.marker;
          if (hook) scanMarkers(f.payload, (m) => hook(m, at));
          this.events.update?.(f.doc, f.payload, at);
        }
        const doc = this.docs.get(f.doc);
        if (doc) {
          const e = encoding.createEncoder();
          syncProtocol.readSyncMessage(decoding.createDecoder(f.message), e, doc, this);
          if (encoding.length(e) > 0) this.send(encodeSync(f.doc, encoding.toUint8Array(e)));
          if (f.syncType !== SyncType.Step1) this.events.replicaChanged?.(f.doc, at);
        }
        if (f.syncType === SyncType.Step2 && !this.isSynced) {
          this.synced.add(f.doc);
          if (this.synced.size === MEETING_DOCS.length) {
            this.isSynced = true;
            this.events.synced?.(at);
          }
        }
        return;
      }
      case Op.Result: {
        const r = f.json as { id?: unknown; ok?: unknown; value?: unknown; error?: { code: string; message: string } };
        if (typeof r.id !== 'string') return;
        const p = this.pending.get(r.id);
        if (!p) return;
        this.pending.delete(r.id);
        this.events.result?.(p.type, r.ok === true, at - p.sentAt, r.value, r.ok === true ? null : (r.error ?? { code: 'unknown', message: '' }));
        return;
      }
      case Op.Event: {
        const ev = f.json as { type?: unknown; token?: unknown };
        if (ev.type === 'token' && typeof ev.token === 'string') this.token = ev.token;
        return;
      }
      case Op.Awareness:
        return;
      case 'bad':
        this.events.bad?.(f.detail);
        return;
    }
  }

  /** Sends a command; its answer comes through events.result. Returns the command id. */
  command(type: string, args: unknown): string {
    this.counter += 1;
    const id = `${this.opts.session}.${this.generation}.${this.counter}`;
    this.pending.set(id, { type, sentAt: this.now() });
    this.send(commandFrame(id, type, args));
    return id;
  }

  /** Publishes presence again (call every heartbeat interval). */
  heartbeat(): void {
    if (this.awarenessClientId === 0) return;
    this.clock += 1;
    this.send(presenceFrame(this.awarenessClientId, this.clock, { userId: this.opts.userId, name: this.opts.name ?? this.opts.userId, online: true, view: 'room' }));
  }

  /** Commands sent and not answered yet. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Records of a map in a replicated document (e.g. agenda `questions`, tallies `tallies`), as plain values. */
  mapValues(doc: string, map: string): unknown[] {
    const d = this.docs.get(doc);
    return d ? [...d.getMap<unknown>(map).values()] : [];
  }
}
