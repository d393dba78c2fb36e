/**
 * Ballot forms in the browser: the editable state of each of the ten forms, the raw choice it
 * produces (the shape `vote.cast` sends), validation with the shared validators, and readable
 * labels for choices and counts.
 */
import { validateChoice, type ChoiceErrorCode } from '$shared/voting/forms.ts';
import type { Form, Question } from '$shared/voting/schemas.ts';
import { parseAmount } from '$shared/voting/money.ts';
import { formatKopecks } from '../format.ts';
import { lang, t, type MessageKey } from '../i18n/index.svelte.ts';

/** What a voter has filled in so far, for any form. */
export interface BallotDraft {
  side: '' | 'for' | 'against' | 'abstain';
  pick: string;
  picks: string[];
  amounts: Record<string, string>;
  order: string[];
  decision: '' | 'approve' | 'reject';
  reason: string;
  number: string;
  splitMode: 'whole' | 'parts';
  parts: { for: string; against: string; abstain: string };
}

/** The options of a question (empty for forms without a list). */
export function optionsOf(q: Question): readonly string[] {
  return 'options' in q ? q.options : [];
}

/** A fresh, empty ballot for a question. */
export function emptyDraft(q: Question): BallotDraft {
  return {
    side: '',
    pick: '',
    picks: [],
    amounts: {},
    order: q.form === 'ranking' ? [...q.options] : [],
    decision: '',
    reason: '',
    number: '',
    splitMode: 'whole',
    parts: { for: '', against: '', abstain: '' },
  };
}

/** Amounts as people type them: "1 500 000,50" -> "1500000.50". */
export function normalizeNumber(text: string): string {
  return text.replace(/[\s\u00a0\u202f]/g, '').replace(',', '.');
}

/** The raw choice a draft stands for (undefined while nothing is chosen). */
export function choiceOf(q: Question, d: BallotDraft): unknown {
  switch (q.form) {
    case 'for-against-abstain':
      return d.side || undefined;
    case 'split': {
      if (d.splitMode === 'whole') return d.side || undefined;
      const parts: Record<string, string> = {};
      for (const k of ['for', 'against', 'abstain'] as const) {
        const v = normalizeNumber(d.parts[k]);
        if (v) parts[k] = v;
      }
      return parts;
    }
    case 'approve-document':
      if (d.decision === 'approve') return { decision: 'approve' };
      if (d.decision === 'reject') return { decision: 'reject', reason: d.reason };
      return undefined;
    case 'one-of':
    case 'date':
    case 'wording':
      return d.pick || undefined;
    case 'up-to-k':
      return [...d.picks];
    case 'cumulative': {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(d.amounts)) {
        const n = normalizeNumber(v);
        if (n) out[k] = n;
      }
      return out;
    }
    case 'ranking':
      return [...d.order];
    case 'number':
      return normalizeNumber(d.number) || undefined;
    default: {
      const unreachable: never = q;
      return unreachable;
    }
  }
}

/** Checks a draft with the shared validator; returns null when valid, else a readable message. */
export function checkDraft(q: Question, d: BallotDraft, weight: bigint | null): string | null {
  const choice = choiceOf(q, d);
  // With an unknown weight (a representative's several claims), only the shape is checked here; the hub checks the sums.
  const w = weight ?? (q.form === 'split' ? sumParts(choice) : 10n ** 24n);
  const r = validateChoice(q, choice, w);
  if (r.ok) return null;
  return choiceErrorText(q, r.code, r.message, weight);
}

function sumParts(choice: unknown): bigint {
  if (typeof choice !== 'object' || choice === null) return 0n;
  let sum = 0n;
  for (const v of Object.values(choice)) {
    const p = parseAmount(v);
    if (p.ok) sum += p.value;
  }
  return sum;
}

const MALFORMED: Record<Form, MessageKey> = {
  'for-against-abstain': 'ballot.err.pickSide',
  split: 'ballot.err.pickSide',
  'approve-document': 'ballot.err.pickDecision',
  'one-of': 'ballot.err.pickOne',
  date: 'ballot.err.pickDate',
  wording: 'ballot.err.pickWording',
  'up-to-k': 'ballot.err.noOption',
  cumulative: 'ballot.err.distribute',
  ranking: 'ballot.err.rankAll',
  number: 'ballot.err.number',
};

/** The validator's refusal in the interface language (English keeps the validator's own words). */
export function choiceErrorText(q: Question, code: ChoiceErrorCode, message: string, weight: bigint | null): string {
  if (lang.current === 'en' && code !== 'malformed') return message;
  switch (code) {
    case 'malformed':
      return t(MALFORMED[q.form]);
    case 'bad-amount':
      return t('ballot.err.badAmount');
    case 'unknown-option':
      return t('ballot.err.unknownOption');
    case 'duplicate-option':
      return t('ballot.err.duplicate');
    case 'no-option':
      return t('ballot.err.noOption');
    case 'too-many-options':
      return t('ballot.err.tooMany', { k: q.form === 'up-to-k' ? q.k : 1 });
    case 'incomplete-ranking':
      return t('ballot.err.rankAll');
    case 'overspent':
      return t('ballot.err.overspent', { budget: weight !== null && q.form === 'cumulative' ? formatKopecks(weight * BigInt(q.seats), lang.locale) : '—' });
    case 'split-sum-mismatch':
      return t('ballot.err.splitSum', { weight: weight !== null ? formatKopecks(weight, lang.locale) : '—' });
    case 'reason-required':
      return t('ballot.err.reason');
    case 'out-of-range':
      return t('ballot.err.range', { detail: message.replace(/^The number must be /, '') });
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}

/** A count key or choice side shown to people ("for" -> "За"). */
export function countLabel(key: string): string {
  switch (key) {
    case 'for':
      return t('vote.choice.for');
    case 'against':
      return t('vote.choice.against');
    case 'abstain':
      return t('vote.choice.abstain');
    case 'invalid':
      return t('vote.choice.invalid');
    default:
      return isIsoDate(key) ? formatDate(key) : key;
  }
}

function isIsoDate(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s);
}

/** A proposed date ("2026-12-20") in the interface language. */
export function formatDate(iso: string): string {
  const d = new Date(`${iso}T12:00:00Z`);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(lang.locale, { dateStyle: 'long', timeZone: 'UTC' }).format(d);
}

/** A raw choice as one line of text (open votes list each ballot). */
export function describeChoice(choice: unknown): string {
  if (typeof choice === 'string') return countLabel(choice);
  if (Array.isArray(choice)) return choice.map((c) => countLabel(String(c))).join(', ');
  if (typeof choice === 'object' && choice !== null) {
    const o = choice as Record<string, unknown>;
    if (o.decision === 'approve') return t('vote.choice.approve');
    if (o.decision === 'reject') return `${t('vote.choice.reject')}: ${String(o.reason ?? '')}`;
    return Object.entries(o)
      .map(([k, v]) => `${countLabel(k)}: ${formatAmountText(String(v))}`)
      .join('; ');
  }
  return String(choice);
}

function formatAmountText(v: string): string {
  const p = parseAmount(v);
  return p.ok ? formatKopecks(p.value, lang.locale) : v;
}

/** Whether the weight of the voter matters for this form's validation. */
export function weightMatters(form: Form): boolean {
  return form === 'split' || form === 'cumulative';
}
