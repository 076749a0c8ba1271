import { z } from 'zod';
import { ImageResult, ResultDecision } from './jobs';
import { OutOfScopeReason } from './intended-use';
import { StudyId } from './ids';
import { StudyDicomOutputs } from './result-artefacts';

/** `incoming/<studyId>/manifest.json`: marks a study complete and carries its options. */
export const StudyManifest = z
  .object({
    callbackUrl: z.string().url().optional(),
    externalRef: z.string().max(128).optional(),
  })
  .passthrough();
export type StudyManifest = z.infer<typeof StudyManifest>;

export const SubmitStudyRequest = z.object({
  studyId: StudyId.optional(),
  bucket: z.string().min(3).max(63).optional(),
  keys: z.array(z.string().min(1).max(1024)).min(1).max(10_000),
  callbackUrl: z.string().url().optional(),
  externalRef: z.string().max(128).optional(),
});
export type SubmitStudyRequest = z.infer<typeof SubmitStudyRequest>;

export const StudyStatus = z.enum(['collecting', 'queued', 'completed', 'failed']);
export type StudyStatus = z.infer<typeof StudyStatus>;

/** `results/<studyId>.json` and the `data` of study webhooks. */
export const StudyResult = z.object({
  studyId: StudyId,
  bucket: z.string(),
  status: z.enum(['completed', 'failed']),
  externalRef: z.string().optional(),
  /** PNEUMONIA if any assessed image is; NOT_ASSESSED when every image read was out of scope. */
  decision: ResultDecision.optional(),
  /** Images outside the version's intended use (decision NOT_ASSESSED), by reason; absent when none. */
  outOfScope: z.object({ count: z.number().int().positive(), reasons: z.record(OutOfScopeReason, z.number().int().positive()) }).optional(),
  maxProbability: z.number().optional(),
  modelVersion: z.string().optional(),
  /** The threshold the decisions were made at, and whose it is: the version's own (`model`) or one
   * fitted for this study's site (`site:<bucket>`, see `pneumoscreen models calibrate`). */
  threshold: z.number().optional(),
  thresholdSource: z.string().optional(),
  images: z.array(ImageResult),
  submittedAt: z.string(),
  completedAt: z.string(),
  resultsKey: z.string(),
  dicom: StudyDicomOutputs.optional(),
  /** Why the study's own `callbackUrl` received nothing (its host is not the tenant's); the
   * configured endpoints got the result all the same. */
  callbackRefused: z.string().optional(),
  /** Why the folder's manifest.json was not used (not JSON, wrong types, too big): the study ran
   * on its images with default options, and this says so rather than only a log line. */
  manifestIgnored: z.string().optional(),
  /** Objects of the study recorded after it was queued (uploaded late, or overwritten) up to
   * when it was finalised: not classified here; send them as a new study. Later ones are counted
   * in `GET /v1/studies/:id` only. */
  lateObjects: z.number().int().positive().optional(),
});
export type StudyResult = z.infer<typeof StudyResult>;

export function resultsKey(studyId: string): string {
  return `results/${studyId}.json`;
}
