import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@pneumoscreen/config';
import type { WebhookJobData } from '@pneumoscreen/contracts';
import { UnsafeWebhookUrlError, assertDeliverableUrl, deliverWebhook, type DeliveryAttempt } from '@pneumoscreen/webhooks';
import { CONFIG } from '../tokens';

/** One signed delivery attempt; what happens next (retry, give up) is the processor's call. */
@Injectable()
export class DeliverWebhookUseCase {
  constructor(@Inject(CONFIG) private readonly config: AppConfig) {}

  async execute(message: WebhookJobData): Promise<DeliveryAttempt> {
    const { secrets, timeoutMs, allowPrivate, allowHosts } = this.config.webhooks;
    try {
      // Checked at every attempt: DNS may have changed since the study was submitted.
      await assertDeliverableUrl(message.url, { allowPrivate, allowHosts });
    } catch (e) {
      if (e instanceof UnsafeWebhookUrlError) return { outcome: 'refused', latencyMs: 0, error: e.message, at: new Date().toISOString() };
      throw e;
    }
    return deliverWebhook({ url: message.url, body: message.body, id: message.messageId, secrets, timeoutMs });
  }
}
