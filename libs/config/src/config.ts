import { resolve } from 'node:path';
import { EnvSchema, type Env } from './env';
import type { ModelRegistryLocation } from './model-registry';
import { clusterUrl, hashTaggedPrefix, parseRedisUrl } from './redis-target';
import { legacyTenant, type TenantConfig } from './tenants';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface AppConfig {
  /** `url` may name a Redis Cluster (redis-cluster://…); `prefix` is REDIS_PREFIX as a hash tag,
   * `{pneumoscreen}`, so that all of a deployment's keys share one cluster slot. */
  redis: { url: string; prefix: string };
  s3: {
    endpoint?: string;
    region: string;
    forcePathStyle: boolean;
    bucket: string;
    incomingPrefix: string;
    credentials?: { accessKeyId: string; secretAccessKey: string };
  };
  ingest: {
    host: string;
    port: number;
    apiKey?: string;
    s3EventsToken?: string;
    /** Topics whose signed messages `POST /v1/s3-events/sns` accepts; none: the route is off. */
    snsTopicArns: string[];
    quietPeriodMs: number;
    reconcileIntervalMs: number;
    /** How long a queued study may be without its job before it is queued again; also how often
     * each queued study's job is looked for. */
    requeueAfterMs: number;
    /** Back-pressure: past either, ingest answers 503 with Retry-After to new work. */
    maxQueuedImages: number;
    maxRedisMemoryFraction: number;
    /** How long a finished study's records (and an object's placement) stay in Redis. */
    retentionMs: number;
    /** Keys the study ids made from StudyInstanceUIDs; unset: a random key ingest keeps in Redis. */
    studyIdKey?: string;
  };
  worker: {
    modelDir: string;
    pools: Array<'classify' | 'finalise' | 'webhook'>;
    maxBatch: number;
    maxWaitMs: number;
    /** Batch sizes that run as soon as they are reached, without waiting `maxWaitMs` for more
     * (Triton's preferred batch sizes). */
    preferredBatchSizes: number[];
    /** Image jobs in flight per process: downloads and decodes overlap the running batch. */
    concurrency: number;
    /** Studies finalised at once per process. Finalising is I/O (Redis, the results object):
     * one at a time, the studies of one batch queued behind each other for seconds. */
    finaliseConcurrency: number;
    maxImageBytes: number;
    maxImagePixels: number;
    /** DICOM images get their own, lower cap: their codecs (JPEG 2000 above all) decode in full
     * and in memory, where a JPEG or PNG streams through libvips. */
    maxDicomPixels: number;
    /** Inference engine; `auto` takes the fastest that starts on this host. */
    engine: Env['ENGINE'];
    /** Threads a native engine (ONNX Runtime) may use inside one call; 0: its default. */
    engineThreads: number;
    /** The longest one engine run may take before the engine counts as broken; 0: no limit. */
    engineTimeoutMs: number;
    /** Grad-CAM heatmaps beside the results, for batches of at most `maxBatch` images. */
    heatmaps: { enabled: boolean; maxBatch: number };
    /** A DICOM SR per DICOM study, and a Secondary Capture per heatmap of a DICOM image. */
    dicomOutputs: boolean;
  };
  models: {
    /** Unset: workers load `worker.modelDir` as it is. */
    registry?: ModelRegistryLocation;
    /** How an S3 registry is reached: `s3` with the registry's own credentials when
     * MODEL_REGISTRY_ACCESS_KEY_ID is set, so that the identity that uploads studies (and can
     * write the watched bucket) cannot replace models, and workers can hold a read-only one. */
    registryS3: AppConfig['s3'];
    name: string;
    /** The channel a worker serves. */
    channel: string;
    /** Where workers keep verified copies of the versions they load. */
    cacheDir: string;
    /** How often workers and ingest re-read the channels, in case a pub/sub notice was lost; 0:
     * never. */
    channelPollMs: number;
  };
  /** Delivery settings; where events go and what signs them is each tenant's (`tenants`). */
  webhooks: {
    timeoutMs: number;
    maxAttempts: number;
    /** Delay before each attempt; the webhooks lib's Svix-like default when absent. */
    retryScheduleMs?: number[];
    /** Each delay varies by up to this fraction either way. */
    retryJitter: number;
    allowPrivate: boolean;
    allowHosts?: string[];
    /** Deliveries in flight per process, to all endpoints together. */
    concurrency: number;
  };
  feedback: {
    /** Key prefix in `s3.bucket` of the append-only label records. */
    prefix: string;
    /** Share of labelled studies kept out of training to compare candidates on. */
    holdoutFraction: number;
  };
  trainer: {
    pools: Array<'feedback' | 'training'>;
    /** The base labelled data set (NORMAL/ and PNEUMONIA/ folders) every retrain starts from;
     * its patient-grouped validation split is the fixed yardstick of every candidate. */
    dataDir?: string;
    /** Activation caches and downloaded feedback images. */
    workDir: string;
    /** The ImageNet backbone a first model is trained from when no version is in production. */
    baseModelDir: string;
    valFraction: number;
    seed: number;
    targetSensitivity: number;
    /** What happens to a candidate that passes the gate. */
    promotionPolicy: Env['PROMOTION_POLICY'];
    canaryFraction: number;
    /** The gate refuses a candidate whose AUC is lower than production's by more than this. */
    maxAucDrop: number;
    /** Every candidate also gets an int8 model (model.int8.onnx) before it is published, for
     * workers with ENGINE=onnxruntime-int8; one whose int8 model strays fails the gate. */
    int8: boolean;
  };
  /** Who owns which buckets and prefixes, and their endpoints, callback hosts and API keys:
   * `TENANTS`, or one default tenant made of the single-tenant settings. */
  tenants: TenantConfig[];
  logLevel: Env['LOG_LEVEL'];
  /** Where an app serves `GET /metrics` (Prometheus); absent: nowhere. Port 0 takes a free one. */
  metrics?: { host: string; port: number };
  /** Images a process decodes at once (libuv's pool); unset: UV_THREADPOOL_SIZE if set, else one
   * per core. */
  decodeThreads?: number;
}

