import * as tf from '@tensorflow/tfjs';
import { averageScores } from '@pneumoscreen/imaging';
import { fitWithEarlyStopping } from '../training/fit';
import { buildHead, headForward, headPenalty, headVariables } from '../training/head';
import { HEAD_LEARNING_RATE } from '../training/report';
import { LEVER_TTA_VIEWS, type LeverFeatures } from './lever-features';

/** One way of training and serving the head, compared with the others on the same features. */
export interface Lever {
  name: string;
  /** Label smoothing epsilon. */
  labelSmoothing?: number;
  /** Mixup Beta(alpha, alpha). */
  mixupAlpha?: number;
  /** Train on the augmented copies too, not the plain images alone. */
  augmented?: boolean;
  /** Heads trained with these seeds, their scores averaged (one seed: a single head). */
  seeds: number;
  /** Average each image's scores over the plain view and LEVER_TTA_VIEWS. */
  tta?: boolean;
}

export const LEVERS: Lever[] = [
  { name: 'baseline (plain images, one head)', seeds: 1 },
  { name: 'label smoothing 0.1', labelSmoothing: 0.1, seeds: 1 },
  { name: 'mixup alpha 0.4', mixupAlpha: 0.4, seeds: 1 },
  { name: 'augmented copies', augmented: true, seeds: 1 },
  { name: 'ensemble of 3 heads', seeds: 3 },
  { name: `test-time augmentation (plain + ${LEVER_TTA_VIEWS.join(' + ')})`, seeds: 1, tta: true },
  { name: 'augmented + smoothing 0.1 + 3 heads + TTA', augmented: true, labelSmoothing: 0.1, seeds: 3, tta: true },
];

export interface LeverScores {
  /** Scores by eval view (validation first), averaged over heads and TTA views. */
  scores: Record<string, Float32Array>;
  trainSeconds: number;
  /** Head forward passes per image at inference: heads x views. */
  headPasses: number;
  /** Backbone passes per image at inference. */
  backbonePasses: number;
}

export interface TrainLeverOptions {
  seed: number;
  maxEpochs: number;
  patience: number;
  dim: number;
  batchSize: number;
}

/** Trains `lever`'s heads on the cached features (early stopping on validation AUC, as `train`
 * does) and scores every eval view with them. */
export async function trainLever(
  lever: Lever,
  features: LeverFeatures,
  labels: { train: Uint8Array; val: Uint8Array },
  opts: TrainLeverOptions,
): Promise<LeverScores> {
  const { dim } = opts;
  const copies = lever.augmented ? features.train : features.train.slice(0, 1);
  const n = labels.train.length;
  const views = lever.tta ? ['plain', ...LEVER_TTA_VIEWS] : ['plain'];
  const perHead: Array<Record<string, Float32Array>> = [];
  const started = Date.now();
  for (let h = 0; h < lever.seeds; h++) {
    const seed = opts.seed + 1000 * h;
    const head = buildHead(dim, seed);
    const score = (x: Float32Array) =>
      tf.tidy(() => headForward(head, tf.tensor2d(x, [x.length / dim, dim])).dataSync() as Float32Array).slice();
    const valPlain = features.val['validation']!['plain']!;
    await fitWithEarlyStopping(
      {
        size: n * copies.length,
        labels: Uint8Array.from({ length: n * copies.length }, (_, r) => labels.train[r % n]!),
        batch: (rows) => {
          const x = new Float32Array(rows.length * dim);
          rows.forEach((r, i) => x.set(copies[Math.floor(r / n)]!.subarray((r % n) * dim, ((r % n) + 1) * dim), i * dim));
          return tf.tensor2d(x, [rows.length, dim]);
        },
      },
      {
        variables: headVariables(head),
        forward: (x, nextSeed) => headForward(head, x, nextSeed),
        penalty: () => headPenalty(head),
        validate: async () => score(valPlain),
        valLabels: labels.val,
        learningRate: HEAD_LEARNING_RATE,
        batchSize: opts.batchSize,
        seed,
        maxEpochs: opts.maxEpochs,
        patience: opts.patience,
        labelSmoothing: lever.labelSmoothing,
        mixupAlpha: lever.mixupAlpha,
      },
    );
    perHead.push(
      Object.fromEntries(Object.entries(features.val).map(([view, byTta]) => [view, averageScores(views.map((t) => score(byTta[t]!)))])),
    );
    head.dispose();
  }
  const trainSeconds = (Date.now() - started) / 1000;
  const scores = Object.fromEntries(Object.keys(features.val).map((view) => [view, averageScores(perHead.map((s) => s[view]!))]));
  return { scores, trainSeconds, headPasses: lever.seeds * views.length, backbonePasses: views.length };
}
