/**
 * What the meeting would otherwise re-encode on every frame: the full state of each document (sent
 * to every joiner whose replica is empty, and measured against the size limit before every chat
 * message, annotation and draft edit). Encoding a whole document is linear in its size; a roster
 * of 1,000 participants is about 170 KB, and a join storm or a chat burst asked for it thousands of
 * times a second.
 *
 * The full state is cached until the document's next update. For the size limit the cache keeps an
 * upper bound instead: the exact size at the last encoding plus GROWTH_FACTOR times the bytes of
 * every update since, and encodes again only when that bound would refuse. The factor is needed
 * because an update can grow the encoded state by more than its own size: a delete range of two
 * bytes can split two items, and each split adds a struct header (an origin and a right origin of
 * up to ten bytes each). Splits cost at most about 14 bytes per byte of update (measured with
 * the property test in DocStateCache.test.ts, which deletes many short ranges in one transaction);
 * 32 leaves a margin, and only makes the re-encoding near the limit more frequent.
 */
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { encodeSync } from '../../shared/protocol/index.ts';

/** How much the encoded state can grow per byte of update, at most (see above). */
export const GROWTH_FACTOR = 32;

interface Entry {
  /** The full state as a sync step 2 frame, valid until the next update. */
  step2Frame: Uint8Array | null;
  /** Exact encoded size at the last encoding. */
  bytes: number;
  /** Bytes of updates applied since. */
  growth: number;
}

/** Per-document cache of full-state encodings; `changed` must see every update. */
export class DocStateCache<Name extends string> {
  private readonly entries = new Map<Name, Entry>();

  constructor(private readonly docs: Record<Name, Y.Doc>) {}

  /** Tells the cache that `name` changed by an update of `bytes`. */
  changed(name: Name, bytes: number): void {
    const e = this.entries.get(name);
    if (!e) return;
    e.step2Frame = null;
    e.growth += bytes * GROWTH_FACTOR;
  }

  /** The sync step 2 frame carrying the whole document (what a joiner with an empty replica needs). */
  fullStep2Frame(name: Name): Uint8Array {
    const e = this.entries.get(name);
    if (e?.step2Frame) return e.step2Frame;
    const state = Y.encodeStateAsUpdate(this.docs[name]);
    const enc = encoding.createEncoder();
    encoding.writeVarUint(enc, syncProtocol.messageYjsSyncStep2);
    encoding.writeVarUint8Array(enc, state);
    const frame = encodeSync(name, encoding.toUint8Array(enc));
    this.entries.set(name, { step2Frame: frame, bytes: state.byteLength, growth: 0 });
    return frame;
  }

  /** Whether adding `adding` bytes would take the document over `max` (encodes only near the limit). */
  wouldExceed(name: Name, adding: number, max: number): boolean {
    const e = this.entries.get(name);
    if (e && e.bytes + e.growth + adding <= max) return false;
    this.fullStep2Frame(name);
    return this.entries.get(name)!.bytes + adding > max;
  }
}
