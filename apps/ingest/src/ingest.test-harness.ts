import { randomUUID } from 'node:crypto';
import { ConsoleLogger, Logger, type LoggerService } from '@nestjs/common';
import { FlowProducer, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { loadConfig, type AppConfig } from '@pneumoscreen/config';
import { QueueName, type ImageJobData, type StudyJobData } from '@pneumoscreen/contracts';
import { redisOptionsFromUrl } from '@pneumoscreen/queue';
import { S3ObjectStore, type ObjectPrefix } from '@pneumoscreen/storage';
import { RedisStudyRepository, type Clock } from '@pneumoscreen/studies';
import { startS3Server, type S3Server } from '@pneumoscreen/testing';
import { PrometheusIngestMetrics } from './metrics/ingest-metrics';
import { ReconcilerService } from './reconciler/reconciler.service';
import { ReadyFolderUseCase } from './studies/ready-folder.use-case';
import { RecordObjectUseCase } from './studies/record-object.use-case';
import { BullStudyQueue } from './studies/study-queue';
import { SubmitStudyUseCase } from './studies/submit-study.use-case';
import { loadStudyIdKey } from './studies/study-id-key';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The real S3 adapter, counting header reads so tests can tell which objects were read again. */
export class ReadCountingStore extends S3ObjectStore {
  readonly reads: Array<{ key: string; maxBytes: number }> = [];
  override getObjectHead(bucket: string, key: string, maxBytes: number): Promise<ObjectPrefix> {
    this.reads.push({ key, maxBytes });
    return super.getObjectHead(bucket, key, maxBytes);
  }
}

/** One ingest process's worth of use cases, with its own Redis and S3 connections. */
export interface IngestReplica {
  record: RecordObjectUseCase;
  reconciler: ReconcilerService;
  submit: SubmitStudyUseCase;
  studies: RedisStudyRepository;
  store: ReadCountingStore;
  /** This replica's Prometheus metrics, as GET /metrics serves them. */
  metrics(): Promise<string>;
}

export interface IngestStack {
  config: AppConfig;
  s3: S3Server;
  /** A plain S3 client for uploads. */
  store: S3ObjectStore;
  /** Keys study ids made from StudyInstanceUIDs (uidStudyId in @pneumoscreen/contracts). */
  studyIdKey: string;
  /** The time every replica reads; tests move it to make studies quiet. */
  clock: Clock & { advance(ms: number): void };
  logs: string[];
  /** A replica; `store` replaces its S3 adapter (a subclass that refuses some keys, say). */
  replica(options?: { store?: typeof ReadCountingStore }): IngestReplica;
  put(key: string, body: Buffer | string): Promise<{ etag: string }>;
  /** The flows ingest queued: study jobs, and image jobs by study id. */
  queued(): Promise<{ studies: StudyJobData[]; images: Map<string, string[]> }>;
  /** Every value under this stack's Redis prefix, for checks that something never got there. */
  redisText(): Promise<string>;
  close(): Promise<void>;
}

/** The environment of an ingest under test: the shared Redis under `prefix`, and `s3` with `bucket`. */
export function ingestTestEnv(s3: S3Server, prefix: string, bucket: string): Record<string, string> {
  return {
    REDIS_URL,
    REDIS_PREFIX: prefix,
    ...s3.env,
    S3_BUCKET: bucket,
  };
}

/**
 * Ingest's use cases wired as IngestModule wires them, against s3rver and real Redis under a
 * prefix of their own, without the HTTP layer and the reconciler's timers so tests drive both.
 */
export async function startIngestStack(env: Record<string, string> = {}): Promise<IngestStack> {
  const s3 = await startS3Server({ buckets: ['scans'] });
  const prefix = `{psingest-${randomUUID()}}`;
  const config = loadConfig({ ...ingestTestEnv(s3, prefix, 'scans'), STUDY_QUIET_PERIOD_MS: '30000', ...env });
  let now = Date.parse('2026-03-01T00:00:00Z');
  const clock = { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
  const logs: string[] = [];
  const capture = (level: string) => (message: unknown) => void logs.push(`${level} ${String(message)}`);
  const logger: LoggerService = {
    log: capture('log'),
    warn: capture('warn'),
    error: capture('error'),
    debug: capture('debug'),
    verbose: capture('verbose'),
  };
  Logger.overrideLogger(logger);

  const store = new S3ObjectStore(config.s3);
  const closers: Array<() => Promise<unknown> | void> = [];
  const redis = new Redis(REDIS_URL);
  const studyIdKey = await loadStudyIdKey(config, redis);
  const queues = [QueueName.study, QueueName.image].map((name) => new Queue(name, { connection: redisOptionsFromUrl(REDIS_URL), prefix }));

  return {
    config,
    s3,
    store,
    studyIdKey,
    clock,
    logs,
    replica(options = {}) {
      const replicaRedis = new Redis(REDIS_URL);
      const flows = new FlowProducer({ connection: redisOptionsFromUrl(REDIS_URL), prefix });
      const studyQueue = new Queue(QueueName.study, { connection: redisOptionsFromUrl(REDIS_URL), prefix });
      const replicaStore = new (options.store ?? ReadCountingStore)(config.s3);
      closers.push(
        () => replicaRedis.quit(),
        () => flows.close(),
        () => studyQueue.close(),
        () => replicaStore.destroy(),
      );
      const studies = new RedisStudyRepository(replicaRedis, prefix);
      const registry = new Registry();
      const metrics = new PrometheusIngestMetrics(registry);
      const submit = new SubmitStudyUseCase(studies, new BullStudyQueue(flows, studyQueue), clock, metrics);
      const record = new RecordObjectUseCase(
        config,
        replicaStore,
        studies,
        clock,
        new ReadyFolderUseCase(replicaStore, studies, submit),
        metrics,
        async () => studyIdKey,
      );
      const reconciler = new ReconcilerService(config, replicaStore, studies, clock, record, submit, metrics);
      return { record, reconciler, submit, studies, store: replicaStore, metrics: () => registry.metrics() };
    },
    put: (key, body) => store.putObject('scans', key, body),
    async queued() {
      const [studyQueue, imageQueue] = queues;
      const types = ['waiting', 'waiting-children', 'active', 'completed', 'failed', 'delayed'] as const;
      const studies = (await studyQueue!.getJobs([...types]))
        .map((j) => j.data as StudyJobData)
        .sort((a, b) => a.studyId.localeCompare(b.studyId));
      const images = new Map<string, string[]>();
      for (const job of await imageQueue!.getJobs([...types])) {
        const data = job.data as ImageJobData;
        images.set(data.studyId, [...(images.get(data.studyId) ?? []), data.key].sort());
      }
      return { studies, images };
    },
    async redisText() {
      const parts: string[] = [];
      for (const key of await redis.keys(`${prefix}:*`)) {
        const type = await redis.type(key);
        if (type === 'hash') parts.push(key, ...Object.entries(await redis.hgetall(key)).flat());
        else if (type === 'string') parts.push(key, (await redis.get(key)) ?? '');
        else if (type === 'set') parts.push(key, ...(await redis.smembers(key)));
        else if (type === 'zset') parts.push(key, ...(await redis.zrange(key, 0, -1)));
        else if (type === 'list') parts.push(key, ...(await redis.lrange(key, 0, -1)));
      }
      return parts.join('\n');
    },
    async close() {
      Logger.overrideLogger(new ConsoleLogger());
      for (const close of closers) await close();
      await Promise.all(queues.map((q) => q.close()));
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
      store.destroy();
      await s3.stop();
    },
  };
}
