import { mulberry32 } from '@pneumoscreen/evaluation';
import { encodeFloats, GuardFile, ScopeGuard, VIEW_CLASSES, softmax } from '@pneumoscreen/inference';

/** Principal components kept whole; every other direction shares one variance. */
export const GUARD_COMPONENTS = 64;

export interface GuardSample {
  features: Float32Array;
  /** Index into VIEW_CLASSES: 0 for an in-scope film. */
  view: number;
}

export interface FitGuardInput {
  featureDim: number;
  /** In-scope films the distance is fitted to, and the view head's positives. */
  inScope: Float32Array[];
  /** Negatives for the view head, each with its class. */
  negatives: GuardSample[];
  /** In-scope films held out of the fit, on which both thresholds are set. */
  calibration: Float32Array[];
  /** Share of calibration films each check may refuse (default 0.005: together at most 1%). */
  falseRefusal?: number;
  seed?: number;
}

/** Fits a guard: the distance on in-scope features, the view head on them and the negatives, and
 * both thresholds on held-out in-scope films. */
export function fitGuard(input: FitGuardInput): GuardFile {
  const d = input.featureDim;
  const rate = input.falseRefusal ?? 0.005;
  const { mean, components, variances, residualVariance, shrinkage } = fitDistance(input.inScope, d, input.seed ?? 42);
  const samples = [...input.inScope.map((features) => ({ features, view: 0 })), ...input.negatives];
  const scale = featureScale(samples, mean, d);
  const { weights, bias } = fitViewHead(samples, mean, scale, d, input.seed ?? 42);
  const draft: GuardFile = {
    kind: 'scope-guard',
    featureDim: d,
    mean: encodeFloats(mean),
    distance: { components: encodeFloats(components), variances, residualVariance, shrinkage, threshold: 1 },
    view: { classes: [...VIEW_CLASSES], scale: encodeFloats(scale), weights: encodeFloats(weights), bias, threshold: 0.5 },
    fit: {},
  };
  const guard = new ScopeGuard(draft);
  const scores = input.calibration.map((f) => guard.score(f));
  // Each threshold refuses `rate` of held-out in-scope films, at most.
  draft.distance.threshold = quantile(
    scores.map((s) => s.distance),
    1 - rate,
  );
  draft.view.threshold = Math.min(
    0.5,
    quantile(
      scores.map((s) => s.view[0]!),
      rate,
    ),
  );
  return draft;
}

function fitDistance(xs: Float32Array[], d: number, seed: number) {
  const n = xs.length;
  if (n < 50) throw new Error(`fitting the guard needs at least 50 in-scope images, got ${n}`);
  const mean = new Float64Array(d);
  for (const x of xs) for (let j = 0; j < d; j++) mean[j]! += x[j]! / n;
  const cov = new Float64Array(d * d);
  const c = new Float64Array(d);
  for (const x of xs) {
    for (let j = 0; j < d; j++) c[j] = x[j]! - mean[j]!;
    for (let a = 0; a < d; a++) {
      const ca = c[a]!;
      if (ca === 0) continue;
      const row = a * d;
      for (let b = a; b < d; b++) cov[row + b]! += ca * c[b]!;
    }
  }
  for (let a = 0; a < d; a++) for (let b = a; b < d; b++) cov[b * d + a] = cov[a * d + b] = cov[a * d + b]! / (n - 1);
  let trace = 0;
  let trace2 = 0;
  for (let a = 0; a < d; a++) trace += cov[a * d + a]!;
  for (let i = 0; i < d * d; i++) trace2 += cov[i]! * cov[i]!;
  // Oracle approximating shrinkage (Chen et al., IEEE TSP 2010) towards (trace/d)·I: with a few
  // thousand images for 768 features the sample covariance's small eigenvalues are far too small,
  // and distances along them would refuse ordinary films.
  const shrinkage = Math.min(1, ((1 - 2 / d) * trace2 + trace * trace) / ((n + 1 - 2 / d) * (trace2 - (trace * trace) / d)));
  const k = Math.min(GUARD_COMPONENTS, d - 1);
  const { vectors, values } = topEigen(cov, d, k, seed);
  const m = trace / d;
  const variances = values.map((v) => (1 - shrinkage) * v + shrinkage * m);
  const rest = (trace - values.reduce((a, b) => a + b, 0)) / (d - k);
  return {
    mean: Float32Array.from(mean),
    components: vectors,
    variances,
    residualVariance: (1 - shrinkage) * Math.max(rest, 0) + shrinkage * m,
    shrinkage,
  };
}

