import {
  binaryMetrics,
  brierScore,
  expectedCalibrationError,
  listDataset,
  meanConfidence,
  mulberry32,
  shuffle,
  thresholdForSensitivity,
  type LabelledImage,
} from '@pneumoscreen/evaluation';
import { initWasmTrainingBackend } from '../tfjs/wasm-training-kernels';
import { backboneKey, BACKBONES } from '../training/backbones';
import { buildTrainingSet } from '../training/training-set';
import { leverFeatures } from './lever-features';
import { LEVERS, trainLever, type Lever } from './levers';

export interface LeverRunOptions {
  dataDir: string;
  backbone: string;
  backboneDir: string;
  cacheDir: string;
  seed: number;
  valFraction: number;
  /** Training / validation images kept (a seeded sample of each side of the patient split), to
   * bound the backbone passes; undefined keeps all. */
  maxTrain?: number;
  maxVal?: number;
  augmentCopies: number;
  targetSensitivity: number;
  maxEpochs: number;
  patience: number;
  workers: number;
  levers?: Lever[];
  onProgress?: (line: string) => void;
}

export interface ViewResult {
  auc: number;
  /** At the lever's threshold chosen on validation. */
  sensitivity: number;
  specificity: number;
  brier: number;
  ece: number;
  /** Mean max(p, 1 - p) over all images, and over those the threshold gets wrong. */
  confidence: number;
  confidenceWhenWrong: number;
}

export interface LeverResult {
  lever: string;
  threshold: number;
  views: Record<string, ViewResult>;
  trainSeconds: number;
  backbonePasses: number;
  headPasses: number;
}

export interface LeverRun {
  images: { train: number; val: number; trainNormal: number; valNormal: number };
  /** Backbone passes this run computed (not read from the cache) and their seconds. */
  extraction: { passes: number; seconds: number };
  results: LeverResult[];
}

/** Every lever trained on the same cached features and scored on validation and the stress views. */
export async function runLevers(opts: LeverRunOptions): Promise<LeverRun> {
  const backbone = BACKBONES[opts.backbone];
  if (!backbone) throw new Error(`unknown backbone "${opts.backbone}"`);
  const say = opts.onProgress ?? (() => undefined);
  const base = await listDataset(opts.dataDir);
  const set = buildTrainingSet(base, [], opts.valFraction, opts.seed);
  const sample = (indexes: number[], max: number | undefined): LabelledImage[] => {
    const kept = max === undefined ? indexes : shuffle([...indexes], mulberry32(opts.seed + 7)).slice(0, max);
    return kept.map((i) => base[i]!);
  };
  const train = sample(set.train, opts.maxTrain);
  const val = sample(set.val, opts.maxVal);
  say(`${train.length} training and ${val.length} validation images\n`);
  const key = await backboneKey(opts.backboneDir, backbone);
  let lastPass = '';
  const features = await leverFeatures(train, val, {
    backbone,
    backboneDir: opts.backboneDir,
    backboneKey: key,
    cacheDir: opts.cacheDir,
    seed: opts.seed,
    augmentCopies: opts.augmentCopies,
    workers: opts.workers,
    onProgress: (pass, done, total) => {
      if (done === total && pass !== lastPass) say(`features ${pass}: ${total}\n`);
      if (done === total) lastPass = pass;
    },
  });
  await initWasmTrainingBackend();
  const labels = { train: Uint8Array.from(train, (i) => i.label), val: Uint8Array.from(val, (i) => i.label) };
  const results: LeverResult[] = [];
  for (const lever of opts.levers ?? LEVERS) {
    const scored = await trainLever(lever, features, labels, {
      seed: opts.seed,
      maxEpochs: opts.maxEpochs,
      patience: opts.patience,
      dim: backbone.featureDim,
      batchSize: 32,
    });
    const threshold = thresholdForSensitivity(scored.scores['validation']!, labels.val, opts.targetSensitivity);
    const views = Object.fromEntries(Object.entries(scored.scores).map(([view, s]) => [view, viewResult(s, labels.val, threshold)]));
    results.push({
      lever: lever.name,
      threshold,
      views,
      trainSeconds: scored.trainSeconds,
      backbonePasses: scored.backbonePasses,
      headPasses: scored.headPasses,
    });
    say(`${lever.name}: validation AUC ${views['validation']!.auc.toFixed(4)} (${scored.trainSeconds.toFixed(1)} s)\n`);
  }
  const normals = (images: LabelledImage[]) => images.filter((i) => i.label === 0).length;
  return {
    images: { train: train.length, val: val.length, trainNormal: normals(train), valNormal: normals(val) },
    extraction: features.computed,
    results,
  };
}

export function viewResult(scores: Float32Array, labels: Uint8Array, threshold: number): ViewResult {
  const m = binaryMetrics(scores, labels, threshold);
  const wrong = scores.filter((s, i) => (s >= threshold ? 1 : 0) !== labels[i]);
  return {
    auc: m.auc,
    sensitivity: m.sensitivity,
    specificity: m.specificity,
    brier: brierScore(scores, labels),
    ece: expectedCalibrationError(scores, labels),
    confidence: meanConfidence(scores),
    confidenceWhenWrong: wrong.length ? meanConfidence(wrong) : Number.NaN,
  };
}
