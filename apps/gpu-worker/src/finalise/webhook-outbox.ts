import type { Queue } from 'bullmq';
import { JobName, type NewWebhookJobData } from '@pneumoscreen/contracts';
import { webhookJobOptions } from '@pneumoscreen/queue';

/** Where finished events wait for delivery. */
export interface WebhookOutbox {
  enqueue(message: NewWebhookJobData): Promise<void>;
}

export class BullWebhookOutbox implements WebhookOutbox {
  constructor(
    private readonly queue: Queue,
    private readonly maxAttempts: number,
  ) {}

  async enqueue(message: NewWebhookJobData): Promise<void> {
    // The message id is the job id, so a finaliser that runs twice enqueues one delivery.
    await this.queue.add(JobName.deliverWebhook, message, { ...webhookJobOptions(this.maxAttempts), jobId: message.messageId });
  }
}
