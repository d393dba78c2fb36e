/**
 * WebSocket close codes and reasons. The client decides from the code whether to reconnect.
 * 4000-4099: the client sent something wrong; 4100-4199: server-side conditions;
 * 44xx mirror HTTP auth statuses.
 */
export const CloseCode = {
  Normal: 1000,
  /** A frame that cannot be decoded: unknown opcode, truncated varint, invalid JSON. */
  BadFrame: 4000,
  /** A well-formed frame that breaks the protocol: server-only opcode, no hello first, hello twice. */
  ProtocolViolation: 4001,
  /** The client's protocol version is older than this server supports. */
  VersionTooOld: 4002,
  /** The client's protocol version is newer than this server knows. */
  VersionTooNew: 4003,
  /** A frame larger than the configured limit. */
  FrameTooLarge: 4004,
  /** A document update that would grow a document past its size limit. */
  DocumentTooLarge: 4005,
  /** A Yjs update to a document the session may only read, or a malformed update. */
  ReadOnlyDocument: 4006,
  /** Too many frames or bytes per second. */
  RateLimited: 4008,
  /** The socket's send buffer passed the backpressure limit; reconnect and resync. */
  SlowConsumer: 4009,
  /** A newer connection of the same session took over. Do not reconnect. */
  SessionReplaced: 4010,
  /** The server is shutting down or handing the meeting over; reconnect with backoff. */
  ServerShutdown: 4100,
  /** An unexpected error in the server while handling this session. */
  InternalError: 4101,
  /** No token, or a token that does not verify. Do not reconnect with the same token. */
  AuthInvalid: 4401,
  /** The token expired. Obtain a new one, then reconnect. */
  AuthExpired: 4402,
  /** The participant was removed, the token revoked or the role changed. */
  Forbidden: 4403,
  /** The meeting named by the token does not exist. */
  MeetingNotFound: 4404,
} as const;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/** Human-readable reasons sent with each close code (ASCII, short: close reasons are limited to 123 bytes). */
export const CloseReason: Record<CloseCodeValue, string> = {
  [CloseCode.Normal]: 'normal closure',
  [CloseCode.BadFrame]: 'bad frame',
  [CloseCode.ProtocolViolation]: 'protocol violation',
  [CloseCode.VersionTooOld]: 'client protocol version too old, please reload',
  [CloseCode.VersionTooNew]: 'client protocol version too new for this server',
  [CloseCode.FrameTooLarge]: 'frame too large',
  [CloseCode.DocumentTooLarge]: 'document too large',
  [CloseCode.ReadOnlyDocument]: 'document is read-only for this session',
  [CloseCode.RateLimited]: 'rate limit exceeded',
  [CloseCode.SlowConsumer]: 'slow consumer, resync needed',
  [CloseCode.SessionReplaced]: 'session replaced by a newer connection',
  [CloseCode.ServerShutdown]: 'server shutting down',
  [CloseCode.InternalError]: 'internal error',
  [CloseCode.AuthInvalid]: 'invalid token',
  [CloseCode.AuthExpired]: 'token expired',
  [CloseCode.Forbidden]: 'access revoked',
  [CloseCode.MeetingNotFound]: 'meeting not found',
};

const RECONNECTABLE: ReadonlySet<number> = new Set([
  CloseCode.SlowConsumer,
  CloseCode.ServerShutdown,
  CloseCode.InternalError,
  CloseCode.RateLimited,
  1001, // going away
  1006, // abnormal closure (network)
  1011, // server error
  1012, // service restart
]);

/** Whether a client should reconnect (with backoff) after a close with this code. */
export function shouldReconnect(code: number): boolean {
  return RECONNECTABLE.has(code);
}
