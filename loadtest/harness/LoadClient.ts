/**
 * A lean hub client for load generation: the same handshake, sync, presence and commands as
 * shared/client/HubClient.ts, on a raw `ws` socket, with the measuring hooks the harness needs.
 * It keeps Yjs replicas only of the documents a scenario reads (`replica`); for the others it
 * tracks sync completion and scans updates for latency markers without decoding them, so one
 * load-generator core can drive a thousand connections. Reconnects are explicit (the scenario
 * decides when), and resend the replicas' state vectors, as HubClient does.
 */
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import { Op } from '../../shared/protocol/opcodes.ts';
import { CloseCode } from '../../shared/protocol/closeCodes.ts';
import { encodeSync } from '../../shared/protocol/frames.ts';
import { commandFrame, helloFrame, presenceFrame, readIncoming, syncStep1Frame, MEETING_DOCS, SyncType } from '../scenarios/wire.ts';
import { scanMarkers, type Marker } from '../scenarios/markers.ts';
import { sessionIdFor } from '../scenarios/definitions.ts';
import { nowMs } from './clock.ts';

/** Who a load client is. */
export interface ClientSpec {
  /** Index of the client in the run (unique across workers). */
  idx: number;
  room: number;
  /** Position in the room: 0 is the organizer. */
  member: number;
  userId: string;
  role: 'organizer' | 'voter';
  token: string;
  url: string;
  /** Documents kept as Yjs replicas ('*' for all). */
  replica: readonly string[];
}

/** Timings of one connection attempt (clock.ts milliseconds). */
export interface ConnectTimings {
  start: number;
  open: number;
  welcome: number;
  synced: number;
}

/**
 * Replicas shared by the clients of one room in one worker: every client of a room receives the
 * same updates, so each distinct update is applied once (recognized by a hash of its bytes). The
 * state vectors a reconnecting client sends are then the room's, which equal its own once it has
 * received what was broadcast (scenarios settle before they measure).
 */
export class SharedReplicas {
  readonly docs = new Map<string, Y.Doc>();
  private readonly seen = new Map<string, Set<number>>();

  constructor(names: readonly string[]) {
    for (const n of names) {
      this.docs.set(n, new Y.Doc());
      this.seen.set(n, new Set());
    }
  }

  /** Applies an update unless an identical one was applied already; returns whether it was new. */
  apply(doc: string, update: Uint8Array, origin: unknown): boolean {
    const seen = this.seen.get(doc);
    const d = this.docs.get(doc);
    if (!seen || !d) return false;
    const h = fnv1a(update);
    if (seen.has(h)) return false;
    seen.add(h);
    Y.applyUpdate(d, update, origin);
    return true;
  }
}

