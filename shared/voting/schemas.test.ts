import { describe, expect, it } from 'vitest';
import { parseCase } from './case.ts';
import { describeIssues, QuestionSchema } from './schemas.ts';

function problems(raw: unknown): string {
  const r = QuestionSchema.safeParse(raw);
  if (r.success) throw new Error(`expected ${JSON.stringify(raw)} to be refused`);
  return describeIssues(r.error);
}

describe('QuestionSchema', () => {
  it('accepts every form with its rules', () => {
    const good: unknown[] = [
      { form: 'for-against-abstain', rule: 'majority-present' },
      { form: 'split', rule: { kind: 'qualified', num: 2, den: 3, base: 'present' } },
      { form: 'approve-document', rule: 'majority-register-with-class', class: 'secured', securedVote: false },
      { form: 'one-of', rule: 'choice', base: 'register', options: ['A'] },
      { form: 'date', rule: 'majority-present', options: ['2024-02-29'] },
      { form: 'wording', rule: 'unanimity', options: ['x', 'y'] },
      { form: 'up-to-k', rule: 'choice', options: ['A', 'B'], k: 2 },
      { form: 'number', rule: 'choice', min: -5, max: '100.50' },
      { form: 'cumulative', rule: 'cumulative-election', options: ['A', 'B'], seats: 2, quorum: { num: 1, den: 2, atLeast: true } },
      { form: 'ranking', rule: 'borda', options: ['A', 'B'], title: 'Priorities' },
    ];
    for (const q of good) expect(QuestionSchema.safeParse(q).success, JSON.stringify(q)).toBe(true);
  });

  it('explains what is wrong, field by field', () => {
    expect(problems({ form: 'poll', rule: 'choice' })).toContain('form must be one of');
    expect(problems({ form: 'for-against-abstain', rule: 'choice' })).toContain('For this form the rule must be');
    expect(problems({ form: 'for-against-abstain', rule: { kind: 'qualified', num: 3, den: 2, base: 'present' } })).toContain('must not exceed 1');
    expect(problems({ form: 'one-of', rule: 'choice', options: ['A', 'A'] })).toContain('listed twice');
    expect(problems({ form: 'one-of', rule: 'choice', options: ['invalid'] })).toContain('may not be named invalid');
    expect(problems({ form: 'one-of', rule: 'majority-present', base: 'register', options: ['A'] })).toContain('base is used only with rule "choice"');
    expect(problems({ form: 'for-against-abstain', rule: 'majority-present', class: 'secured' })).toContain('class is used only');
    expect(problems({ form: 'up-to-k', rule: 'choice', options: ['A'], k: 2 })).toContain('k (2) must not exceed');
    expect(problems({ form: 'cumulative', rule: 'cumulative-election', options: ['A'], seats: 2 })).toContain('seats (2) must not exceed');
    expect(problems({ form: 'cumulative', rule: 'choice', options: ['A'], seats: 1 })).toContain('cumulative-election');
    expect(problems({ form: 'date', rule: 'choice', options: ['2025-02-30'] })).toContain('real date');
    expect(problems({ form: 'number', rule: 'choice', min: 5, max: 1 })).toContain('max must not be below min');
    expect(problems({ form: 'for-against-abstain', rule: 'majority-present', securedVotes: true })).toContain('"securedVotes" is not used');
  });
});

describe('parseCase', () => {
  const base = {
    register: [{ id: 'A', votes: '10.00' }],
    present: ['A'],
    question: { form: 'for-against-abstain', rule: 'majority-present' },
    ballots: [{ voter: 'A', choice: 'for' }],
  };

  it('ignores extra keys such as expected and description', () => {
    expect(parseCase({ ...base, expected: { outcome: 'adopted' }, description: 'x' }).ok).toBe(true);
  });

  it('refuses duplicate register ids and admissions outside the register', () => {
    const r = parseCase({ ...base, register: [{ id: 'A', votes: '1' }, { id: 'A', votes: '2' }], present: ['A', 'B', 'A'] });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toContain('register[1].id: Register id "A" appears twice.');
    expect(r.message).toContain('present[1]: "B" is admitted but not in the register.');
    expect(r.message).toContain('present[2]: "A" is admitted twice.');
  });

  it('refuses a ballot without a choice', () => {
    const r = parseCase({ ...base, ballots: [{ voter: 'A' }] });
    expect(r).toMatchObject({ ok: false, message: 'ballots[0].choice: Each ballot needs a choice.' });
  });
});
