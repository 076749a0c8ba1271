import { binomialCdf } from './stats';

/**
 * Distribution-free confidence that a threshold keeps `target` sensitivity on the site's future
 * images, given the positives it was chosen on: with x of n positive scores at or above it, the
 * share of the population at or above the (n-x+1)-th lowest score is Beta(x, n-x+1), so
 * P(sensitivity >= target) = P(Binomial(n, target) <= x - 1). Exact for a threshold at an observed
 * positive score, whatever the score distribution; the empirical threshold sits near 50%.
 */
export function promiseConfidence(positiveScores: ArrayLike<number>, threshold: number, target: number): number {
  let above = 0;
  for (let i = 0; i < positiveScores.length; i++) above += positiveScores[i]! >= threshold ? 1 : 0;
  return binomialCdf(above - 1, positiveScores.length, target);
}

/** Fewest positives for which any threshold can promise `target` at `confidence` without
 * assuming a score distribution: even the lowest positive score only does once
 * target^n < 1 - confidence (59 for 0.95 at 95%: 0.95^59 = 0.048). */
export function minPositives(target: number, confidence: number): number {
  return Math.max(1, Math.ceil(Math.log(1 - confidence) / Math.log(target) - 1e-12));
}

/**
 * The highest positive score whose promiseConfidence reaches `confidence`: the k-th lowest, with k
 * the largest for which P(Binomial(n, target) >= k) >= confidence. With fewer than minPositives
 * it is the lowest positive score (the best it can do), and `confidence` is not reached.
 */
export function orderStatisticThreshold(positiveScores: ArrayLike<number>, target: number, confidence: number): number {
  const sorted = Float64Array.from(positiveScores).sort();
  const n = sorted.length;
  if (!n) throw new Error('no positive labels: sensitivity is undefined');
  // x positives at or above s_(n-x+1); the smallest x with P(Bin(n, target) <= x - 1) >= confidence.
  for (let x = 1; x <= n; x++) if (binomialCdf(x - 1, n, target) >= confidence) return sorted[n - x]!;
  return sorted[0]!;
}
