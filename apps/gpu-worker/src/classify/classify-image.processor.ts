import { Inject, type OnApplicationBootstrap } from '@nestjs/common';
import { Processor } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import type { AppConfig } from '@pneumoscreen/config';
import { ImageJobData, JobName, QueueName, assertHandlersCoverJobs, parseJobData, type ImageResult } from '@pneumoscreen/contracts';
import { imageWorkerOptions } from '@pneumoscreen/queue';
import { DrainingWorkerHost } from '../draining-worker-host';
import { CONFIG } from '../tokens';
import { ClassifyImageUseCase } from './classify-image.use-case';

/** Pulls image jobs; enough run at once to fill the next batch while the current one infers. */
@Processor(QueueName.image, imageWorkerOptions)
export class ClassifyImageProcessor extends DrainingWorkerHost implements OnApplicationBootstrap {
  private readonly handlers = { [JobName.classifyImage]: (d: unknown) => this.classify.execute(parseJobData(ImageJobData, JobName.classifyImage, d)) };

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    private readonly classify: ClassifyImageUseCase,
  ) {
    super();
    assertHandlersCoverJobs(QueueName.image, Object.keys(this.handlers));
  }

  onApplicationBootstrap() {
    this.worker.concurrency = this.config.worker.concurrency;
  }

  async process(job: Job): Promise<ImageResult> {
    const handler = this.handlers[job.name as keyof typeof this.handlers];
    if (!handler) throw new Error(`no handler for job ${job.name}`);
    return handler(job.data);
  }
}
