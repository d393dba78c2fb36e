/**
 * Encoding and decoding of binary frames (see shared/PROTOCOL.md).
 * decodeFrame never throws: a frame that cannot be decoded is a value the caller turns into a close code.
 */
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { Op } from './opcodes.ts';

/** A decoded frame, before its JSON payload (if any) is validated. */
export type Frame =
  | { op: typeof Op.Sync; doc: string; message: Uint8Array }
  | { op: typeof Op.Awareness; update: Uint8Array }
  | { op: JsonOp; json: unknown };

/** Opcodes whose payload is one JSON value. */
export type JsonOp = typeof Op.Hello | typeof Op.Welcome | typeof Op.Command | typeof Op.Result | typeof Op.Event | typeof Op.MediaRequest | typeof Op.MediaResponse;

/** Why a frame could not be decoded. */
export type FrameError = { error: 'unknown-opcode'; op: number } | { error: 'malformed'; detail: string };

/** Encodes a sync frame around a y-protocols sync message for one document. */
export function encodeSync(doc: string, message: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, Op.Sync);
  encoding.writeVarString(e, doc);
  encoding.writeUint8Array(e, message);
  return encoding.toUint8Array(e);
}

/** Encodes an awareness frame. */
export function encodeAwareness(update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, Op.Awareness);
  encoding.writeVarUint8Array(e, update);
  return encoding.toUint8Array(e);
}

/** Encodes a frame with a JSON payload. */
export function encodeJson(op: JsonOp, payload: unknown): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, op);
  encoding.writeVarString(e, JSON.stringify(payload));
  return encoding.toUint8Array(e);
}

/** Decodes one frame. Returns a FrameError for unknown opcodes, truncated data or invalid JSON. */
export function decodeFrame(bytes: Uint8Array): Frame | FrameError {
  try {
    const d = decoding.createDecoder(bytes);
    const op = decoding.readVarUint(d);
    switch (op) {
      case Op.Sync: {
        const doc = decoding.readVarString(d);
        const message = decoding.readTailAsUint8Array(d);
        if (message.length === 0) return { error: 'malformed', detail: 'empty sync message' };
        return { op, doc, message };
      }
      case Op.Awareness: {
        const update = decoding.readVarUint8Array(d);
        if (decoding.hasContent(d)) return { error: 'malformed', detail: 'trailing bytes' };
        return { op, update };
      }
      case Op.Hello:
      case Op.Welcome:
      case Op.Command:
      case Op.Result:
      case Op.Event:
      case Op.MediaRequest:
      case Op.MediaResponse: {
        const text = decoding.readVarString(d);
        if (decoding.hasContent(d)) return { error: 'malformed', detail: 'trailing bytes' };
        return { op, json: JSON.parse(text) as unknown };
      }
      default:
        return { error: 'unknown-opcode', op };
    }
  } catch (err) {
    return { error: 'malformed', detail: err instanceof Error ? err.message : String(err) };
  }
}
