import { mulberry32 } from '../split';

export const BOOTSTRAP_RESAMPLES = 2000;

/** The empirical threshold of sorted positive scores: the highest that keeps `target` of them. */
function empiricalOfSorted(sorted: Float64Array, target: number): number {
  const keep = Math.ceil(target * sorted.length - 1e-9);
  return sorted[sorted.length - Math.max(1, keep)]!;
}

/**
 * Percentile bootstrap: the empirical threshold of each resample of the positives, and the
 * (1 - confidence) quantile of those, a lower confidence bound on the score below which
 * (1 - target) of the site's positives fall. Seeded, so a set always gets the same threshold.
 */
export function bootstrapThreshold(
  positiveScores: ArrayLike<number>,
  target: number,
  confidence: number,
  { resamples = BOOTSTRAP_RESAMPLES, seed = 1 } = {},
): number {
  const n = positiveScores.length;
  if (!n) throw new Error('no positive labels: sensitivity is undefined');
  const random = mulberry32(seed);
  const sample = new Float64Array(n);
  const thresholds = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) sample[i] = positiveScores[Math.floor(random() * n)]!;
    thresholds[r] = empiricalOfSorted(sample.sort(), target);
  }
  thresholds.sort();
  return thresholds[Math.floor((1 - confidence) * (resamples - 1))]!;
}
