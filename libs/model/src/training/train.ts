import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ModelManifest } from '@pneumoscreen/contracts';
import { preprocess } from '@pneumoscreen/imaging';
import { TfjsWasmEngine } from '../engine/tfjs-wasm-engine';
import { binaryMetrics, thresholdForSensitivity } from '../metrics/binary';
import { backboneKey, BACKBONES } from './backbones';
import { listDataset, type LabelledImage } from './dataset';
import { writeVersion, buildFullModel } from './export';
import { FeatureCache } from './feature-cache';
import { extractFeatures } from './features';
import { AUGMENTATION_RECIPE, augmentedCacheKey, augmentedInput } from './augmented-input';
import { trainHead } from './head';
import { patientSplit } from './split';

export interface TrainOptions {
  dataDir: string;
  /** Key of BACKBONES, e.g. `mobilenet`. */
  backbone: string;
  /** Folder holding the backbone's TF.js files. */
  backboneDir: string;
  /** Registry folder: the version is written to `<outDir>/<version>/` and made CURRENT. */
  outDir: string;
  cacheDir: string;
  targetSensitivity: number;
  seed: number;
  maxEpochs: number;
  patience: number;
  valFraction: number;
  workers: number;
  /** Augmented copies of each training image added to the plain one (0 = none). */
  augmentCopies: number;
  codeVersion: string;
  onProgress?: (event: TrainProgress) => void;
}

export type TrainProgress =
  | { phase: 'list'; images: number }
  | { phase: 'split'; train: number; val: number; trainPatients: number; valPatients: number }
  | { phase: 'extract'; pass: string; done: number; total: number; fromCache: number; elapsedMs: number }
  | { phase: 'train'; epoch: number; maxEpochs: number; loss: number; valAuc: number; best: boolean; elapsedMs: number }
  | { phase: 'export'; dir: string };

export interface TrainResult {
  versionDir: string;
  manifest: ModelManifest;
}

/** Scores exported by the full model may differ from the head's by float rounding only. */
const EXPORT_TOLERANCE = 1e-3;
const EXPORT_CHECK_IMAGES = 16;

