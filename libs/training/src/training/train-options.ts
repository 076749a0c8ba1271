import type { IntendedUse, ModelManifest, ThresholdMethod } from '@pneumoscreen/contracts';
import { DEFAULT_CONFIDENCE, DEFAULT_THRESHOLD_METHOD, type LabelledImage } from '@pneumoscreen/evaluation';
import type { ThresholdMethodRow } from './threshold-choice';
import type { EpochResult } from './fit';

export interface TrainOptions {
  dataDir: string;
  /** Key of BACKBONES, e.g. `mobilenet`. */
  backbone: string;
  /** Folder holding the backbone's TF.js files. */
  backboneDir: string;
  /** A trained version folder to start from instead: its layers up to the feature layer are the
   * backbone (`backboneDir` is then not read) and its head's weights start the head. It becomes
   * the new version's parent. */
  initFrom?: string;
  /** Labelled images (e.g. readers' feedback) added to the training side only, so validation
   * stays the base data's fixed split; recorded as the manifest's `data.feedback`. */
  extraTrainImages?: LabelledImage[];
  /** The latest label time of the feedback this run read, recorded as `data.feedback.until`. */
  feedbackUntil?: string | null;
  /** Registry folder: the version is written to `<outDir>/<version>/` and made CURRENT. */
  outDir: string;
  /** Recorded in the manifest; PAEDIATRIC_CHEST when absent (the Kermany films: ages 1-5). */
  intendedUse?: IntendedUse;
  /** Fit the image-content guard (guard.json) on the training films; default true. Needs at least
   * 60 training films (a smaller set trains a version without one). */
  guard?: boolean;
  cacheDir: string;
  targetSensitivity: number;
  /** How the threshold is chosen on validation for the target (see chooseThreshold): with
   * `thresholdConfidence` that the next images keep it, except `empirical` (on validation only). */
  thresholdMethod: ThresholdMethod;
  thresholdConfidence: number;
  seed: number;
  /** Head phase (frozen backbone). */
  maxEpochs: number;
  patience: number;
  /** Top blocks of the backbone trained in the second phase; 0 skips it. */
  fineTuneBlocks: number;
  fineTuneEpochs: number;
  fineTunePatience: number;
  /** Adam's step size in phase 2. */
  fineTuneLearningRate: number;
  valFraction: number;
  workers: number;
  /** Augmented copies of each image added to the plain one (0 = none); validation's copies are
   * the test-time augmentation views. */
  augmentCopies: number;
  /** Copies of each training image with the other class's film shape (see shapeSwappedInput); 0 = none. */
  shapeSwapCopies: number;
  /** Label smoothing epsilon of both phases' targets; absent or 0: none (see README: Model levers). */
  labelSmoothing?: number;
  /** Mixup Beta(alpha, alpha) of both phases' batches; absent or 0: none. */
  mixupAlpha?: number;
  codeVersion: string;
  onProgress?: (event: TrainProgress) => void;
}

export type TrainStage = 'head' | 'fine-tune';

export type TrainProgress =
  | { phase: 'list'; images: number }
  | { phase: 'split'; train: number; val: number; trainPatients: number; valPatients: number }
  | { phase: 'extract'; pass: string; done: number; total: number; fromCache: number; elapsedMs: number }
  | { phase: 'pool'; done: number; total: number; elapsedMs: number }
  | {
      phase: 'train';
      stage: TrainStage;
      epoch: number;
      maxEpochs: number;
      patience: number;
      bestEpoch: number;
      batch: number;
      batches: number;
      elapsedMs: number;
      /** Set once the epoch is over. */
      result?: EpochResult;
    }
  | { phase: 'score'; view: string; done: number; total: number; elapsedMs: number }
  | { phase: 'export'; dir: string };

export interface TrainResult {
  versionDir: string;
  manifest: ModelManifest;
  baseImages: number;
  /** Extra training images used: those given, less any with a validation image's bytes. */
  extraImages: number;
  /** The validation images, in the order they were scored. */
  validation: LabelledImage[];
  /** What every threshold method would choose on the served model's validation scores. */
  thresholdMethods: ThresholdMethodRow[];
}

/** The recipe's defaults, shared by `pneumoscreen train` and the trainer's retrain jobs. */
export const TRAINING_DEFAULTS = {
  maxEpochs: 100,
  patience: 15,
  fineTuneBlocks: 2,
  fineTuneEpochs: 12,
  fineTunePatience: 3,
  fineTuneLearningRate: 1e-5,
  augmentCopies: 3,
  shapeSwapCopies: 4,
  thresholdMethod: DEFAULT_THRESHOLD_METHOD,
  thresholdConfidence: DEFAULT_CONFIDENCE,
} as const;
