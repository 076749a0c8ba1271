import { ConfigError } from './config-error';
import { EnvSchema, type Env } from './env';
import { ingestSection, type IngestConfig } from './sections/ingest';
import { modelsSection, type ModelsConfig } from './sections/models';
import { pacsSection, type PacsConfig } from './sections/pacs';
import { redisSection, s3Section, type RedisConfig, type S3Config } from './sections/storage';
import { feedbackSection, trainerSection, type FeedbackConfig, type TrainerConfig } from './sections/training';
import { tenantsSection, webhooksSection, type WebhooksConfig } from './sections/delivery';
import { workerSection, type WorkerConfig } from './sections/worker';
import type { TenantConfig } from './tenants';

export { ConfigError };

/** Every app's settings, one section per concern (sections/); each app reads the sections it
 * needs. */
export interface AppConfig {
  redis: RedisConfig;
  s3: S3Config;
  ingest: IngestConfig;
  worker: WorkerConfig;
  models: ModelsConfig;
  webhooks: WebhooksConfig;
  feedback: FeedbackConfig;
  trainer: TrainerConfig;
  /** Who owns which buckets and prefixes, and their endpoints, callback hosts and API keys:
   * `TENANTS`, or one default tenant made of the single-tenant settings. */
  tenants: TenantConfig[];
  logLevel: Env['LOG_LEVEL'];
  /** Where DICOM outputs are pushed (DICOMweb STOW-RS); absent: nowhere. */
  pacs?: PacsConfig;
  /** Where an app serves `GET /metrics` (Prometheus); absent: nowhere. Port 0 takes a free one. */
  metrics?: { host: string; port: number };
  /** Images a process decodes at once (libuv's pool); unset: UV_THREADPOOL_SIZE if set, else one
   * per core. */
  decodeThreads?: number;
}

/** Reads and validates the environment once; a bad value fails start-up naming the variable.
 * Each variable is checked by the schema (env.ts), then the rules between variables by the
 * section that owns them. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const r = EnvSchema.safeParse(defined);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = r.data;
  const s3 = s3Section(e);
  const models = modelsSection(e, s3);
  const redis = redisSection(e);
  const worker = workerSection(e);
  const tenants = tenantsSection(e);
  const pacs = pacsSection(e);
  return {
    redis,
    s3,
    ingest: ingestSection(e),
    worker,
    models,
    webhooks: webhooksSection(e),
    feedback: feedbackSection(e),
    trainer: trainerSection(e),
    tenants,
    logLevel: e.LOG_LEVEL,
    ...(pacs ? { pacs } : {}),
    ...(e.METRICS_PORT === undefined ? {} : { metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT } }),
    decodeThreads: e.DECODE_THREADS,
  };
}
