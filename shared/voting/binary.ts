import type { CountedBallot } from './ballots.ts';
import { reaches } from './fraction.ts';
import { formatAmount } from './money.ts';
import type { ClassConsent, Decision } from './outcome.ts';
import { needsClassConsent, type Quorum, type RegisterEntry } from './quorum.ts';
import { describeThreshold, thresholdOf, thresholdReport } from './rules.ts';
import type { Question } from './schemas.ts';

/**
 * Yes/no questions (for-against-abstain, split, approve-document): "for" is measured
 * against the rule's base; whoever is admitted and did not vote "for" (against,
 * abstained, spoiled, silent) weighs against it under a present-based rule.
 */

/** Class consent: every secured row with a claim voted "for" with its whole claim; with no such rows it holds trivially. */
export function classConsent(register: readonly RegisterEntry[], counted: readonly CountedBallot[]): ClassConsent {
  const byVoter = new Map(counted.map((b) => [b.voter, b]));
  const members = register.filter((r) => r.secured === true && r.votes > 0n).map((r) => r.id);
  const consented = members.filter((id) => {
    const b = byVoter.get(id);
    return b !== undefined && b.choice.kind === 'binary' && b.choice.for === b.claim;
  });
  const missing = members.filter((id) => !consented.includes(id));
  return { class: 'secured', members, consented, missing };
}

/** Counts a yes/no question and applies its rule (and class consent where the rule asks for it). */
export function decideBinary(
  question: Question,
  quorum: Quorum,
  register: readonly RegisterEntry[],
  counted: readonly CountedBallot[],
): Decision {
  let forW = 0n;
  let againstW = 0n;
  let abstainW = 0n;
  const rejectReasons: Array<{ voter: string; reason: string }> = [];
  for (const b of counted) {
    if (b.choice.kind !== 'binary') continue;
    if (b.choice.reason !== undefined) rejectReasons.push({ voter: b.voter, reason: b.choice.reason });
    // A secured row asked only for consent has no voting weight: its parts count for nothing here.
    if (b.weight === 0n) continue;
    forW += b.choice.for;
    againstW += b.choice.against;
    abstainW += b.choice.abstain;
  }
  const counts: Array<readonly [string, bigint]> =
    question.form === 'approve-document'
      ? [['for', forW], ['against', againstW]]
      : [['for', forW], ['against', againstW], ['abstain', abstainW]];

  const rule = thresholdOf(question);
  if (rule === null) throw new Error(`rule ${JSON.stringify(question.rule)} has no threshold for a yes/no form`);
  const threshold = thresholdReport(rule, quorum);
  const passes = forW > 0n && reaches(forW, threshold.of, threshold.share);
  const consent = needsClassConsent(question) ? classConsent(register, counted) : undefined;
  const extras = {
    counts,
    threshold,
    ...(consent === undefined ? {} : { classConsent: consent }),
    ...(question.form === 'approve-document' ? { rejectReasons } : {}),
  };
  const numbers = `For ${formatAmount(forW)} is ${passes ? '' : 'not '}${describeThreshold(threshold)}`;
  if (!passes) return { ...extras, outcome: 'rejected', reason: 'threshold-not-met', explanation: `${numbers}: rejected.` };
  if (consent !== undefined && consent.missing.length > 0) {
    return {
      ...extras,
      outcome: 'rejected',
      reason: 'class-consent-missing',
      explanation: `${numbers}, but secured creditors ${consent.missing.join(', ')} did not vote "for" with their whole claims: rejected.`,
    };
  }
  return { ...extras, outcome: 'adopted', reason: 'threshold-met', explanation: `${numbers}: adopted.` };
}
