/**
 * The typed client library of the hub, used by the web client, the tests and the load harness:
 * connect with a token, say hello, sync the meeting's documents into read-only replicas, publish
 * presence, send commands and await their results, and reconnect with exponential backoff and
 * jitter, resending unanswered commands under the same ids (the hub answers a retry, never re-applies it).
 * Isomorphic: pass a WebSocket constructor in Node (the `ws` package); browsers use their own.
 */
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import * as awarenessProtocol from 'y-protocols/awareness';
import {
  CloseCode,
  EventSchema,
  Op,
  PROTOCOL_VERSION,
  ResultSchema,
  WelcomeSchema,
  MediaResponseSchema,
  type MediaResponse,
  decodeFrame,
  encodeAwareness,
  encodeJson,
  encodeSync,
  shouldReconnect,
  type ArgsOf,
  type CommandError,
  type CommandType,
  type ResultOf,
  type ServerEvent,
  type Welcome,
} from '../protocol/index.ts';
import { DOC_NAMES, isDocName, type DocName, type Presence } from '../docs.ts';

/** The minimal WebSocket surface the client needs (browser WebSocket and `ws` both have it). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type WebSocketCtor = new (url: string) => WebSocketLike;

/** A command's outcome as the client sees it. */
export type CommandOutcome<T> = { ok: true; value: T } | { ok: false; error: CommandError };

/** Connection states, for the UI's connection indicator. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Client options. */
export interface HubClientOptions {
  /** WebSocket URL of the hub, e.g. ws://localhost:8080/ws */
  url: string;
  token: string;
  WebSocket?: WebSocketCtor;
  /** A stable id for this tab or process; reconnects reuse it so the hub can retire the old socket. */
  session?: string;
  reconnect?: boolean;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /**
   * The first hello generation. Tabs that share a session id (so a new tab replaces the old one)
   * pass a clock value so that a reload is always newer than any earlier connection.
   */
  generation?: number;
  /** A connection that is open but gets no welcome by then is dropped and retried. */
  welcomeTimeoutMs?: number;
  /** Random source for jitter and ids (seedable in tests). */
  random?: () => number;
}

type Listener<A extends unknown[]> = (...args: A) => void;

interface PendingCommand {
  id: string;
  frame: Uint8Array;
  resolve: (r: CommandOutcome<unknown>) => void;
}

const OPEN = 1;

/** A connection to one meeting on a hub. */
export class HubClient {
  readonly docs: Record<DocName, Y.Doc>;
  awareness: awarenessProtocol.Awareness | null = null;
  welcome: Welcome | null = null;
  state: ConnectionState = 'connecting';
  /** The code and reason of the last close, for the UI ("removed by the organizer", ...). */
  lastClose: { code: number; reason: string } | null = null;
  token: string;
  private ws: WebSocketLike | null = null;
  private readonly WS: WebSocketCtor;
  private readonly session: string;
  private generation = 0;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private welcomeTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly pending = new Map<string, PendingCommand>();
  private readonly mediaPending = new Map<string, (r: MediaResponse['result']) => void>();
  private synced = new Set<DocName>();
  private syncWaiters: (() => void)[] = [];
  private presence: Presence | null = null;
  private closedByUser = false;
  private readonly random: () => number;
  private counter = 0;
  private readonly listeners = {
    state: new Set<Listener<[ConnectionState]>>(),
    event: new Set<Listener<[ServerEvent]>>(),
    welcome: new Set<Listener<[Welcome]>>(),
    close: new Set<Listener<[number, string]>>(),
  };

