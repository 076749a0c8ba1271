import { Inject, Injectable } from '@nestjs/common';
import { inTenantBucket, ownsStudy, type TenantConfig } from '@pneumoscreen/config';
import { StudyId } from '@pneumoscreen/contracts';
import { STUDY_RESULTS } from '../tokens';
import type { StudyResults } from './study-results';

/**
 * An image's heatmap PNG, for a reader of the tenant whose study it is: the study's result must be
 * the tenant's and name the heatmap, and the heatmap must lie under the study's own results, so
 * that no result can point the page at any other object. null for anything else, alike.
 */
@Injectable()
export class GetHeatmapUseCase {
  constructor(@Inject(STUDY_RESULTS) private readonly results: StudyResults) {}

  async execute(tenant: TenantConfig, bucket: string, studyId: string, index: number): Promise<Buffer | null> {
    if (!inTenantBucket(tenant, bucket) || !StudyId.safeParse(studyId).success) return null;
    const result = await this.results.result(bucket, studyId);
    if (
      !result ||
      !ownsStudy(
        tenant,
        bucket,
        result.images.map((i) => i.key),
      )
    )
      return null;
    const ref = result.images[index]?.heatmap;
    if (!ref || !('key' in ref) || !ref.key.startsWith(`results/${studyId}/`)) return null;
    return this.results.heatmap(bucket, ref.key);
  }
}
