import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@pneumoscreen/config';
import type { WebhookJobData } from '@pneumoscreen/contracts';
import { deliverWebhook, type DeliveryAttempt } from '@pneumoscreen/webhooks';
import { CONFIG } from '../tokens';

/** One signed delivery attempt; what happens next (retry, give up) is the processor's call. The
 * address guard runs at every attempt: DNS may have changed since the study was submitted. */
@Injectable()
export class DeliverWebhookUseCase {
  constructor(@Inject(CONFIG) private readonly config: AppConfig) {}

  execute(message: WebhookJobData): Promise<DeliveryAttempt> {
    const { secrets, timeoutMs, allowPrivate, allowHosts } = this.config.webhooks;
    return deliverWebhook({
      url: message.url,
      body: message.body,
      id: message.messageId,
      secrets,
      timeoutMs,
      addressPolicy: { allowPrivate, allowHosts },
    });
  }
}
