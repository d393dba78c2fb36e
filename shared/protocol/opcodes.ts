/**
 * Binary frame opcodes. Every frame starts with one varuint opcode.
 * Numbers are never reused: retire an opcode by leaving a comment in its place.
 * See shared/PROTOCOL.md for the byte grammar of each frame.
 */
export const Op = {
  /** y-protocols sync message for one named document. Both directions. */
  Sync: 0,
  /** y-protocols awareness update for the meeting (presence). Both directions. */
  Awareness: 1,
  /** Client hello: protocol version and session resume data (JSON). Client to server, first frame. */
  Hello: 2,
  /** Server welcome: who you are, which documents exist (JSON). Server to client. */
  Welcome: 3,
  /** A command (JSON). Client to server. */
  Command: 4,
  /** The result of a command (JSON). Server to client. */
  Result: 5,
  /** A server event (JSON). Server to client. */
  Event: 6,
  /** An SFU signalling request (JSON `{ id, request }`, request from shared/media/signalling.ts). Client to server. */
  MediaRequest: 7,
  /** The answer to an SFU request (JSON `{ id, result }`). Server to client. */
  MediaResponse: 8,
} as const;

export type Opcode = (typeof Op)[keyof typeof Op];

/** Opcodes a client may send. Anything else from a client is refused with CloseCode.ProtocolViolation. */
export const CLIENT_OPCODES: ReadonlySet<number> = new Set([Op.Sync, Op.Awareness, Op.Hello, Op.Command, Op.MediaRequest]);
/** Opcodes only the server sends. */
export const SERVER_OPCODES: ReadonlySet<number> = new Set([Op.Sync, Op.Awareness, Op.Welcome, Op.Result, Op.Event, Op.MediaResponse]);
