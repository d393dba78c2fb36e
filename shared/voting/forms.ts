import type { z } from 'zod';
import { formatAmount, parseAmount, parseDecimal } from './money.ts';
import { fail, ok, type Result } from './result.ts';
import { ChoiceSchemas, type Form, type Question } from './schemas.ts';

/**
 * One validator per ballot form, shared by client and server: it turns a voter's raw
 * choice into what the tally counts, or refuses it with a reason the voter can read.
 */

/** A validated choice in the terms the tally counts. */
export type CountedChoice =
  /** Weight split over for/against/abstain (whole weight on one side unless the form is `split`). */
  | { readonly kind: 'binary'; readonly for: bigint; readonly against: bigint; readonly abstain: bigint; readonly reason?: string }
  /** Options each receiving the voter's full weight (one for one-of/date/wording, up to k for up-to-k). */
  | { readonly kind: 'options'; readonly picks: readonly string[] }
  /** Cumulative votes spread over candidates, in kopecks. */
  | { readonly kind: 'distribution'; readonly votes: ReadonlyMap<string, bigint> }
  /** A full ranking, best first. */
  | { readonly kind: 'ranking'; readonly order: readonly string[] }
  /** A number with two decimals, in hundredths. */
  | { readonly kind: 'number'; readonly value: bigint };

/** Why a choice was refused. */
export type ChoiceErrorCode =
  | 'malformed'
  | 'bad-amount'
  | 'unknown-option'
  | 'duplicate-option'
  | 'no-option'
  | 'too-many-options'
  | 'incomplete-ranking'
  | 'overspent'
  | 'split-sum-mismatch'
  | 'reason-required'
  | 'out-of-range';

/** The outcome of validating one choice. */
export type ChoiceResult = Result<CountedChoice, ChoiceErrorCode>;

const SHAPE_HINTS: Record<Form, string> = {
  'for-against-abstain': 'Choose "for", "against" or "abstain".',
  split: 'Choose "for", "against" or "abstain", or split your weight as { "for": "...", "against": "...", "abstain": "..." }.',
  'approve-document': 'Answer { "decision": "approve" } or { "decision": "reject", "reason": "..." }.',
  'one-of': 'Choose one option from the list.',
  date: 'Choose one of the proposed dates.',
  wording: 'Choose one of the proposed wordings.',
  'up-to-k': 'Choose a list of options.',
  cumulative: 'Distribute your votes as { "candidate": "amount" }.',
  ranking: 'Rank the options as a list, best first.',
  number: 'Enter a number, e.g. 1500 or "1500.50".',
};

function shapeError(form: Form, error: z.ZodError): ChoiceResult {
  // In split and cumulative choices every field is an amount: name the bad one.
  const amount = form === 'split' || form === 'cumulative' ? error.issues.find((i) => i.path.length > 0) : undefined;
  if (amount !== undefined) {
    const where = amount.path.length > 0 ? `${amount.path.map(String).join('.')}: ` : '';
    return fail('bad-amount', `${where}${amount.message}`);
  }
  return fail('malformed', SHAPE_HINTS[form]);
}

function whole(weight: bigint, side: 'for' | 'against' | 'abstain', reason?: string): CountedChoice {
  const parts = {
    for: side === 'for' ? weight : 0n,
    against: side === 'against' ? weight : 0n,
    abstain: side === 'abstain' ? weight : 0n,
  };
  return reason === undefined ? { kind: 'binary', ...parts } : { kind: 'binary', ...parts, reason };
}

function one(options: readonly string[], picked: string, noun: string): ChoiceResult {
  if (!options.includes(picked)) return fail('unknown-option', `${JSON.stringify(picked)} is not one of the proposed ${noun}.`);
  return ok({ kind: 'options', picks: [picked] });
}

function distinctKnown(options: readonly string[], picked: readonly string[]): ChoiceResult | null {
  const seen = new Set<string>();
  for (const p of picked) {
    if (!options.includes(p)) return fail('unknown-option', `${JSON.stringify(p)} is not one of the options.`);
    if (seen.has(p)) return fail('duplicate-option', `${JSON.stringify(p)} is chosen more than once.`);
    seen.add(p);
  }
  return null;
}

function splitChoice(parts: { for?: string | undefined; against?: string | undefined; abstain?: string | undefined }, weight: bigint): ChoiceResult {
  const amount = (text: string | undefined): bigint => {
    const r = parseAmount(text ?? '0');
    return r.ok ? r.value : 0n; // shapes were checked by the schema
  };
  const f = amount(parts.for);
  const a = amount(parts.against);
  const s = amount(parts.abstain);
  const sum = f + a + s;
  if (sum !== weight) {
    return fail(
      'split-sum-mismatch',
      `The parts add up to ${formatAmount(sum)} but the weight to split is ${formatAmount(weight)}: they must be equal.`,
    );
  }
  return ok({ kind: 'binary', for: f, against: a, abstain: s });
}

