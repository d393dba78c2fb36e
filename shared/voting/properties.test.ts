import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LedgerBallot } from './ballots.ts';
import { validateChoice } from './forms.ts';
import { formatAmount } from './money.ts';
import { mayVote, votingWeight, type RegisterEntry } from './quorum.ts';
import { toReport } from './report.ts';
import { BINARY_RULES, OPTION_RULES, QuestionSchema, type Question } from './schemas.ts';
import { tally, type TallyInput } from './tally.ts';

/** Seeded and sized so a failure reproduces; fast-check prints the seed and path. */
const RUNS = { numRuns: 300 } as const;
const IDS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'] as const;
const UNKNOWN = 'zz';

// Round weights make ties (seat ties, ties for first) frequent; huge ones test exactness.
const weightArb = fc.oneof(
  { arbitrary: fc.constantFrom(100n, 200n, 300n, 100_000n), weight: 3 },
  { arbitrary: fc.bigInt({ min: 0n, max: 100_000_00n }), weight: 1 },
  { arbitrary: fc.bigInt({ min: 0n, max: 10n ** 17n }), weight: 1 }, // up to 10^15 rubles: past 2^53 kopecks
);
const registerArb: fc.Arbitrary<RegisterEntry[]> = fc.uniqueArray(
  fc.record({ id: fc.constantFrom(...IDS), votes: weightArb, secured: fc.boolean() }),
  { selector: (r) => r.id, minLength: 1, maxLength: IDS.length },
);

const optionsArb = fc.uniqueArray(fc.constantFrom('A', 'B', 'C', 'D', 'E'), { minLength: 2, maxLength: 5 });
const qualifiedArb = fc.record({
  kind: fc.constant('qualified' as const),
  num: fc.integer({ min: 1, max: 4 }),
  den: fc.constant(4),
  base: fc.constantFrom('present' as const, 'register' as const),
  atLeast: fc.boolean(),
});
const securedVoteArb = fc.option(fc.boolean(), { nil: undefined });
const quorumArb = fc.option(fc.record({ num: fc.integer({ min: 0, max: 3 }), den: fc.constant(4), atLeast: fc.boolean() }), { nil: undefined });

const binaryQuestionArb = fc.record({
  form: fc.constantFrom('for-against-abstain' as const, 'split' as const, 'approve-document' as const),
  rule: fc.oneof(fc.constantFrom(...BINARY_RULES), qualifiedArb),
  securedVote: securedVoteArb,
  quorum: quorumArb,
});
const optionQuestionArb = fc
  .record({
    form: fc.constantFrom('one-of' as const, 'wording' as const, 'up-to-k' as const, 'number' as const),
    rule: fc.oneof(fc.constantFrom(...OPTION_RULES), qualifiedArb),
    options: optionsArb,
    kSeed: fc.nat(),
    base: fc.constantFrom('present' as const, 'register' as const),
    securedVote: securedVoteArb,
  })
  .map(({ form, rule, options, kSeed, base, securedVote }) => {
    const baseField = rule === 'choice' ? { base } : {};
    if (form === 'number') return { form, rule, min: '-100', max: 1000, securedVote, ...baseField };
    if (form === 'up-to-k') return { form, rule, options, k: 1 + (kSeed % options.length), securedVote, ...baseField };
    return { form, rule, options, securedVote, ...baseField };
  });
const electionQuestionArb = fc.oneof(
  fc.record({ form: fc.constant('cumulative' as const), rule: fc.constant('cumulative-election' as const), options: optionsArb, seatSeed: fc.nat() })
    .map(({ seatSeed, ...q }) => ({ ...q, seats: 1 + (seatSeed % q.options.length) })),
  fc.record({ form: fc.constant('ranking' as const), rule: fc.constant('borda' as const), options: optionsArb }),
);
const parsed = (raw: unknown): Question => QuestionSchema.parse(raw);
const questionArb = fc.oneof(binaryQuestionArb, optionQuestionArb, electionQuestionArb).map(parsed);

