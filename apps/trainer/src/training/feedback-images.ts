import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { normaliseEtag } from '@pneumoscreen/contracts';
import { isHeldBack, type ImageLabel } from '@pneumoscreen/feedback';
import { ImageDecodeError, decodeToRgb, looksLikeDicom } from '@pneumoscreen/imaging';
import type { LabelledImage } from '@pneumoscreen/evaluation';
import { ObjectNotFoundError, ObjectTooLargeError, type ObjectStore } from '@pneumoscreen/storage';

/** Downloads in flight: S3 latency, not bandwidth, bounds a folder of small images. */
const PARALLEL = 8;

export interface FeedbackImage {
  label: ImageLabel;
  image: LabelledImage;
}

export interface FeedbackDownload {
  /** In the order of the labels given. */
  images: FeedbackImage[];
  /** Labelled images left out: their object now has other bytes than the ones labelled (another
   * ETag), is gone, or cannot be decoded or is over the size limit. */
  skipped: { changed: number; vanished: number; unreadable: number };
}

export interface DownloadOptions {
  maxBytes: number;
  maxPixels: number;
  inputSize: readonly [number, number];
  onProgress?: (done: number, total: number) => void;
}

/**
 * Fetches the labelled images into `<dir>/<NORMAL|PNEUMONIA>/<sha256>.jpg|.dcm`, keeping only the
 * bytes the label was given for: a label pins its image by ETag, and an object overwritten since
 * is another image that nobody labelled.
 */
export async function downloadFeedbackImages(
  store: ObjectStore,
  labels: readonly ImageLabel[],
  dir: string,
  opts: DownloadOptions,
): Promise<FeedbackDownload> {
  const found: Array<FeedbackImage | undefined> = new Array(labels.length);
  const skipped = { changed: 0, vanished: 0, unreadable: 0 };
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < labels.length) {
      const index = next++;
      const outcome = await fetchOne(store, labels[index]!, dir, opts);
      if (typeof outcome === 'string') skipped[outcome]++;
      else found[index] = { label: labels[index]!, image: outcome };
      opts.onProgress?.(++done, labels.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, labels.length) }, worker));
  return { images: found.filter((f): f is FeedbackImage => f !== undefined), skipped };
}

async function fetchOne(
  store: ObjectStore,
  label: ImageLabel,
  dir: string,
  opts: DownloadOptions,
): Promise<LabelledImage | keyof FeedbackDownload['skipped']> {
  let body: Buffer;
  try {
    const object = await store.getObject(label.bucket, label.key, { maxBytes: opts.maxBytes });
    if (normaliseEtag(object.etag) !== label.etag) return 'changed';
    body = object.body;
  } catch (err) {
    if (err instanceof ObjectNotFoundError) return 'vanished';
    if (err instanceof ObjectTooLargeError) return 'unreadable';
    throw err;
  }
  try {
    await decodeToRgb(body, opts.inputSize, { maxPixels: opts.maxPixels });
  } catch (err) {
    if (err instanceof ImageDecodeError) return 'unreadable';
    throw err;
  }
  const sha256 = createHash('sha256').update(body).digest('hex');
  const file = path.join(dir, label.label, `${sha256}${looksLikeDicom(body) ? '.dcm' : '.jpg'}`);
  if (
    !(await fs.stat(file).then(
      (s) => s.size === body.length,
      () => false,
    ))
  ) {
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${randomUUID()}`;
    await fs.writeFile(tmp, body);
    await fs.rename(tmp, file);
  }
  return { path: file, label: label.label === 'PNEUMONIA' ? 1 : 0, sha256 };
}

/** Feedback images split by the study's held-back draw (`isHeldBack`): held-back ones measure
 * candidates, the rest train them. Held back wins when the same bytes were labelled in a
 * training study too. */
export function splitHeldBack(
  images: readonly FeedbackImage[],
  holdoutFraction: number,
): { heldBack: LabelledImage[]; train: LabelledImage[] } {
  const held = (f: FeedbackImage) => isHeldBack(f.label.bucket, f.label.studyId, holdoutFraction);
  const heldBack = images.filter(held).map((f) => f.image);
  const heldContent = new Set(heldBack.map((i) => i.sha256));
  const train = images.filter((f) => !held(f) && !heldContent.has(f.image.sha256)).map((f) => f.image);
  return { heldBack, train };
}
