import { Inject, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { Processor } from '@nestjs/bullmq';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { JobName, QueueName, type DeliveryAttemptRecord, type WebhookJobData } from '@pneumoscreen/contracts';
import { nextDelayMs } from '@pneumoscreen/webhooks';
import type { AppConfig } from '@pneumoscreen/config';
import { QueueProcessor, webhookWorkerOptions, type JobHandlers } from '@pneumoscreen/queue';
import { CONFIG } from '../tokens';
import { DeliverWebhookUseCase } from './deliver-webhook.use-case';

/** Scheme, host and port: enough to tell receivers apart in a log; paths and queries may hold
 * a customer's token. */
function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Delivers one webhook message, retrying by re-delaying the same job, so the `webhook-id` stays
 * the same across attempts. A message that runs out of attempts, whose endpoint is gone or
 * disabled, or that we refuse to send, ends in the failed set: the dead-letter list.
 */
@Processor(QueueName.webhook, {
  ...webhookWorkerOptions,
  // Delivery failures never reach BullMQ's retries (they re-delay the job themselves); this
  // backs off from errors of our own, such as Redis being briefly unreachable.
  settings: { backoffStrategy: (attemptsMade: number) => nextDelayMs(attemptsMade) ?? -1 },
})
export class DeliverWebhookProcessor extends QueueProcessor<typeof QueueName.webhook> implements OnApplicationBootstrap {
  private readonly log = new Logger(DeliverWebhookProcessor.name);
  protected readonly handlers: JobHandlers<typeof QueueName.webhook> = {
    [JobName.deliverWebhook]: (message, job, token) => this.deliver(message, job, token),
  };

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    private readonly useCase: DeliverWebhookUseCase,
  ) {
    super(QueueName.webhook);
  }

  onApplicationBootstrap() {
    this.worker.concurrency = this.config.webhooks.concurrency;
  }

  private async deliver(message: WebhookJobData, job: Job, token?: string): Promise<DeliveryAttemptRecord | undefined> {
    const { attempt, next } = await this.useCase.execute(message);
    const attempts = attempt ? [...message.attempts, attempt] : message.attempts;
    if (attempt) await job.updateData({ ...message, attempts });
    const where = `webhook ${message.messageId} to ${origin(message.url)}`;
    switch (next.kind) {
      case 'done':
        return attempt;
      case 'dead-letter':
        this.log.warn(`${where}: dead-lettered: ${next.reason}`);
        throw new UnrecoverableError(`${where}: ${next.reason}`);
      case 'retry':
        this.log.warn(`${where} attempt ${attempts.length} failed (${attempt?.error}); next try in ${Math.round(next.delayMs / 1000)} s`);
        await job.moveToDelayed(next.at.getTime(), token);
        throw new DelayedError();
    }
  }
}
