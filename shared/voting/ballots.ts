import { validateChoice, type ChoiceErrorCode, type CountedChoice } from './forms.ts';
import { mayVote, votingWeight, type RegisterEntry } from './quorum.ts';
import type { Question } from './schemas.ts';

/**
 * Reads the ledger: the last ballot of each voter replaces the earlier ones, then each
 * last ballot is counted, held invalid, or refused. The output is ordered by the
 * register, never by the ledger, so reordering distinct voters' ballots changes nothing.
 */

/** One ledger entry, in ledger order: the voter's register id and the raw choice. */
export interface LedgerBallot {
  readonly voter: string;
  readonly choice: unknown;
}

/** A valid last ballot of an admitted voter. */
export interface CountedBallot {
  readonly voter: string;
  /** Voting weight on this question (zero for a secured row asked only for class consent). */
  readonly weight: bigint;
  /** The row's claim, which split and cumulative budgets are measured against. */
  readonly claim: bigint;
  readonly secured: boolean;
  readonly choice: CountedChoice;
}

/** A last ballot that counts for no option: refused by its form, or cast by a register voter not admitted. */
export interface InvalidBallot {
  readonly voter: string;
  readonly weight: bigint;
  readonly present: boolean;
  readonly code: ChoiceErrorCode | 'not-present';
  readonly message: string;
}

/** Ballots ignored entirely: the voter is not in the register, or has no vote on this question. */
export interface RejectedVoter {
  readonly voter: string;
  readonly reason: 'unknown-voter' | 'no-voting-right';
}

/** The ledger sorted out. */
export interface SortedBallots {
  readonly counted: readonly CountedBallot[];
  readonly invalid: readonly InvalidBallot[];
  readonly rejected: readonly RejectedVoter[];
  /** Voting weight of admitted voters with no ballot. */
  readonly notVoted: bigint;
}

/** Thrown for input only a bug can produce (the hub owns the register): exceptions mean bugs. */
export class VotingInputError extends Error {
  override readonly name = 'VotingInputError';
}

/** Indexes the register by id, refusing duplicate ids. */
export function indexRegister(register: readonly RegisterEntry[]): ReadonlyMap<string, RegisterEntry> {
  const byId = new Map<string, RegisterEntry>();
  for (const row of register) {
    if (byId.has(row.id)) throw new VotingInputError(`register id ${JSON.stringify(row.id)} appears twice`);
    if (row.votes < 0n) throw new VotingInputError(`register id ${JSON.stringify(row.id)} has a negative weight`);
    byId.set(row.id, row);
  }
  return byId;
}

/** Keeps each voter's last ballot and classifies it against the register, the admitted and the question. */
export function sortBallots(
  register: readonly RegisterEntry[],
  present: ReadonlySet<string>,
  question: Question,
  ballots: readonly LedgerBallot[],
): SortedBallots {
  const byId = indexRegister(register);
  const last = new Map<string, LedgerBallot>();
  const rejected = new Map<string, RejectedVoter>();
  for (const ballot of ballots) {
    const row = byId.get(ballot.voter);
    if (row === undefined) rejected.set(ballot.voter, { voter: ballot.voter, reason: 'unknown-voter' });
    else if (!mayVote(row, question)) rejected.set(ballot.voter, { voter: ballot.voter, reason: 'no-voting-right' });
    else last.set(ballot.voter, ballot);
  }

  const counted: CountedBallot[] = [];
  const invalid: InvalidBallot[] = [];
  let notVoted = 0n;
  for (const row of register) {
    const weight = votingWeight(row, question);
    const admitted = present.has(row.id);
    const ballot = last.get(row.id);
    if (ballot === undefined) {
      if (admitted) notVoted += weight;
      continue;
    }
    if (!admitted) {
      invalid.push({ voter: row.id, weight, present: false, code: 'not-present', message: 'The voter was not admitted to this vote.' });
      continue;
    }
    const r = validateChoice(question, ballot.choice, row.votes);
    if (r.ok) counted.push({ voter: row.id, weight, claim: row.votes, secured: row.secured === true, choice: r.value });
    else invalid.push({ voter: row.id, weight, present: true, code: r.code, message: r.message });
  }
  const sortedRejected = [...rejected.values()].sort((a, b) => (a.voter < b.voter ? -1 : a.voter > b.voter ? 1 : 0));
  return { counted, invalid, rejected: sortedRejected, notVoted };
}
