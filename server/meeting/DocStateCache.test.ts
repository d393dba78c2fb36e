import * as Y from 'yjs';
import fc from 'fast-check';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../shared/protocol/index.ts';
import { DocStateCache, GROWTH_FACTOR } from './DocStateCache.ts';

type Op =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'set'; key: string; value: string }
  /** Deletes every `step`-th character in one transaction: many short delete ranges, each splitting items. */
  | { kind: 'strip'; step: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ minLength: 1, maxLength: 40 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ kind: fc.constant('set' as const), key: fc.constantFrom('a', 'b', 'c'), value: fc.string({ maxLength: 60 }) }),
  fc.record({ kind: fc.constant('strip' as const), step: fc.integer({ min: 2, max: 4 }) }),
);

function apply(doc: Y.Doc, o: Op): void {
  const text = doc.getText('t');
  if (o.kind === 'insert') text.insert(o.at % (text.length + 1), o.text);
  else if (o.kind === 'delete' && text.length > 0) text.delete(o.at % text.length, Math.min(o.len, text.length - (o.at % text.length)));
  else if (o.kind === 'set') doc.getMap('m').set(o.key, o.value);
  else if (o.kind === 'strip') {
    doc.transact(() => {
      for (let i = text.length - 1; i >= 0; i -= o.step) text.delete(i, 1);
    });
  }
}

function setup(gc: boolean) {
  const docs = { a: new Y.Doc({ gc }) };
  const cache = new DocStateCache(docs);
  docs.a.on('update', (u: Uint8Array) => cache.changed('a', u.byteLength));
  return { doc: docs.a, cache };
}

describe('DocStateCache', () => {
  it('answers the size limit exactly as encoding the whole document would, after any edits (with and without gc)', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(op, { maxLength: 60 }), fc.integer({ min: 0, max: 6000 }), fc.integer({ min: 0, max: 200 }), (gc, ops, max, adding) => {
        const { doc, cache } = setup(gc);
        cache.wouldExceed('a', 0, max);
        for (const o of ops) {
          apply(doc, o);
          expect(cache.wouldExceed('a', adding, max)).toBe(Y.encodeStateAsUpdate(doc).byteLength + adding > max);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('bounds the growth of the encoded state by GROWTH_FACTOR times the update bytes, even for many short deletes in one transaction', () => {
    let worst = 0;
    fc.assert(
      fc.property(fc.boolean(), fc.array(op, { maxLength: 40 }), (gc, ops) => {
        const doc = new Y.Doc({ gc });
        let before = Y.encodeStateAsUpdate(doc).byteLength;
        doc.on('update', (u: Uint8Array) => {
          const after = Y.encodeStateAsUpdate(doc).byteLength;
          worst = Math.max(worst, (after - before) / u.byteLength);
          before = after;
        });
        for (const o of ops) apply(doc, o);
        return worst <= GROWTH_FACTOR;
      }),
      { numRuns: 500 },
    );
    // The splitting operations really were exercised: some update grew the state more than its own size.
    expect(worst).toBeGreaterThan(1);
  });

  it('serves the full state as a sync step 2 frame that rebuilds the document, and refreshes it after a change', () => {
    const { doc, cache } = setup(true);
    doc.getText('t').insert(0, 'first');
    const frame1 = cache.fullStep2Frame('a');
    expect(cache.fullStep2Frame('a')).toBe(frame1);
    doc.getText('t').insert(5, ' second');
    const frame2 = cache.fullStep2Frame('a');
    expect(frame2).not.toBe(frame1);
    const decoded = decodeFrame(frame2);
    if ('error' in decoded || decoded.op !== 0) throw new Error('not a sync frame');
    expect(decoded.doc).toBe('a');
    const d = decoding.createDecoder(decoded.message);
    expect(decoding.readVarUint(d)).toBe(syncProtocol.messageYjsSyncStep2);
    const replica = new Y.Doc();
    Y.applyUpdate(replica, decoding.readVarUint8Array(d));
    expect(replica.getText('t').toString()).toBe('first second');
  });
});
