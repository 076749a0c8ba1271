import { z } from 'zod';
import { StudyId } from './ids';

/**
 * A push of a study's DICOM outputs (its SR and heatmap Secondary Captures) to the configured
 * DICOMweb STOW-RS endpoint. Only S3 keys travel: the objects, and the patient attributes they
 * carry, are read from the study's bucket when the job runs.
 */
export const PacsJobData = z.object({
  studyId: StudyId,
  bucket: z.string().min(1),
  /** The SR first, then the Secondary Captures; all of one STOW-RS request. */
  keys: z.array(z.string().min(1)).min(1).max(10_000),
  /** Where the outcome is written once the push is over (`results/<studyId>.pacs.json`). */
  statusKey: z.string().min(1),
});
export type PacsJobData = z.infer<typeof PacsJobData>;

/** What the result (and so its webhook) says at finalise: the push is queued, its outcome will be at
 * `statusKey`. */
export const PacsQueued = z.object({ status: z.literal('queued'), statusKey: z.string().min(1) }).strict();
export type PacsQueued = z.infer<typeof PacsQueued>;

/** An instance the server refused (STOW-RS Failed SOP Sequence), with its Failure Reason code
 * (PS3.18 Table I.2-1, e.g. 0xA700 out of resources, 0xC000 cannot understand). */
export const PacsFailedInstance = z.object({
  sopInstanceUid: z.string().optional(),
  sopClassUid: z.string().optional(),
  failureReason: z.number().int().optional(),
});
export type PacsFailedInstance = z.infer<typeof PacsFailedInstance>;

/**
 * `results/<studyId>.pacs.json`, written when the push is over: `delivered`, every instance stored;
 * `failed`, refused (a 4xx, or a response naming failed instances: permanent) or out of attempts
 * (5xx, network, timeout). `reason` names the HTTP status or error class, never a header value.
 */
export const PacsDeliveryStatus = z.object({
  status: z.enum(['delivered', 'failed']),
  at: z.string().datetime(),
  attempts: z.number().int().min(1),
  httpStatus: z.number().int().optional(),
  reason: z.string().optional(),
  /** Instances sent, and those the server said it stored. */
  sent: z.number().int().min(0),
  stored: z.number().int().min(0).optional(),
  failedInstances: z.array(PacsFailedInstance).optional(),
  /** Keys queued but gone from the bucket when the push ran (a Secondary Capture deleted since). */
  missingKeys: z.array(z.string()).optional(),
});
export type PacsDeliveryStatus = z.infer<typeof PacsDeliveryStatus>;

/** `results/<studyId>.pacs.json`, beside `results/<studyId>.json`. */
export function pacsStatusKey(studyId: string): string {
  return `results/${studyId}.pacs.json`;
}

/** One push per finalise run: a retried finalise writes a new SR (a new SOP Instance UID), and that
 * is the one to push; a re-queue within one run is deduplicated. */
export function pacsJobId(studyId: string, completedAt: string): string {
  return `pacs-${studyId}-${Date.parse(completedAt)}`;
}
