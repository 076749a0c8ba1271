import type { ImageResult, StudyJobData, StudyResult } from '@pneumoscreen/contracts';
import { resultsKey } from '@pneumoscreen/contracts';

/** A study is positive when any image is; it fails only when no image could be judged. */
export function summariseStudy(study: StudyJobData, images: ImageResult[], completedAt: Date): StudyResult {
  const judged = images.filter((i) => i.probability !== undefined);
  const sorted = [...images].sort((a, b) => a.key.localeCompare(b.key));
  const maxProbability = judged.length ? Math.max(...judged.map((i) => i.probability!)) : undefined;
  return {
    studyId: study.studyId,
    bucket: study.bucket,
    status: judged.length ? 'completed' : 'failed',
    externalRef: study.externalRef,
    decision: judged.length ? (judged.some((i) => i.decision === 'PNEUMONIA') ? 'PNEUMONIA' : 'NORMAL') : undefined,
    maxProbability,
    modelVersion: judged[0]?.modelVersion,
    images: sorted,
    submittedAt: study.submittedAt,
    completedAt: completedAt.toISOString(),
    resultsKey: resultsKey(study.studyId),
  };
}