/** 32-bit FNV-1a of the bytes, mixed with the length. */
function fnv1a(b: Uint8Array): number {
  let h = 0x811c9dc5 ^ b.length;
  for (let i = 0; i < b.length; i++) {
    h ^= b[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A command's answer. */
export type CommandAnswer = { ok: true; value: unknown; ms: number } | { ok: false; error: { code: string; message: string }; ms: number };

/** Callbacks a scenario installs on its clients. */
export interface ClientHooks<C = LoadClient> {
  /** A marker arrived in a Yjs update (at: receive time). */
  marker?(c: C, m: Marker, at: number): void;
  /** A Yjs update for `doc` arrived (before it is applied, if the document is replicated). */
  rawUpdate?(c: C, doc: string, update: Uint8Array, at: number): void;
  /** An update was applied to a replica document. */
  replicaChanged?(c: C, doc: string, at: number): void;
  /** The socket closed without the scenario asking for it. */
  unexpectedClose?(c: C, code: number, reason: string): void;
}

interface Pending {
  sentAt: number;
  frame: Uint8Array;
  resolve: (a: CommandAnswer) => void;
}

const OPEN = 1;

/** One simulated participant. */
export class LoadClient {
  readonly docs = new Map<string, Y.Doc>();
  state: 'idle' | 'connecting' | 'joined' | 'synced' | 'closed' = 'idle';
  token: string;
  awarenessClientId = 0;
  timings: ConnectTimings = { start: 0, open: 0, welcome: 0, synced: 0 };
  /** Frames and bytes received (all connections). */
  framesIn = 0;
  bytesIn = 0;
  private ws: WebSocket | null = null;
  private readonly session: string;
  private generation = 0;
  private synced = new Set<string>();
  private readonly pending = new Map<string, Pending>();
  private counter = 0;
  private awarenessClock = 0;
  private presenceOn = false;
  private expectingClose = false;
  private waiter: { resolve: (t: ConnectTimings) => void; reject: (e: Error) => void } | null = null;

  constructor(
    readonly spec: ClientSpec,
    public hooks: ClientHooks = {},
    /** Replicas shared with the other clients of the room in this worker (instead of `spec.replica`). */
    private readonly shared: SharedReplicas | null = null,
  ) {
    this.token = spec.token;
    this.session = sessionIdFor(spec.userId, spec.idx);
    if (shared) {
      for (const [name, doc] of shared.docs) this.docs.set(name, doc);
    } else {
      const all = spec.replica.includes('*');
      for (const name of MEETING_DOCS) if (all || spec.replica.includes(name)) this.docs.set(name, new Y.Doc());
    }
  }

  /** Connects, says hello and syncs every document; resolves with the timings once all are synced. */
  connect(timeoutMs = 30_000): Promise<ConnectTimings> {
    if (this.ws) throw new Error('already connected');
    this.generation += 1;
    this.synced = new Set();
    this.expectingClose = false;
    this.state = 'connecting';
    const start = nowMs();
    this.timings = { start, open: 0, welcome: 0, synced: 0 };
    // Offer permessage-deflate as browsers do: the hub compresses its large frames (a joiner's full state) for such clients.
    const ws = new WebSocket(`${this.spec.url}?token=${encodeURIComponent(this.token)}`, { perMessageDeflate: true });
    this.ws = ws;
    ws.binaryType = 'nodebuffer';
    ws.on('open', () => {
      if (this.ws !== ws) return;
      this.timings.open = nowMs();
      ws.send(helloFrame(this.session, this.generation));
    });
    ws.on('message', (data: Buffer) => {
      if (this.ws === ws) this.receive(ws, data);
    });
    let socketError = '';
    ws.on('error', (err: Error) => {
      // 'close' follows and carries the code; keep the cause for the report.
      socketError = ` (${err.message})`;
    });
    ws.on('close', (code: number, reason: Buffer) => {
      if (this.ws !== ws) return;
      // For the report: how far the connection got before it closed.
      const t = this.timings;
      const stage = t.synced ? 'synced' : t.welcome ? 'after welcome' : t.open ? `${Math.round(nowMs() - t.open)} ms after open, before welcome` : `${Math.round(nowMs() - t.start)} ms after connecting, before open`;
      this.onClose(code, `${reason.toString()}${socketError} [${stage}]`);
    });
    return new Promise<ConnectTimings>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.waiter?.resolve !== done) return;
        this.waiter = null;
        reject(new Error(`not synced after ${timeoutMs} ms (state ${this.state}, ${this.synced.size}/${MEETING_DOCS.length} docs)`));
      }, timeoutMs);
      const done = (t: ConnectTimings) => {
        clearTimeout(timer);
        resolve(t);
      };
      this.waiter = {
        resolve: done,
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  private receive(ws: WebSocket, data: Buffer): void {
    this.framesIn += 1;
    this.bytesIn += data.length;
    const f = readIncoming(data);
    switch (f.op) {
      case Op.Sync: {
        const at = nowMs();
        if (f.syncType === SyncType.Update) {
          const hook = this.hooks.marker;
          if (hook) scanMarkers(f.payload, (m) => hook(this, m, at));
          this.hooks.rawUpdate?.(this, f.doc, f.payload, at);
        }
        const doc = this.docs.get(f.doc);
        if (doc && this.shared && f.syncType !== SyncType.Step1) {
          if (this.shared.apply(f.doc, f.payload, this)) this.hooks.replicaChanged?.(this, f.doc, at);
        } else if (doc) {
          const e = encoding.createEncoder();
          syncProtocol.readSyncMessage(decoding.createDecoder(f.message), e, doc, this);
          if (encoding.length(e) > 0) ws.send(encodeSync(f.doc, encoding.toUint8Array(e)));
          if (f.syncType !== SyncType.Step1) this.hooks.replicaChanged?.(this, f.doc, at);
        }
        if (f.syncType === SyncType.Step2 && this.state === 'joined') {
          this.synced.add(f.doc);
          if (this.synced.size === MEETING_DOCS.length) {
            this.state = 'synced';
            this.timings.synced = at;
            const w = this.waiter;
            this.waiter = null;
            w?.resolve(this.timings);
          }
        }
        return;
      }
      case Op.Welcome: {
        const w = f.json as { awarenessClientId?: unknown };
        this.awarenessClientId = typeof w.awarenessClientId === 'number' ? w.awarenessClientId : 0;
        this.timings.welcome = nowMs();
        this.state = 'joined';
        this.awarenessClock = 0;
        for (const name of MEETING_DOCS) {
          const doc = this.docs.get(name);
          ws.send(doc ? syncStep1Frame(name, Y.encodeStateVector(doc)) : syncStep1Frame(name));
        }
        if (this.presenceOn) this.sendPresence();
        // Commands sent while offline are resent under the same id (the hub answers a retry once).
        for (const p of this.pending.values()) ws.send(p.frame, { binary: true });
        return;
      }
      case Op.Result: {
        const r = f.json as { id?: unknown; ok?: unknown; value?: unknown; error?: { code: string; message: string } };
        if (typeof r.id !== 'string') return;
        const p = this.pending.get(r.id);
        if (!p) return;
        this.pending.delete(r.id);
        const ms = nowMs() - p.sentAt;
        p.resolve(r.ok === true ? { ok: true, value: r.value, ms } : { ok: false, error: r.error ?? { code: 'unknown', message: 'no error' }, ms });
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
        this.hooks.unexpectedClose?.(this, CloseCode.BadFrame, `client could not read a frame: ${f.detail}`);
        return;
    }
  }

  private onClose(code: number, reason: string): void {
    const expected = this.expectingClose;
    this.ws = null;
    this.state = 'closed';
    const w = this.waiter;
    this.waiter = null;
    // A close during connect() is reported by its rejection; later ones through the hook.
    w?.reject(new Error(`closed ${code} ${reason} before sync`));
    if (!expected) {
      if (!w) this.hooks.unexpectedClose?.(this, code, reason);
      for (const p of this.pending.values()) p.resolve({ ok: false, error: { code: 'closed', message: `connection closed (${code})` }, ms: nowMs() - p.sentAt });
      this.pending.clear();
    }
  }

  /**
   * connect(), reconnecting once after a 250 ms backoff if the server drops the socket abruptly
   * (1006) before the welcome, as the client library would (1006 is reconnectable). `abrupt` is
   * told about the failed attempt; the timings start at the first attempt.
   */
  async connectRetrying(timeoutMs: number, abrupt: (message: string) => void): Promise<ConnectTimings> {
    const start = nowMs();
    try {
      return await this.connect(timeoutMs);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (!message.startsWith('closed 1006')) throw err;
      abrupt(message);
      await new Promise((r) => setTimeout(r, 250));
      this.ws = null;
      const t = await this.connect(timeoutMs);
      return { ...t, start };
    }
  }

  /** Sends a command; resolves with the answer (or a timeout). */
  command(type: string, args: unknown, timeoutMs = 10_000): Promise<CommandAnswer> {
    this.counter += 1;
    const id = `${this.session}.${this.generation}.${this.counter}`;
    const frame = commandFrame(id, type, args);
    const sentAt = nowMs();
    return new Promise<CommandAnswer>((resolve) => {
      const timer = setTimeout(() => {
        if (!this.pending.delete(id)) return;
        resolve({ ok: false, error: { code: 'timeout', message: `${type} not answered in ${timeoutMs} ms` }, ms: nowMs() - sentAt });
      }, timeoutMs);
      const entry: Pending = {
        sentAt,
        frame,
        resolve: (a) => {
          clearTimeout(timer);
          resolve(a);
        },
      };
      this.pending.set(id, entry);
      this.send(frame);
    });
  }

  /** Starts publishing presence (now and on every heartbeat and reconnect). */
  enablePresence(): void {
    this.presenceOn = true;
    if (this.state === 'joined' || this.state === 'synced') this.sendPresence();
  }

  /** Publishes presence again (the awareness heartbeat). */
  sendPresence(): void {
    if (this.awarenessClientId === 0) return;
    this.awarenessClock += 1;
    this.send(presenceFrame(this.awarenessClientId, this.awarenessClock, { userId: this.spec.userId, name: `LT ${this.spec.room}.${this.spec.member}`, online: true, view: 'room' }));
  }

  /** Sends raw bytes if the socket is open. */
  send(frame: Uint8Array): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN) return false;
    ws.send(frame, { binary: true });
    return true;
  }

  /** Whether every document is synced on the current connection. */
  get isSynced(): boolean {
    return this.state === 'synced';
  }

  /** Bytes waiting in this client's socket (backpressure on the load generator's side). */
  get bufferedAmount(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  /** Drops the connection abruptly (as a network failure would); the replicas are kept for the reconnect. */
  drop(): void {
    const ws = this.ws;
    if (!ws) return;
    this.expectingClose = true;
    this.ws = null;
    this.state = 'closed';
    ws.terminate();
  }

  /** Closes the connection normally. */
  close(): void {
    const ws = this.ws;
    this.expectingClose = true;
    if (!ws) return;
    if (ws.readyState === OPEN) ws.close(CloseCode.Normal);
    else ws.terminate();
  }

  /** Releases the replicas (shared ones belong to their worker). */
  destroy(): void {
    this.close();
    if (!this.shared) for (const d of this.docs.values()) d.destroy();
  }
}
