import { Inject, type OnApplicationBootstrap } from '@nestjs/common';
import { Processor, InjectQueue } from '@nestjs/bullmq';
import { Job, type Queue } from 'bullmq';
import { ImageResult, JobName, QueueName, StudyJobData, assertHandlersCoverJobs, parseJobData, type StudyResult } from '@pneumoscreen/contracts';
import type { AppConfig } from '@pneumoscreen/config';
import { studyWorkerOptions } from '@pneumoscreen/queue';
import { DrainingWorkerHost } from '../draining-worker-host';
import { CONFIG } from '../tokens';
import { FinaliseStudyUseCase } from './finalise-study.use-case';

/** The parent job of a study flow: BullMQ runs it once every image job has finished. */
@Processor(QueueName.study, studyWorkerOptions)
export class FinaliseStudyProcessor extends DrainingWorkerHost implements OnApplicationBootstrap {
  private readonly handlers = { [JobName.finaliseStudy]: (job: Job) => this.finalise(job) };

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    private readonly useCase: FinaliseStudyUseCase,
    @InjectQueue(QueueName.image) private readonly images: Queue,
  ) {
    super();
    assertHandlersCoverJobs(QueueName.study, Object.keys(this.handlers));
  }

  onApplicationBootstrap() {
    this.worker.concurrency = this.config.worker.finaliseConcurrency;
  }

  async process(job: Job): Promise<StudyResult> {
    const handler = this.handlers[job.name as keyof typeof this.handlers];
    if (!handler) throw new Error(`no handler for job ${job.name}`);
    return handler(job);
  }

  private async finalise(job: Job): Promise<StudyResult> {
    const study = parseJobData(StudyJobData, JobName.finaliseStudy, job.data);
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