/** Checks a voter's raw choice against the question; `weight` is the voter's claim in kopecks (split and cumulative budgets). */
export function validateChoice(question: Question, choice: unknown, weight: bigint): ChoiceResult {
  switch (question.form) {
    case 'for-against-abstain': {
      const r = ChoiceSchemas['for-against-abstain'].safeParse(choice);
      return r.success ? ok(whole(weight, r.data)) : shapeError(question.form, r.error);
    }
    case 'split': {
      const r = ChoiceSchemas.split.safeParse(choice);
      if (!r.success) return shapeError(question.form, r.error);
      return typeof r.data === 'string' ? ok(whole(weight, r.data)) : splitChoice(r.data, weight);
    }
    case 'approve-document': {
      const r = ChoiceSchemas['approve-document'].safeParse(choice);
      if (!r.success) return shapeError(question.form, r.error);
      if (r.data.decision === 'approve') return ok(whole(weight, 'for'));
      const reason = r.data.reason.trim();
      if (reason === '') return fail('reason-required', 'A rejection needs a reason: say why the document should not be approved.');
      return ok(whole(weight, 'against', reason));
    }
    case 'one-of':
    case 'date':
    case 'wording': {
      const r = ChoiceSchemas[question.form].safeParse(choice);
      if (!r.success) return shapeError(question.form, r.error);
      const noun = question.form === 'date' ? 'dates' : question.form === 'wording' ? 'wordings' : 'options';
      return one(question.options, r.data, noun);
    }
    case 'up-to-k': {
      const r = ChoiceSchemas['up-to-k'].safeParse(choice);
      if (!r.success) return shapeError(question.form, r.error);
      if (r.data.length === 0) return fail('no-option', 'Choose at least one option.');
      if (r.data.length > question.k) return fail('too-many-options', `Choose at most ${question.k} option${question.k === 1 ? '' : 's'}; you chose ${r.data.length}.`);
      return distinctKnown(question.options, r.data) ?? ok({ kind: 'options', picks: [...r.data] });
    }
    case 'cumulative': {
      const r = ChoiceSchemas.cumulative.safeParse(choice);
      if (!r.success) return shapeError(question.form, r.error);
      const votes = new Map<string, bigint>();
      let spent = 0n;
      for (const [candidate, text] of Object.entries(r.data)) {
        if (!question.options.includes(candidate)) return fail('unknown-option', `${JSON.stringify(candidate)} is not a candidate.`);
        const v = parseAmount(text);
        if (!v.ok) return fail('bad-amount', `${candidate}: ${v.message}`);
        if (v.value > 0n) votes.set(candidate, v.value);
        spent += v.value;
      }
      const budget = weight * BigInt(question.seats);
      if (spent > budget) {
        return fail(
          'overspent',
          `You gave ${formatAmount(spent)} votes but may give at most ${formatAmount(budget)} (your ${formatAmount(weight)} times ${question.seats} seats).`,
        );
      }
      return ok({ kind: 'distribution', votes });
    }
    case 'ranking': {
      const r = ChoiceSchemas.ranking.safeParse(choice);
      if (!r.success) return shapeError(question.form, r.error);
      const bad = distinctKnown(question.options, r.data);
      if (bad !== null) return bad;
      if (r.data.length !== question.options.length) {
        return fail('incomplete-ranking', `Rank every option exactly once: ${r.data.length} of ${question.options.length} ranked.`);
      }
      return ok({ kind: 'ranking', order: [...r.data] });
    }
    case 'number': {
      const r = ChoiceSchemas.number.safeParse(choice);
      if (!r.success) return shapeError(question.form, r.error);
      const v = parseDecimal(r.data);
      if (!v.ok) return fail('bad-amount', v.message);
      const lo = question.min === undefined ? null : parseDecimal(question.min);
      const hi = question.max === undefined ? null : parseDecimal(question.max);
      if (lo?.ok === true && v.value < lo.value) return fail('out-of-range', `The number must be at least ${formatAmount(lo.value)}.`);
      if (hi?.ok === true && v.value > hi.value) return fail('out-of-range', `The number must be at most ${formatAmount(hi.value)}.`);
      return ok({ kind: 'number', value: v.value });
    }
    default: {
      const unreachable: never = question;
      return unreachable;
    }
  }
}
