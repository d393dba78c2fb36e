/**
 * Reading the vote storm's state from a client's point of view: the open question in the agenda
 * replica (shared/docs.ts: agenda `questions` map), and the final tally, either from a tallies
 * replica or straight from a raw update (so a thousand simulated voters need not replicate a
 * document that changes on every ballot's flush).
 */

/** The question a voter should vote on: the first open one in the agenda's `questions` map values. */
export function openQuestion(questions: Iterable<unknown>): { id: string; version: string } | null {
  for (const q of questions) {
    if (typeof q !== 'object' || q === null) continue;
    const r = q as { id?: unknown; status?: unknown; version?: unknown };
    if (r.status === 'open' && typeof r.id === 'string' && typeof r.version === 'string') return { id: r.id, version: r.version };
  }
  return null;
}

/** Whether a tally record (a value of the tallies document's `tallies` map) is final and visible. */
export function isFinalTally(record: unknown): boolean {
  if (typeof record !== 'object' || record === null) return false;
  const t = record as { status?: unknown; visible?: unknown; report?: unknown };
  return t.status === 'closed' && t.visible === true && t.report !== undefined;
}

function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** lib0 writeAny bytes of `status: "closed"` and `visible: true` inside a tally record. */
const CLOSED = ascii('\x06statusw\x06closed');
const VISIBLE = ascii('\x07visiblex');

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  const first = needle[0];
  outer: for (let i = 0; i <= hay.length - needle.length; i++) {
    if (hay[i] !== first) continue;
    for (let k = 1; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

/** Whether a raw Yjs update of the tallies document carries the closed, visible tally of `questionId`. */
export function updateHasFinalTally(update: Uint8Array, questionId: string): boolean {
  return indexOf(update, CLOSED) >= 0 && indexOf(update, VISIBLE) >= 0 && indexOf(update, ascii(questionId)) >= 0;
}
