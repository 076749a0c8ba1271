import { Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import type { RedisClient } from '@pneumoscreen/queue';
import type { Registry } from 'prom-client';
import type { AppConfig } from '@pneumoscreen/config';
import { QueueName } from '@pneumoscreen/contracts';
import { RedisEndpointStatus } from '@pneumoscreen/webhooks';
import { PrometheusDeliveryMetrics } from '../metrics/delivery-metrics';
import { CONFIG, DELIVERY_METRICS, METRICS_REGISTRY, REDIS } from '../tokens';
import { DeliverWebhookProcessor } from './deliver-webhook.processor';
import { DeliverWebhookUseCase, ENDPOINT_STATUS } from './deliver-webhook.use-case';

/** Registering the queue it consumes is what starts @nestjs/bullmq's processor discovery, so the
 * pool also runs in a process where it is the only pool. */
@Module({
  imports: [BullModule.registerQueue({ name: QueueName.webhook })],
  providers: [
    DeliverWebhookUseCase,
    DeliverWebhookProcessor,
    {
      provide: ENDPOINT_STATUS,
      inject: [REDIS, CONFIG],
      useFactory: (r: RedisClient, c: AppConfig) => new RedisEndpointStatus(r, c.redis.prefix),
    },
    { provide: DELIVERY_METRICS, inject: [METRICS_REGISTRY], useFactory: (r: Registry) => new PrometheusDeliveryMetrics(r) },
  ],
})
export class WebhookPoolModule {}
