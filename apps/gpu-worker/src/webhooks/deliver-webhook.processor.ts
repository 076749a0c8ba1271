import { Inject, Logger } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { AppConfig } from '@pneumoscreen/config';
import { JobName, QueueName, WebhookJobData, assertHandlersCoverJobs, parseJobData, type DeliveryAttemptRecord } from '@pneumoscreen/contracts';
import { DEFAULT_RETRY_SCHEDULE_MS, nextDelayMs } from '@pneumoscreen/webhooks';
import { CONFIG } from '../tokens';
import { DeliverWebhookUseCase } from './deliver-webhook.use-case';

/**
 * Delivers one webhook message, retrying on the Svix-like schedule (honouring Retry-After) by
 * re-delaying the same job, so the `webhook-id` stays the same across attempts. A message that
 * runs out of attempts, or whose endpoint is gone or refused, ends in the failed set: the
 * dead-letter list.
 */
@Processor(QueueName.webhook)
export class DeliverWebhookProcessor extends WorkerHost {
  private readonly log = new Logger(DeliverWebhookProcessor.name);
  private readonly handlers = { [JobName.deliverWebhook]: (job: Job, token?: string) => this.deliver(job, token) };

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    private readonly useCase: DeliverWebhookUseCase,
  ) {
    super();
    assertHandlersCoverJobs(QueueName.webhook, Object.keys(this.handlers));
  }

  async process(job: Job, token?: string): Promise<DeliveryAttemptRecord> {
    const handler = this.handlers[job.name as keyof typeof this.handlers];
    if (!handler) throw new Error(`no handler for job ${job.name}`);
    return handler(job, token);
  }

  private async deliver(job: Job, token?: string): Promise<DeliveryAttemptRecord> {
    const message = parseJobData(WebhookJobData, JobName.deliverWebhook, job.data);
    const a = await this.useCase.execute(message);
    const record: DeliveryAttemptRecord = { at: a.at, outcome: a.outcome, status: a.status, latencyMs: a.latencyMs, error: a.error };
    const attempts = [...message.attempts, record];
    await job.updateData({ ...message, attempts });
    if (a.outcome === 'delivered') return record;
    const where = `webhook ${message.messageId} attempt ${attempts.length}`;
    if (a.outcome !== 'retry') throw new UnrecoverableError(`${where}: ${a.outcome}: ${a.error ?? `HTTP ${a.status}`}`);
    const schedule = DEFAULT_RETRY_SCHEDULE_MS.slice(0, this.config.webhooks.maxAttempts);
    const delay = nextDelayMs(attempts.length, { retryAfterMs: a.retryAfterMs, scheduleMs: schedule, jitter: 0.1 });
    if (delay === null) throw new UnrecoverableError(`${where}: giving up: ${a.error ?? `HTTP ${a.status}`}`);
    this.log.warn(`${where} failed (${a.error ?? `HTTP ${a.status}`}); next try in ${Math.round(delay / 1000)} s`);
    await job.moveToDelayed(Date.now() + delay, token);
    throw new DelayedError();
  }
}
