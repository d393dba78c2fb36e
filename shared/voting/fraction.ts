/**
 * Shares of a base weight compared by cross-multiplication on bigints, never by
 * division: `votes` is "more than num/den of base" when votes * den > base * num.
 */

/** A share num/den; `atLeast` makes it inclusive ("at least 2/3") instead of strict ("more than 1/2"). */
export interface Share {
  readonly num: bigint;
  readonly den: bigint;
  readonly atLeast: boolean;
}

/** Builds a share from the small integers of a question definition. */
export function share(num: number, den: number, atLeast = false): Share {
  return { num: BigInt(num), den: BigInt(den), atLeast };
}

/** More than half: the default quorum and the simple-majority threshold. */
export const MORE_THAN_HALF: Share = share(1, 2);

/** True when `votes` reaches the share of `base`. */
export function reaches(votes: bigint, base: bigint, s: Share): boolean {
  return s.atLeast ? votes * s.den >= base * s.num : votes * s.den > base * s.num;
}

/** The least amount that reaches the share of `base` (what the protocol shows as "needed"). */
export function neededFor(base: bigint, s: Share): bigint {
  const product = base * s.num;
  const floor = product / s.den;
  if (s.atLeast) return product % s.den === 0n ? floor : floor + 1n;
  return floor + 1n;
}

/** Reads a share as words, e.g. "more than 1/2" or "at least 2/3". */
export function describeShare(s: Share): string {
  return `${s.atLeast ? 'at least' : 'more than'} ${s.num.toString()}/${s.den.toString()}`;
}
