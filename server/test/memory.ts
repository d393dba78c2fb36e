/**
 * In-memory socket pairs for unit tests of the hub core: a HubClient talks to a Hub without a network.
 * Frames queue in both directions until the test calls `net.settle()`, so tests decide when messages move.
 */
import path from 'node:path';
import { createLogger } from '../log.ts';
import { HubMetrics } from '../metrics.ts';
import { SqliteStorage } from '../storage/SqliteStorage.ts';
import { TokenService } from '../auth/TokenService.ts';
import { Hub } from '../hub/Hub.ts';
import { MediaService } from '../media/MediaService.ts';
import { seedDemo } from '../demo/seed.ts';
import { REPO_ROOT } from '../config.ts';
import type { HubSocket, SendStatus, SocketHandler } from '../transport/socket.ts';
import type { WebSocketCtor, WebSocketLike } from '../../shared/client/HubClient.ts';
import { testConfig } from './helpers.ts';

interface Link {
  client: MemoryClientSocket;
  server: SocketHandler | null;
  toServer: Uint8Array[];
  toClient: Uint8Array[];
  closing: { code: number; reason: string } | null;
  /** Bytes the server queued and the client has not read (the backpressure a slow reader builds). */
  buffered: number;
}

/** The client half of a pair (what HubClient sees as its WebSocket). */
class MemoryClientSocket implements WebSocketLike {
  binaryType = 'arraybuffer';
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(private readonly link: () => Link) {}
  send(data: Uint8Array): void {
    if (this.readyState === 1) this.link().toServer.push(data.slice());
  }
  close(code = 1000, reason = ''): void {
    if (this.readyState >= 2) return;
    this.readyState = 2;
    this.link().closing = { code, reason };
  }
}

/** A hub with in-memory connections. */
export class MemoryNet {
  readonly links: Link[] = [];
  /** Per-link limit: a client that reads nothing past this many buffered bytes looks slow. */
  slowReaders = new Set<MemoryClientSocket>();
  private readonly pendingAuth = new Set<Promise<unknown>>();

  private constructor(readonly hub: Hub) {}

  /** A hub on a temp data dir with the demo meeting, and no network at all. */
  static async create(overrides: Record<string, string> = {}): Promise<MemoryNet> {
    const config = testConfig(overrides);
    const log = createLogger(config.logLevel);
    const storage = new SqliteStorage(path.join(config.dataDir, 'hub.sqlite'), { synchronous: 'NORMAL' });
    const tokens = await TokenService.open(config.dataDir, config.tokenTtlSeconds);
    const hub = new Hub(config, storage, tokens, log, new HubMetrics(), await MediaService.start(config, log));
    await seedDemo(hub, path.join(REPO_ROOT, 'data', 'demo'), 'http://memory');
    return new MemoryNet(hub);
  }

  /** A WebSocket constructor for HubClient that connects to this hub in memory. */
  get WebSocket(): WebSocketCtor {
    const net = this;
    return class {
      constructor(url: string) {
        const link: Link = { client: null as unknown as MemoryClientSocket, server: null, toServer: [], toClient: [], closing: null, buffered: 0 };
        link.client = new MemoryClientSocket(() => link);
        net.links.push(link);
        const token = new URL(url, 'ws://memory').searchParams.get('token');
        const auth$ = net.hub.authenticate(token).then((auth) => {
          const socket: HubSocket = {
            remote: 'memory',
            send(frame: Uint8Array): SendStatus {
              if (link.client.readyState !== 1) return 'closed';
              link.toClient.push(frame.slice());
              if (net.slowReaders.has(link.client)) link.buffered += frame.byteLength;
              return link.buffered > 0 ? 'backpressure' : 'ok';
            },
            close(code: number, reason: string) {
              if (link.client.readyState >= 2 && link.closing) return;
              link.client.readyState = 2;
              link.closing = { code, reason };
            },
            bufferedAmount: () => link.buffered,
          };
          link.client.readyState = 1;
          link.server = auth.ok ? net.hub.openSession(socket, auth.claims) : null;
          if (!auth.ok) socket.close(auth.code, 'refused');
          link.client.onopen?.({});
        });
        net.pendingAuth.add(auth$);
        void auth$.finally(() => net.pendingAuth.delete(auth$));
        return link.client;
      }
    } as unknown as WebSocketCtor;
  }

  /** Moves queued frames both ways, and lets the hub's ticks, timers and token checks run, until nothing moves. */
  async settle(): Promise<void> {
    let quiet = 0;
    for (let round = 0; round < 10_000; round++) {
      let moved = this.pendingAuth.size > 0;
      await Promise.all([...this.pendingAuth]);
      for (const l of this.links) {
        for (const f of l.toServer.splice(0)) {
          moved = true;
          l.server?.onMessage(f);
        }
        if (!this.slowReaders.has(l.client)) {
          for (const f of l.toClient.splice(0)) {
            moved = true;
            l.client.onmessage?.({ data: f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength) });
          }
        }
        if (l.closing && l.client.readyState !== 3) {
          moved = true;
          l.client.readyState = 3;
          l.server?.onClose(l.closing.code, l.closing.reason);
          l.client.onclose?.(l.closing);
        }
      }
      await new Promise((r) => setImmediate(r));
      if (moved) quiet = 0;
      else if (++quiet === 3) await new Promise((r) => setTimeout(r, 6)); // let short timers (backoff, ticks) fire
      else if (quiet > 3) return;
    }
  }

  /** Frames queued for a client and not yet delivered. */
  queuedFor(ws: WebSocketLike): number {
    return this.links.find((l) => l.client === ws)?.toClient.length ?? 0;
  }

  async close(): Promise<void> {
    await this.hub.shutdown();
    await this.hub.storage.close();
    this.hub.metrics.close();
  }
}
