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
  /** Authenticates a WebSocket upgrade from its query string. `accept` carries whatever the hub returns. */
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
  auth: unknown;
  remote: string;
  handler?: SocketHandler;
  closed?: boolean;
}

/** A running transport. */
export interface Transport {
  port: number;
  close(): void;
}

/** Starts listening; resolves with the bound port (use port 0 for any free port). */
export function startTransport(opts: TransportOptions, h: TransportHandlers): Promise<Transport> {
  const app = uWS.App();

  app.ws<WsData>('/ws', {
    compression: uWS.DISABLED,
    maxPayloadLength: opts.maxPayloadBytes,
    maxBackpressure: opts.maxBackpressureBytes * 2,
    closeOnBackpressureLimit: 0,
    idleTimeout: opts.idleTimeoutSeconds,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => {
      const query = new URLSearchParams(req.getQuery() ?? '');
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      const remote = Buffer.from(res.getRemoteAddressAsText()).toString();
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      h.authenticate(query, remote).then(
        (auth) => {
          if (aborted) return;
          res.cork(() => res.upgrade<WsData>({ auth, remote }, key, protocol, extensions, context));
        },
        (err: unknown) => {
          h.onError(err);
          if (!aborted) res.cork(() => res.writeStatus('500 Internal Server Error').end());
        },
      );
    },
    open: (ws) => {
      const data = ws.getUserData();
      const socket: HubSocket = {
        remote: data.remote,
        send(frame: Uint8Array): SendStatus {
          if (data.closed) return 'closed';
          const r = ws.send(frame, true);
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
      data.handler = h.open(socket, data.auth);
    },
    message: (ws, message, isBinary) => {
      const data = ws.getUserData();
      if (data.closed || !data.handler) return;
      // uWS reuses the ArrayBuffer after this callback returns: copy before anything async can see it.
      const bytes = isBinary ? new Uint8Array(message.slice(0)) : new Uint8Array(0);
      if (!isBinary) {
        // The protocol is binary only: a text frame is a bad frame.
        data.closed = true;
        ws.end(CloseCode.BadFrame, CloseReason[CloseCode.BadFrame]);
        return;
      }
      data.handler.onMessage(bytes);
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
