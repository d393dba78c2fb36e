import { fail, ok, type Result } from './result.ts';

/**
 * Exact money: amounts are integer kopecks (hundredths) held in a bigint, so that
 * 10^12 rubles, sums and thresholds stay exact. Nothing here touches floating point
 * except `parseDecimal`, which accepts a JSON number only by its exact decimal text.
 */

/** Hundredths per unit: the engine keeps two decimals everywhere. */
export const SCALE = 100n;

/** Longest integer part accepted (10^20 rubles); bounds the work done on hostile input. */
export const MAX_INTEGER_DIGITS = 20;

/** Why a decimal text was refused. */
export type AmountErrorCode = 'not-a-string' | 'empty' | 'negative' | 'too-many-decimals' | 'too-large' | 'malformed';

const DECIMAL_RE = /^(-?)(\d+)(?:\.(\d+))?$/;
const SHOWN_INPUT_CHARS = 40;

function quote(text: string): string {
  const shown = text.length > SHOWN_INPUT_CHARS ? `${text.slice(0, SHOWN_INPUT_CHARS)}...` : text;
  return JSON.stringify(shown);
}

function parseText(text: string, allowNegative: boolean): Result<bigint, AmountErrorCode> {
  if (text.trim() === '') return fail('empty', 'The amount is empty: write digits such as 1500000.50.');
  const m = DECIMAL_RE.exec(text);
  if (m === null) {
    return fail('malformed', `${quote(text)} is not an amount: use digits with an optional point and at most two decimals, e.g. 1500000.50.`);
  }
  const [, sign = '', whole = '', fraction = ''] = m;
  if (sign === '-' && !allowNegative) return fail('negative', `${quote(text)} is negative: an amount cannot be below zero.`);
  if (fraction.length > 2) {
    return fail('too-many-decimals', `${quote(text)} has more than two decimals: amounts are exact to the kopeck (0.01).`);
  }
  if (whole.replace(/^0+/, '').length > MAX_INTEGER_DIGITS) {
    return fail('too-large', `${quote(text)} is too large: at most ${MAX_INTEGER_DIGITS} digits before the point.`);
  }
  const value = BigInt(whole) * SCALE + BigInt(fraction.padEnd(2, '0'));
  return ok(sign === '-' ? -value : value);
}

/** Parses a non-negative amount such as "1500000.50" into exact kopecks. */
export function parseAmount(text: unknown): Result<bigint, AmountErrorCode> {
  if (typeof text !== 'string') {
    return fail('not-a-string', 'An amount must be written as text, e.g. "1500000.50", so that it stays exact.');
  }
  return parseText(text, false);
}

/** Parses a signed decimal with at most two decimals (text, or a JSON number by its exact decimal text). */
export function parseDecimal(input: unknown): Result<bigint, AmountErrorCode> {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return fail('malformed', 'The number is not finite.');
    return parseText(String(input), true);
  }
  if (typeof input !== 'string') return fail('not-a-string', 'Write a number, e.g. 1500 or "1500.50".');
  return parseText(input, true);
}

/** Formats kopecks as a decimal string with exactly two decimals ("1500000.50"). */
export function formatAmount(kopecks: bigint): string {
  const negative = kopecks < 0n;
  const abs = negative ? -kopecks : kopecks;
  const whole = abs / SCALE;
  const cents = (abs % SCALE).toString().padStart(2, '0');
  return `${negative ? '-' : ''}${whole.toString()}.${cents}`;
}

/** Sums exact amounts. */
export function sumAmounts(values: Iterable<bigint>): bigint {
  let total = 0n;
  for (const v of values) total += v;
  return total;
}
