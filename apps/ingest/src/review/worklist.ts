import type { Decision, HeatmapUnavailable, ImageResult, OutOfScopeReason, ResultDecision, StudyResult } from '@pneumoscreen/contracts';
import type { ImageLabelMark } from '../feedback/labelled-images';

/** A large study shows its most uncertain images, and counts the rest. */
export const IMAGES_PER_STUDY = 24;
/** Where a result names no threshold (results before thresholds were recorded). */
const DEFAULT_THRESHOLD = 0.5;

export interface WorklistImage {
  /** The image's place in the result: how the heatmap route names it. */
  index: number;
  key: string;
  decision?: ResultDecision;
  probability?: number;
  threshold: number;
  modelVersion?: string;
  /** Why the model did not assess it (decision NOT_ASSESSED). */
  outOfScope?: OutOfScopeReason;
  /** Assessed, but unlike the training films: read with care. */
  scopeFlag?: OutOfScopeReason;
  error?: string;
  heatmap: { url: string } | { unavailable: HeatmapUnavailable | 'none' };
  /** `/v1/feedback` takes labels only for images the model judged (they carry a probability). */
  labelable: boolean;
  /** The latest label a reader gave these bytes. */
  labelled?: Decision;
}

export interface WorklistStudy {
  studyId: string;
  bucket: string;
  completedAt: string;
  decision?: ResultDecision;
  modelVersion?: string;
  thresholdSource?: string;
  images: WorklistImage[];
  /** Images past IMAGES_PER_STUDY, left out of the page. */
  moreImages: number;
}

/**
 * How much a reader's label would teach the model, as a sort key (smaller first): images the model
 * would not assess or flagged as unlike its training films, then judged images by the distance of
 * their probability from the threshold, then images that could not be read (nothing to label).
 * Images already labelled come after all of those.
 */
export function uncertainty(image: ImageResult, threshold: number, labelled = false): [tier: number, margin: number] {
  const margin = image.probability === undefined ? 0 : Math.abs(image.probability - threshold);
  if (labelled) return [3, margin];
  if (image.decision === 'NOT_ASSESSED' || image.scopeFlag) return [0, margin];
  if (image.probability !== undefined) return [1, margin];
  return [2, 0];
}

const before = (a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1];

export interface WorklistSources {
  heatmapUrl(result: StudyResult, index: number): string;
  /** Per study id, its labelled images by key. */
  labels: ReadonlyMap<string, ReadonlyMap<string, ImageLabelMark>>;
}

/** Studies most uncertain first (by their most uncertain image; newer first among equals), each
 * with its images in the same order. */
export function rankWorklist(results: readonly StudyResult[], sources: WorklistSources): WorklistStudy[] {
  const studies = results.map((result) => {
    const marks = sources.labels.get(result.studyId);
    const labelOf = (image: ImageResult) => (marks?.get(image.key)?.etag === image.etag ? marks.get(image.key)!.label : undefined);
    const ranked = result.images
      .map((image, index) => ({ image, index, labelled: labelOf(image) }))
      .map((x) => ({
        ...x,
        rank: uncertainty(x.image, x.image.threshold ?? result.threshold ?? DEFAULT_THRESHOLD, x.labelled !== undefined),
      }))
      .sort((a, b) => before(a.rank, b.rank) || a.index - b.index);
    const shown = ranked.slice(0, IMAGES_PER_STUDY);
    const study: WorklistStudy = {
      studyId: result.studyId,
      bucket: result.bucket,
      completedAt: result.completedAt,
      decision: result.decision,
      modelVersion: result.modelVersion,
      thresholdSource: result.thresholdSource,
      images: shown.map(({ image, index, labelled }) => view(result, image, index, sources.heatmapUrl, labelled)),
      moreImages: ranked.length - shown.length,
    };
    return { study, rank: ranked[0]?.rank ?? ([4, 0] as [number, number]) };
  });
  studies.sort((a, b) => before(a.rank, b.rank) || b.study.completedAt.localeCompare(a.study.completedAt));
  return studies.map((s) => s.study);
}

function view(
  result: StudyResult,
  image: ImageResult,
  index: number,
  heatmapUrl: WorklistSources['heatmapUrl'],
  labelled: Decision | undefined,
): WorklistImage {
  const heatmap = image.heatmap;
  return {
    index,
    key: image.key,
    decision: image.decision,
    probability: image.probability,
    threshold: image.threshold ?? result.threshold ?? DEFAULT_THRESHOLD,
    modelVersion: image.modelVersion ?? result.modelVersion,
    outOfScope: image.outOfScope?.reason,
    scopeFlag: image.scopeFlag?.reason,
    error: image.error,
    heatmap:
      heatmap === undefined
        ? { unavailable: 'none' }
        : 'key' in heatmap
          ? { url: heatmapUrl(result, index) }
          : { unavailable: heatmap.unavailable },
    labelable: image.probability !== undefined,
    ...(labelled ? { labelled } : {}),
  };
}
