import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { BullModule, getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { RedisClient } from '@pneumoscreen/queue';
import type { Registry } from 'prom-client';
import type { AppConfig } from '@pneumoscreen/config';
import { QueueName } from '@pneumoscreen/contracts';
import type { ObjectStore, RangedObjectStore } from '@pneumoscreen/storage';
import { RedisMessageIds } from '@pneumoscreen/webhooks';
import { AdaptersModule } from './adapters.module';
import { ClassifyImageProcessor } from './classify/classify-image.processor';
import { ClassifyImageUseCase } from './classify/classify-image.use-case';
import { ModelRuntime } from './classify/model-runtime';
import { FinaliseStudyProcessor } from './finalise/finalise-study.processor';
import { FinaliseStudyUseCase, MESSAGE_IDS, WEBHOOK_OUTBOX } from './finalise/finalise-study.use-case';
import { SITE_CALIBRATIONS, SITE_SCOPES, siteCalibrationsFor, siteScopesFor } from './finalise/site-calibrations';
import { S3StructuredReports, STRUCTURED_REPORTS } from './finalise/structured-reports';
import { BullWebhookOutbox } from './finalise/webhook-outbox';
import { BullPacsOutbox, PACS_OUTBOX } from './finalise/pacs-outbox';
import { PacsPoolModule } from './pacs/pacs-pool.module';
import { WebhookPoolModule } from './webhooks/webhook-pool.module';
import { PrometheusImageMetrics } from './metrics/image-metrics';
import { CONFIG, IMAGE_METRICS, METRICS_REGISTRY, OBJECT_STORE, REDIS, REGISTRY_STORE } from './tokens';

// Each pool registers the queue it consumes: that is what starts @nestjs/bullmq's processor
// discovery, so a process running one pool alone (WORKER_POOLS=classify) still consumes.
@Module({
  imports: [BullModule.registerQueue({ name: QueueName.image })],
  providers: [
    ModelRuntime,
    ClassifyImageUseCase,
    ClassifyImageProcessor,
    { provide: IMAGE_METRICS, inject: [METRICS_REGISTRY], useFactory: (r: Registry) => new PrometheusImageMetrics(r) },
    {
      provide: SITE_SCOPES,
      inject: [CONFIG, REGISTRY_STORE],
      useFactory: (c: AppConfig, s: ObjectStore) => {
        const log = new Logger('SiteScopes');
        return siteScopesFor(c, s, (m) => log.warn(m));
      },
    },
  ],
})
class ClassifyPoolModule {}

@Module({
  imports: [BullModule.registerQueue({ name: QueueName.image }, { name: QueueName.webhook }, { name: QueueName.pacs })],
  providers: [
    FinaliseStudyUseCase,
    FinaliseStudyProcessor,
    {
      provide: PACS_OUTBOX,
      inject: [getQueueToken(QueueName.pacs), CONFIG],
      useFactory: (q: Queue, c: AppConfig) => (c.pacs ? new BullPacsOutbox(q, c.pacs.maxAttempts) : null),
    },
    {
      provide: WEBHOOK_OUTBOX,
      inject: [getQueueToken(QueueName.webhook), CONFIG],
      useFactory: (q: Queue, c: AppConfig) => new BullWebhookOutbox(q, c.webhooks.maxAttempts),
    },
    { provide: MESSAGE_IDS, inject: [REDIS, CONFIG], useFactory: (r: RedisClient, c: AppConfig) => new RedisMessageIds(r, c.redis.prefix) },
    {
      provide: STRUCTURED_REPORTS,
      inject: [OBJECT_STORE, CONFIG],
      useFactory: (s: RangedObjectStore, c: AppConfig) => new S3StructuredReports(s, c.models.name, c.worker.maxImageBytes),
    },
    {
      provide: SITE_CALIBRATIONS,
      inject: [CONFIG, REGISTRY_STORE],
      useFactory: (c: AppConfig, s: ObjectStore) => {
        const log = new Logger('SiteCalibrations');
        return siteCalibrationsFor(c, s, (m) => log.warn(m));
      },
    },
  ],
})
class FinalisePoolModule {}

const POOLS = { classify: ClassifyPoolModule, finalise: FinalisePoolModule, webhook: WebhookPoolModule };

/** A worker process runs the pools named in `WORKER_POOLS`: GPU hosts can run `classify` alone
 * while cheap hosts finalise studies and deliver webhooks (and, with DICOMWEB_STOW_URL, push DICOM
 * outputs to the PACS). */
@Module({})
export class WorkerModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        AdaptersModule.register(config),
        ...config.worker.pools.map((p) => POOLS[p]),
        ...(config.pacs && config.worker.pools.includes('webhook') ? [PacsPoolModule] : []),
      ],
    };
  }
}
