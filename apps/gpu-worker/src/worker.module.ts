import { type DynamicModule, type Provider, Global, Module } from '@nestjs/common';
import { BullModule, getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AppConfig } from '@pneumoscreen/config';
import { QueueName } from '@pneumoscreen/contracts';
import { createRedisConnection, redisOptionsFromUrl } from '@pneumoscreen/queue';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { RedisStudyRepository, systemClock } from '@pneumoscreen/studies';
import { ClassifyImageProcessor } from './classify/classify-image.processor';
import { ClassifyImageUseCase } from './classify/classify-image.use-case';
import { ModelRuntime } from './classify/model-runtime';
import { FinaliseStudyProcessor } from './finalise/finalise-study.processor';
import { FinaliseStudyUseCase, WEBHOOK_OUTBOX } from './finalise/finalise-study.use-case';
import { BullWebhookOutbox } from './finalise/webhook-outbox';
import { DeliverWebhookProcessor } from './webhooks/deliver-webhook.processor';
import { DeliverWebhookUseCase } from './webhooks/deliver-webhook.use-case';
import { CLOCK, CONFIG, OBJECT_STORE, REDIS, STUDY_REPOSITORY } from './tokens';

/** Adapters every pool shares. */
@Global()
@Module({})
class AdaptersModule {
  static register(config: AppConfig): DynamicModule {
    const providers: Provider[] = [
      { provide: CONFIG, useValue: config },
      { provide: CLOCK, useValue: systemClock },
      { provide: REDIS, useFactory: () => createRedisConnection(config.redis.url, 'worker') },
      { provide: OBJECT_STORE, useFactory: () => new S3ObjectStore(config.s3) },
      { provide: STUDY_REPOSITORY, inject: [REDIS], useFactory: (r: Redis) => new RedisStudyRepository(r, config.redis.prefix) },
    ];
    return { module: AdaptersModule, providers, exports: providers };
  }
}

@Module({ providers: [ModelRuntime, ClassifyImageUseCase, ClassifyImageProcessor] })
class ClassifyPoolModule {}

@Module({
  imports: [BullModule.registerQueue({ name: QueueName.image }, { name: QueueName.webhook })],
  providers: [
    FinaliseStudyUseCase,
    FinaliseStudyProcessor,
    {
      provide: WEBHOOK_OUTBOX,
      inject: [getQueueToken(QueueName.webhook), CONFIG],
      useFactory: (q: Queue, c: AppConfig) => new BullWebhookOutbox(q, c.webhooks.maxAttempts),
    },
  ],
})
class FinalisePoolModule {}

@Module({ providers: [DeliverWebhookUseCase, DeliverWebhookProcessor] })
class WebhookPoolModule {}

const POOLS = { classify: ClassifyPoolModule, finalise: FinalisePoolModule, webhook: WebhookPoolModule };

/** A worker process runs the pools named in `WORKER_POOLS`: GPU hosts can run `classify` alone
 * while cheap hosts finalise studies and deliver webhooks. */
@Module({})
export class WorkerModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        AdaptersModule.register(config),
        BullModule.forRoot({ connection: redisOptionsFromUrl(config.redis.url), prefix: config.redis.prefix }),
        ...config.worker.pools.map((p) => POOLS[p]),
      ],
    };
  }
}
