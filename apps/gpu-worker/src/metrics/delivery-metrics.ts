import { Counter, Histogram, type Registry } from 'prom-client';
import type { DeliveryAttemptRecord } from '@pneumoscreen/contracts';
import type { NextStep } from '@pneumoscreen/webhooks';

/** What the webhook pool reports of every delivery attempt and its sequel. */
export interface DeliveryMetrics {
  record(attempt: DeliveryAttemptRecord | undefined, next: NextStep): void;
}

/** Attempts by outcome, their latency, and messages sent to the dead-letter list: what an alert
 * on a customer's failing endpoint watches. No label names an endpoint or a study. */
export class PrometheusDeliveryMetrics implements DeliveryMetrics {
  private readonly attempts: Counter<'outcome'>;
  private readonly latency: Histogram;
  private readonly deadLettered: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.attempts = new Counter({
      name: 'pneumoscreen_webhook_attempts_total',
      help: 'Webhook delivery attempts, by outcome (delivered, retry, gone, refused)',
      labelNames: ['outcome'],
      registers,
    });
    this.latency = new Histogram({
      name: 'pneumoscreen_webhook_attempt_seconds',
      help: 'Time from sending a webhook to its answer (or to giving up on it)',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.deadLettered = new Counter({
      name: 'pneumoscreen_webhook_dead_letters_total',
      help: 'Webhook messages moved to the dead-letter list',
      registers,
    });
  }

  record(attempt: DeliveryAttemptRecord | undefined, next: NextStep): void {
    if (attempt) {
      this.attempts.inc({ outcome: attempt.outcome });
      this.latency.observe(attempt.latencyMs / 1000);
    }
    if (next.kind === 'dead-letter') this.deadLettered.inc();
  }
}