/** Frozen-backbone transfer learning, from a labelled folder to a released version folder. */
export async function trainModel(opts: TrainOptions): Promise<TrainResult> {
  const backbone = BACKBONES[opts.backbone];
  if (!backbone) throw new Error(`unknown backbone "${opts.backbone}" (known: ${Object.keys(BACKBONES).join(', ')})`);
  const progress = opts.onProgress ?? (() => undefined);

  const images = await listDataset(opts.dataDir);
  progress({ phase: 'list', images: images.length });
  const split = patientSplit(images, opts.valFraction, opts.seed);
  progress({ phase: 'split', train: split.train.length, val: split.val.length, trainPatients: split.trainGroups, valPatients: split.valGroups });

  const key = await backboneKey(opts.backboneDir, backbone);
  const extractStart = Date.now();
  const extract = async (pass: string, cacheKey: string, subset: LabelledImage[], prepare: (b: Buffer) => Promise<Float32Array>) => {
    const passStart = Date.now();
    return extractFeatures(subset, {
      backboneDir: opts.backboneDir,
      backbone,
      cache: await FeatureCache.open(opts.cacheDir, cacheKey, backbone.featureDim),
      prepare,
      workers: opts.workers,
      batchSize: 16,
      onProgress: (p) => progress({ phase: 'extract', pass, ...p, elapsedMs: Date.now() - passStart }),
    });
  };
  const features = await extract('plain', `${key}-plain`, images, (bytes) => preprocess(bytes, backbone.preprocessing));
  const trainImages = split.train.map((i) => images[i]!);
  const trainX = [split.train.map((i) => features[i]!)];
  for (let copy = 1; copy <= opts.augmentCopies; copy++) {
    const prepare = augmentedInput(backbone.preprocessing, opts.seed, copy);
    trainX.push(await extract(`augmented ${copy}/${opts.augmentCopies}`, augmentedCacheKey(key, opts.seed, copy), trainImages, prepare));
  }
  const extractSeconds = (Date.now() - extractStart) / 1000;

  const trainLabels = Uint8Array.from(trainImages, (i) => i.label);
  const train = {
    x: concat(trainX.flat(), backbone.featureDim),
    y: Uint8Array.from({ length: trainLabels.length * trainX.length }, (_, i) => trainLabels[i % trainLabels.length]!),
  };
  const val = {
    x: concat(split.val.map((i) => features[i]!), backbone.featureDim),
    y: Uint8Array.from(split.val, (i) => images[i]!.label),
  };
  const trainStart = Date.now();
  const head = await trainHead(train, val, {
    dim: backbone.featureDim,
    seed: opts.seed,
    maxEpochs: opts.maxEpochs,
    patience: opts.patience,
    onEpoch: (e) => progress({ phase: 'train', ...e, maxEpochs: opts.maxEpochs, elapsedMs: Date.now() - trainStart }),
  });

  const threshold = thresholdForSensitivity(head.valScores, val.y, opts.targetSensitivity);
  const metrics = { validation: binaryMetrics(head.valScores, val.y, threshold) };
  const createdAt = new Date();
  const manifest: ModelManifest = {
    name: 'pneumoscreen-pneumonia',
    version: `${backbone.architecture}-${stamp(createdAt)}`,
    architecture: backbone.architecture,
    format: 'tfjs-layers',
    modelFile: 'model.json',
    preprocessing: backbone.preprocessing,
    classes: ['NORMAL', 'PNEUMONIA'],
    threshold,
    metrics,
    data: {
      dataset: path.basename(path.resolve(opts.dataDir)),
      counts: countLabels(images),
      uniqueImages: new Set(images.map((i) => i.sha256)).size,
      split: {
        method: 'patient-grouped (file-name patient id, identical files merged), class-balanced',
        seed: opts.seed,
        valFraction: opts.valFraction,
        train: { ...countLabels(split.train.map((i) => images[i]!)), patients: split.trainGroups },
        validation: { ...countLabels(split.val.map((i) => images[i]!)), patients: split.valGroups },
        filesWithoutPatientId: split.ungrouped,
      },
      targetSensitivity: opts.targetSensitivity,
      backbone: { folder: backbone.folder, featureLayer: backbone.featureLayer, frozen: true, key },
      head: 'GAP -> dropout 0.2 -> dense 128 relu (l2 1e-4) -> dropout 0.5 -> dense 1 sigmoid',
      training: {
        optimizer: 'adam',
        learningRate: 1e-3,
        classWeighted: true,
        earlyStopping: { metric: 'validation AUC', patience: opts.patience },
        bestEpoch: head.bestEpoch,
        epochsRun: head.epochsRun,
        augmentation: opts.augmentCopies ? { copiesPerTrainingImage: opts.augmentCopies, recipe: AUGMENTATION_RECIPE } : 'none',
        featureExtractionSeconds: round(extractSeconds),
        headTrainingSeconds: round((Date.now() - trainStart) / 1000),
      },
    },
    parentVersion: null,
    codeVersion: opts.codeVersion,
    createdAt: createdAt.toISOString(),
  };

  const full = await buildFullModel(opts.backboneDir, backbone, head.model);
  await fs.mkdir(opts.outDir, { recursive: true });
  const versionDir = await writeVersion(opts.outDir, full, { manifest, metrics });
  progress({ phase: 'export', dir: versionDir });
  await checkExport(versionDir, manifest, split.val.slice(0, EXPORT_CHECK_IMAGES).map((i) => images[i]!), head.valScores);
  return { versionDir, manifest };
}

/** The released folder must score like the head that was measured, or its metrics are a lie. */
async function checkExport(versionDir: string, manifest: ModelManifest, sample: LabelledImage[], expected: Float32Array) {
  const engine = await TfjsWasmEngine.load(versionDir, manifest.modelFile, manifest.preprocessing.inputSize);
  try {
    const inputs = await Promise.all(sample.map(async (img) => preprocess(await fs.readFile(img.path), manifest.preprocessing)));
    const scores = await engine.predict(concat(inputs, inputs[0]!.length), sample.length);
    scores.forEach((s, i) => {
      if (Math.abs(s - expected[i]!) > EXPORT_TOLERANCE) {
        throw new Error(`exported model scores ${s} where the trained head gave ${expected[i]} (image ${i})`);
      }
    });
  } finally {
    await engine.dispose();
  }
}

function concat(parts: Float32Array[], size: number): Float32Array {
  const out = new Float32Array(parts.length * size);
  parts.forEach((p, i) => out.set(p, i * size));
  return out;
}

function countLabels(images: ReadonlyArray<{ label: 0 | 1 }>): { NORMAL: number; PNEUMONIA: number } {
  const pneumonia = images.filter((i) => i.label === 1).length;
  return { NORMAL: images.length - pneumonia, PNEUMONIA: pneumonia };
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
