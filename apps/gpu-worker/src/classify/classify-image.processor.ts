import { Inject, type OnApplicationBootstrap } from '@nestjs/common';
import { Processor } from '@nestjs/bullmq';
import type { AppConfig } from '@pneumoscreen/config';
import { JobName, QueueName } from '@pneumoscreen/contracts';
import { QueueProcessor, imageWorkerOptions, type JobHandlers } from '@pneumoscreen/queue';
import { CONFIG } from '../tokens';
import { ClassifyImageUseCase } from './classify-image.use-case';

/** Pulls image jobs; enough run at once to fill the next batch while the current one infers. */
@Processor(QueueName.image, imageWorkerOptions)
export class ClassifyImageProcessor extends QueueProcessor<typeof QueueName.image> implements OnApplicationBootstrap {
  protected readonly handlers: JobHandlers<typeof QueueName.image> = { [JobName.classifyImage]: (image) => this.classify.execute(image) };

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    private readonly classify: ClassifyImageUseCase,
  ) {
    super(QueueName.image);
  }

  onApplicationBootstrap() {
    this.worker.concurrency = this.config.worker.concurrency;
  }
}
