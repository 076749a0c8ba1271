import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { Clock, StudyRepository } from '@pneumoscreen/studies';
import type { IngestMetrics } from '../metrics/ingest-metrics';
import { CLOCK, INGEST_METRICS, STUDY_QUEUE, STUDY_REPOSITORY } from '../tokens';
import { MODEL_PINNING, type ModelPinning } from './model-pinning';
import type { StudyQueue } from './study-queue';

/** Queues a collected study exactly once, whichever trigger (manifest, quiet period, API) fires. */
@Injectable()
export class SubmitStudyUseCase {
  private readonly log = new Logger(SubmitStudyUseCase.name);

  constructor(
    @Inject(STUDY_REPOSITORY) private readonly studies: StudyRepository,
    @Inject(STUDY_QUEUE) private readonly queue: StudyQueue,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(INGEST_METRICS) private readonly metrics: IngestMetrics,
    @Optional() @Inject(MODEL_PINNING) private readonly pinning?: ModelPinning,
  ) {}

  async execute(studyId: string): Promise<boolean> {
    const at = this.clock.now();
    if (!(await this.studies.claimSubmission(studyId, at))) return false;
    try {
      const study = await this.studies.get(studyId);
      const objects = await this.studies.objects(studyId);
      if (!study) throw new Error(`study ${studyId} vanished from Redis while being queued`);
      if (objects.length === 0) {
        this.log.warn(`study ${studyId} has no objects yet; it stays collecting`);
        await this.studies.releaseSubmission(studyId, this.clock.now());
        return false;
      }
      // Chosen once for the whole study, so no channel change can split it between versions.
      const modelVersion = await this.pinning?.versionFor(studyId);
      await this.queue.enqueue(
        {
          studyId,
          bucket: study.bucket,
          imageCount: objects.length,
          callbackUrl: study.callbackUrl,
          externalRef: study.externalRef,
          submittedAt: at.toISOString(),
          modelVersion,
        },
        objects.map((o) => ({ studyId, bucket: study.bucket, key: o.key, etag: o.etag, versionId: o.versionId, modelVersion })),
      );
      this.log.log(`study ${studyId} queued with ${objects.length} image(s)${modelVersion ? ` for model ${modelVersion}` : ''}`);
      this.metrics.studyQueued();
      return true;
    } catch (e) {
      // Hand the claim back so the next sweep tries again instead of losing the study.
      await this.studies.releaseSubmission(studyId, this.clock.now());
      throw e;
    }
  }
}
