import { logGamma, normalCdf, normalQuantile } from './stats';

/** Scores are sigmoid outputs; their logits are what a normal fit describes. The clamp keeps a
 * float32 score of exactly 0 or 1 finite. */
const EPS = 1e-7;
export const logit = (p: number) => {
  const q = Math.min(1 - EPS, Math.max(EPS, p));
  return Math.log(q / (1 - q));
};
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export interface NormalFit {
  mean: number;
  sd: number;
  n: number;
}

/** Mean and sample standard deviation of the logits of `scores`. */
export function fitLogitNormal(scores: ArrayLike<number>): NormalFit {
  const n = scores.length;
  if (n < 3) throw new Error(`a normal fit needs at least 3 scores, not ${n}`);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += logit(scores[i]!);
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (logit(scores[i]!) - mean) ** 2;
  return { mean, sd: Math.sqrt(squares / (n - 1)), n };
}

/**
 * One-sided normal tolerance factor: with probability `confidence`, mean - k·sd of n draws lies
 * below the population's (1 - coverage) quantile. Exact: k = t'/√n, t' the `confidence` quantile
 * of the non-central t with n - 1 degrees of freedom and non-centrality z_coverage·√n, found by
 * integrating over the chi-square of the sample variance and bisecting.
 */
export function toleranceFactor(n: number, coverage: number, confidence: number): number {
  if (n < 3) throw new Error(`a tolerance bound needs at least 3 scores, not ${n}`);
  const df = n - 1;
  const delta = normalQuantile(coverage) * Math.sqrt(n);
  // Simpson's rule over v ~ chi-square(df): P(T' <= t) = E[Φ(t·sqrt(v/df) - δ)].
  const steps = 800;
  const top = df + 12 * Math.sqrt(2 * df) + 20;
  const h = top / steps;
  const logNorm = (df / 2) * Math.log(2) + logGamma(df / 2);
  const weights = Array.from({ length: steps + 1 }, (_, i) => {
    const v = i * h;
    const density = v === 0 ? (df === 2 ? 0.5 : 0) : Math.exp((df / 2 - 1) * Math.log(v) - v / 2 - logNorm);
    return { root: Math.sqrt(v / df), w: (density * h * (i === 0 || i === steps ? 1 : i % 2 ? 4 : 2)) / 3 };
  });
  const cdf = (t: number) => weights.reduce((sum, { root, w }) => sum + w * normalCdf(t * root - delta), 0);
  let lo = delta;
  let hi = delta + 1;
  while (cdf(hi) < confidence) hi += hi - lo;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    cdf(mid) < confidence ? (lo = mid) : (hi = mid);
  }
  return (lo + hi) / 2 / Math.sqrt(n);
}

/**
 * Binormal threshold: the positives' logits fitted by a normal, and the threshold at its lower
 * tolerance limit, so that with `confidence` at least `target` of the site's positives score at or
 * above it (if their logits are normal). Smooths over the few positives in the tail, where the
 * empirical threshold jumps from one film to the next.
 */
export function binormalThreshold(positiveScores: ArrayLike<number>, target: number, confidence: number): number {
  const fit = fitLogitNormal(positiveScores);
  return sigmoid(fit.mean - toleranceFactor(fit.n, target, confidence) * fit.sd);
}

/** The fitted share of a class at or above (positives) or below (negatives) `threshold`. */
export function fittedShare(fit: NormalFit, threshold: number, side: 'above' | 'below'): number {
  const z = (logit(threshold) - fit.mean) / fit.sd;
  return side === 'above' ? 1 - normalCdf(z) : normalCdf(z);
}
