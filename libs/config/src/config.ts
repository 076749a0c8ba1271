import { resolve } from 'node:path';
import { EnvSchema, type Env } from './env';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface AppConfig {
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
    quietPeriodMs: number;
    reconcileIntervalMs: number;
  };
  worker: {
    modelDir: string;
    pools: Array<'classify' | 'finalise' | 'webhook'>;
    maxBatch: number;
    maxWaitMs: number;
    maxImageBytes: number;
    maxImagePixels: number;
  };
  webhooks: {
    defaultUrl?: string;
    secrets: string[];
    timeoutMs: number;
    maxAttempts: number;
    allowPrivate: boolean;
    allowHosts?: string[];
  };
  logLevel: Env['LOG_LEVEL'];
}

/** Where the released models live when MODEL_DIR is not set: `<repo>/models/releases`. */
function defaultModelDir(): string {
  return resolve(__dirname, '../../../models/releases');
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
  return {
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX },
    s3: {
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
    },
    ingest: {
      host: e.INGEST_HOST,
      port: e.INGEST_PORT,
      apiKey: e.INGEST_API_KEY,
      s3EventsToken: e.S3_EVENTS_TOKEN,
      quietPeriodMs: e.STUDY_QUIET_PERIOD_MS,
      reconcileIntervalMs: e.RECONCILE_INTERVAL_MS,
    },
    worker: {
      modelDir: resolve(e.MODEL_DIR ?? defaultModelDir()),
      pools: e.WORKER_POOLS,
      maxBatch: e.WORKER_MAX_BATCH,
      maxWaitMs: e.WORKER_MAX_WAIT_MS,
      maxImageBytes: e.MAX_IMAGE_BYTES,
      maxImagePixels: e.MAX_IMAGE_PIXELS,
    },
    webhooks: {
      defaultUrl: e.WEBHOOK_URL,
      secrets: e.WEBHOOK_SECRET ?? [],
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      allowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
      allowHosts: e.WEBHOOK_ALLOW_HOSTS,
    },
    logLevel: e.LOG_LEVEL,
  };
}
