import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { OutOfScope } from '@pneumoscreen/contracts';
import { GUARD_FILE } from '@pneumoscreen/model-format';

/** Classes of the frontal-chest head; the first is what the version was made for. */
export const VIEW_CLASSES = ['frontal-chest', 'lateral', 'not-chest', 'not-radiograph'] as const;

/** Share of the refusal distance past which an assessed image is flagged. On the release, the
 * real adult films (header stripped) all lie past 0.88 of it, the in-scope validation films at a
 * median of 0.53 and 90% under 0.70. */
export const FLAG_FRACTION = 0.85;

const Floats = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);

/**
 * `guard.json`: what refuses images unlike those the version was made for, computed from the pooled
 * backbone features the classifier already produces. (a) A Mahalanobis distance to the training
 * features under a shrinkage covariance, kept as its top principal components plus one variance for
 * the rest; (b) a softmax head that tells frontal chest films from lateral views, other body parts
 * and non-radiographs. Float arrays are base64 little-endian float32.
 */
export const GuardFile = z.object({
  kind: z.literal('scope-guard'),
  featureDim: z.number().int().positive(),
  mean: Floats,
  distance: z.object({
    /** k x featureDim, row-major: orthonormal directions of largest training variance. */
    components: Floats,
    /** Shrunk variance along each component. */
    variances: z.array(z.number().positive()),
    /** Shrunk variance of every other direction. */
    residualVariance: z.number().positive(),
    shrinkage: z.number().min(0).max(1),
    /** Squared distance over featureDim above which an image is unlike the training data. */
    threshold: z.number().positive(),
  }),
  view: z.object({
    classes: z.tuple([z.literal('frontal-chest'), z.literal('lateral'), z.literal('not-chest'), z.literal('not-radiograph')]),
    /** Per-feature scale applied after subtracting `mean`. */
    scale: Floats,
    /** classes x featureDim, row-major. */
    weights: Floats,
    bias: z.array(z.number()),
    /** P(frontal-chest) below this refuses. */
    threshold: z.number().min(0).max(1),
  }),
  fit: z.record(z.string(), z.unknown()).default({}),
});
export type GuardFile = z.infer<typeof GuardFile>;

export function encodeFloats(values: ArrayLike<number>): string {
  return Buffer.from(Float32Array.from(values).buffer).toString('base64');
}

function decodeFloats(text: string, length: number, what: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== length * 4) throw new Error(`${GUARD_FILE}: ${what} holds ${bytes.length / 4} values, expected ${length}`);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

/** What the guard measured on one image, before the version's thresholds are applied. */
export interface GuardScores {
  /** Squared Mahalanobis distance over featureDim. */
  distance: number;
  /** Softmax over VIEW_CLASSES. */
  view: number[];
}

/** A loaded guard: scores one image's pooled features in a few hundred thousand multiply-adds,
 * against the classifier's hundreds of millions. */
export class ScopeGuard {
  private readonly mean: Float32Array;
  private readonly components: Float32Array;
  private readonly scale: Float32Array;
  private readonly weights: Float32Array;

  constructor(readonly file: GuardFile) {
    const d = file.featureDim;
    this.mean = decodeFloats(file.mean, d, 'mean');
    this.components = decodeFloats(file.distance.components, file.distance.variances.length * d, 'components');
    this.scale = decodeFloats(file.view.scale, d, 'scale');
    this.weights = decodeFloats(file.view.weights, VIEW_CLASSES.length * d, 'weights');
    if (file.view.bias.length !== VIEW_CLASSES.length) throw new Error(`${GUARD_FILE}: view.bias needs ${VIEW_CLASSES.length} values`);
  }

  get featureDim(): number {
    return this.file.featureDim;
  }

  /** Reads `<versionDir>/guard.json`; null when the version has none. */
  static async load(versionDir: string): Promise<ScopeGuard | null> {
    let text: string;
    try {
      text = await fs.readFile(path.join(versionDir, GUARD_FILE), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const parsed = GuardFile.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new Error(
        `invalid ${path.join(versionDir, GUARD_FILE)}: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`,
      );
    return new ScopeGuard(parsed.data);
  }

  score(features: ArrayLike<number>): GuardScores {
    const d = this.featureDim;
    if (features.length !== d) throw new Error(`guard expects ${d} features per image, got ${features.length}`);
    const centred = new Float64Array(d);
    let norm2 = 0;
    for (let j = 0; j < d; j++) {
      centred[j] = features[j]! - this.mean[j]!;
      norm2 += centred[j]! * centred[j]!;
    }
    const { variances, residualVariance } = this.file.distance;
    let along = 0;
    let distance = 0;
    for (let c = 0; c < variances.length; c++) {
      let p = 0;
      const row = c * d;
      for (let j = 0; j < d; j++) p += this.components[row + j]! * centred[j]!;
      along += p * p;
      distance += (p * p) / variances[c]!;
    }
    distance += Math.max(0, norm2 - along) / residualVariance;
    const logits = this.file.view.bias.map((b, c) => {
      let z = b;
      const row = c * d;
      for (let j = 0; j < d; j++) z += this.weights[row + j]! * centred[j]! * this.scale[j]!;
      return z;
    });
    return { distance: distance / d, view: softmax(logits) };
  }

  /** For an image the guard let through: a flag when its distance is past FLAG_FRACTION of the
   * refusal line (score: distance over that line). */
  flag(s: GuardScores): OutOfScope | null {
    const line = FLAG_FRACTION * this.file.distance.threshold;
    return s.distance > line && !this.verdict(s) ? { reason: 'unlike-training-data', score: round(s.distance / line) } : null;
  }

  /** The content verdict: a view the version was not made for first, then distance. */
  verdict(s: GuardScores): OutOfScope | null {
    const { view, distance } = this.file;
    const frontal = s.view[0]!;
    if (frontal < view.threshold) {
      let best = 1;
      for (let c = 2; c < VIEW_CLASSES.length; c++) if (s.view[c]! > s.view[best]!) best = c;
      return { reason: VIEW_CLASSES[best] as OutOfScope['reason'], score: round((1 - frontal) / (1 - view.threshold)) };
    }
    if (s.distance > distance.threshold) return { reason: 'unlike-training-data', score: round(s.distance / distance.threshold) };
    return null;
  }
}

export function softmax(logits: number[]): number[] {
  const max = Math.max(...logits);
  const e = logits.map((z) => Math.exp(z - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

const round = (x: number) => Math.round(x * 1000) / 1000;
