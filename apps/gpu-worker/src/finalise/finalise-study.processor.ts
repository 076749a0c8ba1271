import { Inject, type OnApplicationBootstrap } from '@nestjs/common';
import { Processor, InjectQueue } from '@nestjs/bullmq';
import { Job, type Queue } from 'bullmq';
import { ImageResult, JobName, QueueName, type StudyJobData, type StudyResult } from '@pneumoscreen/contracts';
import type { AppConfig } from '@pneumoscreen/config';
import { QueueProcessor, studyWorkerOptions, type JobHandlers } from '@pneumoscreen/queue';
import { CONFIG } from '../tokens';
import { FinaliseStudyUseCase } from './finalise-study.use-case';

/** The parent job of a study flow: BullMQ runs it once every image job has finished. */
@Processor(QueueName.study, studyWorkerOptions)
export class FinaliseStudyProcessor extends QueueProcessor<typeof QueueName.study> implements OnApplicationBootstrap {
  protected readonly handlers: JobHandlers<typeof QueueName.study> = { [JobName.finaliseStudy]: (study, job) => this.finalise(study, job) };

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    private readonly useCase: FinaliseStudyUseCase,
    @InjectQueue(QueueName.image) private readonly images: Queue,
  ) {
    super(QueueName.study);
  }

  onApplicationBootstrap() {
    this.worker.concurrency = this.config.worker.finaliseConcurrency;
  }

  private async finalise(study: StudyJobData, job: Job): Promise<StudyResult> {
    const done = Object.values(await job.getChildrenValues()).map((v) => ImageResult.parse(v));
    // Children that failed every retry are reported on the study rather than blocking it.
    const failed = await Promise.all(
      Object.entries(await job.getIgnoredChildrenFailures()).map(async ([jobKey, reason]) => {
        const child = await Job.fromId(this.images, jobKey.slice(jobKey.lastIndexOf(':') + 1));
        return { key: String(child?.data?.key ?? jobKey), etag: String(child?.data?.etag ?? ''), error: `failed after retries: ${reason}` };
      }),
    );
    return this.useCase.execute(study, [...done, ...failed]);
  }
}
