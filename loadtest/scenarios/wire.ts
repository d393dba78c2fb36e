/**
 * Frames of the hub's wire protocol as load clients send and read them, built from shared/protocol.
 * Isomorphic and free of zod, so the same code runs in the Node harness and, bundled by esbuild,
 * in k6 (see loadtest/k6). Receivers classify frames cheaply and find latency markers in Yjs
 * updates without decoding the update (see markers.ts): the hub's cost is what is measured, not
 * the load generator's.
 */
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { Op } from '../../shared/protocol/opcodes.ts';
import { PROTOCOL_VERSION } from '../../shared/protocol/version.ts';
import { encodeAwareness, encodeJson, encodeSync } from '../../shared/protocol/frames.ts';

/** y-protocols sync message types (y-protocols/sync). */
export const SyncType = { Step1: 0, Step2: 1, Update: 2 } as const;

/** The documents of a meeting, in the order the client library syncs them (shared/docs.ts DOC_NAMES, without importing zod). */
export const MEETING_DOCS = ['agenda', 'participants', 'queue', 'chat', 'annotations', 'tallies', 'drafts'] as const;

/** The state vector of an empty Y.Doc: zero clients. */
const EMPTY_STATE_VECTOR = new Uint8Array([0]);

/** The client's first frame. */
export function helloFrame(session: string, generation: number, client = 'agora-loadtest/1'): Uint8Array {
  return encodeJson(Op.Hello, { v: PROTOCOL_VERSION, session, generation, client });
}

/** Sync step 1 for a document: "here is my state vector, send me what I miss" (empty replica by default). */
export function syncStep1Frame(doc: string, stateVector: Uint8Array = EMPTY_STATE_VECTOR): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, SyncType.Step1);
  encoding.writeVarUint8Array(e, stateVector);
  return encodeSync(doc, encoding.toUint8Array(e));
}

/** A Yjs update for a writable (collaborative) document, as y-protocols' writeUpdate frames it. */
export function syncUpdateFrame(doc: string, update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, SyncType.Update);
  encoding.writeVarUint8Array(e, update);
  return encodeSync(doc, encoding.toUint8Array(e));
}

/** Presence a load client publishes (the shape of shared/docs.ts PresenceSchema). */
export interface LoadPresence {
  userId: string;
  name: string;
  online: boolean;
  view?: string;
}

/**
 * An awareness update carrying one client's state, byte for byte what y-protocols'
 * encodeAwarenessUpdate writes for a single client. `clock` must grow with every update
 * (start at 1: a receiver ignores clock 0 from a client it has not seen).
 */
export function presenceFrame(clientId: number, clock: number, presence: LoadPresence | null): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 1);
  encoding.writeVarUint(e, clientId);
  encoding.writeVarUint(e, clock);
  encoding.writeVarString(e, JSON.stringify(presence));
  return encodeAwareness(encoding.toUint8Array(e));
}

/** A command envelope. */
export function commandFrame(id: string, type: string, args: unknown): Uint8Array {
  return encodeJson(Op.Command, { id, type, args });
}

/** What a load client needs to know about an incoming frame. */
export type Incoming =
  | { op: typeof Op.Sync; doc: string; syncType: number; /** the y-protocols message (type byte included) */ message: Uint8Array; /** the update or state vector payload */ payload: Uint8Array }
  | { op: typeof Op.Awareness }
  | { op: typeof Op.Welcome | typeof Op.Result | typeof Op.Event; json: unknown }
  | { op: 'bad'; detail: string };

/** Classifies an incoming frame. Sync payloads are returned as views, not copies; JSON payloads are parsed. */
export function readIncoming(bytes: Uint8Array): Incoming {
  try {
    const d = decoding.createDecoder(bytes);
    const op = decoding.readVarUint(d);
    switch (op) {
      case Op.Sync: {
        const doc = decoding.readVarString(d);
        const start = d.pos;
        const syncType = decoding.readVarUint(d);
        const payload = decoding.readVarUint8Array(d);
        return { op, doc, syncType, message: bytes.subarray(start), payload };
      }
      case Op.Awareness:
        return { op };
      case Op.Welcome:
      case Op.Result:
      case Op.Event:
        return { op, json: JSON.parse(decoding.readVarString(d)) as unknown };
      default:
        return { op: 'bad', detail: `unexpected opcode ${op}` };
    }
  } catch (err) {
    return { op: 'bad', detail: err instanceof Error ? err.message : String(err) };
  }
}

/** Copies a view into a standalone ArrayBuffer (k6's WebSocket.send takes ArrayBuffers). */
export function toArrayBuffer(u8: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(u8.byteLength);
  new Uint8Array(out).set(u8);
  return out;
}
