/** Unit tests of the client's pure pieces: pasted invitations, and the textarea-to-Y.Text diff under concurrent edits. */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { inviteFromInput } from '../src/lib/invite.ts';
import { diffText } from '../src/lib/meeting/textBinding.ts';

describe('pasting an invitation', () => {
  it('accepts a whole link, a link with other parameters, or the bare code', () => {
    const code = '3OnAcvTM16ou1o8cKQNH1aHGZmmePiQI';
    expect(inviteFromInput(`http://localhost:8080/join?invite=${code}`)).toBe(code);
    expect(inviteFromInput(`  https://meet.example/join?lang=ru&invite=${code}#x `)).toBe(code);
    expect(inviteFromInput(code)).toBe(code);
  });

  it('refuses what cannot be an invitation', () => {
    expect(inviteFromInput('')).toBeNull();
    expect(inviteFromInput('hello world')).toBeNull();
    expect(inviteFromInput('https://meet.example/join?invite=%E0%A4%A')).toBeNull();
  });
});

describe('the draft decision textarea binding', () => {
  const apply = (text: Y.Text, before: string, after: string) => {
    const d = diffText(before, after);
    if (d.remove > 0) text.delete(d.at, d.remove);
    if (d.insert) text.insert(d.at, d.insert);
  };

  it('turns an edit into the minimal change', () => {
    expect(diffText('Принять отчёт', 'Принять к сведению отчёт')).toEqual({ at: 8, remove: 0, insert: 'к сведению ' });
    expect(diffText('abcdef', 'abXef')).toEqual({ at: 2, remove: 2, insert: 'X' });
    expect(diffText('aaa', 'aa')).toEqual({ at: 2, remove: 1, insert: '' });
    expect(diffText('same', 'same')).toEqual({ at: 4, remove: 0, insert: '' });
  });

  it('keeps both organizers\' concurrent edits', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    const start = 'Утвердить положение о продаже.';
    a.getText('draft:i1').insert(0, start);
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    apply(a.getText('draft:i1'), start, 'Утвердить Положение о продаже.');
    apply(b.getText('draft:i1'), start, 'Утвердить положение о продаже имущества.');
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    expect(a.getText('draft:i1').toString()).toBe('Утвердить Положение о продаже имущества.');
    expect(b.getText('draft:i1').toString()).toBe('Утвердить Положение о продаже имущества.');
  });
});
