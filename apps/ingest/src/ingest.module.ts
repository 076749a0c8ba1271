import { type DynamicModule, Inject, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { BullModule, getFlowProducerToken, getQueueToken } from '@nestjs/bullmq';
import type { FlowProducer, Queue } from 'bullmq';
import type { AppConfig } from '@pneumoscreen/config';
import { QueueName } from '@pneumoscreen/contracts';
import { FeedbackStore } from '@pneumoscreen/feedback';
import { createRedisConnection, logOutages, bullConnection } from '@pneumoscreen/queue';
import { S3ObjectStore, httpsSnsTransport, type ObjectStore, type SnsTransport } from '@pneumoscreen/storage';
import { RedisStudyRepository, systemClock } from '@pneumoscreen/studies';
import type { RedisClient } from '@pneumoscreen/queue';
import type { Registry } from 'prom-client';
import { MetricsEndpoint, metricsRegistry } from '@pneumoscreen/metrics';
import { BullFeedbackQueue } from './feedback/feedback-queue';
import { RedisLabelledImages } from './feedback/labelled-images';
import { FeedbackController } from './feedback/feedback.controller';
import { SubmitFeedbackUseCase } from './feedback/submit-feedback.use-case';
import { HealthController } from './health/health.controller';
import { ApiKeys } from './auth/api-keys';
import { BuildWorklistUseCase } from './review/build-worklist.use-case';
import { GetHeatmapUseCase } from './review/get-heatmap.use-case';
import { ReviewAuth } from './review/review-auth';
import { ReviewController } from './review/review.controller';
import { ReviewPage } from './review/review-page';
import { RedisReviewSessions } from './review/review-sessions';
import { S3StudyResults } from './review/study-results';
import { PrometheusIngestMetrics } from './metrics/ingest-metrics';
import { ReconcilerService } from './reconciler/reconciler.service';
import { HttpErrorFilter } from './http-errors.filter';
import { SnsController } from './s3-events/sns.controller';
import { S3EventsController } from './s3-events/s3-events.controller';
import { GetStudyUseCase } from './studies/get-study.use-case';
import { MODEL_PINNING, RegistryModelPinning } from './studies/model-pinning';
import { ReadyFolderUseCase } from './studies/ready-folder.use-case';
import { RecordObjectUseCase } from './studies/record-object.use-case';
import { BullStudyQueue } from './studies/study-queue';
import { StudiesController } from './studies/studies.controller';
import { SubmitKeysUseCase } from './studies/submit-keys.use-case';
import { SubmitStudyUseCase } from './studies/submit-study.use-case';
import { studyIdKeyLoader } from './studies/study-id-key';
import { CapacityGuard, INGEST_CAPACITY, IngestCapacity } from './capacity/ingest-capacity';
import {
  API_KEYS,
  CLOCK,
  CONFIG,
  FEEDBACK_QUEUE,
  FEEDBACK_STORE,
  INGEST_METRICS,
  LABELLED_IMAGES,
  METRICS_ENDPOINT,
  METRICS_REGISTRY,
  OBJECT_STORE,
  REDIS,
  REGISTRY_STORE,
  SNS_TRANSPORT,
  REVIEW_SESSIONS,
  STUDY_ID_KEY,
  STUDY_QUEUE,
  STUDY_REPOSITORY,
  STUDY_RESULTS,
} from './tokens';

const FLOWS = 'studies';

/** Ingest's own Redis connection goes with the app: left open, it keeps a closed app's process
 * alive. */
@Injectable()
class RedisConnectionCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}
  async onApplicationShutdown() {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

@Module({})
export class IngestModule {
  /** `sns`: how SNS is reached; tests give a stand-in for the network, never a laxer rule. */
  static register(config: AppConfig, sns: SnsTransport = httpsSnsTransport): DynamicModule {
    return {
      module: IngestModule,
      imports: [
        BullModule.forRoot({ connection: bullConnection(config.redis.url, 'producer'), prefix: config.redis.prefix }),
        BullModule.registerFlowProducer({ name: FLOWS }),
        BullModule.registerQueue({ name: QueueName.feedback }, { name: QueueName.study }, { name: QueueName.image }),
      ],
      controllers: [S3EventsController, SnsController, StudiesController, FeedbackController, ReviewController, HealthController],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: SNS_TRANSPORT, useValue: sns },
        RedisConnectionCloser,
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        { provide: CLOCK, useValue: systemClock },
        {
          provide: REDIS,
          useFactory: () => logOutages(createRedisConnection(config.redis.url, 'producer'), (l) => new Logger('Redis').warn(l)),
        },
        { provide: OBJECT_STORE, useFactory: () => new S3ObjectStore(config.s3) },
        { provide: REGISTRY_STORE, useFactory: () => new S3ObjectStore(config.models.registryS3) },
        {
          provide: STUDY_REPOSITORY,
          inject: [REDIS],
          useFactory: (r: RedisClient) => new RedisStudyRepository(r, config.redis.prefix, config.ingest.retentionMs),
        },
        {
          provide: STUDY_QUEUE,
          inject: [getFlowProducerToken(FLOWS), getQueueToken(QueueName.study)],
          useFactory: (f: FlowProducer, q: Queue) => new BullStudyQueue(f, q),
        },
        {
          provide: INGEST_CAPACITY,
          inject: [REDIS, getQueueToken(QueueName.image)],
          useFactory: (r: RedisClient, q: Queue) => new IngestCapacity(r, q, config.ingest),
        },
        CapacityGuard,
        { provide: STUDY_ID_KEY, inject: [REDIS], useFactory: (r: RedisClient) => studyIdKeyLoader(config, r) },
        RecordObjectUseCase,
        ReadyFolderUseCase,
        { provide: MODEL_PINNING, useClass: RegistryModelPinning },
        SubmitStudyUseCase,
        SubmitKeysUseCase,
        GetStudyUseCase,
        ReconcilerService,
        {
          provide: FEEDBACK_STORE,
          inject: [OBJECT_STORE],
          useFactory: (s: ObjectStore) => new FeedbackStore(s, config.s3.bucket, config.feedback.prefix),
        },
        { provide: FEEDBACK_QUEUE, inject: [getQueueToken(QueueName.feedback)], useFactory: (q: Queue) => new BullFeedbackQueue(q) },
        {
          provide: LABELLED_IMAGES,
          inject: [REDIS],
          useFactory: (r: RedisClient) => new RedisLabelledImages(r, config.redis.prefix, config.ingest.retentionMs),
        },
        SubmitFeedbackUseCase,
        { provide: API_KEYS, useFactory: () => new ApiKeys(config.tenants) },
        { provide: REVIEW_SESSIONS, inject: [REDIS], useFactory: (r: RedisClient) => new RedisReviewSessions(r, config.redis.prefix) },
        { provide: STUDY_RESULTS, inject: [OBJECT_STORE], useFactory: (s: ObjectStore) => new S3StudyResults(s) },
        { provide: ReviewPage, useFactory: () => new ReviewPage() },
        ReviewAuth,
        BuildWorklistUseCase,
        GetHeatmapUseCase,
        { provide: METRICS_REGISTRY, useFactory: metricsRegistry },
        { provide: INGEST_METRICS, inject: [METRICS_REGISTRY], useFactory: (r: Registry) => new PrometheusIngestMetrics(r) },
        {
          provide: METRICS_ENDPOINT,
          inject: [METRICS_REGISTRY],
          useFactory: (r: Registry) => new MetricsEndpoint(config.metrics, r, (line) => new Logger('Metrics').log(line)),
        },
      ],
    };
  }
}
