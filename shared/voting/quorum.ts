import { MORE_THAN_HALF, neededFor, reaches, share, type Share } from './fraction.ts';
import type { Question } from './schemas.ts';

/** A register row as the engine sees it: weight in exact kopecks. */
export interface RegisterEntry {
  readonly id: string;
  readonly votes: bigint;
  readonly secured?: boolean | undefined;
}

/** The quorum of one vote, with the numbers behind it. */
export interface Quorum {
  /** Voting weight of the admitted. */
  readonly present: bigint;
  /** Voting weight of the whole register. */
  readonly total: bigint;
  readonly reached: boolean;
  readonly share: Share;
  /** Least present weight that makes the quorum. */
  readonly needed: bigint;
}

/** Whether the rule asks the secured class for its consent (settlement agreement, 127-FZ art. 150 p. 2). */
export function needsClassConsent(q: Question): boolean {
  return q.rule === 'majority-register-with-class';
}

/** Whether secured rows carry votes on this question: `securedVote`, defaulting to true only under the class rule. */
export function securedRowsVote(q: Question): boolean {
  return q.securedVote ?? needsClassConsent(q);
}

/** The weight a register row carries on this question (zero for a secured row that does not vote). */
export function votingWeight(row: RegisterEntry, q: Question): bigint {
  return row.secured === true && !securedRowsVote(q) ? 0n : row.votes;
}

/** Whether a row may cast a ballot on this question at all (voting weight, or a class whose consent is asked). */
export function mayVote(row: RegisterEntry, q: Question): boolean {
  return row.secured !== true || securedRowsVote(q) || needsClassConsent(q);
}

/** The quorum share of the question: more than half unless the preset says otherwise. */
export function quorumShare(q: Question): Share {
  return q.quorum === undefined ? MORE_THAN_HALF : share(q.quorum.num, q.quorum.den, q.quorum.atLeast ?? false);
}

/** Computes the quorum from the register and the admitted voters (ids not in the register add nothing). */
export function computeQuorum(register: readonly RegisterEntry[], present: ReadonlySet<string>, q: Question): Quorum {
  let total = 0n;
  let presentWeight = 0n;
  for (const row of register) {
    const w = votingWeight(row, q);
    total += w;
    if (present.has(row.id)) presentWeight += w;
  }
  const s = quorumShare(q);
  // A meeting with no voting weight at all is never competent, whatever the share.
  const reached = total > 0n && presentWeight > 0n && reaches(presentWeight, total, s);
  return { present: presentWeight, total, reached, share: s, needed: neededFor(total, s) };
}