/** Where the released models live when MODEL_DIR is not set: `<repo>/models/releases`. */
function defaultModelDir(): string {
  return resolve(__dirname, '../../../models/releases');
}

/** Downloaded versions go under `<repo>/.cache/models` unless MODEL_CACHE_DIR says otherwise. */
function defaultModelCacheDir(): string {
  return resolve(__dirname, '../../../.cache/models');
}

/** Reads and validates the environment once; a bad value fails start-up naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const r = EnvSchema.safeParse(defined);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = r.data;
  if (e.AWS_ACCESS_KEY_ID && !e.AWS_SECRET_ACCESS_KEY) {
    throw new ConfigError('invalid configuration:\n  AWS_SECRET_ACCESS_KEY: required when AWS_ACCESS_KEY_ID is set');
  }
  if (!e.MODEL_REGISTRY_ACCESS_KEY_ID !== !e.MODEL_REGISTRY_SECRET_ACCESS_KEY) {
    const missing = e.MODEL_REGISTRY_ACCESS_KEY_ID ? 'MODEL_REGISTRY_SECRET_ACCESS_KEY' : 'MODEL_REGISTRY_ACCESS_KEY_ID';
    throw new ConfigError(`invalid configuration:\n  ${missing}: the registry's access key and secret go together`);
  }
  if (e.REDIS_CLUSTER_NODES && parseRedisUrl(e.REDIS_URL).cluster) {
    throw new ConfigError('invalid configuration:\n  REDIS_CLUSTER_NODES: REDIS_URL already names a cluster; set one or the other');
  }
  const tooLarge = (e.WORKER_PREFERRED_BATCH ?? []).filter((n) => n > e.WORKER_MAX_BATCH);
  if (tooLarge.length) {
    throw new ConfigError(`invalid configuration:\n  WORKER_PREFERRED_BATCH: ${tooLarge.join(', ')} exceeds WORKER_MAX_BATCH (${e.WORKER_MAX_BATCH})`);
  }
  const legacy = (['WEBHOOK_ENDPOINTS', 'WEBHOOK_URL', 'WEBHOOK_SECRET', 'CALLBACK_HOSTS', 'INGEST_API_KEY'] as const).filter((k) => e[k] !== undefined);
  if (e.TENANTS && legacy.length) {
    throw new ConfigError(`invalid configuration:\n${legacy.map((k) => `  ${k}: cannot be combined with TENANTS; give it to a tenant`).join('\n')}`);
  }
  const tenants =
    e.TENANTS ??
    [legacyTenant({ endpoints: e.WEBHOOK_ENDPOINTS ?? [], defaultUrl: e.WEBHOOK_URL, secrets: e.WEBHOOK_SECRET ?? [], callbackHosts: e.CALLBACK_HOSTS ?? [], apiKey: e.INGEST_API_KEY })];
  const s3: AppConfig['s3'] = {
    endpoint: e.S3_ENDPOINT,
    region: e.S3_REGION,
    // Self-hosted S3 stores (SeaweedFS, Garage, s3rver) want path-style addressing.
    forcePathStyle: e.S3_FORCE_PATH_STYLE ?? e.S3_ENDPOINT !== undefined,
    bucket: e.S3_BUCKET,
    incomingPrefix: e.S3_INCOMING_PREFIX,
    credentials:
      e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY
        ? { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY }
        : undefined,
  };
  const registryCredentials =
    e.MODEL_REGISTRY_ACCESS_KEY_ID && e.MODEL_REGISTRY_SECRET_ACCESS_KEY
      ? { accessKeyId: e.MODEL_REGISTRY_ACCESS_KEY_ID, secretAccessKey: e.MODEL_REGISTRY_SECRET_ACCESS_KEY }
      : s3.credentials;
  return {
    redis: { url: e.REDIS_CLUSTER_NODES ? clusterUrl(e.REDIS_URL, e.REDIS_CLUSTER_NODES) : e.REDIS_URL, prefix: hashTaggedPrefix(e.REDIS_PREFIX) },
    s3,
    ingest: {
      host: e.INGEST_HOST,
      port: e.INGEST_PORT,
      apiKey: e.INGEST_API_KEY,
      s3EventsToken: e.S3_EVENTS_TOKEN,
      snsTopicArns: e.SNS_TOPIC_ARNS ?? [],
      quietPeriodMs: e.STUDY_QUIET_PERIOD_MS,
      reconcileIntervalMs: e.RECONCILE_INTERVAL_MS,
      requeueAfterMs: e.STUDY_REQUEUE_AFTER_MS,
      studyIdKey: e.STUDY_ID_KEY,
      maxQueuedImages: e.INGEST_MAX_QUEUED_IMAGES,
      maxRedisMemoryFraction: e.INGEST_MAX_REDIS_MEMORY_FRACTION,
      retentionMs: e.STUDY_RETENTION_MS,
    },
    worker: {
      modelDir: resolve(e.MODEL_DIR ?? defaultModelDir()),
      pools: e.WORKER_POOLS,
      maxBatch: e.WORKER_MAX_BATCH,
      maxWaitMs: e.WORKER_MAX_WAIT_MS,
      preferredBatchSizes: [...new Set(e.WORKER_PREFERRED_BATCH ?? [])].sort((a, b) => a - b),
      // Two batches in flight by default: one inferring, the next downloading and decoding.
      concurrency: e.WORKER_CONCURRENCY ?? e.WORKER_MAX_BATCH * 2,
      finaliseConcurrency: e.WORKER_FINALISE_CONCURRENCY,
      maxImageBytes: e.MAX_IMAGE_BYTES,
      maxImagePixels: e.MAX_IMAGE_PIXELS,
      maxDicomPixels: e.MAX_DICOM_PIXELS,
      engine: e.ENGINE,
      engineThreads: e.ENGINE_THREADS,
      engineTimeoutMs: e.ENGINE_TIMEOUT_MS,
      heatmaps: { enabled: e.HEATMAPS, maxBatch: e.HEATMAP_MAX_BATCH },
      dicomOutputs: e.DICOM_OUTPUTS,
    },
    models: {
      registry: e.MODEL_REGISTRY,
      registryS3: { ...s3, credentials: registryCredentials },
      name: e.MODEL_NAME,
      channel: e.MODEL_CHANNEL,
      cacheDir: resolve(e.MODEL_CACHE_DIR ?? defaultModelCacheDir()),
      channelPollMs: e.MODEL_CHANNEL_POLL_MS,
    },
    webhooks: {
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      retryScheduleMs: e.WEBHOOK_RETRY_SCHEDULE,
      retryJitter: e.WEBHOOK_RETRY_JITTER,
      allowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
      allowHosts: e.WEBHOOK_ALLOW_HOSTS,
      concurrency: e.WEBHOOK_CONCURRENCY,
    },
    feedback: { prefix: e.FEEDBACK_PREFIX, holdoutFraction: e.FEEDBACK_HOLDOUT_FRACTION },
    trainer: {
      pools: e.TRAINER_POOLS,
      dataDir: e.TRAINING_DATA_DIR && resolve(e.TRAINING_DATA_DIR),
      workDir: resolve(e.TRAINING_WORK_DIR ?? resolve(__dirname, '../../../.cache/trainer')),
      baseModelDir: resolve(e.TRAINING_BASE_MODEL_DIR ?? resolve(__dirname, '../../../models/base/mobilenet_v1_0.75_224')),
      valFraction: e.TRAINING_VAL_FRACTION,
      seed: e.TRAINING_SEED,
      targetSensitivity: e.TARGET_SENSITIVITY,
      promotionPolicy: e.PROMOTION_POLICY,
      canaryFraction: e.CANARY_FRACTION,
      maxAucDrop: e.PROMOTION_MAX_AUC_DROP,
      int8: e.TRAINING_INT8,
    },
    tenants,
    logLevel: e.LOG_LEVEL,
    ...(e.METRICS_PORT === undefined ? {} : { metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT } }),
    decodeThreads: e.DECODE_THREADS,
  };
}
