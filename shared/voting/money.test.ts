import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAmount, parseAmount, parseDecimal, sumAmounts } from './money.ts';

describe('parseAmount', () => {
  it.each([
    ['1500000.50', 150000050n],
    ['0', 0n],
    ['0.5', 50n],
    ['0.05', 5n],
    ['12', 1200n],
    ['1000000000000.00', 100000000000000n],
    ['99999999999999999999.99', 9999999999999999999999n],
  ])('reads %s exactly', (text, kopecks) => {
    expect(parseAmount(text)).toEqual({ ok: true, value: kopecks });
  });

  it.each([
    ['1.005', 'too-many-decimals', 'more than two decimals'],
    ['-5', 'negative', 'negative'],
    ['12a', 'malformed', 'not an amount'],
    ['1,50', 'malformed', 'not an amount'],
    ['1e6', 'malformed', 'not an amount'],
    [' 1', 'malformed', 'not an amount'],
    ['.5', 'malformed', 'not an amount'],
    ['5.', 'malformed', 'not an amount'],
    ['', 'empty', 'empty'],
    ['1'.repeat(21), 'too-large', 'too large'],
  ])('refuses %j with a readable message', (text, code, words) => {
    const r = parseAmount(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe(code);
    expect(r.message).toContain(words);
  });

  it('refuses numbers, which would not stay exact', () => {
    expect(parseAmount(1500.5)).toMatchObject({ ok: false, code: 'not-a-string' });
  });
});

describe('parseDecimal', () => {
  it('accepts signs and JSON numbers by their exact text', () => {
    expect(parseDecimal('-12.5')).toEqual({ ok: true, value: -1250n });
    expect(parseDecimal(1500.5)).toEqual({ ok: true, value: 150050n });
    expect(parseDecimal(0.1 + 0.2)).toMatchObject({ ok: false, code: 'too-many-decimals' });
    expect(parseDecimal(1e21)).toMatchObject({ ok: false, code: 'malformed' });
  });
});

describe('formatAmount', () => {
  it('always prints two decimals', () => {
    expect(formatAmount(150000050n)).toBe('1500000.50');
    expect(formatAmount(5n)).toBe('0.05');
    expect(formatAmount(0n)).toBe('0.00');
    expect(formatAmount(-1250n)).toBe('-12.50');
  });

  it('round-trips every amount exactly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 22n - 1n }), (k) => {
        const r = parseAmount(formatAmount(k));
        expect(r).toEqual({ ok: true, value: k });
      }),
    );
  });

  it('sums 10^12-ruble amounts exactly', () => {
    const trillion = 100_000_000_000_000n; // 10^12 rubles in kopecks
    expect(formatAmount(sumAmounts([trillion, trillion, 1n]))).toBe('2000000000000.01');
  });
});
