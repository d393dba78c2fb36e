/**
 * A lean reader (or writer) for Hocuspocus, the peer server of the fan-out comparison. It speaks
 * Hocuspocus' framing (document name, message type, then y-protocols sync) and otherwise does
 * exactly what LoadClient does in the fan-out: one Yjs replica, updates applied with y-protocols'
 * readSyncMessage, latency markers scanned in the raw update before it is applied.
 */
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import { scanMarkers } from '../scenarios/markers.ts';
import { SyncType } from '../scenarios/wire.ts';
import { nowMs } from './clock.ts';
import type { ClientHooks, ClientSpec, ConnectTimings } from './LoadClient.ts';

/** Hocuspocus message types (@hocuspocus/server MessageType). */
const HpType = { Sync: 0, Awareness: 1, Auth: 2, QueryAwareness: 3, SyncReply: 4, Stateless: 5, Close: 7, SyncStatus: 8 } as const;
/** Hocuspocus auth sub-types (@hocuspocus/common AuthMessageType). */
const HpAuth = { Token: 0, PermissionDenied: 1, Authenticated: 2 } as const;

const OPEN = 1;

/** One connection to one Hocuspocus document. */
export class HocuspocusClient {
  /** The replica; updates are applied only when the spec asks for a replica (readers sampled for checks, the writer). */
  readonly doc = new Y.Doc();
  private readonly applies: boolean;
  state: 'idle' | 'connecting' | 'synced' | 'closed' = 'idle';
  timings: ConnectTimings = { start: 0, open: 0, welcome: 0, synced: 0 };
  /** Acknowledgements (SyncStatus) of this client's own updates. */
  acks = 0;
  /** Frames and bytes received (all connections). */
  framesIn = 0;
  bytesIn = 0;
  private ws: WebSocket | null = null;
  private expectingClose = false;
  private waiter: { resolve: (t: ConnectTimings) => void; reject: (e: Error) => void } | null = null;

  constructor(
    readonly spec: ClientSpec,
    /** The Hocuspocus document name. */
    readonly docName: string,
    public hooks: ClientHooks<HocuspocusClient> = {},
  ) {
    this.applies = spec.replica.length > 0;
  }

  /** Connects, authenticates (any token) and syncs; resolves once the server's state arrived. */
  connect(timeoutMs = 30_000): Promise<ConnectTimings> {
    this.state = 'connecting';
    this.expectingClose = false;
    this.timings = { start: nowMs(), open: 0, welcome: 0, synced: 0 };
    const ws = new WebSocket(this.spec.url, { perMessageDeflate: false });
    ws.binaryType = 'nodebuffer';
    this.ws = ws;
    ws.on('open', () => {
      this.timings.open = nowMs();
      const auth = this.header(HpType.Auth);
      encoding.writeVarUint(auth, HpAuth.Token);
      encoding.writeVarString(auth, this.spec.token);
      ws.send(encoding.toUint8Array(auth));
      const step1 = this.header(HpType.Sync);
      syncProtocol.writeSyncStep1(step1, this.doc);
      ws.send(encoding.toUint8Array(step1));
    });
    ws.on('message', (data: Buffer) => this.receive(ws, data));
    ws.on('error', () => {});
    ws.on('close', (code: number, reason: Buffer) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.state = 'closed';
      const w = this.waiter;
      this.waiter = null;
      w?.reject(new Error(`closed ${code} before sync`));
      if (!this.expectingClose) this.hooks.unexpectedClose?.(this, code, reason.toString());
    });
    return new Promise<ConnectTimings>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`not synced after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        resolve: (t) => {
          clearTimeout(timer);
          resolve(t);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  private header(type: number): encoding.Encoder {
    const e = encoding.createEncoder();
    encoding.writeVarString(e, this.docName);
    encoding.writeVarUint(e, type);
    return e;
  }

  private receive(ws: WebSocket, data: Buffer): void {
    this.framesIn += 1;
    this.bytesIn += data.length;
    const d = decoding.createDecoder(data);
    decoding.readVarString(d);
    const type = decoding.readVarUint(d);
    switch (type) {
      case HpType.Sync:
      case HpType.SyncReply: {
        const at = nowMs();
        const start = d.pos;
        const syncType = decoding.readVarUint(d);
        if (syncType === SyncType.Update && this.hooks.marker) {
          const hook = this.hooks.marker;
          scanMarkers(decoding.readVarUint8Array(d), (m) => hook(this, m, at));
        }
        if (this.applies || syncType === SyncType.Step1) {
          const reply = this.header(HpType.Sync);
          syncProtocol.readSyncMessage(decoding.createDecoder(data.subarray(start)), reply, this.doc, this);
          if (encoding.length(reply) > this.docName.length + 2) ws.send(encoding.toUint8Array(reply));
        }
        if (syncType === SyncType.Step2 && this.state === 'connecting') {
          this.state = 'synced';
          this.timings.synced = at;
          const w = this.waiter;
          this.waiter = null;
          w?.resolve(this.timings);
        }
        return;
      }
      case HpType.Auth: {
        const sub = decoding.readVarUint(d);
        if (sub === HpAuth.Authenticated) this.timings.welcome = nowMs();
        else if (sub === HpAuth.PermissionDenied) this.hooks.unexpectedClose?.(this, 4403, 'permission denied');
        return;
      }
      case HpType.SyncStatus:
        this.acks += 1;
        return;
      default:
        return;
    }
  }

  /** The replica's text length (sampled readers check it against what the writer sent). */
  textLength(name: string): number {
    return this.doc.getText(name).length;
  }

  /** Sends a Yjs update for the document (the writer's path). */
  sendUpdate(update: Uint8Array): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN) return false;
    const e = this.header(HpType.Sync);
    syncProtocol.writeUpdate(e, update);
    ws.send(encoding.toUint8Array(e));
    return true;
  }

  get isSynced(): boolean {
    return this.state === 'synced';
  }

  close(): void {
    this.expectingClose = true;
    const ws = this.ws;
    if (!ws) return;
    if (ws.readyState === OPEN) ws.close(1000);
    else ws.terminate();
  }

  destroy(): void {
    this.close();
    this.doc.destroy();
  }
}
