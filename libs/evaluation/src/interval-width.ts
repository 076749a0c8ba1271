import { wilsonBounds } from './site-calibration';

/**
 * How many more trials would narrow the 95% Wilson interval of `count` of `of` to at most `width`
 * (high - low), if the proportion stays where it was observed: 0 when it already is. The width
 * falls with every trial at any proportion, and at p = 1/2 (the widest) it is z / sqrt(n + z²), so
 * (z / width)² trials always suffice and bisection between `of` and that finds the fewest.
 */
export function moreTrialsForWidth(count: number, of: number, width: number, z = 1.96): number {
  if (!(width > 0 && width < 1)) throw new RangeError(`an interval width must be in (0, 1), not ${width}`);
  if (!Number.isInteger(of) || of <= 0 || !Number.isInteger(count) || count < 0 || count > of)
    throw new RangeError(`${count} successes of ${of} trials is not a proportion`);
  const p = count / of;
  const narrow = (n: number) => {
    const { low, high } = wilsonBounds(p, n, z);
    return high - low <= width;
  };
  if (narrow(of)) return 0;
  let lo = of; // too wide
  let hi = Math.max(of + 1, Math.ceil((z / width) ** 2)); // narrow enough
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    narrow(mid) ? (hi = mid) : (lo = mid);
  }
  return hi - of;
}
