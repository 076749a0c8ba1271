import { resolve } from 'node:path';
import type { Env } from '../env';
import { repoPath } from '../repo-paths';

export interface FeedbackConfig {
  /** Key prefix in `s3.bucket` of the append-only label records. */
  prefix: string;
  /** Share of labelled studies kept out of training to compare candidates on. */
  holdoutFraction: number;
}

export interface TrainerConfig {
  pools: Array<'feedback' | 'training'>;
  /** The base labelled data set (NORMAL/ and PNEUMONIA/ folders) every retrain starts from;
   * its patient-grouped validation split is the fixed yardstick of every candidate. */
  dataDir?: string;
  /** Activation caches and downloaded feedback images; `<repo>/.cache/trainer` by default. */
  workDir: string;
  /** The ImageNet backbone a first model is trained from when no version is in production. */
  baseModelDir: string;
  valFraction: number;
  seed: number;
  targetSensitivity: number;
  /** What happens to a candidate that passes the gate. */
  promotionPolicy: Env['PROMOTION_POLICY'];
  canaryFraction: number;
  /** The gate refuses a candidate whose AUC is lower than production's by more than this. */
  maxAucDrop: number;
  /** Every candidate also gets an int8 model (model.int8.onnx) before it is published, for
   * workers with ENGINE=onnxruntime-int8; one whose int8 model strays fails the gate. */
  int8: boolean;
}

export function feedbackSection(e: Env): FeedbackConfig {
  return { prefix: e.FEEDBACK_PREFIX, holdoutFraction: e.FEEDBACK_HOLDOUT_FRACTION };
}

export function trainerSection(e: Env): TrainerConfig {
  return {
    pools: e.TRAINER_POOLS,
    dataDir: e.TRAINING_DATA_DIR && resolve(e.TRAINING_DATA_DIR),
    workDir: resolve(e.TRAINING_WORK_DIR ?? repoPath('.cache/trainer')),
    baseModelDir: resolve(e.TRAINING_BASE_MODEL_DIR ?? repoPath('models/base/mobilenet_v1_0.75_224')),
    valFraction: e.TRAINING_VAL_FRACTION,
    seed: e.TRAINING_SEED,
    targetSensitivity: e.TARGET_SENSITIVITY,
    promotionPolicy: e.PROMOTION_POLICY,
    canaryFraction: e.CANARY_FRACTION,
    maxAucDrop: e.PROMOTION_MAX_AUC_DROP,
    int8: e.TRAINING_INT8,
  };
}
