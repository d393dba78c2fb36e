/**
 * The voting rules engine: pure, exact (bigint kopecks), isomorphic. The hub
 * validates a question with `QuestionSchema`, a voter's choice with `validateChoice`,
 * and tallies ledger-ordered ballots with `tally` (then `toReport` for JSON).
 */
export { parseAmount, parseDecimal, formatAmount, sumAmounts, SCALE, MAX_INTEGER_DIGITS, type AmountErrorCode } from './money.ts';
export { ok, fail, type Result } from './result.ts';
export { share, reaches, neededFor, describeShare, MORE_THAN_HALF, type Share } from './fraction.ts';
export {
  QuestionSchema,
  QualifiedRuleSchema,
  QuorumSchema,
  ChoiceSchemas,
  RegisterRowSchema,
  BallotSchema,
  CaseSchema,
  AmountStringSchema,
  KopecksSchema,
  DecimalSchema,
  FORMS,
  BINARY_RULES,
  OPTION_RULES,
  RESERVED_OPTIONS,
  LIMITS,
  describeIssues,
  isIsoDate,
  type Form,
  type Question,
  type Rule,
  type QualifiedRule,
  type ChoiceOf,
  type Case,
} from './schemas.ts';
export { validateChoice, type CountedChoice, type ChoiceErrorCode, type ChoiceResult } from './forms.ts';
export {
  computeQuorum,
  votingWeight,
  mayVote,
  securedRowsVote,
  needsClassConsent,
  quorumShare,
  type Quorum,
  type RegisterEntry,
} from './quorum.ts';
export { thresholdOf, type Threshold } from './rules.ts';
export { sortBallots, VotingInputError, type LedgerBallot, type CountedBallot, type InvalidBallot, type RejectedVoter, type SortedBallots } from './ballots.ts';
export type { Outcome, OutcomeReason, Decision, ThresholdReport, ClassConsent, Base } from './outcome.ts';
export { tally, type TallyInput, type TallyResult } from './tally.ts';
export { toReport, type TallyReport, type ShareJson } from './report.ts';
export { parseCase, tallyCase } from './case.ts';
