import { z } from 'zod';
import { PacsQueued } from './pacs';

/**
 * Why an image decided by the model has no heatmap: `engine`, its engine cannot give one;
 * `disabled`, HEATMAPS=off; `batch-cost`, its batch was larger than HEATMAP_MAX_BATCH; `not-assessed`,
 * the image was outside the version's intended use and has no decision to explain.
 */
export const HeatmapUnavailable = z.enum(['engine', 'disabled', 'batch-cost', 'not-assessed']);
export type HeatmapUnavailable = z.infer<typeof HeatmapUnavailable>;

/**
 * Where the model looked for an image: `key` names a PNG in the study's bucket
 * (`results/<studyId>/<image>.heatmap.png`: the film as the model saw it, the class-activation map
 * over it and a colour scale), or `unavailable` says why there is none.
 */
export const HeatmapRef = z.union([z.object({ key: z.string().min(1) }).strict(), z.object({ unavailable: HeatmapUnavailable }).strict()]);
export type HeatmapRef = z.infer<typeof HeatmapRef>;

/** A DICOM object written beside the results, in the study's bucket. */
export const DicomObjectRef = z.object({ key: z.string().min(1) }).strict();
export type DicomObjectRef = z.infer<typeof DicomObjectRef>;

/** Present on an image read from a DICOM file: the Secondary Capture holding its heatmap (absent
 * when the image has none). */
export const ImageDicomOutputs = z.object({ secondaryCapture: DicomObjectRef.optional() }).strict();
export type ImageDicomOutputs = z.infer<typeof ImageDicomOutputs>;

/** Present on a study with DICOM images: the Structured Report (TID 1500) of its decisions, and,
 * when DICOMWEB_STOW_URL is set, where its push to the PACS is reported once it is over. */
export const StudyDicomOutputs = z.object({ structuredReport: DicomObjectRef, pacs: PacsQueued.optional() }).strict();
export type StudyDicomOutputs = z.infer<typeof StudyDicomOutputs>;

/**
 * `results/<studyId>/<image>.<suffix>`, e.g. `.heatmap.png`. `<image>` is the image key's file name
 * (characters outside [A-Za-z0-9._-] replaced) and 8 hex digits of the whole key's FNV-1a hash:
 * readable, and distinct for two images of one study with the same file name in different folders.
 */
export function imageArtefactKey(studyId: string, imageKey: string, suffix: string): string {
  const name = (imageKey.split('/').pop() || 'image').replace(/[^A-Za-z0-9._-]/g, '_').slice(-96);
  return `results/${studyId}/${name}-${fnv1a(imageKey)}.${suffix}`;
}

/** `results/<studyId>.sr.dcm`, beside `results/<studyId>.json`. */
export function structuredReportKey(studyId: string): string {
  return `results/${studyId}.sr.dcm`;
}

function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}
