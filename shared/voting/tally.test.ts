import { describe, expect, it } from 'vitest';
import { VotingInputError, type LedgerBallot } from './ballots.ts';
import { neededFor, reaches, share } from './fraction.ts';
import type { RegisterEntry } from './quorum.ts';
import { toReport } from './report.ts';
import { QuestionSchema } from './schemas.ts';
import { selectTop } from './seats.ts';
import { tally } from './tally.ts';

const rub = (n: number): bigint => BigInt(n) * 100n;

function run(register: RegisterEntry[], present: string[], question: unknown, ballots: LedgerBallot[]) {
  return toReport(tally({ register, present, question: QuestionSchema.parse(question), ballots }));
}

describe('fractions', () => {
  it('compares by cross-multiplication, strict or inclusive', () => {
    expect(reaches(501n, 1000n, share(1, 2))).toBe(true);
    expect(reaches(500n, 1000n, share(1, 2))).toBe(false);
    expect(reaches(500n, 1000n, share(1, 2, true))).toBe(true);
    expect(reaches(666n, 999n, share(2, 3))).toBe(false);
    expect(neededFor(1000n, share(1, 2))).toBe(501n);
    expect(neededFor(1000n, share(2, 3, true))).toBe(667n);
    expect(neededFor(999n, share(2, 3, true))).toBe(666n);
  });
});

describe('selectTop', () => {
  it('leaves the last seats unfilled when a tie crosses the line', () => {
    const ranked = [['A', 10n], ['B', 8n], ['C', 8n], ['D', 8n]] as const;
    expect(selectTop(ranked, 3)).toEqual({ elected: ['A'], tied: ['B', 'C', 'D'] });
    expect(selectTop(ranked, 4)).toEqual({ elected: ['A', 'B', 'C', 'D'], tied: [] });
    expect(selectTop(ranked, 1)).toEqual({ elected: ['A'], tied: [] });
  });
});

describe('tally', () => {
  const faa = { form: 'for-against-abstain', rule: 'majority-present' };

  it('refuses input only a bug can produce', () => {
    const q = QuestionSchema.parse(faa);
    const dup = [{ id: 'a', votes: 1n }, { id: 'a', votes: 2n }];
    expect(() => tally({ register: dup, present: [], question: q, ballots: [] })).toThrow(VotingInputError);
    expect(() => tally({ register: [{ id: 'a', votes: 1n }], present: ['b'], question: q, ballots: [] })).toThrow(/not in the register/);
  });

  it('never finds a quorum in an empty register', () => {
    const r = run([{ id: 'a', votes: 0n }], ['a'], { ...faa, quorum: { num: 0, den: 1, atLeast: true } }, [{ voter: 'a', choice: 'for' }]);
    expect(r).toMatchObject({ outcome: 'no-decision', reason: 'no-quorum', quorum: { reached: false, total: '0.00' } });
  });

  it('a partial "for" from a secured creditor is no consent', () => {
    const register = [{ id: 's', votes: rub(100), secured: true }, { id: 'u', votes: rub(900) }];
    const q = { form: 'split', rule: 'majority-register-with-class' };
    const r = run(register, ['s', 'u'], q, [
      { voter: 's', choice: { for: '99.99', against: '0.01' } },
      { voter: 'u', choice: 'for' },
    ]);
    expect(r).toMatchObject({ outcome: 'rejected', reason: 'class-consent-missing', classConsent: { missing: ['s'] } });
    expect(r.counts).toEqual({ for: '999.99', against: '0.01', abstain: '0.00', invalid: '0.00' });
  });

  it('a class with no members consents trivially', () => {
    const r = run([{ id: 'u', votes: rub(10) }], ['u'], { ...faa, rule: 'majority-register-with-class' }, [{ voter: 'u', choice: 'for' }]);
    expect(r).toMatchObject({ outcome: 'adopted', classConsent: { members: [], missing: [] } });
  });

  it('lists invalid ballots with the reason the voter was given', () => {
    const r = run([{ id: 'a', votes: rub(6) }, { id: 'b', votes: rub(4) }], ['a'], faa, [
      { voter: 'a', choice: 'yes' },
      { voter: 'b', choice: 'for' },
    ]);
    expect(r.invalid).toEqual({
      present: '6.00',
      notPresent: '4.00',
      ballots: [
        { voter: 'a', present: true, code: 'malformed', message: 'Choose "for", "against" or "abstain".' },
        { voter: 'b', present: false, code: 'not-present', message: 'The voter was not admitted to this vote.' },
      ],
    });
  });

  it('explains the outcome with its numbers', () => {
    const r = run([{ id: 'a', votes: rub(600) }, { id: 'b', votes: rub(400) }], ['a', 'b'], faa, [{ voter: 'a', choice: 'for' }]);
    expect(r.explanation).toBe('For 600.00 is more than 1/2 of the present weight 1000.00 (needed 500.01): adopted.');
    expect(r.threshold).toEqual({ base: 'present', of: '1000.00', needed: '500.01', share: { num: 1, den: 2, atLeast: false } });
    expect(r.quorum).toEqual({ present: '1000.00', total: '1000.00', reached: true, needed: '500.01', share: { num: 1, den: 2, atLeast: false } });
  });

  it('weights the Borda count by the voter weight', () => {
    const r = run([{ id: 'a', votes: rub(1) }, { id: 'b', votes: rub(3) }], ['a', 'b'], { form: 'ranking', rule: 'borda', options: ['X', 'Y', 'Z'] }, [
      { voter: 'a', choice: ['X', 'Y', 'Z'] },
      { voter: 'b', choice: ['Z', 'X', 'Y'] },
    ]);
    // X: 1*2 + 3*1 = 5; Y: 1*1 = 1; Z: 3*2 = 6.
    expect(r.counts).toEqual({ X: '5.00', Y: '1.00', Z: '6.00', invalid: '0.00' });
    expect(r.winners).toEqual(['Z']);
  });

  it('reports the weighted median of number ballots without letting it decide', () => {
    const register = [{ id: 'a', votes: rub(40) }, { id: 'b', votes: rub(35) }, { id: 'c', votes: rub(25) }];
    const r = run(register, ['a', 'b', 'c'], { form: 'number', rule: 'choice' }, [
      { voter: 'a', choice: 10 },
      { voter: 'b', choice: 20 },
      { voter: 'c', choice: '30' },
    ]);
    expect(r).toMatchObject({ outcome: 'no-decision', reason: 'threshold-not-met', median: '20.00' });
    expect(r.counts).toEqual({ '10.00': '40.00', '20.00': '35.00', '30.00': '25.00', invalid: '0.00' });
  });

  it('drops winners when there is no quorum but keeps the numbers', () => {
    const r = run([{ id: 'a', votes: rub(4) }, { id: 'b', votes: rub(6) }], ['a'], { form: 'one-of', rule: 'choice', options: ['X'] }, [
      { voter: 'a', choice: 'X' },
    ]);
    expect(r.winners).toBeUndefined();
    expect(r.counts).toEqual({ X: '4.00', invalid: '0.00' });
  });
});
