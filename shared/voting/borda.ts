import type { CountedBallot } from './ballots.ts';
import { formatAmount } from './money.ts';
import type { Decision } from './outcome.ts';
import { quoteOption } from './rules.ts';
import { rankByVotes, type Ranked } from './seats.ts';
import type { Question } from './schemas.ts';

/**
 * Ranking by a weighted Borda count: with n options, a voter's first place earns
 * n-1 points, the last earns 0, each point worth the voter's weight. Scores are thus
 * weight x points, shown with two decimals like amounts. The highest score wins;
 * a tie for first decides nothing.
 */

/** Scores a ranking question and names the unique highest score. */
export function decideBorda(question: Extract<Question, { form: 'ranking' }>, counted: readonly CountedBallot[]): Decision {
  const n = question.options.length;
  const scores = new Map<string, bigint>(question.options.map((o) => [o, 0n]));
  for (const b of counted) {
    if (b.choice.kind !== 'ranking') continue;
    b.choice.order.forEach((option, place) => {
      scores.set(option, (scores.get(option) ?? 0n) + b.weight * BigInt(n - 1 - place));
    });
  }
  const counts: Ranked = question.options.map((o) => [o, scores.get(o) ?? 0n]);
  const ranked = rankByVotes(counts);
  const top = ranked[0]?.[1] ?? 0n;
  if (top === 0n) return { outcome: 'no-decision', reason: 'no-votes', counts, explanation: 'No rankings were counted: no decision.' };
  const leaders = ranked.filter(([, v]) => v === top).map(([o]) => o);
  if (leaders.length > 1) {
    return {
      outcome: 'no-decision',
      reason: 'tie',
      counts,
      tied: leaders,
      explanation: `${leaders.map(quoteOption).join(', ')} tie for the highest Borda score ${formatAmount(top)}: no decision.`,
    };
  }
  const winner = leaders[0] ?? '';
  return {
    outcome: 'adopted',
    reason: 'highest-score',
    counts,
    winners: [winner],
    explanation: `${quoteOption(winner)} has the highest Borda score ${formatAmount(top)} (weight x points): adopted.`,
  };
}
