import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { Clock, StudyObject, StudyRecord, StudyRepository } from '@pneumoscreen/studies';
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
      if (!study) throw new Error(`study ${studyId} vanished from Redis while being queued`);
      const objects = await this.studies.objects(studyId);
      if (objects.length === 0) {
        this.log.warn(`study ${studyId} has no objects yet; it stays collecting`);
        await this.studies.releaseSubmission(studyId, this.clock.now());
        return false;
      }
      await this.enqueue(study, objects, at);
      this.metrics.studyQueued();
      return true;
    } catch (e) {
      // Hand the claim back so the next sweep tries again instead of losing the study.
      await this.studies.releaseSubmission(studyId, this.clock.now());
      throw e;
    }
  }

  /**
   * Queues again a study that was claimed but whose job is not on the queue: ingest died between
   * the claim and the enqueue, or Redis lost the enqueue's writes on a restart (appendfsync
   * everysec loses up to a second). Job ids derive from the study and its objects, so a study
   * whose enqueue was only slow is not queued twice. Returns whether it had to be queued again.
   */
  async requeueIfLost(studyId: string): Promise<boolean> {
    const study = await this.studies.get(studyId);
    if (study?.status !== 'queued') return false;
    if (await this.queue.has(study.bucket, studyId)) {
      await this.studies.markQueuedChecked(studyId, this.clock.now());
      return false;
    }
    const objects = await this.studies.objects(studyId);
    await this.enqueue(study, objects, study.submittedAt ? new Date(study.submittedAt) : this.clock.now());
    await this.studies.markQueuedChecked(studyId, this.clock.now());
    this.log.warn(`study ${studyId} was claimed but its job was missing; queued again`);
    this.metrics.studyRequeued();
    return true;
  }

  private async enqueue(study: StudyRecord, objects: StudyObject[], at: Date) {
    const { studyId, bucket } = study;
    // Chosen once for the whole study, so no channel change can split it between versions.
    const modelVersion = await this.pinning?.versionFor(studyId);
    await this.queue.enqueue(
      {
        studyId,
        bucket,
        imageCount: objects.length,
        callbackUrl: study.callbackUrl,
        externalRef: study.externalRef,
        manifestIgnored: study.manifestIgnored,
        submittedAt: at.toISOString(),
        modelVersion,
      },
      objects.map((o) => ({ studyId, bucket, key: o.key, etag: o.etag, versionId: o.versionId, modelVersion })),
    );
    this.log.log(`study ${studyId} queued with ${objects.length} image(s)${modelVersion ? ` for model ${modelVersion}` : ''}`);
  }
}
