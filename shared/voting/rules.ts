import { describeShare, MORE_THAN_HALF, neededFor, share, type Share } from './fraction.ts';
import { formatAmount } from './money.ts';
import type { Base, ThresholdReport } from './outcome.ts';
import type { Quorum } from './quorum.ts';
import type { Question } from './schemas.ts';

/** The threshold a rule sets: a share of present or register weight. */
export interface Threshold {
  readonly base: Base;
  readonly share: Share;
}

const ALL: Share = share(1, 1, true);

/** The threshold of the question's rule, or null for rules decided by ranking (cumulative election, Borda). */
export function thresholdOf(q: Question): Threshold | null {
  const rule = q.rule;
  if (typeof rule === 'object') return { base: rule.base, share: share(rule.num, rule.den, rule.atLeast ?? false) };
  switch (rule) {
    case 'majority-present':
      return { base: 'present', share: MORE_THAN_HALF };
    case 'majority-register':
    case 'majority-register-with-class':
      return { base: 'register', share: MORE_THAN_HALF };
    case 'unanimity':
      return { base: 'present', share: ALL };
    case 'choice':
      return { base: 'base' in q && q.base !== undefined ? q.base : 'present', share: MORE_THAN_HALF };
    case 'cumulative-election':
    case 'borda':
      return null;
    default: {
      const unreachable: never = rule;
      return unreachable;
    }
  }
}

/** Applies a threshold to this vote's quorum numbers. */
export function thresholdReport(t: Threshold, quorum: Quorum): ThresholdReport {
  const of = t.base === 'present' ? quorum.present : quorum.total;
  return { base: t.base, of, share: t.share, needed: neededFor(of, t.share) };
}

/** Words for a threshold with its numbers, e.g. "more than 1/2 of the present weight 1000.00 (needed 500.01)". */
export function describeThreshold(t: ThresholdReport): string {
  const where = t.base === 'present' ? 'the present weight' : 'the register weight';
  return `${describeShare(t.share)} of ${where} ${formatAmount(t.of)} (needed ${formatAmount(t.needed)})`;
}

/** Quotes an option for an explanation. */
export function quoteOption(option: string): string {
  return JSON.stringify(option);
}
