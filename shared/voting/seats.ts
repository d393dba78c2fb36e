import type { CountedBallot } from './ballots.ts';
import { formatAmount } from './money.ts';
import type { Decision } from './outcome.ts';
import { quoteOption } from './rules.ts';
import type { Question } from './schemas.ts';

/** Options with their votes, highest first (ties keep the question's order). */
export type Ranked = ReadonlyArray<readonly [string, bigint]>;

/** Sorts counted options by votes, highest first; equal votes keep their given order. */
export function rankByVotes(counts: Ranked): Ranked {
  return [...counts].sort((a, b) => (a[1] === b[1] ? 0 : a[1] > b[1] ? -1 : 1));
}

/**
 * Takes the top `seats` of a ranking. When the votes at the last seat are shared by
 * an option below the line, none of the options with those votes is taken: the law
 * gives no tie-break, so those seats stay unfilled (the organizer may call a run-off).
 */
export function selectTop(ranked: Ranked, seats: number): { elected: string[]; tied: string[] } {
  if (ranked.length <= seats) return { elected: ranked.map(([o]) => o), tied: [] };
  const cutoff = ranked[seats - 1]?.[1];
  const next = ranked[seats]?.[1];
  if (cutoff === undefined || cutoff !== next) return { elected: ranked.slice(0, seats).map(([o]) => o), tied: [] };
  return {
    elected: ranked.filter(([, v]) => v > cutoff).map(([o]) => o),
    tied: ranked.filter(([, v]) => v === cutoff).map(([o]) => o),
  };
}

/** Cumulative election: candidates with votes, top `seats` elected; a tie at the last seat or too few candidates is no decision. */
export function decideCumulative(question: Extract<Question, { form: 'cumulative' }>, counted: readonly CountedBallot[]): Decision {
  const votes = new Map<string, bigint>(question.options.map((o) => [o, 0n]));
  for (const b of counted) {
    if (b.choice.kind !== 'distribution') continue;
    for (const [candidate, v] of b.choice.votes) votes.set(candidate, (votes.get(candidate) ?? 0n) + v);
  }
  const counts: Ranked = question.options.map((o) => [o, votes.get(o) ?? 0n]);
  const withVotes = rankByVotes(counts.filter(([, v]) => v > 0n));
  const { elected, tied } = selectTop(withVotes, question.seats);
  const seats = { total: question.seats, filled: elected.length };
  const list = elected.map((o) => `${quoteOption(o)} (${formatAmount(votes.get(o) ?? 0n)})`).join(', ') || 'nobody';
  const head = `${question.seats} seat${question.seats === 1 ? '' : 's'}: elected ${list}`;
  if (tied.length > 0) {
    const at = formatAmount(votes.get(tied[0] ?? '') ?? 0n);
    return {
      outcome: 'no-decision',
      reason: 'seat-tie',
      counts,
      winners: elected,
      tied,
      seats,
      explanation: `${head}; ${tied.map(quoteOption).join(', ')} tie at ${at} for the last seat${question.seats - elected.length === 1 ? '' : 's'}, left unfilled: no decision.`,
    };
  }
  if (elected.length < question.seats) {
    return {
      outcome: 'no-decision',
      reason: 'seats-unfilled',
      counts,
      winners: elected,
      seats,
      explanation: `${head}; ${question.seats - elected.length} seat(s) unfilled for lack of candidates with votes: no decision.`,
    };
  }
  return { outcome: 'adopted', reason: 'seats-filled', counts, winners: elected, seats, explanation: `${head}: adopted.` };
}
