import type { CountedBallot } from './ballots.ts';
import { reaches } from './fraction.ts';
import { formatAmount } from './money.ts';
import type { Decision, ThresholdReport } from './outcome.ts';
import type { Quorum } from './quorum.ts';
import { describeThreshold, quoteOption, thresholdOf, thresholdReport } from './rules.ts';
import { rankByVotes, selectTop, type Ranked } from './seats.ts';
import type { Question } from './schemas.ts';

/**
 * Questions that pick among options (one-of, date, wording, number, up-to-k): each
 * picked option receives the voter's whole weight, and an option wins only past the
 * rule's threshold; a plurality alone never wins, a tie for first decides nothing.
 */

type OptionQuestion = Extract<Question, { form: 'one-of' | 'date' | 'wording' | 'number' | 'up-to-k' }>;

function tallyOptions(question: OptionQuestion, counted: readonly CountedBallot[]): { counts: Ranked; values: Map<string, bigint> } {
  const votes = new Map<string, bigint>();
  if (question.form !== 'number') for (const o of question.options) votes.set(o, 0n);
  // Number ballots are counted per distinct value, keyed by its two-decimal text.
  const values = new Map<string, bigint>();
  for (const b of counted) {
    if (b.choice.kind === 'number') values.set(formatAmount(b.choice.value), b.choice.value);
    const keys = b.choice.kind === 'options' ? b.choice.picks : b.choice.kind === 'number' ? [formatAmount(b.choice.value)] : [];
    for (const k of keys) votes.set(k, (votes.get(k) ?? 0n) + b.weight);
  }
  const counts = [...votes.entries()];
  if (question.form === 'number') {
    const at = (key: string): bigint => values.get(key) ?? 0n;
    counts.sort(([a], [b]) => (at(a) === at(b) ? 0 : at(a) < at(b) ? -1 : 1));
  }
  return { counts, values };
}

/** The lower weighted median of number ballots: the least value with at least half the weight at or below it. */
export function weightedMedian(counts: Ranked, values: ReadonlyMap<string, bigint>): bigint | undefined {
  const total = counts.reduce((s, [, v]) => s + v, 0n);
  if (total === 0n) return undefined;
  let running = 0n;
  for (const [key, v] of counts) {
    running += v;
    if (running * 2n >= total) return values.get(key);
  }
  return undefined;
}

function decideOne(counts: Ranked, threshold: ThresholdReport): Omit<Decision, 'counts'> {
  const ranked = rankByVotes(counts);
  const top = ranked[0]?.[1] ?? 0n;
  if (top === 0n) return { outcome: 'no-decision', reason: 'no-votes', threshold, explanation: 'No option received votes: no decision.' };
  const leaders = ranked.filter(([, v]) => v === top).map(([o]) => o);
  if (leaders.length > 1) {
    return {
      outcome: 'no-decision',
      reason: 'tie',
      threshold,
      tied: leaders,
      explanation: `${leaders.map(quoteOption).join(', ')} tie for first with ${formatAmount(top)}: no decision.`,
    };
  }
  const leader = leaders[0] ?? '';
  if (!reaches(top, threshold.of, threshold.share)) {
    return {
      outcome: 'no-decision',
      reason: 'threshold-not-met',
      threshold,
      explanation: `${quoteOption(leader)} leads with ${formatAmount(top)}, not ${describeThreshold(threshold)}; a plurality alone never wins: no decision.`,
    };
  }
  return {
    outcome: 'adopted',
    reason: 'threshold-met',
    threshold,
    winners: [leader],
    explanation: `${quoteOption(leader)} has ${formatAmount(top)}, ${describeThreshold(threshold)}: adopted.`,
  };
}

function decideUpToK(counts: Ranked, threshold: ThresholdReport, k: number): Omit<Decision, 'counts'> {
  const passing = rankByVotes(counts.filter(([, v]) => v > 0n && reaches(v, threshold.of, threshold.share)));
  if (passing.length === 0) {
    return { outcome: 'no-decision', reason: 'threshold-not-met', threshold, winners: [], explanation: `No option has ${describeThreshold(threshold)}: no decision.` };
  }
  const { elected, tied } = selectTop(passing, k);
  const list = elected.map(quoteOption).join(', ') || 'none';
  if (tied.length > 0) {
    return {
      outcome: 'no-decision',
      reason: 'seat-tie',
      threshold,
      winners: elected,
      tied,
      explanation: `${list} ${elected.length === 1 ? 'has' : 'have'} ${describeThreshold(threshold)}; ${tied.map(quoteOption).join(', ')} also pass but tie for the last of ${k} places: no decision.`,
    };
  }
  return { outcome: 'adopted', reason: 'threshold-met', threshold, winners: elected, explanation: `${list} ${elected.length === 1 ? 'has' : 'have'} ${describeThreshold(threshold)}: adopted.` };
}

/** Counts an option question and applies its rule. */
export function decideOptions(question: OptionQuestion, quorum: Quorum, counted: readonly CountedBallot[]): Decision {
  const rule = thresholdOf(question);
  if (rule === null) throw new Error(`rule ${JSON.stringify(question.rule)} has no threshold for an option form`);
  const threshold = thresholdReport(rule, quorum);
  const { counts, values } = tallyOptions(question, counted);
  const decided = question.form === 'up-to-k' ? decideUpToK(counts, threshold, question.k) : decideOne(counts, threshold);
  if (question.form !== 'number') return { ...decided, counts };
  const median = weightedMedian(counts, values);
  return median === undefined ? { ...decided, counts } : { ...decided, counts, median };
}
