import { createHash } from 'node:crypto';
import { normaliseEtag, type Decision, type FeedbackRecord } from '@pneumoscreen/contracts';

/** The current label of one image: the latest of its readers' labels. */
export interface ImageLabel {
  bucket: string;
  key: string;
  etag: string;
  studyId: string;
  label: Decision;
  /** When the winning label was received. */
  labelledAt: string;
  /** Labels the image received in all. */
  labels: number;
  /** True when its readers did not all agree. */
  disputed: boolean;
  /** What the classifying version said, from the study's result. */
  modelVersion?: string;
  probability?: number;
}

export interface LabelSet {
  images: ImageLabel[];
  /** Images whose labels disagree. */
  disagreements: number;
  records: number;
}

/**
 * Folds the records into one label per image (bucket, key, ETag): the latest received wins, ties
 * broken by feedback id so the result never depends on listing order. Disagreements are kept and
 * counted, not dropped: they are the cases readers should look at again.
 */
export function currentLabels(records: readonly FeedbackRecord[]): LabelSet {
  const byImage = new Map<string, { latest: ImageLabel; seen: Set<Decision> }>();
  const ordered = [...records].sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.feedbackId.localeCompare(b.feedbackId));
  for (const r of ordered) {
    for (const img of r.images) {
      const id = `${r.bucket}\u0000${img.key}\u0000${normaliseEtag(img.etag)}`;
      const entry = byImage.get(id);
      const labels = (entry?.latest.labels ?? 0) + 1;
      const latest: ImageLabel = {
        bucket: r.bucket,
        key: img.key,
        etag: normaliseEtag(img.etag),
        studyId: r.studyId,
        label: r.label,
        labelledAt: r.receivedAt,
        labels,
        disputed: false,
        ...(img.modelVersion === undefined ? {} : { modelVersion: img.modelVersion }),
        ...(img.probability === undefined ? {} : { probability: img.probability }),
      };
      const seen = entry?.seen ?? new Set<Decision>();
      seen.add(r.label);
      latest.disputed = seen.size > 1;
      byImage.set(id, { latest, seen });
    }
  }
  const images = [...byImage.values()].map((e) => e.latest);
  images.sort((a, b) => a.bucket.localeCompare(b.bucket) || a.key.localeCompare(b.key) || a.etag.localeCompare(b.etag));
  return { images, disagreements: images.filter((i) => i.disputed).length, records: records.length };
}

/**
 * Whether a study's labels are held back from training to compare candidates on. Decided per study
 * (a study's images are one patient) by a hash, so it never changes between retrains and a held-back
 * image never leaks into a later training set.
 */
export function isHeldBack(bucket: string, studyId: string, fraction: number): boolean {
  if (fraction <= 0) return false;
  const h = createHash('sha256').update(`${bucket}\u0000${studyId}`).digest();
  return h.readUInt32BE(0) / 2 ** 32 < fraction;
}
