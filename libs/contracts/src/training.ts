import { z } from 'zod';
import { BinaryMetrics } from './model-manifest';
import { ModelVersionId } from './registry';

/** A `retrain` job: what the operator asked for. Unset fields take the trainer's defaults. */
export const RetrainJobData = z.object({
  requestedAt: z.string().datetime(),
  /** Refuse to train unless at least this many images got a label since production was trained. */
  minNewLabels: z.number().int().min(0).default(0),
  maxEpochs: z.number().int().min(1).max(1000).optional(),
  fineTuneEpochs: z.number().int().min(0).max(1000).optional(),
  augmentCopies: z.number().int().min(0).max(16).optional(),
  shapeSwapCopies: z.number().int().min(0).max(16).optional(),
});
export type RetrainJobData = z.infer<typeof RetrainJobData>;
export type NewRetrainJobData = z.input<typeof RetrainJobData>;

/** BullMQ deduplication id of retrain jobs: while one is waiting or running, adding another
 * returns the first, so only one training job ever runs. */
export const RETRAIN_DEDUPLICATION_ID = 'retrain';

export const RetrainPhase = z.enum(['dataset', 'extract', 'train', 'evaluate', 'publish']);
export type RetrainPhase = z.infer<typeof RetrainPhase>;

/** What a retrain job reports with `job.updateProgress`, for `pneumoscreen retrain --wait`. */
export const RetrainProgress = z.object({
  phase: RetrainPhase,
  /** A line for humans: what is being done right now. */
  message: z.string(),
  /** Of the current phase (or training stage): done of total, when countable. */
  done: z.number().int().min(0).optional(),
  total: z.number().int().min(0).optional(),
  stage: z.enum(['head', 'fine-tune']).optional(),
  epoch: z.number().int().optional(),
  maxEpochs: z.number().int().optional(),
  loss: z.number().optional(),
  valAuc: z.number().optional(),
  /** Estimated seconds left in the current phase or stage. */
  etaSeconds: z.number().min(0).optional(),
  elapsedMs: z.number().min(0),
});
export type RetrainProgress = z.infer<typeof RetrainProgress>;

export const ComparedMetrics = z.object({
  model: z.enum(['production', 'candidate']),
  version: z.string(),
  /** `validation`: the fixed patient-grouped split of the base data; `feedback`: labelled feedback
   * held back from training. */
  set: z.enum(['validation', 'feedback']),
  /** `threshold`: the one each model was measured at, its own calibrated one. */
  ...BinaryMetrics.omit({ confusion: true }).shape,
});
export type ComparedMetrics = z.infer<typeof ComparedMetrics>;

/** The return value of a finished retrain job. A gate that fails is a finished job, not a failed
 * one: the candidate is published for inspection and no channel moves. */
export const RetrainResult = z.object({
  candidateVersion: ModelVersionId,
  productionVersion: ModelVersionId.nullable(),
  comparison: z.array(ComparedMetrics),
  gate: z.object({ passed: z.boolean(), reasons: z.array(z.string()) }),
  /** What the promotion policy did with a candidate that passed. */
  action: z.enum(['none', 'canary', 'promoted']),
  data: z.object({
    baseImages: z.number().int(),
    feedbackTrainImages: z.number().int(),
    feedbackHeldBackImages: z.number().int(),
    newLabels: z.number().int(),
    disagreements: z.number().int(),
  }),
  seconds: z.number(),
});
export type RetrainResult = z.infer<typeof RetrainResult>;
