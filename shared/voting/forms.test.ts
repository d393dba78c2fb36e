import { describe, expect, it } from 'vitest';
import { validateChoice } from './forms.ts';
import { QuestionSchema, type Question } from './schemas.ts';

const W = 100000n; // 1000.00

function question(raw: unknown): Question {
  return QuestionSchema.parse(raw);
}

function refused(q: Question, choice: unknown, weight = W): { code: string; message: string } {
  const r = validateChoice(q, choice, weight);
  if (r.ok) throw new Error(`expected a refusal for ${JSON.stringify(choice)}`);
  expect(r.message.length).toBeGreaterThan(10);
  return { code: r.code, message: r.message };
}

describe('validateChoice', () => {
  it('for-against-abstain takes the whole weight on one side', () => {
    const q = question({ form: 'for-against-abstain', rule: 'majority-present' });
    expect(validateChoice(q, 'against', W)).toEqual({ ok: true, value: { kind: 'binary', for: 0n, against: W, abstain: 0n } });
    expect(refused(q, 'yes')).toMatchObject({ code: 'malformed', message: 'Choose "for", "against" or "abstain".' });
    expect(refused(q, { for: '1000.00' }).code).toBe('malformed');
  });

  it('split must add up to the weight exactly', () => {
    const q = question({ form: 'split', rule: 'majority-present' });
    expect(validateChoice(q, { for: '600.00', against: '399.99', abstain: '0.01' }, W)).toMatchObject({ ok: true });
    expect(validateChoice(q, { for: '1000' }, W)).toEqual({ ok: true, value: { kind: 'binary', for: W, against: 0n, abstain: 0n } });
    expect(validateChoice(q, 'abstain', W)).toMatchObject({ ok: true });
    expect(refused(q, { for: '600.00', against: '300.00' })).toMatchObject({ code: 'split-sum-mismatch' });
    expect(refused(q, { for: '600.001', against: '400' })).toMatchObject({ code: 'bad-amount' });
    expect(refused(q, { for: '-1' }).message).toContain('negative');
    expect(refused(q, { for: '1000', maybe: '0' }).code).toBe('malformed');
  });

  it('approve-document requires a reason to reject', () => {
    const q = question({ form: 'approve-document', rule: 'majority-present' });
    expect(validateChoice(q, { decision: 'approve' }, W)).toMatchObject({ ok: true, value: { for: W } });
    expect(validateChoice(q, { decision: 'reject', reason: ' too costly ' }, W)).toMatchObject({ ok: true, value: { against: W, reason: 'too costly' } });
    expect(refused(q, { decision: 'reject', reason: '   ' }).code).toBe('reason-required');
    expect(refused(q, { decision: 'reject' }).code).toBe('malformed');
  });

  it('one-of, date and wording take one proposed option', () => {
    const q = question({ form: 'one-of', rule: 'choice', options: ['Ivanov', 'Petrov'] });
    expect(validateChoice(q, 'Petrov', W)).toEqual({ ok: true, value: { kind: 'options', picks: ['Petrov'] } });
    expect(refused(q, 'Smirnov')).toMatchObject({ code: 'unknown-option', message: '"Smirnov" is not one of the proposed options.' });
    expect(refused(q, ['Petrov']).code).toBe('malformed');
    const d = question({ form: 'date', rule: 'choice', options: ['2025-03-10'] });
    expect(refused(d, '2025-03-11').message).toContain('proposed dates');
    const w = question({ form: 'wording', rule: 'choice', options: ['short', 'long'] });
    expect(validateChoice(w, 'long', W)).toMatchObject({ ok: true });
  });

  it('up-to-k takes 1..k distinct known options', () => {
    const q = question({ form: 'up-to-k', rule: 'choice', options: ['A', 'B', 'C'], k: 2 });
    expect(validateChoice(q, ['C', 'A'], W)).toEqual({ ok: true, value: { kind: 'options', picks: ['C', 'A'] } });
    expect(refused(q, []).code).toBe('no-option');
    expect(refused(q, ['A', 'B', 'C'])).toMatchObject({ code: 'too-many-options', message: 'Choose at most 2 options; you chose 3.' });
    expect(refused(q, ['A', 'A']).code).toBe('duplicate-option');
    expect(refused(q, ['A', 'Z']).code).toBe('unknown-option');
  });

  it('cumulative spends at most weight x seats', () => {
    const q = question({ form: 'cumulative', rule: 'cumulative-election', options: ['K1', 'K2', 'K3'], seats: 3 });
    const ok = validateChoice(q, { K1: '2000.00', K2: '1000.00', K3: '0' }, W);
    expect(ok).toMatchObject({ ok: true, value: { kind: 'distribution' } });
    if (ok.ok && ok.value.kind === 'distribution') expect([...ok.value.votes]).toEqual([['K1', 200000n], ['K2', 100000n]]);
    expect(refused(q, { K1: '3000.01' })).toMatchObject({
      code: 'overspent',
      message: 'You gave 3000.01 votes but may give at most 3000.00 (your 1000.00 times 3 seats).',
    });
    expect(refused(q, { K9: '1' }).code).toBe('unknown-option');
    expect(refused(q, { K1: 5 }).code).toBe('bad-amount');
  });

  it('ranking ranks every option exactly once', () => {
    const q = question({ form: 'ranking', rule: 'borda', options: ['A', 'B', 'C'] });
    expect(validateChoice(q, ['B', 'C', 'A'], W)).toEqual({ ok: true, value: { kind: 'ranking', order: ['B', 'C', 'A'] } });
    expect(refused(q, ['B', 'C']).code).toBe('incomplete-ranking');
    expect(refused(q, ['B', 'B', 'A']).code).toBe('duplicate-option');
  });

  it('number stays within min and max', () => {
    const q = question({ form: 'number', rule: 'choice', min: '10', max: 20.5 });
    expect(validateChoice(q, '20.50', W)).toEqual({ ok: true, value: { kind: 'number', value: 2050n } });
    expect(validateChoice(q, 10, W)).toEqual({ ok: true, value: { kind: 'number', value: 1000n } });
    expect(refused(q, '20.51')).toMatchObject({ code: 'out-of-range', message: 'The number must be at most 20.50.' });
    expect(refused(q, 9.99).message).toBe('The number must be at least 10.00.');
    expect(refused(q, 'ten').code).toBe('bad-amount');
    expect(refused(q, null).code).toBe('malformed');
  });
});
