import { sortBallots, VotingInputError, type InvalidBallot, type LedgerBallot, type RejectedVoter } from './ballots.ts';
import { decideBinary } from './binary.ts';
import { decideBorda } from './borda.ts';
import { describeShare } from './fraction.ts';
import { formatAmount } from './money.ts';
import { decideOptions } from './options.ts';
import type { Decision } from './outcome.ts';
import { computeQuorum, type Quorum, type RegisterEntry } from './quorum.ts';
import type { Question } from './schemas.ts';
import { decideCumulative } from './seats.ts';

/** Everything a tally needs: the register, who is admitted, the question, and the ballots in ledger order. */
export interface TallyInput {
  readonly register: readonly RegisterEntry[];
  readonly present: Iterable<string>;
  readonly question: Question;
  readonly ballots: readonly LedgerBallot[];
}

/** A tally with every number behind its outcome (amounts in kopecks). */
export interface TallyResult extends Omit<Decision, 'counts'> {
  readonly quorum: Quorum;
  /** Counts in display order, ending with `invalid`. */
  readonly counts: ReadonlyArray<readonly [string, bigint]>;
  /** Voting weight of admitted voters who cast no ballot (still in a present-based denominator). */
  readonly notVoted: bigint;
  /** Invalid weight split by whether the voter was admitted; `counts.invalid` is their sum. */
  readonly invalid: { readonly present: bigint; readonly notPresent: bigint; readonly ballots: readonly InvalidBallot[] };
  /** Ballots ignored: unknown voters and rows with no vote on this question. */
  readonly rejected: readonly RejectedVoter[];
}

function decide(question: Question, quorum: Quorum, register: readonly RegisterEntry[], counted: Parameters<typeof decideBinary>[3]): Decision {
  switch (question.form) {
    case 'for-against-abstain':
    case 'split':
    case 'approve-document':
      return decideBinary(question, quorum, register, counted);
    case 'one-of':
    case 'date':
    case 'wording':
    case 'number':
    case 'up-to-k':
      return decideOptions(question, quorum, counted);
    case 'cumulative':
      return decideCumulative(question, counted);
    case 'ranking':
      return decideBorda(question, counted);
    default: {
      const unreachable: never = question;
      return unreachable;
    }
  }
}

function withoutQuorum(decision: Decision, quorum: Quorum): Decision {
  const { winners: _winners, tied: _tied, seats: _seats, ...rest } = decision;
  return {
    ...rest,
    outcome: 'no-decision',
    reason: 'no-quorum',
    explanation:
      `No quorum: the admitted hold ${formatAmount(quorum.present)} of ${formatAmount(quorum.total)} voting weight; ` +
      `${describeShare(quorum.share)} (${formatAmount(quorum.needed)}) is needed: no decision.`,
  };
}

/** Tallies one vote from ledger-ordered ballots: the last ballot of each voter counts; pure and exact. */
export function tally(input: TallyInput): TallyResult {
  const present = new Set(input.present);
  const known = new Set(input.register.map((r) => r.id));
  for (const id of present) {
    if (!known.has(id)) throw new VotingInputError(`admitted voter ${JSON.stringify(id)} is not in the register`);
  }
  const sorted = sortBallots(input.register, present, input.question, input.ballots);
  const quorum = computeQuorum(input.register, present, input.question);
  const decided = decide(input.question, quorum, input.register, sorted.counted);
  const decision = quorum.reached ? decided : withoutQuorum(decided, quorum);

  let invalidPresent = 0n;
  let invalidNotPresent = 0n;
  for (const b of sorted.invalid) {
    if (b.present) invalidPresent += b.weight;
    else invalidNotPresent += b.weight;
  }
  return {
    ...decision,
    quorum,
    counts: [...decision.counts, ['invalid', invalidPresent + invalidNotPresent]],
    notVoted: sorted.notVoted,
    invalid: { present: invalidPresent, notPresent: invalidNotPresent, ballots: sorted.invalid },
    rejected: sorted.rejected,
  };
}
