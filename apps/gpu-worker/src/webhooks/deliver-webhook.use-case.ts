import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { deliverySecrets, type AppConfig } from '@pneumoscreen/config';
import type { DeliveryAttemptRecord, WebhookJobData } from '@pneumoscreen/contracts';
import type { Clock } from '@pneumoscreen/studies';
import type { Dispatcher } from 'undici';
import { decideNextStep, deliverWebhook, webhookDispatcher, type EndpointStatus, type NextStep } from '@pneumoscreen/webhooks';
import type { DeliveryMetrics } from '../metrics/delivery-metrics';
import { CLOCK, CONFIG, DELIVERY_METRICS } from '../tokens';

export const ENDPOINT_STATUS = Symbol('ENDPOINT_STATUS');

export interface AttemptResult {
  /** Absent when nothing was sent. */
  attempt?: DeliveryAttemptRecord;
  next: NextStep;
}

/** One signed delivery attempt and what should follow it; the processor carries that out with
 * BullMQ. The address guard runs at every attempt: DNS may have changed since the study was
 * submitted. The secrets are the tenant's for that URL as configured now, so a rotation takes
 * effect on retries, and a URL the tenant no longer lists gets nothing. */
@Injectable()
export class DeliverWebhookUseCase implements OnModuleDestroy {
  /** Kept connections, each address checked as it is connected to. */
  private readonly dispatcher: Dispatcher;

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ENDPOINT_STATUS) private readonly endpoints: EndpointStatus,
    @Inject(DELIVERY_METRICS) private readonly metrics: DeliveryMetrics,
  ) {
    const { allowPrivate, allowHosts } = config.webhooks;
    this.dispatcher = webhookDispatcher({ allowPrivate, allowHosts });
  }

  async onModuleDestroy(): Promise<void> {
    await this.dispatcher.close();
  }

  async execute(message: WebhookJobData): Promise<AttemptResult> {
    const result = await this.attempt(message);
    this.metrics.record(result.attempt, result.next);
    return result;
  }

  private async attempt(message: WebhookJobData): Promise<AttemptResult> {
    const disabled = await this.endpoints.disabled(message.url);
    if (disabled) {
      const reason = `not sent: the endpoint is disabled since ${disabled.since} (${disabled.reason}); enable it with "pneumoscreen webhooks enable URL", then replay`;
      return { next: { kind: 'dead-letter', reason, disableEndpoint: false } };
    }
    const tenant = this.config.tenants.find((t) => t.id === message.tenantId);
    const secrets = tenant ? deliverySecrets(tenant, message.url) : [];
    if (!secrets.length) {
      const reason = `not sent: the endpoint is not configured with a secret for tenant ${message.tenantId} (any more)`;
      return { next: { kind: 'dead-letter', reason, disableEndpoint: false } };
    }
    const { timeoutMs, allowPrivate, allowHosts, maxAttempts, retryScheduleMs, retryJitter } = this.config.webhooks;
    const a = await deliverWebhook({
      url: message.url,
      body: message.body,
      id: message.messageId,
      secrets,
      timeoutMs,
      now: () => this.clock.now(),
      addressPolicy: { allowPrivate, allowHosts },
      dispatcher: this.dispatcher,
    });
    const attempt: DeliveryAttemptRecord = { at: a.at, outcome: a.outcome, status: a.status, latencyMs: a.latencyMs, error: a.error };
    const roundStart = message.replays.at(-1)?.firstAttempt ?? 0;
    const attemptsInRound = message.attempts.length + 1 - roundStart;
    const next = decideNextStep(a, attemptsInRound, { maxAttempts, scheduleMs: retryScheduleMs, jitter: retryJitter }, this.clock.now());
    if (next.kind === 'dead-letter' && next.disableEndpoint) {
      await this.endpoints.disable({ url: message.url, since: a.at, reason: 'answered 410 Gone', messageId: message.messageId });
    }
    return { attempt, next };
  }
}
