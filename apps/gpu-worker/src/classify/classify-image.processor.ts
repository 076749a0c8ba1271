import { Inject, type OnApplicationBootstrap } from '@nestjs/common';
import { Processor } from '@nestjs/bullmq';
import type { AppConfig } from '@pneumoscreen/config';
import { JobName, QueueName } from '@pneumoscreen/contracts';
import { QueueProcessor, Readiness, imageWorkerOptions, type JobHandlers } from '@pneumoscreen/queue';
import { CONFIG } from '../tokens';
import { ClassifyImageUseCase } from './classify-image.use-case';
import { ModelRuntime } from './model-runtime';

/** Pulls image jobs; enough run at once to fill the next batch while the current one infers. It
 * starts paused and takes its first job once the served model is loaded and warm: a job taken
 * earlier would sit on this worker while another, already warm, could have scored it. */
@Processor(QueueName.image, imageWorkerOptions)
export class ClassifyImageProcessor extends QueueProcessor<typeof QueueName.image> implements OnApplicationBootstrap {
  protected readonly handlers: JobHandlers<typeof QueueName.image> = { [JobName.classifyImage]: (image) => this.classify.execute(image) };

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    private readonly classify: ClassifyImageUseCase,
    private readonly runtime: ModelRuntime,
    private readonly readiness: Readiness,
  ) {
    super(QueueName.image);
  }

  onApplicationBootstrap() {
    this.worker.concurrency = this.config.worker.concurrency;
    this.readiness.waitFor(
      'the classify pool (its model loading and warming up)',
      this.startWhen(this.runtime.warm).then(() => this.runtime.warm),
    );
  }
}
