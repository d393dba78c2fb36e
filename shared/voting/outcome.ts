import type { Share } from './fraction.ts';

/** What a vote decided. */
export type Outcome = 'adopted' | 'rejected' | 'no-decision';

/** Why, as a code the protocol can translate. */
export type OutcomeReason =
  | 'no-quorum'
  | 'threshold-met'
  | 'threshold-not-met'
  | 'class-consent-missing'
  | 'tie'
  | 'no-votes'
  | 'seats-filled'
  | 'seat-tie'
  | 'seats-unfilled'
  | 'highest-score';

/** The weight a rule measures "for" against. */
export type Base = 'present' | 'register';

/** The threshold applied, with the numbers: `needed` is the least amount that passes. */
export interface ThresholdReport {
  readonly base: Base;
  readonly of: bigint;
  readonly share: Share;
  readonly needed: bigint;
}

/** Consent of a class (secured creditors): every member must vote "for" with the whole claim. */
export interface ClassConsent {
  readonly class: 'secured';
  readonly members: readonly string[];
  readonly consented: readonly string[];
  readonly missing: readonly string[];
}

/** What a form family's decider returns before the quorum and ballot bookkeeping are added. */
export interface Decision {
  readonly outcome: Outcome;
  readonly reason: OutcomeReason;
  /** Counts in display order, without `invalid`. */
  readonly counts: ReadonlyArray<readonly [string, bigint]>;
  readonly winners?: readonly string[];
  readonly tied?: readonly string[];
  readonly seats?: { readonly total: number; readonly filled: number };
  readonly threshold?: ThresholdReport;
  readonly classConsent?: ClassConsent;
  readonly median?: bigint;
  readonly rejectReasons?: ReadonlyArray<{ readonly voter: string; readonly reason: string }>;
  readonly explanation: string;
}