/** Valid and invalid choices alike: the engine must stay consistent for both. */
function choiceArb(q: Question, weight: bigint): fc.Arbitrary<unknown> {
  const vote = fc.constantFrom<unknown>('for', 'for', 'for', 'against', 'abstain', 'maybe');
  switch (q.form) {
    case 'for-against-abstain':
      return vote;
    case 'split':
      return fc.oneof(
        vote,
        fc.tuple(fc.bigInt({ min: 0n, max: weight }), fc.bigInt({ min: 0n, max: weight }), fc.boolean()).map(([f, a, exact]) => {
          const against = a > weight - f ? weight - f : a;
          const abstain = weight - f - against + (exact ? 0n : 1n);
          return { for: formatAmount(f), against: formatAmount(against), abstain: formatAmount(abstain) };
        }),
      );
    case 'approve-document':
      return fc.constantFrom<unknown>({ decision: 'approve' }, { decision: 'approve' }, { decision: 'reject', reason: 'no' }, { decision: 'reject', reason: ' ' });
    case 'one-of':
    case 'date':
    case 'wording':
      return fc.constantFrom<unknown>(...q.options, 'nope');
    case 'up-to-k':
      return fc.oneof(fc.subarray([...q.options]), fc.constant(['nope']));
    case 'cumulative': {
      const budget = weight * BigInt(q.seats);
      const amount = fc.oneof(fc.constant(weight), fc.bigInt({ min: 0n, max: budget > 0n ? budget : 1n }));
      const spend = fc.tuple(fc.constantFrom(...q.options), amount);
      return fc.array(spend, { maxLength: 4 }).map((pairs) => Object.fromEntries(pairs.map(([o, v]) => [o, formatAmount(v)])));
    }
    case 'ranking':
      return fc.oneof(fc.shuffledSubarray([...q.options], { minLength: q.options.length }), fc.shuffledSubarray([...q.options]));
    case 'number':
      return fc.oneof(fc.integer({ min: -200, max: 1200 }), fc.constantFrom<unknown>('12.50', '12.5', 'x', '1.001'));
    default: {
      const unreachable: never = q;
      return unreachable;
    }
  }
}

const inputArb = (questions: fc.Arbitrary<Question>): fc.Arbitrary<TallyInput & { ballots: LedgerBallot[]; present: string[] }> =>
  fc.tuple(registerArb, questions).chain(([register, question]) => {
    const ids = register.map((r) => r.id);
    const weights = new Map(register.map((r) => [r.id, r.votes]));
    const ballot = fc
      .constantFrom(...ids, ...ids, UNKNOWN)
      .chain((voter) => choiceArb(question, weights.get(voter) ?? 100n).map((choice): LedgerBallot => ({ voter, choice })));
    return fc.record({
      register: fc.constant(register),
      question: fc.constant(question),
      present: fc.oneof(fc.constant(ids), fc.subarray(ids)),
      ballots: fc.array(ballot, { maxLength: 20 }),
    });
  });

function lastPerVoter(ballots: readonly LedgerBallot[]): LedgerBallot[] {
  const last = new Map<string, LedgerBallot>();
  for (const b of ballots) {
    last.delete(b.voter);
    last.set(b.voter, b);
  }
  return [...last.values()];
}

const report = (input: TallyInput): ReturnType<typeof toReport> => toReport(tally(input));

