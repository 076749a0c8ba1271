import type { Decision, ImageResult, OutOfScopeReason, SiteCalibration, StudyJobData, StudyResult } from '@pneumoscreen/contracts';
import { resultsKey } from '@pneumoscreen/contracts';

/**
 * A study is positive when any assessed image is; NOT_ASSESSED when every image read was outside
 * its version's intended use; it fails only when no image could be read at all. With a
 * calibration of the study's version for its site, each image judged by that version is decided
 * again from its probability at the site's threshold; otherwise the decisions stand as classified,
 * at the version's own threshold.
 */
export function summariseStudy(
  study: StudyJobData,
  images: ImageResult[],
  completedAt: Date,
  site: SiteCalibration | null = null,
): StudyResult {
  const decided = site ? images.map((i) => atSiteThreshold(i, site)) : images;
  const judged = decided.filter((i) => i.probability !== undefined);
  const sorted = [...decided].sort((a, b) => a.key.localeCompare(b.key));
  const maxProbability = judged.length ? Math.max(...judged.map((i) => i.probability!)) : undefined;
  const threshold = site?.threshold ?? judged.find((i) => i.threshold !== undefined)?.threshold;
  const outside = decided.filter((i) => i.outOfScope);
  const reasons: Partial<Record<OutOfScopeReason, number>> = {};
  for (const i of outside) reasons[i.outOfScope!.reason] = (reasons[i.outOfScope!.reason] ?? 0) + 1;
  const assessedDecision = judged.some((i) => i.decision === 'PNEUMONIA') ? 'PNEUMONIA' : 'NORMAL';
  return {
    studyId: study.studyId,
    bucket: study.bucket,
    status: judged.length || outside.length ? 'completed' : 'failed',
    externalRef: study.externalRef,
    ...(study.manifestIgnored ? { manifestIgnored: study.manifestIgnored } : {}),
    decision: judged.length ? assessedDecision : outside.length ? 'NOT_ASSESSED' : undefined,
    ...(outside.length ? { outOfScope: { count: outside.length, reasons } } : {}),
    maxProbability,
    modelVersion: (judged[0] ?? outside[0])?.modelVersion,
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