  constructor(private readonly opts: HubClientOptions) {
    const WS = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    if (!WS) throw new Error('no WebSocket implementation: pass options.WebSocket');
    this.WS = WS;
    this.token = opts.token;
    this.random = opts.random ?? Math.random;
    this.session = opts.session ?? randomId(this.random, 16);
    this.generation = opts.generation ?? 0;
    this.docs = Object.fromEntries(DOC_NAMES.map((n) => [n, new Y.Doc()])) as Record<DocName, Y.Doc>;
    this.docs.drafts.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === this || !this.welcome?.writableDocs.includes('drafts')) return;
      const e = encoding.createEncoder();
      syncProtocol.writeUpdate(e, update);
      this.sendRaw(encodeSync('drafts', encoding.toUint8Array(e)));
    });
    this.open();
  }

  // ---- events ------------------------------------------------------------------------------

  /** Subscribes to connection state changes, server events, welcomes or closes. Returns an unsubscribe function. */
  on<K extends keyof HubClient['listeners']>(kind: K, fn: HubClient['listeners'][K] extends Set<infer L> ? L : never): () => void {
    const set = this.listeners[kind] as Set<typeof fn>;
    set.add(fn);
    return () => set.delete(fn);
  }

  private emit<K extends keyof HubClient['listeners']>(kind: K, ...args: unknown[]): void {
    for (const fn of this.listeners[kind] as Set<(...a: unknown[]) => void>) {
      try {
        fn(...args);
      } catch (err) {
        // One throwing listener must not break the others.
        console.error('HubClient listener failed', err);
      }
    }
  }

  private setState(s: ConnectionState): void {
    if (this.state === s) return;
    this.state = s;
    this.emit('state', s);
  }

  // ---- connection --------------------------------------------------------------------------

  private open(): void {
    this.generation += 1;
    const sep = this.opts.url.includes('?') ? '&' : '?';
    const ws = new this.WS(`${this.opts.url}${sep}token=${encodeURIComponent(this.token)}`);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.synced = new Set();
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.welcomeTimer = setTimeout(() => {
        // Open but silent: treat it like a dropped network connection and retry with backoff.
        if (this.ws !== ws) return;
        this.ws = null;
        ws.close(CloseCode.Normal);
        this.onClosed(1006, 'no welcome from the server');
      }, this.opts.welcomeTimeoutMs ?? 10_000);
      ws.send(encodeJson(Op.Hello, { v: PROTOCOL_VERSION, session: this.session, generation: this.generation, client: 'hub-client/1' }));
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      const data = ev.data instanceof ArrayBuffer ? new Uint8Array(ev.data) : ev.data instanceof Uint8Array ? ev.data : null;
      if (!data) return this.fail(ws, CloseCode.BadFrame);
      this.receive(ws, data);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.onClosed(ev.code, ev.reason);
    };
    ws.onerror = () => {};
  }

  private fail(ws: WebSocketLike, code: number): void {
    ws.close(code);
  }

  private receive(ws: WebSocketLike, data: Uint8Array): void {
    const frame = decodeFrame(data);
    if ('error' in frame) return this.fail(ws, CloseCode.BadFrame);
    switch (frame.op) {
      case Op.Welcome: {
        const w = WelcomeSchema.safeParse(frame.json);
        if (!w.success) return this.fail(ws, CloseCode.BadFrame);
        this.onWelcome(ws, w.data);
        return;
      }
      case Op.Sync: {
        if (!isDocName(frame.doc)) return;
        const doc = this.docs[frame.doc];
        const d = decoding.createDecoder(frame.message);
        const e = encoding.createEncoder();
        const type = syncProtocol.readSyncMessage(d, e, doc, this);
        if (encoding.length(e) > 0) ws.send(encodeSync(frame.doc, encoding.toUint8Array(e)));
        if (type === syncProtocol.messageYjsSyncStep2) this.markSynced(frame.doc);
        return;
      }
      case Op.Awareness:
        if (this.awareness) awarenessProtocol.applyAwarenessUpdate(this.awareness, frame.update, this);
        return;
      case Op.Result: {
        const r = ResultSchema.safeParse(frame.json);
        if (!r.success) return;
        const p = this.pending.get(r.data.id);
        if (!p) return;
        this.pending.delete(r.data.id);
        p.resolve(r.data.ok ? { ok: true, value: r.data.value } : { ok: false, error: r.data.error });
        return;
      }
      case Op.MediaResponse: {
        const r = MediaResponseSchema.safeParse(frame.json);
        if (!r.success) return;
        const resolve = this.mediaPending.get(r.data.id);
        this.mediaPending.delete(r.data.id);
        resolve?.(r.data.result);
        return;
      }
      case Op.Event: {
        const ev = EventSchema.safeParse(frame.json);
        if (!ev.success) return;
        if (ev.data.type === 'token') this.token = ev.data.token;
        this.emit('event', ev.data);
        return;
      }
      case Op.Hello:
      case Op.Command:
      case Op.MediaRequest:
        return this.fail(ws, CloseCode.ProtocolViolation);
    }
  }

  private onWelcome(ws: WebSocketLike, w: Welcome): void {
    if (this.welcomeTimer) clearTimeout(this.welcomeTimer);
    this.welcomeTimer = null;
    this.welcome = w;
    this.attempt = 0;
    this.awareness?.destroy();
    const awarenessDoc = new Y.Doc();
    awarenessDoc.clientID = w.awarenessClientId;
    const awareness = new awarenessProtocol.Awareness(awarenessDoc);
    awareness.setLocalState(null);
    awareness.on('update', ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      if (origin === this || this.ws !== ws || ws.readyState !== OPEN) return;
      const mine = [...added, ...updated, ...removed].filter((id) => id === w.awarenessClientId);
      if (mine.length > 0) ws.send(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(awareness, mine)));
    });
    this.awareness = awareness;
    for (const name of DOC_NAMES) {
      const e = encoding.createEncoder();
      syncProtocol.writeSyncStep1(e, this.docs[name]);
      ws.send(encodeSync(name, encoding.toUint8Array(e)));
    }
    if (this.presence) awareness.setLocalState(this.presence);
    for (const p of this.pending.values()) ws.send(p.frame);
    this.setState('open');
    this.emit('welcome', w);
  }

  private markSynced(doc: DocName): void {
    this.synced.add(doc);
    if (this.synced.size === DOC_NAMES.length) {
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private onClosed(code: number, reason: string): void {
    this.ws = null;
    if (this.welcomeTimer) clearTimeout(this.welcomeTimer);
    this.welcomeTimer = null;
    this.lastClose = { code, reason };
    this.emit('close', code, reason);
    for (const resolve of this.mediaPending.values()) resolve({ ok: false, error: { code: 'offline', message: 'connection closed' } });
    this.mediaPending.clear();
    if (this.closedByUser || this.opts.reconnect === false || !shouldReconnect(code)) {
      this.setState('closed');
      for (const p of this.pending.values()) p.resolve({ ok: false, error: { code: 'unavailable', message: `connection closed (${code} ${reason})` } });
      this.pending.clear();
      return;
    }
    this.setState('reconnecting');
    const base = Math.min(this.opts.backoffMaxMs ?? 10_000, (this.opts.backoffInitialMs ?? 250) * 2 ** this.attempt);
    this.attempt += 1;
    const delay = base / 2 + (this.random() * base) / 2;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.closedByUser) this.open();
    }, delay);
  }

  private sendRaw(frame: Uint8Array): boolean {
    if (this.ws && this.ws.readyState === OPEN && this.welcome) {
      this.ws.send(frame);
      return true;
    }
    return false;
  }

  // ---- public API --------------------------------------------------------------------------

  /** Resolves once connected and every document has its first full sync (after the latest connect). */
  whenSynced(): Promise<void> {
    if (this.state === 'open' && this.synced.size === DOC_NAMES.length) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** Sends a command; resolves with its outcome. Unanswered commands are resent after a reconnect with the same id. */
  command<T extends CommandType>(type: T, args: ArgsOf<T>, opts: { id?: string } = {}): Promise<CommandOutcome<ResultOf<T>>> {
    const id = opts.id ?? `${this.session}.${(this.counter += 1)}.${randomId(this.random, 6)}`;
    const frame = encodeJson(Op.Command, { id, type, args });
    return new Promise((resolve) => {
      this.pending.set(id, { id, frame, resolve: resolve as (r: CommandOutcome<unknown>) => void });
      this.sendRaw(frame);
    });
  }

  /**
   * Sends an SFU signalling request (shapes in shared/media/signalling.ts) and resolves with its result.
   * Media requests are not resent after a reconnect: media state is rebuilt from scratch instead.
   */
  media(request: { type: string } & Record<string, unknown>): Promise<MediaResponse['result']> {
    const id = `${this.session}.m${(this.counter += 1)}`;
    return new Promise((resolve) => {
      if (!this.sendRaw(encodeJson(Op.MediaRequest, { id, request }))) {
        resolve({ ok: false, error: { code: 'offline', message: 'not connected' } });
        return;
      }
      this.mediaPending.set(id, resolve);
    });
  }

  /** Number of commands sent and not yet answered (the UI shows them while offline). */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Publishes this client's presence (kept across reconnects). */
  setPresence(p: Presence | null): void {
    this.presence = p;
    this.awareness?.setLocalState(p);
  }

  /** Sends raw bytes (tests of bad input use this). */
  sendBytes(bytes: Uint8Array): void {
    this.ws?.send(bytes);
  }

  /** Closes the connection for good. */
  close(): void {
    this.closedByUser = true;
    if (this.timer) clearTimeout(this.timer);
    this.awareness?.destroy();
    const ws = this.ws;
    if (ws) ws.close(CloseCode.Normal);
    else this.onClosed(CloseCode.Normal, 'closed by client');
  }
}

function randomId(random: () => number, n: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(random() * alphabet.length)];
  return s;
}