describe('voting engine properties', () => {
  it('permuting ballots from distinct voters never changes a result', () => {
    const arb = inputArb(questionArb).chain((input) => {
      const distinct = lastPerVoter(input.ballots);
      return fc
        .shuffledSubarray(distinct, { minLength: distinct.length, maxLength: distinct.length })
        .map((shuffled) => ({ input: { ...input, ballots: distinct }, shuffled }));
    });
    fc.assert(
      fc.property(arb, ({ input, shuffled }) => {
        expect(report({ ...input, ballots: shuffled })).toEqual(report(input));
      }),
      RUNS,
    );
  });

  it('the last ballot of each voter is the one counted', () => {
    fc.assert(
      fc.property(inputArb(questionArb), (input) => {
        expect(report(input)).toEqual(report({ ...input, ballots: lastPerVoter(input.ballots) }));
      }),
      RUNS,
    );
  });

  it('adding a "for" never turns adopted into rejected', () => {
    const arb = inputArb(binaryQuestionArb.map(parsed)).chain((input) => fc.record({ input: fc.constant(input), voter: fc.constantFrom(...input.present, UNKNOWN) }));
    fc.assert(
      fc.property(arb, ({ input, voter }) => {
        const yes = input.question.form === 'approve-document' ? { decision: 'approve' } : 'for';
        const before = tally(input);
        const after = tally({ ...input, ballots: [...input.ballots, { voter, choice: yes }] });
        expect(after.counts[0]?.[1] ?? 0n).toBeGreaterThanOrEqual(before.counts[0]?.[1] ?? 0n);
        if (before.outcome === 'adopted') expect(after.outcome).toBe('adopted');
      }),
      RUNS,
    );
  });

  it('totals always equal the sum of weights', () => {
    fc.assert(
      fc.property(inputArb(questionArb), (input) => {
        const r = tally(input);
        const present = new Set(input.present);
        const weights = input.register.map((row) => votingWeight(row, input.question));
        expect(r.quorum.total).toBe(weights.reduce((s, w) => s + w, 0n));
        expect(r.quorum.present).toBe(input.register.reduce((s, row, i) => s + (present.has(row.id) ? (weights[i] ?? 0n) : 0n), 0n));
        const counts = new Map(r.counts);
        expect(counts.get('invalid')).toBe(r.invalid.present + r.invalid.notPresent);
        const accounted = r.counts.filter(([k]) => k !== 'invalid').reduce((s, [, v]) => s + v, 0n) + r.invalid.present + r.notVoted;
        switch (input.question.form) {
          case 'for-against-abstain':
          case 'split':
          case 'approve-document':
          case 'one-of':
          case 'date':
          case 'wording':
          case 'number':
            // Each admitted voter's weight lands in exactly one place.
            expect(accounted).toBe(r.quorum.present);
            break;
          case 'up-to-k':
          case 'cumulative':
          case 'ranking':
            expect(accounted).toBeGreaterThanOrEqual(0n);
            break;
          default: {
            const unreachable: never = input.question;
            throw new Error(`unhandled ${JSON.stringify(unreachable)}`);
          }
        }
      }),
      RUNS,
    );
  });

  it('a cumulative ballot never spends more than weight x seats', () => {
    const arb = inputArb(electionQuestionArb.map(parsed).filter((q) => q.form === 'cumulative'));
    fc.assert(
      fc.property(arb, (input) => {
        const q = input.question;
        if (q.form !== 'cumulative') return;
        const seats = BigInt(q.seats);
        const weights = new Map(input.register.map((r) => [r.id, r.votes]));
        for (const b of input.ballots) {
          const w = weights.get(b.voter) ?? 100n;
          const spent = Object.values(b.choice as Record<string, string>).reduce((s, v) => s + BigInt(v.replace('.', '')), 0n);
          const r = validateChoice(q, b.choice, w);
          expect(r.ok).toBe(spent <= w * seats);
        }
        const result = tally(input);
        const given = result.counts.filter(([k]) => k !== 'invalid').reduce((s, [, v]) => s + v, 0n);
        expect(given).toBeLessThanOrEqual(result.quorum.present * seats);
      }),
      RUNS,
    );
  });

  it('a secured row without a vote never moves the numbers', () => {
    const arb = inputArb(questionArb.filter((q) => q.securedVote !== true && q.rule !== 'majority-register-with-class'));
    fc.assert(
      fc.property(arb, (input) => {
        const silent = input.register.filter((r) => !mayVote(r, input.question)).map((r) => r.id);
        const without = input.ballots.filter((b) => !silent.includes(b.voter));
        const a = report(input);
        const b = report({ ...input, ballots: without });
        expect({ ...a, rejected: [] }).toEqual({ ...b, rejected: [] });
      }),
      RUNS,
    );
  });
});
