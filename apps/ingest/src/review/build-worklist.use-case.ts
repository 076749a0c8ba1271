import { Inject, Injectable } from '@nestjs/common';
import { ownsStudy, type TenantConfig } from '@pneumoscreen/config';
import type { StudyResult } from '@pneumoscreen/contracts';
import type { Clock, StudyRepository } from '@pneumoscreen/studies';
import type { LabelledImages } from '../feedback/labelled-images';
import { CLOCK, LABELLED_IMAGES, STUDY_REPOSITORY, STUDY_RESULTS } from '../tokens';
import type { StudyResults } from './study-results';
import { rankWorklist, type WorklistStudy } from './worklist';

/** Results read at once: enough to hide S3's latency, few enough not to crowd other requests. */
const READ_CONCURRENCY = 8;

export function heatmapPath(result: Pick<StudyResult, 'bucket' | 'studyId'>, index: number): string {
  return `/review/heatmaps/${encodeURIComponent(result.bucket)}/${encodeURIComponent(result.studyId)}/${index}`;
}

/**
 * The review worklist: the tenant's most recently finished studies, read from their results and
 * ordered most uncertain first, images readers have labelled last. A result that is gone, or whose images are not (or no longer) all
 * the tenant's, is left out.
 */
@Injectable()
export class BuildWorklistUseCase {
  constructor(
    @Inject(STUDY_REPOSITORY) private readonly studies: Pick<StudyRepository, 'recentlyFinished'>,
    @Inject(STUDY_RESULTS) private readonly results: StudyResults,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LABELLED_IMAGES) private readonly labelled: Pick<LabelledImages, 'of'>,
  ) {}

  async execute(tenant: TenantConfig, limit: number): Promise<WorklistStudy[]> {
    const recent = await this.studies.recentlyFinished(tenant.id, limit, this.clock.now());
    const read: Array<StudyResult | null> = new Array(recent.length).fill(null);
    let next = 0;
    const reader = async () => {
      for (let i = next++; i < recent.length; i = next++) read[i] = await this.results.result(recent[i]!.bucket, recent[i]!.studyId);
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, recent.length) }, reader));
    const theirs = read.filter(
      (r, i): r is StudyResult =>
        r !== null &&
        r.bucket === recent[i]!.bucket &&
        ownsStudy(
          tenant,
          r.bucket,
          r.images.map((img) => img.key),
        ),
    );
    const labels = await this.labelled.of(theirs.map((r) => r.studyId));
    return rankWorklist(theirs, { heatmapUrl: heatmapPath, labels });
  }
}
