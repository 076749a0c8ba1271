import { type DynamicModule, type Provider, Global, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import type { Redis } from 'ioredis';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { AppConfig } from '@pneumoscreen/config';
import { createRedisConnection, redisOptionsFromUrl } from '@pneumoscreen/queue';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { RedisStudyRepository, systemClock } from '@pneumoscreen/studies';
import { MetricsServer } from './metrics/metrics-server';
import { CLOCK, CONFIG, METRICS_REGISTRY, OBJECT_STORE, REDIS, STUDY_REPOSITORY } from './tokens';

/** Adapters every pool shares, BullMQ's connection included. Kept apart from the pools so that a
 * pool can be started on its own without loading the others' dependencies (the model, sharp). */
@Global()
@Module({})
export class AdaptersModule {
  static register(config: AppConfig): DynamicModule {
    const providers: Provider[] = [
      { provide: CONFIG, useValue: config },
      { provide: CLOCK, useValue: systemClock },
      { provide: REDIS, useFactory: () => createRedisConnection(config.redis.url, 'worker') },
      { provide: OBJECT_STORE, useFactory: () => new S3ObjectStore(config.s3) },
      { provide: STUDY_REPOSITORY, inject: [REDIS], useFactory: (r: Redis) => new RedisStudyRepository(r, config.redis.prefix) },
      // The process's own metrics (CPU, memory, event-loop lag, GC) beside the pools'.
      { provide: METRICS_REGISTRY, useFactory: () => {
        const registry = new Registry();
        collectDefaultMetrics({ register: registry });
        return registry;
      } },
    ];
    return {
      module: AdaptersModule,
      imports: [BullModule.forRoot({ connection: redisOptionsFromUrl(config.redis.url), prefix: config.redis.prefix })],
      providers: [...providers, MetricsServer],
      exports: providers,
    };
  }
}
