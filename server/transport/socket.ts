/**
 * The small socket interface the hub's room logic talks to. The uWebSockets.js adapter implements it
 * for real sockets; tests implement it with in-memory pairs.
 */

/** What happened to one send: queued, queued but over the backpressure limit, dropped, or the socket is gone. */
export type SendStatus = 'ok' | 'backpressure' | 'dropped' | 'closed';

/** One WebSocket connection, as the hub sees it. */
export interface HubSocket {
  /** Sends one binary frame. */
  send(data: Uint8Array): SendStatus;
  /** Closes the connection with a code and reason. Idempotent. */
  close(code: number, reason: string): void;
  /** Bytes queued and not yet written to the network. */
  bufferedAmount(): number;
  /** The peer's address, for logs. */
  readonly remote: string;
}

/** What the transport calls on a connection's events. */
export interface SocketHandler {
  onMessage(data: Uint8Array): void;
  onClose(code: number, reason: string): void;
  onDrain(): void;
}
