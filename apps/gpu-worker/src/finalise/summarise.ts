import type { Decision, ImageResult, SiteCalibration, StudyJobData, StudyResult } from '@pneumoscreen/contracts';
import { resultsKey } from '@pneumoscreen/contracts';

/**
 * A study is positive when any image is; it fails only when no image could be judged. With a
 * calibration of the study's version for its site, each image judged by that version is decided
 * again from its probability at the site's threshold; otherwise the decisions stand as classified,
 * at the version's own threshold.
 */
export function summariseStudy(study: StudyJobData, images: ImageResult[], completedAt: Date, site: SiteCalibration | null = null): StudyResult {
  const decided = site ? images.map((i) => atSiteThreshold(i, site)) : images;
  const judged = decided.filter((i) => i.probability !== undefined);
  const sorted = [...decided].sort((a, b) => a.key.localeCompare(b.key));
  const maxProbability = judged.length ? Math.max(...judged.map((i) => i.probability!)) : undefined;
  const threshold = site?.threshold ?? judged.find((i) => i.threshold !== undefined)?.threshold;
  return {
    studyId: study.studyId,
    bucket: study.bucket,
    status: judged.length ? 'completed' : 'failed',
    externalRef: study.externalRef,
    decision: judged.length ? (judged.some((i) => i.decision === 'PNEUMONIA') ? 'PNEUMONIA' : 'NORMAL') : undefined,
    maxProbability,
    modelVersion: judged[0]?.modelVersion,
    ...(threshold === undefined ? {} : { threshold, thresholdSource: site ? `site:${site.site}` : 'model' }),
    images: sorted,
    submittedAt: study.submittedAt,
    completedAt: completedAt.toISOString(),
    resultsKey: resultsKey(study.studyId),
  };
}

function atSiteThreshold(image: ImageResult, site: SiteCalibration): ImageResult {
  if (image.probability === undefined || image.modelVersion !== site.version) return image;
  const decision: Decision = image.probability >= site.threshold ? 'PNEUMONIA' : 'NORMAL';
  return { ...image, decision, threshold: site.threshold };
}