/** The k leading eigenvectors of a symmetric d x d matrix, by subspace iteration. */
function topEigen(a: Float64Array, d: number, k: number, seed: number): { vectors: Float32Array; values: number[] } {
  const random = mulberry32(seed);
  let q = Float64Array.from({ length: k * d }, () => random() - 0.5);
  orthonormalise(q, k, d);
  const z = new Float64Array(k * d);
  for (let iter = 0; iter < 60; iter++) {
    for (let c = 0; c < k; c++) {
      for (let i = 0; i < d; i++) {
        let s = 0;
        const row = i * d;
        for (let j = 0; j < d; j++) s += a[row + j]! * q[c * d + j]!;
        z[c * d + i] = s;
      }
    }
    orthonormalise(z, k, d);
    [q] = [Float64Array.from(z)];
  }
  const values: number[] = [];
  for (let c = 0; c < k; c++) {
    let rq = 0;
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += a[i * d + j]! * q[c * d + j]!;
      rq += q[c * d + i]! * s;
    }
    values.push(Math.max(rq, 1e-12));
  }
  return { vectors: Float32Array.from(q), values };
}

function orthonormalise(v: Float64Array, k: number, d: number): void {
  for (let c = 0; c < k; c++) {
    for (let p = 0; p < c; p++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += v[c * d + j]! * v[p * d + j]!;
      for (let j = 0; j < d; j++) v[c * d + j]! -= dot * v[p * d + j]!;
    }
    let norm = 0;
    for (let j = 0; j < d; j++) norm += v[c * d + j]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let j = 0; j < d; j++) v[c * d + j]! /= norm;
  }
}

/** 1 / standard deviation of each feature over every sample (1 where a feature never varies). */
function featureScale(samples: GuardSample[], mean: Float32Array, d: number): Float32Array {
  const v = new Float64Array(d);
  for (const s of samples) for (let j = 0; j < d; j++) v[j]! += (s.features[j]! - mean[j]!) ** 2 / samples.length;
  return Float32Array.from(v, (x) => (x > 1e-12 ? 1 / Math.sqrt(x) : 1));
}

/** Softmax regression with L2, by Adam on the full set; classes weighted equally. */
function fitViewHead(samples: GuardSample[], mean: Float32Array, scale: Float32Array, d: number, seed: number) {
  const C = VIEW_CLASSES.length;
  const counts = new Array<number>(C).fill(0);
  for (const s of samples) counts[s.view]!++;
  const present = counts.filter((n) => n > 0).length;
  const classWeight = counts.map((n) => (n ? samples.length / (present * n) : 0));
  const xs = samples.map((s) => Float32Array.from(s.features, (f, j) => (f - mean[j]!) * scale[j]!));
  const random = mulberry32(seed);
  const w = Float64Array.from({ length: C * d }, () => (random() - 0.5) * 0.01);
  const b = new Float64Array(C);
  const mw = new Float64Array(C * d);
  const vw = new Float64Array(C * d);
  const mb = new Float64Array(C);
  const vb = new Float64Array(C);
  const lr = 0.01;
  const l2 = 1e-3;
  for (let step = 1; step <= 300; step++) {
    const gw = new Float64Array(C * d);
    const gb = new Float64Array(C);
    xs.forEach((x, i) => {
      const logits = Array.from({ length: C }, (_, c) => {
        let z = b[c]!;
        for (let j = 0; j < d; j++) z += w[c * d + j]! * x[j]!;
        return z;
      });
      const p = softmax(logits);
      const weight = classWeight[samples[i]!.view]! / xs.length;
      for (let c = 0; c < C; c++) {
        const g = (p[c]! - (c === samples[i]!.view ? 1 : 0)) * weight;
        gb[c]! += g;
        for (let j = 0; j < d; j++) gw[c * d + j]! += g * x[j]!;
      }
    });
    const t1 = 1 - 0.9 ** step;
    const t2 = 1 - 0.999 ** step;
    for (let i = 0; i < C * d; i++) {
      const g = gw[i]! + l2 * w[i]!;
      mw[i] = 0.9 * mw[i]! + 0.1 * g;
      vw[i] = 0.999 * vw[i]! + 0.001 * g * g;
      w[i]! -= (lr * mw[i]!) / t1 / (Math.sqrt(vw[i]! / t2) + 1e-8);
    }
    for (let c = 0; c < C; c++) {
      mb[c] = 0.9 * mb[c]! + 0.1 * gb[c]!;
      vb[c] = 0.999 * vb[c]! + 0.001 * gb[c]! * gb[c]!;
      b[c]! -= (lr * mb[c]!) / t1 / (Math.sqrt(vb[c]! / t2) + 1e-8);
    }
  }
  return { weights: Float32Array.from(w), bias: Array.from(b) };
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
