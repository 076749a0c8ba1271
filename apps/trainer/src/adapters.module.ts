import { type DynamicModule, type Provider, Global, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import type { AppConfig } from '@pneumoscreen/config';
import { FeedbackStore } from '@pneumoscreen/feedback';
import { openModelRegistry } from '@pneumoscreen/registry';
import { bullConnection } from '@pneumoscreen/queue';
import { S3ObjectStore, type ObjectStore } from '@pneumoscreen/storage';
import { systemClock } from '@pneumoscreen/studies';
import { CLOCK, CONFIG, FEEDBACK_STORE, MODEL_REGISTRY, OBJECT_STORE, REGISTRY_STORE } from './tokens';

/** Adapters both pools share, BullMQ's connection included. */
@Global()
@Module({})
export class AdaptersModule {
  static register(config: AppConfig): DynamicModule {
    const providers: Provider[] = [
      { provide: CONFIG, useValue: config },
      { provide: CLOCK, useValue: systemClock },
      { provide: OBJECT_STORE, useFactory: () => new S3ObjectStore(config.s3) },
      { provide: REGISTRY_STORE, useFactory: () => new S3ObjectStore(config.models.registryS3) },
      {
        provide: FEEDBACK_STORE,
        inject: [OBJECT_STORE],
        useFactory: (s: ObjectStore) => new FeedbackStore(s, config.s3.bucket, config.feedback.prefix),
      },
      {
        provide: MODEL_REGISTRY,
        inject: [REGISTRY_STORE],
        useFactory: (s: ObjectStore) => {
          if (!config.models.registry) throw new Error('MODEL_REGISTRY must be set: the trainer publishes every model it trains there');
          return openModelRegistry(config.models.registry, config.models.name, () => s);
        },
      },
    ];
    return {
      module: AdaptersModule,
      imports: [BullModule.forRoot({ connection: bullConnection(config.redis.url, 'worker'), prefix: config.redis.prefix })],
      providers,
      exports: providers,
    };
  }
}
