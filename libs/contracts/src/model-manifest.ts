import { z } from 'zod';
import { IntendedUse } from './intended-use';
import { ValidationThresholdRule } from './threshold-rule';

/** How pixels become model input. Recorded with every model version so a worker always feeds a
 * version what it was trained on. */
export const Preprocessing = z.object({
  /** `mobilenet`: RGB scaled to [-1, 1]. `caffe`: RGB to BGR, ImageNet channel means subtracted. */
  mode: z.enum(['mobilenet', 'caffe']),
  inputSize: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  /** X-rays are grayscale; every backbone here was trained on 3-channel input. */
  channels: z.literal(3),
});
export type Preprocessing = z.infer<typeof Preprocessing>;

export const BinaryMetrics = z.object({
  n: z.number().int(),
  accuracy: z.number(),
  sensitivity: z.number(),
  specificity: z.number(),
  auc: z.number(),
  threshold: z.number(),
  confusion: z.object({ tp: z.number().int(), fp: z.number().int(), tn: z.number().int(), fn: z.number().int() }),
});
export type BinaryMetrics = z.infer<typeof BinaryMetrics>;

export const ModelManifest = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  architecture: z.enum(['mobilenet_v1_0.75', 'vgg16']),
  format: z.literal('tfjs-layers'),
  /** Relative to the version folder. */
  modelFile: z.string().default('model.json'),
  preprocessing: Preprocessing,
  classes: z.tuple([z.literal('NORMAL'), z.literal('PNEUMONIA')]),
  /** P(PNEUMONIA) at or above this is called PNEUMONIA. */
  threshold: z.number().min(0).max(1),
  /** How `threshold` was chosen; absent in versions made before it was recorded (those took the
   * empirical threshold at the target sensitivity). */
  thresholdRule: ValidationThresholdRule.optional(),
  metrics: z.record(z.string(), BinaryMetrics).default({}),
  data: z.record(z.string(), z.unknown()).default({}),
  parentVersion: z.string().nullable().default(null),
  /** What the version was made for; absent in versions made before it was recorded. */
  intendedUse: IntendedUse.optional(),
  codeVersion: z.string(),
  createdAt: z.string(),
});
export type ModelManifest = z.infer<typeof ModelManifest>;

/** `base.json` of a base model: ImageNet weights imported into a backbone built in code, for
 * training to start from. Not a classifier (no classes, no threshold), so it has its own manifest
 * and its own model name in the registry (baseModelName), never mixing with classifier versions. */
export const BaseModelManifest = z.object({
  kind: z.literal('base'),
  /** Derived from the imported weights and the input size: the same import, the same id. */
  version: z.string().min(1),
  architecture: ModelManifest.shape.architecture,
  format: z.literal('tfjs-layers'),
  modelFile: z.literal('model.json'),
  preprocessing: Preprocessing,
  featureLayer: z.string().min(1),
  featureDim: z.number().int().positive(),
  source: z.object({
    file: z.string(),
    format: z.enum(['keras-h5-weights', 'keras-h5-model', 'tfjs-layers']),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  layersMatched: z.number().int().nonnegative(),
  params: z.number().int().nonnegative(),
  /** Source layers with weights the architecture has no use for (e.g. an ImageNet classifier). */
  ignoredLayers: z.array(z.string()),
  createdAt: z.string(),
});
export type BaseModelManifest = z.infer<typeof BaseModelManifest>;

/** The registry model name base models of an architecture are kept under. */
export function baseModelName(architecture: ModelManifest['architecture']): string {
  return `base-${architecture}`;
}
