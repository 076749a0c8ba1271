import { z } from 'zod';
import { StudyId } from './ids';
import { OutOfScope } from './intended-use';
import { HeatmapRef, ImageDicomOutputs } from './result-artefacts';
import { ModelVersionId } from './registry';
import { DEFAULT_TENANT_ID, TenantId } from './tenants';

export const ImageJobData = z.object({
  studyId: StudyId,
  bucket: z.string().min(1),
  key: z.string().min(1),
  etag: z.string().min(1),
  versionId: z.string().min(1).optional(),
  /** The registry version that must classify this image, pinned with its study when queued; absent
   * when ingest has no registry, and the worker then uses its own model. */
  modelVersion: ModelVersionId.optional(),
});
export type ImageJobData = z.infer<typeof ImageJobData>;

export const StudyJobData = z.object({
  studyId: StudyId,
  bucket: z.string().min(1),
  imageCount: z.number().int().positive(),
  callbackUrl: z.string().url().optional(),
  externalRef: z.string().max(128).optional(),
  /** Why the folder's manifest.json was not used (not JSON, wrong types, too big); the study ran
   * with default options. Names the rule broken, never the manifest's text. */
  manifestIgnored: z.string().max(1000).optional(),
  submittedAt: z.string().datetime(),
  /** The version every image of the study is pinned to (see ImageJobData.modelVersion). */
  modelVersion: ModelVersionId.optional(),
});
export type StudyJobData = z.infer<typeof StudyJobData>;

export const Decision = z.enum(['NORMAL', 'PNEUMONIA']);
export type Decision = z.infer<typeof Decision>;

/** A result's decision: NOT_ASSESSED for an image (or a study of only such images) outside the
 * version's intended use, which gets no probability either. */
export const ResultDecision = z.enum(['NORMAL', 'PNEUMONIA', 'NOT_ASSESSED']);
export type ResultDecision = z.infer<typeof ResultDecision>;

/** What an image job returns; the study finaliser collects these from the flow's children. */
export const ImageResult = z.object({
  key: z.string(),
  etag: z.string(),
  probability: z.number().min(0).max(1).optional(),
  decision: ResultDecision.optional(),
  /** Why the decision is NOT_ASSESSED. */
  outOfScope: OutOfScope.optional(),
  /** Assessed, but the image lies nearer the edge of the training films than nearly all of them
   * (reason `unlike-training-data`): read its decision with care. */
  scopeFlag: OutOfScope.optional(),
  /** The threshold `decision` was made at: the version's own, or the site's once the study is
   * finalised with a site calibration. */
  threshold: z.number().min(0).max(1).optional(),
  error: z.string().optional(),
  /** On every image with a decision (NOT_ASSESSED included); absent on results written before
   * heatmaps and on images that could not be read. */
  heatmap: HeatmapRef.optional(),
  dicom: ImageDicomOutputs.optional(),
  modelVersion: z.string().optional(),
  engine: z.string().optional(),
  timing: z
    .object({
      downloadMs: z.number(),
      decodeMs: z.number(),
      inferenceMs: z.number(),
      batchSize: z.number().int(),
      heatmapMs: z.number().optional(),
    })
    .optional(),
});
export type ImageResult = z.infer<typeof ImageResult>;

export const DeliveryAttemptRecord = z.object({
  at: z.string(),
  outcome: z.enum(['delivered', 'retry', 'gone', 'refused']),
  status: z.number().int().optional(),
  latencyMs: z.number(),
  error: z.string().optional(),
});
export type DeliveryAttemptRecord = z.infer<typeof DeliveryAttemptRecord>;

export const WebhookJobData = z.object({
  /** Random, stored with the message, the same at every retry and replay (Standard Webhooks'
   * `webhook-id`): nobody can derive another tenant's ids. */
  messageId: z.string().min(1),
  /** Whose configuration signs the delivery: the secrets themselves never travel in jobs. */
  tenantId: TenantId.default(DEFAULT_TENANT_ID),
  url: z.string().url(),
  body: z.string().min(2),
  /** Every attempt so far, kept on the job so the dead-letter list shows what happened. */
  attempts: z.array(DeliveryAttemptRecord).default([]),
  /** Operator replays from the dead-letter list; each starts the retry schedule afresh at
   * `attempts[firstAttempt]`. */
  replays: z.array(z.object({ at: z.string(), firstAttempt: z.number().int().min(0) })).default([]),
});
export type WebhookJobData = z.infer<typeof WebhookJobData>;
export type NewWebhookJobData = z.input<typeof WebhookJobData>;
