import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import type { OnModuleInit } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { JobName, QueueName, RetrainJobData, assertHandlersCoverJobs, parseJobData, type RetrainResult } from '@pneumoscreen/contracts';
import { RetrainUseCase } from './retrain.use-case';

/** Training runs TF.js on this thread between awaits, so lock renewals can wait on a long batch;
 * a lock that outlives any batch keeps a busy job from being taken for a stalled one. */
const LOCK_MS = 10 * 60_000;

/** `retrain` jobs, one at a time in the whole deployment: a training run takes every core it is
 * given, and two would race to publish and promote. */
@Processor(QueueName.training, { concurrency: 1, lockDuration: LOCK_MS })
export class RetrainProcessor extends WorkerHost implements OnModuleInit {
  private readonly handlers = { [JobName.retrain]: (job: Job) => this.retrain(job) };

  constructor(
    private readonly useCase: RetrainUseCase,
    @InjectQueue(QueueName.training) private readonly queue: Queue,
  ) {
    super();
    assertHandlersCoverJobs(QueueName.training, Object.keys(this.handlers));
  }

  /** Concurrency 1 holds per process; this holds across trainer processes. */
  async onModuleInit(): Promise<void> {
    await this.queue.setGlobalConcurrency(1);
  }

  async process(job: Job): Promise<RetrainResult> {
    const handler = this.handlers[job.name as keyof typeof this.handlers];
    if (!handler) throw new Error(`no handler for job ${job.name}`);
    return handler(job);
  }

  private retrain(job: Job): Promise<RetrainResult> {
    const data = parseJobData(RetrainJobData, JobName.retrain, job.data);
    return this.useCase.execute(data, (progress) => job.updateProgress(progress));
  }
}
