import { type DynamicModule, type Provider, Global, Logger, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import type { RedisClient } from '@pneumoscreen/queue';
import type { Registry } from 'prom-client';
import { MetricsEndpoint, metricsRegistry } from '@pneumoscreen/metrics';
import type { AppConfig } from '@pneumoscreen/config';
import { FatalSignal, Readiness, createRedisConnection, logOutages, bullConnection } from '@pneumoscreen/queue';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { RedisStudyRepository, systemClock } from '@pneumoscreen/studies';
import { CLOCK, CONFIG, METRICS_ENDPOINT, METRICS_REGISTRY, OBJECT_STORE, REDIS, REGISTRY_STORE, STUDY_REPOSITORY } from './tokens';

/** Adapters every pool shares, BullMQ's connection included. Kept apart from the pools so that a
 * pool can be started on its own without loading the others' dependencies (the model, sharp). */
@Global()
@Module({})
export class AdaptersModule {
  static register(config: AppConfig): DynamicModule {
    const fatal = new FatalSignal();
    const providers: Provider[] = [
      { provide: CONFIG, useValue: config },
      { provide: FatalSignal, useValue: fatal },
      { provide: Readiness, useValue: new Readiness(fatal) },
      { provide: CLOCK, useValue: systemClock },
      {
        provide: REDIS,
        useFactory: () => logOutages(createRedisConnection(config.redis.url, 'worker'), (l) => new Logger('Redis').warn(l)),
      },
      { provide: OBJECT_STORE, useFactory: () => new S3ObjectStore(config.s3) },
      { provide: REGISTRY_STORE, useFactory: () => new S3ObjectStore(config.models.registryS3) },
      {
        provide: STUDY_REPOSITORY,
        inject: [REDIS],
        useFactory: (r: RedisClient) => new RedisStudyRepository(r, config.redis.prefix, config.ingest.retentionMs),
      },
      { provide: METRICS_REGISTRY, useFactory: metricsRegistry },
    ];
    return {
      module: AdaptersModule,
      imports: [BullModule.forRoot({ connection: bullConnection(config.redis.url, 'worker'), prefix: config.redis.prefix })],
      providers: [
        ...providers,
        {
          provide: METRICS_ENDPOINT,
          inject: [METRICS_REGISTRY, Readiness],
          useFactory: (r: Registry, readiness: Readiness) =>
            new MetricsEndpoint(
              config.metrics,
              r,
              (line) => new Logger('Metrics').log(line),
              () => readiness.ready,
            ),
        },
      ],
      exports: providers,
    };
  }
}
