import type { Queue } from 'bullmq';
import { JobName, webhookJobId, type NewWebhookJobData } from '@pneumoscreen/contracts';
import { JOBS } from '@pneumoscreen/queue';

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
    const jobId = webhookJobId(message.messageId, message.url);
    await this.queue.add(JobName.deliverWebhook, message, { ...JOBS[JobName.deliverWebhook].options(this.maxAttempts), jobId });
  }
}
