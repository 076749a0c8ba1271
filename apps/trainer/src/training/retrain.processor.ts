import { InjectQueue, Processor } from '@nestjs/bullmq';
import type { OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { JobName, QueueName } from '@pneumoscreen/contracts';
import { QueueProcessor, type JobHandlers } from '@pneumoscreen/queue';
import { RetrainUseCase } from './retrain.use-case';

/** Training runs TF.js on this thread between awaits, so lock renewals can wait on a long batch;
 * a lock that outlives any batch keeps a busy job from being taken for a stalled one. */
const LOCK_MS = 10 * 60_000;

/** `retrain` jobs, one at a time in the whole deployment: a training run takes every core it is
 * given, and two would race to publish and promote. */
@Processor(QueueName.training, { concurrency: 1, lockDuration: LOCK_MS })
export class RetrainProcessor extends QueueProcessor<typeof QueueName.training> implements OnApplicationBootstrap {
  protected readonly handlers: JobHandlers<typeof QueueName.training> = {
    [JobName.retrain]: (request, job) => this.useCase.execute(request, (progress) => job.updateProgress(progress)),
  };

  constructor(
    private readonly useCase: RetrainUseCase,
    @InjectQueue(QueueName.training) private readonly queue: Queue,
  ) {
    super(QueueName.training);
  }

  /** Concurrency 1 holds per process; this holds across trainer processes. */
  async onApplicationBootstrap(): Promise<void> {
    await this.queue.setGlobalConcurrency(1);
  }
}
