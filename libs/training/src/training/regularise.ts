/** Soft-target regularisers for the binary cross-entropy of fit.ts: both keep a head from
 * driving its scores to 0 and 1 on training films, which is what makes it overconfident on
 * films from elsewhere. */

/** Label smoothing: the target of a 0/1 label pulled towards 0.5 by `epsilon` (0 leaves it). */
export function smoothedTarget(label: number, epsilon: number): number {
  return label * (1 - epsilon) + epsilon / 2;
}

/** Rows of a mixup batch: row i becomes lambda[i] of itself and 1 - lambda[i] of row partner[i]. */
export interface MixupPlan {
  partner: number[];
  /** In [0.5, 1]: each mixed row stays mostly itself, so its own class weight dominates. */
  lambda: number[];
}

/** Mixup (Zhang et al. 2018) for a batch of `n` rows: partners are a random permutation, each
 * lambda max(b, 1 - b) of b ~ Beta(alpha, alpha). */
export function mixupPlan(n: number, alpha: number, random: () => number): MixupPlan {
  const partner = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [partner[i], partner[j]] = [partner[j]!, partner[i]!];
  }
  const lambda = Array.from({ length: n }, () => {
    const b = sampleBeta(alpha, random);
    return Math.max(b, 1 - b);
  });
  return { partner, lambda };
}

/** `values` mixed by `plan`, e.g. the targets or the class weights of a batch. */
export function mixValues(values: readonly number[], plan: MixupPlan): number[] {
  return values.map((v, i) => plan.lambda[i]! * v + (1 - plan.lambda[i]!) * values[plan.partner[i]!]!);
}

/** Beta(alpha, alpha) from two gamma draws. */
export function sampleBeta(alpha: number, random: () => number): number {
  const x = sampleGamma(alpha, random);
  const y = sampleGamma(alpha, random);
  return x / (x + y);
}

/** Marsaglia and Tsang's method; a shape below 1 is boosted by U^(1/shape). */
function sampleGamma(shape: number, random: () => number): number {
  if (shape < 1) return sampleGamma(shape + 1, random) * (1 - random()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
