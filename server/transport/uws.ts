/**
 * The transport adapter: the only file that imports uWebSockets.js. It serves HTTP through a small
 * request/response interface and WebSockets through HubSocket, so the hub never sees uWS types.
 */
import { STATUS_CODES } from 'node:http';
import uWS from 'uWebSockets.js';
import { CloseCode, CloseReason } from '../../shared/protocol/closeCodes.ts';
import type { HubSocket, SendStatus, SocketHandler } from './socket.ts';

/** An HTTP request, fully read. */
export interface HttpRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: Buffer;
  remote: string;
}

/** An HTTP response. */
export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** What the transport needs from the hub. */
export interface TransportHandlers {
  /** Answers an HTTP request. Must not throw; the adapter answers 500 if it does. */
  http(req: HttpRequest): Promise<HttpResponse>;
  /** Authenticates an upgraded WebSocket from its upgrade request's query string; `open` gets the result. */
  authenticate(query: URLSearchParams, remote: string): Promise<unknown>;
  /** Creates the handler of an accepted socket from the authentication result. */
  open(socket: HubSocket, auth: unknown): SocketHandler;
  onError(err: unknown): void;
}

/** Transport options. */
export interface TransportOptions {
  host: string;
  port: number;
  /** uWS's own hard frame cap; the hub enforces its smaller limit itself so it can close with a named code. */
  maxPayloadBytes: number;
  maxBackpressureBytes: number;
  maxBodyBytes: number;
  idleTimeoutSeconds: number;
}

interface WsData {
  /** The upgrade request's query string (the token is checked after open). */
  query: string;
  remote: string;
  /** Frames received before the token check finished (at most MAX_EARLY_FRAMES). */
  early: Uint8Array[];
  earlyBytes: number;
  handler?: SocketHandler;
  closed?: boolean;
}

/** A client says hello and then waits for the welcome: more early frames or bytes than this is a flood. */
const MAX_EARLY_FRAMES = 16;
const MAX_EARLY_BYTES = 1024 * 1024;

/** A running transport. */
export interface Transport {
  port: number;
  close(): void;
}

/**
 * Frames above this size are sent compressed when the client negotiated permessage-deflate. uWS
 * copies any frame larger than its 16 KB cork buffer into the socket's own send buffer, and this
 * build keeps that buffer at its largest size for the life of the socket (uNetworking/
 * uWebSockets.js#1150, fixed upstream in builds that need glibc 2.38). The largest frames are the
 * full state a joiner receives (the roster of a room of 1,000 is about 167 KB; compressed, about a
 * tenth): uncompressed they left ~200 KB per idle connection, compressed ~40 KB
 * (`npm run bench -- fill --layouts single`). Small frames, the bulk of the traffic, are not
 * compressed and cost nothing extra.
 */
const COMPRESS_ABOVE_BYTES = 16 * 1024;

