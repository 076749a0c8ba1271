import type { OnModuleDestroy } from '@nestjs/common';
import { WorkerHost } from '@nestjs/bullmq';

/**
 * A pool's processor that, first thing on shutdown (SIGTERM from compose or Kubernetes, a rolling
 * update), stops taking jobs and lets the ones it holds finish while the engines, clients and
 * queues they use are all still there. @nestjs/bullmq closes workers only in the last phase
 * (onApplicationShutdown), after the model runtime had disposed its engines: a batch in flight then
 * failed ("worker closed") and every image in it spent an attempt.
 */
export abstract class DrainingWorkerHost extends WorkerHost implements OnModuleDestroy {
  async onModuleDestroy(): Promise<void> {
    await this.worker.close();
  }
}
