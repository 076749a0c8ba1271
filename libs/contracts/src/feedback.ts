import { z } from 'zod';
import { StudyId } from './ids';
import { Decision } from './jobs';

/** Who gave a label: a reader's id in the customer's system, never a name or free text. */
export const ReaderId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@:-]{0,127}$/, 'must be 1-128 of A-Z a-z 0-9 . _ @ : - and start with a letter or digit');

/** `POST /v1/feedback`: a reader's label for one image of a completed study, or for all of them. */
export const FeedbackRequest = z
  .object({
    studyId: StudyId,
    /** The study's bucket; S3_BUCKET when absent. */
    bucket: z.string().min(3).max(63).optional(),
    /** One image of the study (its S3 key); absent: the label is for every image of the study. */
    key: z.string().min(1).max(1024).optional(),
    label: Decision,
    readerId: ReaderId,
    comment: z.string().max(2000).optional(),
  })
  .strict();
export type FeedbackRequest = z.infer<typeof FeedbackRequest>;

/** An image a label is about, as the study's result named it: the ETag pins the exact bytes. */
export const LabelledImageRef = z.object({
  key: z.string().min(1),
  etag: z.string().min(1),
  /** The version that classified it, and what it said, for held-back comparisons. */
  modelVersion: z.string().optional(),
  probability: z.number().min(0).max(1).optional(),
});
export type LabelledImageRef = z.infer<typeof LabelledImageRef>;

/** The `record-feedback` job, and (with `recordedAt`) the record the trainer appends to S3. The
 * reader's comment is free text that may hold patient data, so it stays in S3 beside the records
 * (`commentKey`) and out of Redis and logs. */
export const FeedbackJobData = z.object({
  feedbackId: z.string().uuid(),
  studyId: StudyId,
  bucket: z.string().min(3).max(63),
  scope: z.enum(['image', 'study']),
  images: z.array(LabelledImageRef).min(1),
  label: Decision,
  readerId: ReaderId,
  receivedAt: z.string().datetime(),
  commentKey: z.string().min(1).optional(),
});
export type FeedbackJobData = z.infer<typeof FeedbackJobData>;

export const FeedbackRecord = FeedbackJobData.extend({ recordedAt: z.string().datetime() });
export type FeedbackRecord = z.infer<typeof FeedbackRecord>;

/** `202` answer to `POST /v1/feedback`. */
export const FeedbackAccepted = z.object({ feedbackId: z.string().uuid(), studyId: StudyId, images: z.number().int().positive() });
export type FeedbackAccepted = z.infer<typeof FeedbackAccepted>;

/** Where feedback lives in the data bucket, under FEEDBACK_PREFIX: one immutable object per label,
 * named by day and id, so the data set only ever grows and a retried job rewrites the same key. */
export function feedbackRecordKey(prefix: string, r: Pick<FeedbackJobData, 'feedbackId' | 'receivedAt'>): string {
  return `${prefix}records/${r.receivedAt.slice(0, 10)}/${r.feedbackId}.json`;
}

export function feedbackCommentKey(prefix: string, feedbackId: string): string {
  return `${prefix}comments/${feedbackId}.json`;
}
