import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Clock, StudyRepository } from '@pneumoscreen/studies';
import { CLOCK, STUDY_QUEUE, STUDY_REPOSITORY } from '../tokens';
import type { StudyQueue } from './study-queue';

/** Queues a collected study exactly once, whichever trigger (manifest, quiet period, API) fires. */
@Injectable()
export class SubmitStudyUseCase {
  private readonly log = new Logger(SubmitStudyUseCase.name);

  constructor(
    @Inject(STUDY_REPOSITORY) private readonly studies: StudyRepository,
    @Inject(STUDY_QUEUE) private readonly queue: StudyQueue,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(studyId: string): Promise<boolean> {
    const at = this.clock.now();
    if (!(await this.studies.claimSubmission(studyId, at))) return false;
    try {
      const study = await this.studies.get(studyId);
      const objects = await this.studies.objects(studyId);
      if (!study) throw new Error(`study ${studyId} vanished from Redis while being queued`);
      if (objects.length === 0) {
        this.log.warn(`study ${studyId}: manifest.json arrived before any image; waiting for images (upload the manifest last)`);
        await this.studies.releaseSubmission(studyId, this.clock.now());
        return false;
      }
      await this.queue.enqueue(
        {
          studyId,
          bucket: study.bucket,
          imageCount: objects.length,
          callbackUrl: study.callbackUrl,
          externalRef: study.externalRef,
          submittedAt: at.toISOString(),
        },
        objects.map((o) => ({ studyId, bucket: study.bucket, key: o.key, etag: o.etag, versionId: o.versionId })),
      );
      this.log.log(`study ${studyId} queued with ${objects.length} image(s)`);
      return true;
    } catch (e) {
      // Hand the claim back so the next sweep tries again instead of losing the study.
      await this.studies.releaseSubmission(studyId, this.clock.now());
      throw e;
    }
  }
}