/** Starts listening; resolves with the bound port (use port 0 for any free port). */
export function startTransport(opts: TransportOptions, h: TransportHandlers): Promise<Transport> {
  const app = uWS.App();

  app.ws<WsData>('/ws', {
    // permessage-deflate (browsers and most clients offer it), used only for frames above
    // COMPRESS_ABOVE_BYTES: see `send` below.
    compression: uWS.SHARED_COMPRESSOR,
    maxPayloadLength: opts.maxPayloadBytes,
    maxBackpressure: opts.maxBackpressureBytes * 2,
    closeOnBackpressureLimit: 0,
    idleTimeout: opts.idleTimeoutSeconds,
    sendPingsAutomatically: true,
    // The upgrade is synchronous, inside the request handler that uWS corks itself; the token is
    // checked once the socket is open. An asynchronous upgrade (res.cork(() => res.upgrade()) after
    // an await) lets cork()'s post-handler check read the HTTP state from memory that has become the
    // WebSocket when the adopt realloc keeps the same address, and close the fresh socket: about
    // 1 in 2,000 connections ended with 1006 right after open (uNetworking/uWebSockets#1928, fixed
    // upstream by #1929, not in the uWS.js build we can install). Refusals were already sent after
    // the upgrade, as close codes a browser can read, so nothing is lost by authenticating later.
    upgrade: (res, req, context) => {
      const query = req.getQuery() ?? '';
      const remote = Buffer.from(res.getRemoteAddressAsText()).toString();
      res.upgrade<WsData>(
        { query, remote, early: [], earlyBytes: 0 },
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    open: (ws) => {
      const data = ws.getUserData();
      const socket: HubSocket = {
        remote: data.remote,
        send(frame: Uint8Array): SendStatus {
          if (data.closed) return 'closed';
          const r = ws.send(frame, true, frame.byteLength > COMPRESS_ABOVE_BYTES);
          return r === 1 ? 'ok' : r === 0 ? 'backpressure' : 'dropped';
        },
        close(code: number, reason: string): void {
          if (data.closed) return;
          data.closed = true;
          ws.end(code, reason);
        },
        bufferedAmount(): number {
          return data.closed ? 0 : ws.getBufferedAmount();
        },
      };
      h.authenticate(new URLSearchParams(data.query), data.remote).then(
        (auth) => {
          if (data.closed) return;
          const handler = h.open(socket, auth);
          data.handler = handler;
          // Frames that arrived while the token was being checked, in order.
          for (const bytes of data.early.splice(0)) {
            if (data.closed) break;
            handler.onMessage(bytes);
          }
        },
        (err: unknown) => {
          h.onError(err);
          socket.close(CloseCode.InternalError, CloseReason[CloseCode.InternalError]);
        },
      );
    },
    message: (ws, message, isBinary) => {
      const data = ws.getUserData();
      if (data.closed) return;
      if (!isBinary) {
        // The protocol is binary only: a text frame is a bad frame.
        data.closed = true;
        ws.end(CloseCode.BadFrame, CloseReason[CloseCode.BadFrame]);
        return;
      }
      // uWS reuses the ArrayBuffer after this callback returns: copy before anything async can see it.
      const bytes = new Uint8Array(message.slice(0));
      if (data.handler) return data.handler.onMessage(bytes);
      data.earlyBytes += bytes.byteLength;
      if (data.early.length >= MAX_EARLY_FRAMES || data.earlyBytes > MAX_EARLY_BYTES) {
        data.closed = true;
        ws.end(CloseCode.RateLimited, CloseReason[CloseCode.RateLimited]);
        return;
      }
      data.early.push(bytes);
    },
    drain: (ws) => {
      ws.getUserData().handler?.onDrain();
    },
    close: (ws, code, message) => {
      const data = ws.getUserData();
      data.closed = true;
      data.handler?.onClose(code, Buffer.from(message).toString());
    },
  });

  app.any('/*', (res, req) => {
    const method = req.getMethod().toUpperCase();
    const path = req.getUrl();
    const query = new URLSearchParams(req.getQuery() ?? '');
    const headers: Record<string, string> = {};
    req.forEach((k, v) => {
      headers[k] = v;
    });
    const remote = Buffer.from(res.getRemoteAddressAsText()).toString();
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    res.onData((chunk, isLast) => {
      if (tooLarge) return;
      size += chunk.byteLength;
      if (size > opts.maxBodyBytes) {
        tooLarge = true;
        send({ status: 413, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'request body too large' }) });
        return;
      }
      chunks.push(Buffer.from(chunk.slice(0)));
      if (!isLast) return;
      h.http({ method, path, query, headers, body: Buffer.concat(chunks), remote }).then(send, (err: unknown) => {
        h.onError(err);
        send({ status: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'internal error' }) });
      });
    });

    function send(r: HttpResponse): void {
      if (aborted) return;
      aborted = true;
      res.cork(() => {
        res.writeStatus(`${r.status} ${STATUS_CODES[r.status] ?? ''}`);
        for (const [k, v] of Object.entries(r.headers ?? {})) res.writeHeader(k, v);
        res.end(r.body ?? '');
      });
    }
  });

  return new Promise((resolve, reject) => {
    app.listen(opts.host, opts.port, (token) => {
      if (!token) {
        reject(new Error(`cannot listen on ${opts.host}:${opts.port}`));
        return;
      }
      resolve({
        port: uWS.us_socket_local_port(token),
        close() {
          uWS.us_listen_socket_close(token);
        },
      });
    });
  });
}
