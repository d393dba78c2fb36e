import type { Share } from './fraction.ts';
import { formatAmount } from './money.ts';
import type { Outcome, OutcomeReason } from './outcome.ts';
import type { TallyResult } from './tally.ts';

/** A share as JSON: num/den and whether it is inclusive. */
export interface ShareJson {
  readonly num: number;
  readonly den: number;
  readonly atLeast: boolean;
}

/** A tally as JSON, amounts as decimal strings ("1500000.50"): what the CLI prints and the protocol records. */
export interface TallyReport {
  readonly quorum: { readonly present: string; readonly total: string; readonly reached: boolean; readonly needed: string; readonly share: ShareJson };
  readonly outcome: Outcome;
  readonly reason: OutcomeReason;
  readonly winners?: readonly string[];
  readonly tied?: readonly string[];
  readonly seats?: { readonly total: number; readonly filled: number };
  readonly counts: Readonly<Record<string, string>>;
  readonly threshold?: { readonly base: 'present' | 'register'; readonly of: string; readonly needed: string; readonly share: ShareJson };
  readonly classConsent?: { readonly class: 'secured'; readonly members: readonly string[]; readonly consented: readonly string[]; readonly missing: readonly string[] };
  readonly median?: string;
  readonly rejectReasons?: ReadonlyArray<{ readonly voter: string; readonly reason: string }>;
  readonly notVoted: string;
  readonly invalid: {
    readonly present: string;
    readonly notPresent: string;
    readonly ballots: ReadonlyArray<{ readonly voter: string; readonly present: boolean; readonly code: string; readonly message: string }>;
  };
  readonly rejected: ReadonlyArray<{ readonly voter: string; readonly reason: string }>;
  readonly explanation: string;
}

function shareJson(s: Share): ShareJson {
  return { num: Number(s.num), den: Number(s.den), atLeast: s.atLeast };
}

/** Renders a tally as JSON-safe data with exact decimal strings. */
export function toReport(r: TallyResult): TallyReport {
  return {
    quorum: {
      present: formatAmount(r.quorum.present),
      total: formatAmount(r.quorum.total),
      reached: r.quorum.reached,
      needed: formatAmount(r.quorum.needed),
      share: shareJson(r.quorum.share),
    },
    outcome: r.outcome,
    reason: r.reason,
    ...(r.winners === undefined ? {} : { winners: [...r.winners] }),
    ...(r.tied === undefined ? {} : { tied: [...r.tied] }),
    ...(r.seats === undefined ? {} : { seats: { ...r.seats } }),
    counts: Object.fromEntries(r.counts.map(([k, v]) => [k, formatAmount(v)])),
    ...(r.threshold === undefined
      ? {}
      : { threshold: { base: r.threshold.base, of: formatAmount(r.threshold.of), needed: formatAmount(r.threshold.needed), share: shareJson(r.threshold.share) } }),
    ...(r.classConsent === undefined ? {} : { classConsent: { ...r.classConsent } }),
    ...(r.median === undefined ? {} : { median: formatAmount(r.median) }),
    ...(r.rejectReasons === undefined ? {} : { rejectReasons: r.rejectReasons.map((x) => ({ ...x })) }),
    notVoted: formatAmount(r.notVoted),
    invalid: {
      present: formatAmount(r.invalid.present),
      notPresent: formatAmount(r.invalid.notPresent),
      ballots: r.invalid.ballots.map((b) => ({ voter: b.voter, present: b.present, code: b.code, message: b.message })),
    },
    rejected: r.rejected.map((x) => ({ ...x })),
    explanation: r.explanation,
  };
}
