/**
 * Formatting for people: exact amounts from decimal strings (never through floating point),
 * shares of two amounts, times and dates in the interface language.
 */
import { parseAmount } from '$shared/voting/money.ts';

/** Formats a decimal amount string ("22250000.50") with grouping in the given locale; falls back to the raw text. */
export function formatMoney(text: string, locale: string): string {
  const r = parseAmount(text);
  if (!r.ok) return text;
  return formatKopecks(r.value, locale);
}

/** Formats an amount in kopecks with grouping and two decimals. */
export function formatKopecks(kopecks: bigint, locale: string): string {
  const negative = kopecks < 0n;
  const abs = negative ? -kopecks : kopecks;
  const whole = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(abs / 100n);
  const decimal = new Intl.NumberFormat(locale).formatToParts(1.5).find((p) => p.type === 'decimal')?.value ?? '.';
  const cents = (abs % 100n).toString().padStart(2, '0');
  return `${negative ? '−' : ''}${whole}${decimal}${cents}`;
}

/** Share of `part` in `whole` as a percentage with one decimal, computed exactly ("22,9 %"). */
export function formatShare(part: string, whole: string, locale: string): string {
  const p = parseAmount(part);
  const w = parseAmount(whole);
  if (!p.ok || !w.ok || w.value === 0n) return '—';
  const tenths = (p.value * 1000n + w.value / 2n) / w.value;
  return new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(Number(tenths) / 1000);
}

/** Share of `part` in `whole` in thousandths (for bar widths), 0..1000. */
export function permille(part: string, whole: string): number {
  const p = parseAmount(part);
  const w = parseAmount(whole);
  if (!p.ok || !w.ok || w.value === 0n) return 0;
  const v = (p.value * 1000n) / w.value;
  return Number(v > 1000n ? 1000n : v);
}

/** A wall-clock time ("14:05"). */
export function formatTime(ms: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' }).format(new Date(ms));
}

/** A date and time ("10 декабря 2026 г., 11:00"). */
export function formatDateTime(iso: string | number, locale: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short' }).format(d);
}

/** Initials for an avatar: the first letters of the first two words with letters. */
export function initials(name: string): string {
  const words = name.replace(/[«»"()]/g, ' ').split(/\s+/).filter((w) => /\p{L}/u.test(w) && !/^(ООО|АО|ПАО|ИП|ЗАО|ОАО|LLC|JSC)$/.test(w));
  return words
    .slice(0, 2)
    .map((w) => w.match(/\p{L}/u)?.[0] ?? '')
    .join('')
    .toUpperCase();
}
