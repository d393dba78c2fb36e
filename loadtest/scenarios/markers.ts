/**
 * Latency markers: a sender writes `#LT:<kind>:<room>:<sender>:<seq>:<sentAtMs>#` into the text it
 * sends (a chat message, an annotation, a Yjs text insert). Yjs stores strings as UTF-8 inside an
 * update, so a receiver finds the marker in the raw frame without decoding the update, and
 * subtracts the send time from its own clock (one machine, one monotonic clock).
 * Padding never contains '#'.
 */

/** What a marker stands for. */
export const MarkerKind = { Chat: 'c', Annotation: 'a', Fanout: 'f' } as const;
export type MarkerKindValue = (typeof MarkerKind)[keyof typeof MarkerKind];

/** One decoded marker. */
export interface Marker {
  kind: string;
  room: number;
  sender: number;
  seq: number;
  sentAt: number;
}

const HASH = 0x23; // '#'
const L = 0x4c;
const T = 0x54;
const COLON = 0x3a;

/** A marker text padded with filler to `size` characters (never shorter than the marker itself). */
export function markerText(kind: MarkerKindValue, room: number, sender: number, seq: number, sentAt: number, size = 0): string {
  const m = `#LT:${kind}:${room}:${sender}:${seq}:${sentAt.toFixed(3)}#`;
  return m.length >= size ? m : m + ' lorem ipsum dolor sit amet, consectetur adipiscing elit'.repeat(Math.ceil((size - m.length) / 56)).slice(0, size - m.length);
}

/** Calls `found` for every marker in `bytes`. Returns how many were found. */
export function scanMarkers(bytes: Uint8Array, found: (m: Marker) => void): number {
  let n = 0;
  const end = bytes.length - 4;
  for (let i = 0; i < end; i++) {
    if (bytes[i] !== HASH || bytes[i + 1] !== L || bytes[i + 2] !== T || bytes[i + 3] !== COLON) continue;
    const m = parseAt(bytes, i + 4);
    if (m) {
      found(m.marker);
      n += 1;
      i = m.next;
    }
  }
  return n;
}

/** Parses `kind:room:sender:seq:sentAt#` starting at `pos` (only the last field may have a fraction). */
function parseAt(bytes: Uint8Array, pos: number): { marker: Marker; next: number } | null {
  const kindByte = bytes[pos];
  if (kindByte === undefined || bytes[pos + 1] !== COLON) return null;
  let p = pos + 2;
  const nums: number[] = [];
  for (let field = 0; field < 4; field++) {
    let int = 0;
    let frac = 0;
    let div = 1;
    let digits = 0;
    let inFraction = false;
    for (;;) {
      const b = bytes[p];
      if (b !== undefined && b >= 0x30 && b <= 0x39) {
        if (inFraction) {
          frac = frac * 10 + (b - 0x30);
          div *= 10;
        } else int = int * 10 + (b - 0x30);
        digits += 1;
        p += 1;
      } else if (b === 0x2e && field === 3 && !inFraction) {
        inFraction = true;
        p += 1;
      } else break;
    }
    if (digits === 0) return null;
    if (bytes[p] !== (field < 3 ? COLON : HASH)) return null;
    nums.push(int + frac / div);
    p += 1;
  }
  return {
    marker: { kind: String.fromCharCode(kindByte), room: nums[0]!, sender: nums[1]!, seq: nums[2]!, sentAt: nums[3]! },
    next: p - 1,
  };
}
