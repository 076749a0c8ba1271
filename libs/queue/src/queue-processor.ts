import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { WorkerHost } from '@nestjs/bullmq';
import { UnrecoverableError, type Job } from 'bullmq';
import type { QueueName } from '@pneumoscreen/contracts';
import { assertHandlersCoverJobs, parseJob, type JobData, type JobsOn } from './job-catalog';

/** One handler for each job of queue Q, given the job's parsed data: the type system refuses a
 * map that misses a job of the queue or names one of another. */
export type JobHandlers<Q extends QueueName> = { [N in JobsOn<Q>]: (data: JobData<N>, job: Job, token?: string) => Promise<unknown> };

type AnyHandler = (data: unknown, job: Job, token?: string) => Promise<unknown>;

/**
 * The base of every pool's processor. It checks at start-up (onModuleInit, before any worker runs)
 * that its handlers are exactly the queue's jobs in the catalog, parses each job's data by the catalog's schema before
 * its handler sees it (a payload that cannot parse fails at once, unrecoverable, instead of
 * spending minutes of retries), and on shutdown first stops taking jobs and lets the ones it holds
 * finish while the engines, clients and queues they use are all still there: @nestjs/bullmq closes
 * workers only in the last phase (onApplicationShutdown), after the services they call are gone.
 * A pool whose worker options say `autorun: false` starts taking jobs with `startWhen`.
 */
export abstract class QueueProcessor<Q extends QueueName> extends WorkerHost implements OnModuleInit, OnModuleDestroy {
  protected abstract readonly handlers: JobHandlers<Q>;

  protected constructor(private readonly queueName: Q) {
    super();
  }

  onModuleInit(): void {
    assertHandlersCoverJobs(this.queueName, Object.keys(this.handlers));
  }

  async process(job: Job, token?: string): Promise<unknown> {
    if (!Object.hasOwn(this.handlers, job.name)) throw new UnrecoverableError(`queue ${this.queueName} has no job named ${job.name}`);
    const name = job.name as JobsOn<Q>;
    const handler = this.handlers[name] as AnyHandler;
    return handler(parseJob(name, job.data), job, token);
  }

  /** Starts the (paused) worker once `ready` is fulfilled, unless the app is closing by then;
   * never if it rejects: the fault that rejected it stops the process. Resolves when it has
   * started, or will not. */
  protected startWhen(ready: Promise<unknown>): Promise<void> {
    return ready.then(
      () => {
        if (this.worker.closing) return;
        // Resolves only when the worker closes; its own faults go where the worker's go.
        this.worker.run().catch((e: Error) => this.worker.emit('error', e));
      },
      () => undefined,
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker.close();
  }
}
