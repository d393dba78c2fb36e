/**
 * Binds a <textarea> to a Y.Text (the organizers' shared draft decisions): local typing becomes a
 * minimal delete+insert; remote edits update the textarea and keep the caret where it belongs.
 */
import type * as Y from 'yjs';

const LOCAL = Symbol('textarea');

/** The minimal change turning `before` into `after`: position, characters deleted, text inserted. */
export function diffText(before: string, after: string): { at: number; remove: number; insert: string } {
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let end = 0;
  while (end < max - start && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end++;
  return { at: start, remove: before.length - start - end, insert: after.slice(start, after.length - end) };
}

/** Moves a caret index through a Y delta. */
function mapIndex(index: number, delta: readonly { insert?: unknown; retain?: number; delete?: number }[]): number {
  let pos = 0;
  let out = index;
  for (const op of delta) {
    if (op.retain !== undefined) pos += op.retain;
    else if (typeof op.insert === 'string') {
      if (pos <= out) out += op.insert.length;
      pos += op.insert.length;
    } else if (op.delete !== undefined) {
      if (pos < out) out -= Math.min(op.delete, out - pos);
    }
  }
  return out;
}

/** Svelte action: `<textarea use:bindYText={text}>`. */
export function bindYText(el: HTMLTextAreaElement, text: Y.Text): { update(t: Y.Text): void; destroy(): void } {
  let current = text;
  const onInput = () => {
    const before = current.toString();
    const d = diffText(before, el.value);
    if (d.remove === 0 && d.insert === '') return;
    const doc = current.doc;
    const apply = () => {
      if (d.remove > 0) current.delete(d.at, d.remove);
      if (d.insert) current.insert(d.at, d.insert);
    };
    if (doc) doc.transact(apply, LOCAL);
    else apply();
  };
  const observer = (e: Y.YTextEvent) => {
    if (e.transaction.origin === LOCAL) return;
    const focused = document.activeElement === el;
    const { selectionStart, selectionEnd } = el;
    el.value = current.toString();
    if (focused) el.setSelectionRange(mapIndex(selectionStart, e.delta), mapIndex(selectionEnd, e.delta));
  };
  const attach = (t: Y.Text) => {
    current = t;
    el.value = t.toString();
    t.observe(observer);
  };
  attach(text);
  el.addEventListener('input', onInput);
  return {
    update(t: Y.Text) {
      if (t === current) return;
      current.unobserve(observer);
      attach(t);
    },
    destroy() {
      el.removeEventListener('input', onInput);
      current.unobserve(observer);
    },
  };
}
